import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { api } from '../lib/api';
import type { LinkEvent, SyncFinished, SyncProgress } from '../lib/types';
import ActivityCenter from './ActivityCenter.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).mockCommands(original, [
    'onSyncProgress', 'onSyncFinished', 'onLinkEvent', 'linkInboxReady', 'cancelSync', 'onOpenRoute',
  ]),
);

let progress: (p: SyncProgress) => void = () => {};
let finished: (s: SyncFinished) => void = () => {};
let link: (e: LinkEvent) => void = () => {};

const summary = (over: Partial<SyncFinished>): SyncFinished => ({
  trigger: 'manual',
  total: 2,
  synced: 2,
  failed: 0,
  cancelled: 0,
  rows_written: 10,
  elapsed_ms: 5,
  outcomes: [],
  report: null,
  ...over,
});

const sca = (id: number): SyncFinished['outcomes'][number] => ({
  connection_id: id,
  client_id: 1,
  provider: 'flanks',
  status: 'pending_sca',
  previous_status: 'ready',
  result: 'failed',
  failure: {
    kind: 'sca_required',
    provider_code: null,
    provider_message: null,
    http_status: null,
    endpoint: null,
    retry_at: null,
  },
});

const ready = (id: number): SyncFinished['outcomes'][number] => ({
  connection_id: id,
  client_id: 1,
  provider: 'flanks',
  status: 'ready',
  previous_status: 'pending_sca',
  result: 'synced',
  stats: { inserted: 3, updated: 0, unchanged: 0, retired: 0, skipped: 0, odd: 0 },
});

describe('ActivityCenter', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    vi.mocked(api.onSyncProgress).mockImplementation(async (f) => ((progress = f), () => {}));
    vi.mocked(api.onSyncFinished).mockImplementation(async (f) => ((finished = f), () => {}));
    vi.mocked(api.onLinkEvent).mockImplementation(async (f) => ((link = f), () => {}));
    vi.mocked(api.linkInboxReady).mockResolvedValue([]);
    vi.mocked(api.onOpenRoute).mockResolvedValue(() => {});
  });

  it('shows progress with a cancel button, and hides it when the sync ends', async () => {
    vi.mocked(api.cancelSync).mockResolvedValueOnce(true);
    render(ActivityCenter);
    await vi.waitFor(() => expect(api.onSyncProgress).toHaveBeenCalled());
    expect(screen.queryByTestId('sync-progress')).toBeNull();
    progress({ done: 1, total: 4, connection_id: 3, institution: 'Banco Sabadell', step: 'fetching' });
    expect(await screen.findByTestId('sync-progress')).toHaveTextContent('Updating 1 of 4');
    expect(screen.getByTestId('sync-progress-institution')).toHaveTextContent('Banco Sabadell');
    await userEvent.click(screen.getByTestId('sync-cancel'));
    expect(api.cancelSync).toHaveBeenCalled();
    expect(screen.getByTestId('sync-cancel')).toHaveTextContent('Cancelling…');
    finished(summary({ cancelled: 3 }));
    await vi.waitFor(() => expect(screen.queryByTestId('sync-progress')).toBeNull());
  });

  it('raises a notice for connections that need action, gone once they are healthy', async () => {
    render(ActivityCenter);
    await vi.waitFor(() => expect(api.onSyncFinished).toHaveBeenCalled());
    finished(summary({ trigger: 'schedule', total: 2, failed: 1, outcomes: [sca(1), ready(2)] }));
    expect(await screen.findByTestId('toast')).toHaveTextContent('1 connection needs action.');
    // The connection is repaired (a reauthorization from a sent link): the notice goes.
    link({
      source: 'poller',
      error: null,
      outcome: { outcome: 'reauthorized', session_id: 4, client_id: 1, connection_id: 1, status: 'ready' },
    });
    await vi.waitFor(() =>
      expect(screen.queryByText('1 connection needs action.')).toBeNull(),
    );
    // And a later update that finds it ready takes it away too.
    finished(summary({ trigger: 'schedule', total: 1, failed: 1, outcomes: [sca(5)] }));
    expect(await screen.findByText('1 connection needs action.')).toBeInTheDocument();
    finished(summary({ trigger: 'schedule', total: 1, outcomes: [ready(5)] }));
    await vi.waitFor(() => expect(screen.queryByText('1 connection needs action.')).toBeNull());
  });

  it('ends Update all with what needs whom', async () => {
    render(ActivityCenter);
    await vi.waitFor(() => expect(api.onSyncFinished).toHaveBeenCalled());
    const person = (id: number, name: string, bank: string) => ({
      connection_id: id,
      client_id: id,
      client_name: name,
      institution: bank,
      status: 'pending_sca' as const,
      newly: true,
    });
    finished(
      summary({
        total: 26,
        outcomes: [sca(1)],
        report: {
          total: 26,
          updated: 23,
          retrying: 0,
          cancelled: 0,
          needs_client: [person(1, 'Ana Ruiz', 'Banco X'), person(2, 'Luis Gil', 'Banco Y')],
          needs_advisor: [{ ...person(3, 'Marta Sanz', 'RBC'), status: 'needs_advisor' }],
        },
      }),
    );
    expect(await screen.findByTestId('run-summary-text')).toHaveTextContent(
      '23 updated · 2 need the client: Ana Ruiz (Banco X), Luis Gil (Banco Y) · 1 needs you: Marta Sanz (RBC)',
    );
    expect(screen.getByTestId('run-summary-health')).toHaveAttribute('href', '#/health');
    // The summary says it all: no second notice for the same connections.
    expect(screen.queryByTestId('toast')).toBeNull();
  });

  it('coalesces a flood of refused links into one notice with the audit log', async () => {
    render(ActivityCenter);
    await vi.waitFor(() => expect(api.onLinkEvent).toHaveBeenCalled());
    for (let i = 0; i < 60; i++) {
      link({
        source: 'deep_link',
        error: null,
        outcome: { outcome: 'refused', reason: 'unknown_state', message: "the link's state does not match" },
      });
    }
    await vi.waitFor(() =>
      expect(screen.getByTestId('toast')).toHaveTextContent('60 links were refused in the last minute.'),
    );
    expect(screen.getAllByTestId('toast')).toHaveLength(1);
    expect(screen.getByTestId('toast-audit')).toHaveAttribute('href', '#/audit');
  });

  it('hands over link results that arrived before the UI, and shows refusals', async () => {
    vi.mocked(api.linkInboxReady).mockResolvedValueOnce([
      {
        source: 'deep_link',
        error: null,
        outcome: { outcome: 'refused', reason: 'unknown_state', message: "the link's state does not match" },
      },
    ]);
    render(ActivityCenter);
    expect(await screen.findByTestId('toast')).toHaveTextContent("A link was refused: the link's state does not match");
    link({
      source: 'deep_link',
      error: null,
      outcome: { outcome: 'connected', session_id: 1, client_id: 2, connection_id: 3, status: 'ready' },
    });
    expect(await screen.findByText('Connected. Working')).toBeInTheDocument();
    await userEvent.click(screen.getAllByRole('button', { name: 'Dismiss' })[0]!);
    expect(screen.getAllByTestId('toast')).toHaveLength(1);
  });
});

import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { api } from '../lib/api';
import type { LinkEvent, SyncFinished, SyncProgress } from '../lib/types';
import ActivityCenter from './ActivityCenter.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).mockCommands(original, [
    'onSyncProgress', 'onSyncFinished', 'onLinkEvent', 'linkInboxReady', 'cancelSync',
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
  ...over,
});

describe('ActivityCenter', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    vi.mocked(api.onSyncProgress).mockImplementation(async (f) => ((progress = f), () => {}));
    vi.mocked(api.onSyncFinished).mockImplementation(async (f) => ((finished = f), () => {}));
    vi.mocked(api.onLinkEvent).mockImplementation(async (f) => ((link = f), () => {}));
    vi.mocked(api.linkInboxReady).mockResolvedValue([]);
  });

  it('shows progress with a cancel button, and hides it when the sync ends', async () => {
    vi.mocked(api.cancelSync).mockResolvedValueOnce(true);
    render(ActivityCenter);
    await vi.waitFor(() => expect(api.onSyncProgress).toHaveBeenCalled());
    expect(screen.queryByTestId('sync-progress')).toBeNull();
    progress({ done: 1, total: 4, connection_id: 3, step: 'fetching' });
    expect(await screen.findByTestId('sync-progress')).toHaveTextContent('Updating 1 of 4');
    await userEvent.click(screen.getByTestId('sync-cancel'));
    expect(api.cancelSync).toHaveBeenCalled();
    expect(screen.getByTestId('sync-cancel')).toHaveTextContent('Cancelling…');
    finished(summary({ cancelled: 3 }));
    await vi.waitFor(() => expect(screen.queryByTestId('sync-progress')).toBeNull());
  });

  it('raises a toast when a sync ends with connections that need action', async () => {
    render(ActivityCenter);
    await vi.waitFor(() => expect(api.onSyncFinished).toHaveBeenCalled());
    finished(
      summary({
        failed: 1,
        outcomes: [
          {
            connection_id: 1,
            client_id: 1,
            provider: 'flanks',
            status: 'pending_sca',
            result: 'failed',
            failure: {
              kind: 'sca_required',
              provider_code: null,
              provider_message: null,
              http_status: null,
              endpoint: null,
              retry_at: null,
            },
          },
          {
            connection_id: 2,
            client_id: 1,
            provider: 'flanks',
            status: 'ready',
            result: 'synced',
            stats: { inserted: 3, updated: 0, unchanged: 0, retired: 0, skipped: 0, odd: 0 },
          },
        ],
      }),
    );
    expect(await screen.findByTestId('toast')).toHaveTextContent('1 connection needs action.');
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

import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api } from '../lib/api';
import { setLocale } from '../lib/i18n/i18n.svelte';
import type { HealthQueue } from '../lib/types';
import { NOW, connection, eur, queueItem } from '../test/fixtures';
import HealthScreen from './HealthScreen.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, {
    healthQueue: vi.fn(),
    onSyncFinished: vi.fn(async () => () => {}),
  }),
);

const healthQueue = vi.mocked(api.healthQueue);

const outageItems = [1, 2, 3].map((i) =>
  queueItem({ id: 10 + i, client: `Outage client ${i}`, institution: 'Banco Caído' }),
);

const queue: HealthQueue = {
  generated_at: NOW,
  outages: [
    {
      institution: 'Banco Caído',
      institution_id: 'banco_caido',
      client_count: 3,
      connection_count: 3,
      since: '2026-03-20T09:00:00.000Z',
      value_at_risk: [eur(300_000)],
      items: outageItems,
    },
  ],
  client: [
    queueItem({
      id: 1,
      client: 'Ana Ruiz',
      group: 'client',
      health: 'needs_client',
      connection: connection({ id: 1, client_id: 1, status: 'pending_sca', action_by: 'client', stale: true, provider_message: '<script>alert(1)</script>SCA needed' }),
    }),
  ],
  advisor: [
    queueItem({ id: 2, client: 'Dora', group: 'advisor', health: 'failing', connection: connection({ id: 2, client_id: 2, status: 'needs_advisor', action_by: 'advisor' }) }),
  ],
  wait: [
    queueItem({ id: 3, client: 'Eva', value_at_risk: [eur(9_000_000)], days_stale: 2 }),
    queueItem({ id: 4, client: 'Fede', value_at_risk: [eur(100), eur(500, 'CAD')], days_stale: 10 }),
    queueItem({ id: 5, client: 'Gil', days_stale: null, connection: connection({ id: 5, client_id: 5, status: 'pending', last_success_at: null }) }),
  ],
};

describe('Health queue', () => {
  beforeEach(() => {
    healthQueue.mockReset();
  });
  afterEach(() => setLocale('en'));

  it('shows an outage once, then the groups by who must act, in the core’s ranking', async () => {
    let resolve: (q: HealthQueue) => void = () => {};
    healthQueue.mockReturnValueOnce(new Promise((r) => (resolve = r)));
    render(HealthScreen);
    expect(screen.getByTestId('loading')).toHaveTextContent('Loading the queue…');
    resolve(queue);
    const outage = await screen.findByTestId('outage');
    expect(outage).toHaveTextContent('Probable outage at Banco Caído');
    expect(outage).toHaveTextContent('3 clients (3 connections) started failing at the same time, since Mar 20, 2026');
    expect(outage).toHaveTextContent('€3,000.00');
    expect(within(outage).getAllByTestId('queue-item')).toHaveLength(3);
    expect(screen.getByTestId('queue-count')).toHaveTextContent('8 connections need attention');

    const sections = ['client', 'advisor', 'wait'].map((g) => screen.getByTestId(`queue-group-${g}`));
    expect(sections[0]).toHaveTextContent('Client must act');
    expect(sections[0]).toHaveTextContent('Client must confirm identity (SCA)');
    expect(sections[1]).toHaveTextContent('You must act');
    expect(sections[1]).toHaveTextContent('Needs your attention');
    const wait = within(sections[2]!).getAllByTestId('queue-item');
    expect(wait.map((w) => within(w).getByTestId('queue-client').textContent)).toEqual(['Eva', 'Fede', 'Gil']);
    expect(within(wait[1]!).getByTestId('queue-age')).toHaveTextContent('10 days ago');
    expect(wait[1]).toHaveTextContent('€1.00');
    expect(wait[1]).toHaveTextContent('CA$5.00');
    expect(within(wait[2]!).getByTestId('queue-age')).toHaveTextContent('Never updated');
    expect(within(wait[0]!).getByTestId('queue-client')).toHaveAttribute('href', '#/client/3');
  });

  it('renders the provider’s message as text', async () => {
    healthQueue.mockResolvedValueOnce(queue);
    const { container } = render(HealthScreen);
    const msg = await screen.findByTestId('provider-message');
    expect(msg).toHaveTextContent('<script>alert(1)</script>SCA needed');
    expect(container.querySelector('script')).toBeNull();
  });

  it('has an empty state when everything is healthy', async () => {
    healthQueue.mockResolvedValueOnce({ generated_at: NOW, outages: [], client: [], wait: [], advisor: [] });
    render(HealthScreen);
    expect(await screen.findByTestId('queue-empty')).toHaveTextContent('Every connection is healthy');
  });

  it('shows an error with the next step and retries', async () => {
    healthQueue.mockRejectedValueOnce(new ApiError('database', 'database is locked'));
    healthQueue.mockResolvedValueOnce(queue);
    render(HealthScreen);
    const error = await screen.findByTestId('queue-error');
    expect(error).toHaveTextContent('database is locked');
    await userEvent.click(within(error).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('outage')).toBeInTheDocument();
  });

  it('speaks Spanish and French', async () => {
    healthQueue.mockResolvedValue(queue);
    await setLocale('es');
    const { unmount } = render(HealthScreen);
    expect(await screen.findByTestId('outage')).toHaveTextContent('Probable caída de Banco Caído');
    expect(screen.getByTestId('queue-group-client')).toHaveTextContent('Debe actuar el cliente');
    unmount();
    await setLocale('fr');
    render(HealthScreen);
    expect(await screen.findByTestId('outage')).toHaveTextContent('Panne probable chez Banco Caído');
  });
});

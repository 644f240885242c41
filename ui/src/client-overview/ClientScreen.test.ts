import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api } from '../lib/api';
import { setLocale } from '../lib/i18n/i18n.svelte';
import type { ClientOverview } from '../lib/types';
import ClientScreen from './ClientScreen.svelte';
import { connection, overview, txLine } from '../test/fixtures';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, {
    clientOverview: vi.fn(),
    clientTransactions: vi.fn(),
    suggestExportPath: vi.fn(),
    exportCsv: vi.fn(),
    deleteClient: vi.fn(),
    // The base-currency total has its own tests (report/BaseTotal.test.ts).
    baseTotal: vi.fn(() => new Promise(() => {})),
    saveReport: vi.fn(),
    listConnections: vi.fn(() => Promise.resolve([])),
    onLinkEvent: vi.fn(() => Promise.resolve(() => {})),
    onLinkWindowNotice: vi.fn(() => Promise.resolve(() => {})),
    onSyncProgress: vi.fn(() => Promise.resolve(() => {})),
    onSyncFinished: vi.fn(() => Promise.resolve(() => {})),
    onFirmChanged: vi.fn(() => Promise.resolve(() => {})),
  }),
);

const clientOverview = vi.mocked(api.clientOverview);
const clientTransactions = vi.mocked(api.clientTransactions);

/** Client 1's page shown; the next overview read waits for the returned answer. */
async function shownThenReloadAnswered(): Promise<(o: ClientOverview) => void> {
  clientOverview.mockResolvedValueOnce(overview());
  render(ClientScreen, { props: { clientId: 1 } });
  expect(await screen.findByTestId('client-name')).toHaveTextContent('Ana Ruiz');
  let answer!: (o: ClientOverview) => void;
  clientOverview.mockReturnValueOnce(new Promise((resolve) => (answer = resolve)));
  return answer;
}

describe('Client screen', () => {
  beforeEach(() => {
    clientOverview.mockReset();
    clientTransactions.mockReset();
    clientTransactions.mockResolvedValue({ total: 3, offset: 0, rows: [0, 1, 2].map((i) => txLine(i)) });
  });
  afterEach(() => setLocale('en'));

  it('shows a skeleton, then net worth per currency with history, allocation, accounts and holdings', async () => {
    let resolve: (o: ClientOverview) => void = () => {};
    clientOverview.mockReturnValueOnce(new Promise((r) => (resolve = r)));
    render(ClientScreen, { props: { clientId: 1 } });
    expect(screen.getByTestId('loading')).toHaveTextContent('Loading the client…');
    resolve(overview());
    expect(await screen.findByTestId('client-name')).toHaveTextContent('Ana Ruiz');
    expect(clientOverview).toHaveBeenCalledWith(1);

    const worth = screen.getAllByTestId('net-worth');
    expect(worth.map((w) => w.dataset.currency)).toEqual(['CAD', 'EUR']);
    expect(worth[1]).toHaveTextContent('€14,000.00');
    expect(worth[1]).toHaveTextContent('Assets €15,000.00 · Liabilities €1,000.00');
    expect(within(worth[1]!).getByTestId('as-of')).toHaveTextContent('As of Mar 20, 2026');
    expect(within(worth[1]!).getByTestId('history-chart').querySelector('svg')).toHaveAttribute(
      'aria-label',
      'Net worth in EUR from Jan 31, 2026 (€12,000.00) to Mar 20, 2026 (€14,000.00)',
    );
    expect(screen.queryByTestId('client-stale-banner')).toBeNull();
    // Per-currency figures are never converted; the base-currency total is, and says how.
    expect(screen.getByText(/^Figures in each currency are never converted; only the total in the base currency is/)).toBeInTheDocument();
    expect(screen.queryByText(/amounts are never converted/)).toBeNull();
    const head = screen.getByTestId('client-name').closest('header')!;
    expect(within(head).getByTestId('report-download')).toBeInTheDocument();

    const classes = within(screen.getByTestId('alloc-class')).getAllByTestId('alloc-slice');
    expect(classes.map((c) => c.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'Funds €7,500.00 · 50%',
      'Cash €5,000.00 · 33.3%',
      'Fixed income €2,500.00 · 16.7%',
    ]);
    expect(within(screen.getByTestId('alloc-institution')).getByText('Banco Uno')).toBeInTheDocument();

    const [joint, single] = screen.getAllByTestId('account-row');
    expect(within(joint!).getByTestId('account-owners')).toHaveTextContent('Ana Ruiz, Pedro Ruiz');
    expect(within(joint!).getByTestId('joint-badge')).toHaveTextContent('Joint');
    expect(within(single!).queryByTestId('joint-badge')).toBeNull();
    expect(single).toHaveTextContent('CA$3,000.00');

    const holdings = screen.getAllByTestId('holding-row');
    expect(holdings[0]).toHaveTextContent('World Index Fund');
    expect(holdings[0]).toHaveTextContent('IE00B4L5Y983');
    expect(holdings[0]).toHaveTextContent('12.345');
    expect(holdings[0]).toHaveTextContent('75%');
    expect(holdings[1]).toHaveTextContent('—');
    expect(await screen.findAllByTestId('tx-row')).toHaveLength(3);
  });

  it('warns when the data is stale, on the page and on each figure', async () => {
    const stale = connection({ id: 1, stale: true, status: 'pending_sca', action_by: 'client' });
    clientOverview.mockResolvedValueOnce(
      overview({
        stale: true,
        health: 'needs_client',
        connections: [stale],
        data_as_of: '2026-03-10T10:00:00.000Z',
        holdings: overview().holdings.map((h) => ({ ...h, stale: true })),
      }),
    );
    render(ClientScreen, { props: { clientId: 1 } });
    expect(await screen.findByTestId('client-stale-banner')).toHaveTextContent('not current');
    expect(screen.getAllByTestId('net-worth')[0]).toHaveTextContent('As of Mar 10, 2026');
    expect(within(screen.getAllByTestId('net-worth')[0]!).getByTestId('stale-warning')).toBeInTheDocument();
    // Accounts of a stale connection and stale holdings carry the warning too.
    for (const row of [...screen.getAllByTestId('account-row'), ...screen.getAllByTestId('holding-row')]) {
      expect(within(row).getByTestId('stale-warning')).toHaveTextContent('Stale');
    }
  });

  it('shows empty states for a client without data', async () => {
    clientOverview.mockResolvedValueOnce(
      overview({
        net_worth: [],
        history: [],
        by_class: [],
        by_currency: [],
        by_institution: [],
        accounts: [],
        holdings: [],
        connections: [],
        data_as_of: null,
        health: 'none',
      }),
    );
    clientTransactions.mockResolvedValue({ total: 0, offset: 0, rows: [] });
    render(ClientScreen, { props: { clientId: 1 } });
    expect(await screen.findByTestId('net-worth-empty')).toHaveTextContent('No account data yet');
    expect(screen.getByTestId('accounts-empty')).toHaveTextContent('No accounts yet');
    expect(screen.getByTestId('holdings-empty')).toBeInTheDocument();
    expect(await screen.findByTestId('tx-empty')).toHaveTextContent('No transactions yet');
    expect(screen.getByTestId('health-badge')).toHaveTextContent('No connection');
  });

  it('shows a load error with the next step and retries', async () => {
    clientOverview.mockRejectedValueOnce(new ApiError('not_found', 'client 7 was not found'));
    clientOverview.mockResolvedValueOnce(overview());
    render(ClientScreen, { props: { clientId: 7 } });
    const error = await screen.findByTestId('client-error');
    expect(error).toHaveTextContent('client 7 was not found');
    expect(error).toHaveTextContent('It may have been removed meanwhile');
    await userEvent.click(within(error).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('client-name')).toBeInTheDocument();
  });

  it('a finished sync refreshes the figures in place, without a skeleton', async () => {
    let syncFinished: (() => void) | undefined;
    vi.mocked(api.onSyncFinished).mockImplementationOnce((f) => {
      syncFinished = () => f({} as Parameters<typeof f>[0]);
      return Promise.resolve(() => {});
    });
    const answer = await shownThenReloadAnswered();
    syncFinished?.();
    flushSync();
    expect(clientOverview).toHaveBeenCalledTimes(2);
    expect(screen.queryByTestId('loading')).not.toBeInTheDocument();
    expect(screen.getByTestId('client-name')).toHaveTextContent('Ana Ruiz');
    answer(overview({ client: { ...overview().client, name: 'Ana Ruiz López' } }));
    expect(await screen.findByText('Ana Ruiz López')).toBeInTheDocument();
  });

  it("another desktop's changes on the firm reload the figures in place, one reload at a time", async () => {
    let firmChanged: (() => void) | undefined;
    vi.mocked(api.onFirmChanged).mockImplementationOnce((f) => {
      firmChanged = () => f({ table: 'connections' });
      return Promise.resolve(() => {});
    });
    const answer = await shownThenReloadAnswered();
    clientOverview.mockResolvedValueOnce(overview({ client: { ...overview().client, name: 'Ana Ruiz Firm' } }));
    // A refresh round's burst: one reload runs, one more waits for the last state.
    firmChanged?.();
    firmChanged?.();
    firmChanged?.();
    flushSync();
    expect(clientOverview).toHaveBeenCalledTimes(2);
    expect(screen.queryByTestId('loading')).not.toBeInTheDocument();
    answer(overview({ client: { ...overview().client, name: 'Ana Ruiz López' } }));
    expect(await screen.findByText('Ana Ruiz Firm')).toBeInTheDocument();
    expect(clientOverview).toHaveBeenCalledTimes(3);
  });

  it('renders provider text (names, owners, descriptions) as text, never as HTML', async () => {
    const evil = '<b>bold</b><img src=x onerror="alert(1)">';
    clientOverview.mockResolvedValueOnce(
      overview({
        accounts: overview().accounts.map((a) => ({ ...a, name: evil, owners: [evil, 'X'] })),
        holdings: overview().holdings.map((h) => ({ ...h, name: evil })),
        by_institution: [{ currency: 'EUR', key: evil, value_minor: 1 }],
        connections: [connection({ provider_message: evil, institution_name: evil })],
      }),
    );
    clientTransactions.mockResolvedValue({ total: 1, offset: 0, rows: [txLine(0, { description: evil, counterparty: evil })] });
    const { container } = render(ClientScreen, { props: { clientId: 1 } });
    await screen.findAllByTestId('tx-row');
    expect(container.querySelector('img, b')).toBeNull();
    expect(screen.getAllByText(evil, { exact: false }).length).toBeGreaterThan(3);
  });

  it('deleting the client names its connections and goes back to the book', async () => {
    const user = userEvent.setup();
    clientOverview.mockResolvedValue(overview());
    vi.mocked(api.deleteClient).mockResolvedValue({
      client_id: 1,
      connections_removed: 1,
      deleted_at_provider: 1,
      kept_at_provider: 0,
    });
    location.hash = '#/client/1';
    render(ClientScreen, { props: { clientId: 1 } });
    await user.click(await screen.findByTestId('delete-client'));
    const o = overview();
    expect(screen.getByTestId('delete-client-dialog')).toHaveTextContent(
      `accounts (${o.accounts.length}), holdings (${o.holdings.length}) and transactions (${o.transaction_count})`,
    );
    await user.type(screen.getByTestId('delete-client-name'), o.client.name);
    await user.click(screen.getByTestId('delete-client-confirm'));
    expect(api.deleteClient).toHaveBeenCalledWith(1, false);
    await vi.waitFor(() => expect(location.hash).toBe('#/'));
  });
});

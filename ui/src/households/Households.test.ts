import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, type Api } from '../lib/api';
import { setLocale } from '../lib/i18n/i18n.svelte';
import type { HouseholdOverview, HouseholdWithMembers } from '../lib/types';
import { NOW, account, client, connection, eur, holding, txLine } from '../test/fixtures';
import HouseholdScreen from './HouseholdScreen.svelte';
import HouseholdsScreen from './HouseholdsScreen.svelte';

vi.mock(import('../lib/api'), async (original) => ({
  ...(await original()),
  api: {
    listHouseholds: vi.fn(),
    listClients: vi.fn(),
    bookByHousehold: vi.fn(),
    createHousehold: vi.fn(),
    addHouseholdMember: vi.fn(),
    removeHouseholdMember: vi.fn(),
    moveHouseholdMember: vi.fn(),
    householdOverview: vi.fn(),
    householdTransactions: vi.fn(() => new Promise(() => {})),
    clientTransactions: vi.fn(),
    baseTotal: vi.fn(() => new Promise(() => {})),
    saveReport: vi.fn(),
    onSyncFinished: vi.fn(() => Promise.resolve(() => {})),
    onFirmChanged: vi.fn(() => Promise.resolve(() => {})),
  } as unknown as Api,
}));

const listHouseholds = vi.mocked(api.listHouseholds);
const listClients = vi.mocked(api.listClients);
const bookByHousehold = vi.mocked(api.bookByHousehold);

const ana = client({ id: 1, name: 'Ana Ruiz' });
const pedro = client({ id: 2, name: 'Pedro Ruiz' });
const family = client({ id: 3, name: 'Álvarez family', kind: 'household' });
const ruiz: HouseholdWithMembers = { id: 7, name: 'Familia Ruiz', created_at: NOW, updated_at: NOW, members: [ana] };

describe('Households screen', () => {
  beforeEach(() => {
    vi.mocked(api.createHousehold).mockReset();
    vi.mocked(api.addHouseholdMember).mockReset();
    vi.mocked(api.removeHouseholdMember).mockReset();
    listHouseholds.mockReset();
    listClients.mockReset();
    bookByHousehold.mockReset();
    bookByHousehold.mockResolvedValue({ generated_at: NOW, households: [], people: [] });
  });
  afterEach(() => setLocale('en'));

  it('lists households, offers only people in no household, adds and removes members', async () => {
    listHouseholds.mockResolvedValue([ruiz]);
    listClients.mockResolvedValue([ana, pedro, family]);
    vi.mocked(api.addHouseholdMember).mockResolvedValueOnce(undefined);
    vi.mocked(api.removeHouseholdMember).mockResolvedValueOnce(undefined);
    bookByHousehold.mockResolvedValue({
      generated_at: NOW,
      households: [
        {
          household: ruiz,
          members: [],
          totals: [eur(1_250_000)],
          connection_count: 2,
          health: 'good',
          data_as_of: NOW,
          stale: false,
        },
      ],
      people: [],
    });
    vi.mocked(api.baseTotal).mockResolvedValueOnce({
      base: 'EUR',
      source: 'ecb',
      valued_on: '2026-03-20',
      total_minor: 1_250_000,
      partial: false,
      converted: [{ currency: 'EUR', amount_minor: 1_250_000, base_minor: 1_250_000, rate: null }],
      left_out: [],
      oldest_rate_date: null,
    });
    render(HouseholdsScreen);
    const card = await screen.findByTestId('household');
    expect(within(card).getByTestId('household-totals')).toHaveTextContent('€12,500.00');
    // The one total in the base currency beside the figures per currency.
    expect(await within(card).findByTestId('base-total-brief-value')).toHaveTextContent('€12,500.00');
    expect(api.baseTotal).toHaveBeenCalledWith(null, 7);
    expect(within(card).getByRole('link', { name: 'Open Familia Ruiz' })).toHaveAttribute('href', '#/household/7');
    expect(within(card).getAllByTestId('household-member').map((m) => m.textContent?.trim())).toEqual([
      expect.stringContaining('Ana Ruiz'),
    ]);
    const pick = within(card).getByTestId('household-pick');
    const offered = within(pick).getAllByRole('option').map((o) => o.textContent);
    expect(offered).toEqual(['Choose a client…', 'Pedro Ruiz']);
    await userEvent.selectOptions(pick, '2');
    await userEvent.click(within(card).getByTestId('household-add'));
    expect(api.addHouseholdMember).toHaveBeenCalledWith(7, 2);
    await userEvent.click(within(card).getByRole('button', { name: 'Remove Ana Ruiz' }));
    expect(api.removeHouseholdMember).toHaveBeenCalledWith(7, 1);
  });

  it('moves a member straight to another household; with one household there is nowhere to move', async () => {
    const alvarez: HouseholdWithMembers = { id: 8, name: 'Casa Álvarez', created_at: NOW, updated_at: NOW, members: [pedro] };
    listHouseholds.mockResolvedValueOnce([ruiz, alvarez]).mockResolvedValueOnce([{ ...ruiz, members: [] }, { ...alvarez, members: [pedro, ana] }]);
    listClients.mockResolvedValue([ana, pedro]);
    vi.mocked(api.moveHouseholdMember).mockResolvedValueOnce(undefined);
    vi.mocked(api.baseTotal).mockClear();
    const rows = [ruiz, alvarez].map((household) => ({
      household,
      members: [],
      totals: [],
      connection_count: 0,
      health: 'none' as const,
      data_as_of: null,
      stale: false,
    }));
    bookByHousehold
      .mockResolvedValueOnce({ generated_at: NOW, households: rows, people: [] })
      .mockResolvedValueOnce({ generated_at: '2026-03-20T12:05:00.000Z', households: rows, people: [] });
    render(HouseholdsScreen);
    const [first] = await screen.findAllByTestId('household');
    const move = within(first!).getByRole('combobox', { name: 'Move Ana Ruiz to another household' });
    expect(within(move).getAllByRole('option').map((o) => o.textContent)).toEqual(['Move to…', 'Casa Álvarez']);
    await userEvent.selectOptions(move, '8');
    expect(api.moveHouseholdMember).toHaveBeenCalledWith(1, 8);
    await waitFor(() => expect(listHouseholds).toHaveBeenCalledTimes(2));
    const cards = await screen.findAllByTestId('household');
    await waitFor(() => expect(within(cards[1]!).getAllByTestId('household-member')).toHaveLength(2));
    expect(within(cards[0]!).queryAllByTestId('household-member')).toHaveLength(0);
    // New figures after the move: each household's base total is converted again.
    await waitFor(() => expect(vi.mocked(api.baseTotal).mock.calls.filter(([, h]) => h === 8)).toHaveLength(2));
  });

  it('offers no move with a single household', async () => {
    listHouseholds.mockResolvedValue([ruiz]);
    listClients.mockResolvedValue([ana, pedro]);
    render(HouseholdsScreen);
    await screen.findByTestId('household');
    expect(screen.queryByTestId('household-move')).toBeNull();
  });

  it('creates a household and shows the core’s refusal as it came', async () => {
    listHouseholds.mockResolvedValue([]);
    listClients.mockResolvedValue([ana]);
    vi.mocked(api.createHousehold).mockRejectedValueOnce(new ApiError('invalid_input', 'a household needs a name'));
    render(HouseholdsScreen);
    expect(await screen.findByTestId('households-empty')).toBeInTheDocument();
    await userEvent.type(screen.getByTestId('household-name'), 'Familia Ruiz');
    await userEvent.click(screen.getByTestId('household-create'));
    expect(api.createHousehold).toHaveBeenCalledWith('Familia Ruiz');
    expect(await screen.findByTestId('households-action-error')).toHaveTextContent('a household needs a name');
  });

  it('is in the interface language', async () => {
    await setLocale('fr');
    listHouseholds.mockResolvedValue([]);
    listClients.mockResolvedValue([]);
    render(HouseholdsScreen);
    expect(await screen.findByRole('heading', { level: 1 })).toHaveTextContent('Foyers');
  });
});

const overview: HouseholdOverview = {
  household: { id: 7, name: 'Familia Ruiz', created_at: NOW, updated_at: NOW },
  generated_at: NOW,
  members: [
    { client_id: 1, name: 'Ana Ruiz', net_worth: [eur(1_250_000)], connection_count: 1, health: 'good', stale: false },
    { client_id: 2, name: 'Pedro Ruiz', net_worth: [eur(1_249_000)], connection_count: 1, health: 'needs_client', stale: false },
  ],
  health: 'needs_client',
  net_worth: [eur(1_250_000)],
  history_method: 'backward_from_balances',
  history: [],
  by_class: [],
  by_currency: [],
  by_institution: [],
  accounts: [{ ...account({ balance_minor: 1_250_000, as_of: NOW }), member_ids: [1, 2] }],
  holdings: [holding({ id: 5, account_id: null, name: 'Fondo Global', weight_bp: 10_000, as_of: NOW })],
  connections: [connection({ id: 1, client_id: 1 })],
  data_as_of: NOW,
  stale: false,
  transaction_count: 2,
};

describe('Household page', () => {
  it('shows the total once, each member’s own figures and who reaches each account', async () => {
    vi.mocked(api.householdOverview).mockResolvedValueOnce(overview);
    render(HouseholdScreen, { props: { householdId: 7 } });
    expect(await screen.findByTestId('household-title')).toHaveTextContent('Familia Ruiz');
    expect(api.householdOverview).toHaveBeenCalledWith(7);
    expect(screen.getByTestId('household-net-worth')).toHaveTextContent('€12,500.00');
    const members = screen.getAllByTestId('member-row');
    expect(members.map((m) => m.textContent)).toEqual([
      expect.stringContaining('€12,500.00'),
      expect.stringContaining('€12,490.00'),
    ]);
    const rows = screen.getAllByTestId('household-account');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent('Ana Ruiz, Pedro Ruiz');
    expect(api.baseTotal).toHaveBeenCalledWith(null, 7);
    expect(screen.getByTestId('household-holding')).toHaveTextContent('Fondo Global Funds');
    expect(screen.getByTestId('household-transactions')).toHaveTextContent('2 transactions across the members’ accounts');
    expect(screen.getByTestId('report-download')).toHaveTextContent('Download report (PDF)');
    // Honest about what is converted: the per-currency figures never, the base total always
    // with its rates' dates and sources.
    expect(screen.getByTestId('household-conversion-note')).toHaveTextContent(
      'Figures in each currency are never converted; only the total in the base currency is, at dated central-bank reference rates shown with their date and source.',
    );
    // The same page head as a client's: health and data date under the name.
    const head = screen.getByTestId('household-title').closest('header')!;
    expect(within(head).getByTestId('health-badge')).toHaveTextContent('Needs client action');
    expect(within(head).getByTestId('as-of')).toHaveTextContent('As of Mar 20, 2026');
  });

  it('lists the members’ transactions from the household’s own query, searchable like a client’s', async () => {
    const householdTransactions = vi.mocked(api.householdTransactions);
    householdTransactions.mockReset();
    householdTransactions.mockImplementation(async (_id, q) => {
      const rows = [txLine(0), txLine(1)].filter((r) => !q.search || r.description.includes(q.search));
      return { total: rows.length, offset: q.offset, rows };
    });
    vi.mocked(api.householdOverview).mockResolvedValueOnce(overview);
    render(HouseholdScreen, { props: { householdId: 7 } });
    await waitFor(() => expect(screen.getAllByTestId('tx-row')).toHaveLength(2));
    expect(householdTransactions).toHaveBeenCalledWith(7, expect.objectContaining({ offset: 0, search: null }));
    expect(api.clientTransactions).not.toHaveBeenCalled();
    expect(screen.getByTestId('tx-total')).toHaveTextContent('2 transactions');

    await userEvent.type(screen.getByTestId('tx-search'), 'Row 1');
    await waitFor(() => expect(screen.getAllByTestId('tx-row')).toHaveLength(1));
    expect(householdTransactions).toHaveBeenLastCalledWith(7, expect.objectContaining({ search: 'Row 1' }));
  });
});

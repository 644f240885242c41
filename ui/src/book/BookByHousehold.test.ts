import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api } from '../lib/api';
import { setLocale } from '../lib/i18n/i18n.svelte';
import type { BaseTotal, BookByHousehold, BookSummary, HouseholdBookRow } from '../lib/types';
import { NOW, bookRow, eur } from '../test/fixtures';
import BookScreen from './BookScreen.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, {
    bookSummary: vi.fn(),
    bookByHousehold: vi.fn(),
    baseTotal: vi.fn(),
    suggestExportPath: vi.fn(),
    exportCsv: vi.fn(),
    appInfo: vi.fn(),
    onSyncFinished: vi.fn(async () => () => {}),
    onFirmChanged: vi.fn(async () => () => {}),
  }),
);

const bookSummary = vi.mocked(api.bookSummary);
const bookByHousehold = vi.mocked(api.bookByHousehold);
const baseTotal = vi.mocked(api.baseTotal);

const ana = bookRow({ client_id: 1, name: 'Ana Ruiz', totals: [eur(1_500_000)], health: 'good' });
const pedro = bookRow({ client_id: 2, name: 'Pedro Ruiz', totals: [eur(1_000_000), eur(300_000, 'CAD')], health: 'needs_client' });
const bea = bookRow({ client_id: 3, name: 'Beatriz Ortega', totals: [eur(200_000)], health: 'good' });
const zoe = bookRow({ client_id: 4, name: 'Zoe Martin', totals: [eur(-20_000)], health: 'failing' });

function household(id: number, name: string, members: typeof ana[], extra: Partial<HouseholdBookRow> = {}): HouseholdBookRow {
  return {
    household: { id, name, created_at: NOW, updated_at: NOW },
    members,
    totals: [eur(2_000_000), eur(300_000, 'CAD')],
    connection_count: 2,
    health: 'needs_client',
    data_as_of: '2026-03-19T10:00:00.000Z',
    stale: false,
    ...extra,
  };
}

const byHousehold: BookByHousehold = {
  generated_at: NOW,
  households: [household(7, 'Familia Ruiz', [ana, pedro]), household(8, 'Casa Vacía', [], { totals: [], connection_count: 0, health: 'none', data_as_of: null })],
  people: [bea, zoe],
};

const byPerson: BookSummary = { generated_at: NOW, clients: [ana, pedro, bea, zoe] };

function total(householdId: number | null): BaseTotal {
  if (householdId === 8) {
    return { base: 'EUR', source: 'ecb', valued_on: '2026-03-20', total_minor: 0, partial: false, converted: [], left_out: [], oldest_rate_date: null };
  }
  return {
    base: 'EUR',
    source: 'ecb',
    valued_on: '2026-03-20',
    total_minor: 2_203_804,
    partial: true,
    converted: [
      { currency: 'EUR', amount_minor: 2_000_000, base_minor: 2_000_000, rate: null },
      { currency: 'CAD', amount_minor: 300_000, base_minor: 203_804, rate: { source: 'ecb', rate: '0.679348', date: '2026-03-19' } },
    ],
    left_out: [{ currency: 'USD', amount_minor: 5_000, reason: { kind: 'no_rate' } }],
    oldest_rate_date: '2026-03-19',
  };
}

// The view is a chunk of its own, fetched on first use: slower than a re-render on a busy machine.
const LAZY = { timeout: 5000 };

const householdRows = () => screen.getAllByTestId('book-household-row');
const rowNames = () =>
  within(screen.getByTestId('book-household-table'))
    .getAllByRole('row')
    .slice(1)
    .map((r) => within(r).getAllByRole('link')[0]?.textContent);

describe('The book by household', { timeout: 20_000 }, () => {
  beforeEach(() => {
    localStorage.clear();
    bookSummary.mockReset().mockResolvedValue(byPerson);
    bookByHousehold.mockReset().mockResolvedValue(byHousehold);
    vi.mocked(api.onSyncFinished).mockImplementation(async () => () => {});
    baseTotal.mockReset().mockImplementation(async (_client, household) => total(household));
    vi.mocked(api.appInfo).mockResolvedValue({ version: '0.1.0', provider_environment: 'production', ui_locale: null, sandbox_url: null, demo_book_offered: false });
  });
  afterEach(() => setLocale('en'));

  it('switches to households with their base-currency totals and members, and remembers the choice', async () => {
    render(BookScreen);
    await screen.findAllByTestId('book-row');
    expect(screen.getByTestId('book-by-person')).toBeChecked();
    expect(bookByHousehold).not.toHaveBeenCalled();

    await userEvent.click(screen.getByText('By household'));
    await screen.findByTestId('book-household-table', {}, LAZY);
    expect(localStorage.getItem('advisor-desk.book.grouping')).toBe('household');
    expect(screen.getByTestId('book-by-household')).toBeChecked();
    // Sorting belongs to the book by person; this one is in name order.
    expect(screen.queryByTestId('book-sort')).toBeNull();
    expect(screen.queryByTestId('book-table')).toBeNull();
    // Households and the clients in no household, together in name order; members folded.
    expect(rowNames()).toEqual(['Beatriz Ortega', 'Casa Vacía', 'Familia Ruiz', 'Zoe Martin']);

    const ruiz = householdRows().find((r) => r.dataset.householdId === '7')!;
    expect(within(ruiz).getByTestId('book-household-name')).toHaveAttribute('href', '#/household/7');
    expect(ruiz).toHaveTextContent('Household');
    expect(ruiz).toHaveTextContent('2 members');
    // One total in the base currency, with its rates' source and date, and what it leaves
    // out; the amounts in their own currencies stay beside it.
    expect(await within(ruiz).findByTestId('base-total-brief-value')).toHaveTextContent('€22,038.04');
    expect(within(ruiz).getByTestId('base-total-brief-rates')).toHaveTextContent('ECB rates, Mar 19, 2026');
    expect(within(ruiz).getByTestId('base-total-brief-partial')).toHaveTextContent('Partial: USD left out');
    const own = within(within(ruiz).getByTestId('book-household-value')).getAllByTestId('money-list')[0]!;
    expect(within(own).getAllByText(/[€$]/).map((e) => e.textContent)).toEqual(['€20,000.00', 'CA$3,000.00']);
    expect(baseTotal).toHaveBeenCalledWith(null, 7);
    expect(baseTotal).toHaveBeenCalledWith(null, 8);
    // Nothing converted for the empty household: no rate to show.
    const empty = householdRows().find((r) => r.dataset.householdId === '8')!;
    expect(await within(empty).findByTestId('base-total-brief-value')).toHaveTextContent('€0.00');
    expect(within(empty).queryByTestId('base-total-brief-rates')).toBeNull();
    expect(within(empty).getByTestId('book-household-expand')).toBeDisabled();

    // The members open beneath their household, with their own figures, and fold again.
    expect(screen.queryAllByTestId('book-member-row')).toHaveLength(0);
    const expand = within(ruiz).getByRole('button', { name: 'Show the members of Familia Ruiz' });
    expect(expand).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(expand);
    const members = screen.getAllByTestId('book-member-row');
    expect(members.map((m) => m.dataset.clientId)).toEqual(['1', '2']);
    expect(expand).toHaveAttribute('aria-expanded', 'true');
    expect(expand).toHaveAccessibleName('Hide the members of Familia Ruiz');
    expect(expand.getAttribute('aria-controls')?.split(' ')).toEqual(members.map((m) => m.id));
    expect(within(members[1]!).getByRole('link', { name: 'Pedro Ruiz' })).toHaveAttribute('href', '#/client/2');
    expect(within(members[1]!).getByTestId('health-badge')).toHaveTextContent('Needs client action');
    expect(within(members[1]!).getAllByText(/[€$]/).map((e) => e.textContent)).toEqual(['€10,000.00', 'CA$3,000.00']);
    // Row order: the members right after their household.
    expect(rowNames()).toEqual(['Beatriz Ortega', 'Casa Vacía', 'Familia Ruiz', 'Ana Ruiz', 'Pedro Ruiz', 'Zoe Martin']);
    await userEvent.click(expand);
    expect(screen.queryAllByTestId('book-member-row')).toHaveLength(0);

    // Back to people: every client as a row, and that is remembered too.
    await userEvent.click(screen.getByText('By person'));
    expect(await screen.findAllByTestId('book-row')).toHaveLength(4);
    expect(localStorage.getItem('advisor-desk.book.grouping')).toBe('person');
  });

  it('converts again when a sync brings new figures, so the total never lags them', async () => {
    const finished: (() => void)[] = [];
    vi.mocked(api.onSyncFinished).mockImplementation(async (f) => (finished.push(f as () => void), () => {}));
    localStorage.setItem('advisor-desk.book.grouping', 'household');
    render(BookScreen);
    const row = () => householdRows().find((r) => r.dataset.householdId === '7')!;
    await screen.findByTestId('book-household-table', {}, LAZY);
    expect(await within(row()).findByTestId('base-total-brief-value')).toHaveTextContent('€22,038.04');
    const asked = baseTotal.mock.calls.filter(([, h]) => h === 7).length;
    bookByHousehold.mockResolvedValue({ ...byHousehold, generated_at: '2026-03-20T13:00:00.000Z' });
    baseTotal.mockImplementation(async (_c, h) => ({ ...total(h), total_minor: 2_300_000 }));
    for (const f of finished) f();
    await waitFor(() => expect(within(row()).getByTestId('base-total-brief-value')).toHaveTextContent('€23,000.00'));
    expect(baseTotal.mock.calls.filter(([, h]) => h === 7).length).toBe(asked + 1);
  });

  it('opens by household when that was the last choice', async () => {
    localStorage.setItem('advisor-desk.book.grouping', 'household');
    render(BookScreen);
    await screen.findByTestId('book-household-table', {}, LAZY);
    expect(screen.getByTestId('book-by-household')).toBeChecked();
    expect(screen.queryByTestId('book-table')).toBeNull();
  });

  it('finds a member by name and shows them inside their household; filters by health', async () => {
    localStorage.setItem('advisor-desk.book.grouping', 'household');
    render(BookScreen);
    await screen.findByTestId('book-household-table', {}, LAZY);
    await userEvent.type(screen.getByTestId('book-search'), 'pedro');
    await waitFor(() => expect(rowNames()).toEqual(['Familia Ruiz', 'Ana Ruiz', 'Pedro Ruiz']));
    await userEvent.clear(screen.getByTestId('book-search'));
    await userEvent.type(screen.getByTestId('book-search'), 'ORTEGA');
    await waitFor(() => expect(rowNames()).toEqual(['Beatriz Ortega']));
    await userEvent.clear(screen.getByTestId('book-search'));
    await userEvent.selectOptions(screen.getByTestId('book-health-filter'), 'failing');
    await waitFor(() => expect(rowNames()).toEqual(['Zoe Martin']));
    await userEvent.selectOptions(screen.getByTestId('book-health-filter'), 'waiting');
    expect(await screen.findByTestId('book-no-match')).toHaveTextContent('No client matches');
  });

  it('says when the book by household or a total cannot be loaded, and retries', async () => {
    localStorage.setItem('advisor-desk.book.grouping', 'household');
    bookByHousehold.mockRejectedValueOnce(new ApiError('database_locked', 'The database is busy.'));
    baseTotal.mockRejectedValue(new ApiError('io', 'rates unreadable'));
    render(BookScreen);
    const error = await screen.findByTestId('book-household-error');
    expect(error).toHaveTextContent('The database is busy.');
    await userEvent.click(within(error).getByRole('button', { name: 'Try again' }));
    await screen.findByTestId('book-household-table', {}, LAZY);
    const failed = await screen.findAllByTestId('base-total-brief-error');
    expect(failed[0]).toHaveTextContent('The total could not be converted');
    expect(failed[0]).toHaveAttribute('title', 'rates unreadable');
  });

  it('an empty book still offers a way in, whichever way it is shown', async () => {
    localStorage.setItem('advisor-desk.book.grouping', 'household');
    bookSummary.mockResolvedValue({ generated_at: NOW, clients: [] });
    render(BookScreen);
    expect(await screen.findByTestId('book-empty')).toHaveTextContent('Your book is empty');
    expect(screen.queryByTestId('book-household-table')).toBeNull();
  });

  it('speaks Spanish', async () => {
    await setLocale('es');
    localStorage.setItem('advisor-desk.book.grouping', 'household');
    render(BookScreen);
    expect(screen.getByText('Por persona')).toBeInTheDocument();
    expect(screen.getByText('Por hogar')).toBeInTheDocument();
    const ruiz = (await screen.findAllByTestId('book-household-row', {}, LAZY)).find((r) => r.dataset.householdId === '7')!;
    expect(ruiz).toHaveTextContent('Hogar');
    expect(ruiz).toHaveTextContent('2 miembros');
    expect(await within(ruiz).findByTestId('base-total-brief-rates')).toHaveTextContent('tipos del BCE, 19 mar 2026');
    expect(within(ruiz).getByTestId('base-total-brief-partial')).toHaveTextContent('Parcial: sin USD');
    expect(within(ruiz).getByRole('button', { name: 'Mostrar los miembros de Familia Ruiz' })).toBeInTheDocument();
  });
});

import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api } from '../lib/api';
import type { TransactionQuery } from '../lib/types';
import { overview, txLine } from '../test/fixtures';
import TransactionsTable from './TransactionsTable.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, { clientTransactions: vi.fn() }),
);

const clientTransactions = vi.mocked(api.clientTransactions);
const TOTAL = 50_000;

/** A core that holds TOTAL rows and answers any window. */
function bigBook(total = TOTAL) {
  clientTransactions.mockImplementation(async (_id: number, q: TransactionQuery) => {  return ({
    total,
    offset: q.offset,
    rows: Array.from({ length: Math.max(0, Math.min(q.limit, total - q.offset)) }, (_, i) => txLine(q.offset + i)),
  });});
}

const accounts = overview().accounts;

describe('Transactions table', () => {
  beforeEach(() => {
    clientTransactions.mockReset();
  });

  it('keeps only the visible window of 50 000 rows in the DOM and fetches pages as it scrolls', async () => {
    bigBook();
    render(TransactionsTable, { props: { clientId: 1, accounts } });
    await screen.findAllByTestId('tx-row');
    expect(screen.getByTestId('tx-total')).toHaveTextContent('50,000 transactions');
    const rows = screen.getAllByTestId('tx-row');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(40);
    expect(clientTransactions).toHaveBeenCalledTimes(1);
    expect(clientTransactions.mock.calls[0]![1]).toMatchObject({ offset: 0, limit: 200, search: null, account_ids: [] });

    const scroller = screen.getByTestId('tx-scroller');
    // The spacer gives the scrollbar the full height; scroll near the end.
    expect((scroller.firstElementChild as HTMLElement).style.height).toBe(`${TOTAL * 36}px`);
    scroller.scrollTop = 36 * 49_990;
    await fireEvent.scroll(scroller);
    await waitFor(() => expect(screen.getAllByTestId('tx-row').at(-1)).toHaveTextContent('Row 49999'));
    expect(screen.getAllByTestId('tx-row').length).toBeLessThan(40);
    const offsets = clientTransactions.mock.calls.map((c) => c[1].offset);
    expect(offsets).toContain(49_800);
    // Only the pages in view were fetched, not the 250 in between.
    expect(offsets.length).toBeLessThan(4);
  });

  it('sends search, dates and account to the core and resets to the top', async () => {
    bigBook(3);
    render(TransactionsTable, { props: { clientId: 1, accounts } });
    await screen.findAllByTestId('tx-row');
    await userEvent.type(screen.getByTestId('tx-search'), 'alquiler');
    await userEvent.selectOptions(screen.getByTestId('tx-account'), '11');
    await fireEvent.input(screen.getByTestId('tx-from'), { target: { value: '2026-01-01' } });
    await fireEvent.input(screen.getByTestId('tx-to'), { target: { value: '2026-02-28' } });
    await waitFor(() =>
      expect(clientTransactions.mock.calls.at(-1)![1]).toEqual({
        search: 'alquiler',
        from: '2026-01-01',
        to: '2026-02-28',
        account_ids: [11],
        offset: 0,
        limit: 200,
      }),
    );
    // Typing is debounced: one request per pause, not one per key.
    expect(clientTransactions.mock.calls.length).toBeLessThan(5);
    await userEvent.click(screen.getByTestId('tx-clear'));
    await waitFor(() => expect(clientTransactions.mock.calls.at(-1)![1]).toMatchObject({ search: null, account_ids: [] }));
  });

  it('says when nothing matches, and when there is nothing at all', async () => {
    clientTransactions.mockResolvedValue({ total: 0, offset: 0, rows: [] });
    render(TransactionsTable, { props: { clientId: 1, accounts } });
    expect(await screen.findByTestId('tx-empty')).toHaveTextContent('No transactions yet');
    await userEvent.type(screen.getByTestId('tx-search'), 'zzz');
    await waitFor(() => expect(screen.getByTestId('tx-empty')).toHaveTextContent('No transaction matches'));
  });

  it('shows a skeleton while loading and an error with a retry', async () => {
    clientTransactions.mockReturnValueOnce(new Promise(() => {}));
    const { unmount } = render(TransactionsTable, { props: { clientId: 1, accounts } });
    expect(screen.getByTestId('loading')).toHaveTextContent('Loading transactions…');
    unmount();
    clientTransactions.mockReset();
    clientTransactions.mockRejectedValueOnce(new ApiError('invalid_input', '"x" is not a date (YYYY-MM-DD)'));
    bigBook(2);
    render(TransactionsTable, { props: { clientId: 1, accounts } });
    expect(await screen.findByTestId('tx-error')).toHaveTextContent('is not a date');
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('tx-row')).toHaveLength(2);
  });

  it('formats dates and amounts in the current language, missing rows marked', async () => {
    clientTransactions.mockResolvedValue({
      total: 1,
      offset: 0,
      rows: [txLine(0, { amount_minor: -123456, presence: 'missing', booking_date: '2026-01-05' })],
    });
    render(TransactionsTable, { props: { clientId: 1, accounts } });
    const [row] = await screen.findAllByTestId('tx-row');
    expect(row).toHaveTextContent('Jan 5, 2026');
    expect(row).toHaveTextContent('-€1,234.56');
    expect(row).toHaveClass('missing');
  });
});

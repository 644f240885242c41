import { tick } from 'svelte';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, type Api } from '../lib/api';
import { setLocale } from '../lib/i18n/i18n.svelte';
import type { BookSummary } from '../lib/types';
import { NOW, bookRow, eur } from '../test/fixtures';
import BookScreen from './BookScreen.svelte';
import { prefetchBook } from './prefetch';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, {
    bookSummary: vi.fn(),
    suggestExportPath: vi.fn(),
    exportCsv: vi.fn(),
    appInfo: vi.fn(),
    loadDemoBook: vi.fn(),
    onSyncFinished: vi.fn(async () => () => {}),
    onFirmChanged: vi.fn(async () => () => {}),
  }),
);

const bookSummary = vi.mocked(api.bookSummary);

const book: BookSummary = {
  generated_at: NOW,
  clients: [
    bookRow({ client_id: 1, name: 'Ana Ruiz', totals: [eur(300_000, 'CAD'), eur(1_400_000)], connection_count: 2, health: 'needs_client', needs_client: 1, stale: true, data_age_days: 3, data_as_of: '2026-03-17T10:00:00.000Z' }),
    bookRow({ client_id: 2, name: 'Álvaro Núñez', totals: [eur(5_000_000)], health: 'good' }),
    bookRow({ client_id: 3, name: 'Zoe Martin', totals: [eur(-20_000)], health: 'failing', data_age_days: 10 }),
    bookRow({ client_id: 4, name: 'Nuevo', totals: [], connection_count: 0, health: 'none', data_as_of: null, data_age_days: null }),
  ],
};

function names() {
  return screen.queryAllByTestId('book-name').map((n) => n.textContent);
}

// The webview's IntersectionObserver, driven by the tests (jsdom has none).
const observers = new Set<FakeObserver>();
class FakeObserver {
  private targets: Element[] = [];
  constructor(
    private callback: IntersectionObserverCallback,
    readonly options?: IntersectionObserverInit,
  ) {
    observers.add(this);
  }
  observe(target: Element) {
    this.targets.push(target);
  }
  disconnect() {
    observers.delete(this);
  }
  watching() {
    return this.targets.length > 0;
  }
  report(isIntersecting: boolean) {
    const entries = this.targets.map((target) => ({ target, isIntersecting }) as IntersectionObserverEntry);
    this.callback(entries, this as unknown as IntersectionObserver);
  }
}

// Drawing 500 rows in jsdom takes 5 s and more on a loaded machine (main's code as well): a
// budget for behaviour, not a speed test.
describe('Book screen', { timeout: 20_000 }, () => {
  beforeEach(() => {
    observers.clear();
    vi.stubGlobal('IntersectionObserver', FakeObserver);
    bookSummary.mockReset();
    vi.mocked(api.appInfo).mockResolvedValue({ version: '0.1.0', provider_environment: 'production', ui_locale: null, sandbox_url: null, demo_book_offered: false });
    location.hash = '';
  });
  afterEach(() => {
    setLocale('en');
    vi.unstubAllGlobals();
  });

  it('shows a skeleton, then every client with per-currency totals, health and data age', async () => {
    let resolve: (b: BookSummary) => void = () => {};
    bookSummary.mockReturnValueOnce(new Promise((r) => (resolve = r)));
    render(BookScreen);
    // Placeholders once the book takes a moment (not for a quick load).
    expect(screen.queryByTestId('loading')).toBeNull();
    expect(await screen.findByTestId('loading')).toHaveTextContent('Loading the book…');
    resolve(book);
    await screen.findAllByTestId('book-row');
    expect(names()).toEqual(['Álvaro Núñez', 'Ana Ruiz', 'Nuevo', 'Zoe Martin']);
    const ana = screen.getAllByTestId('book-row')[1]!;
    // Two currencies, two lines: never one sum.
    const amounts = within(ana).getAllByText(/[€$]/).map((e) => e.textContent);
    expect(amounts).toEqual(['CA$3,000.00', '€14,000.00']);
    expect(within(ana).getByTestId('health-badge')).toHaveTextContent('Needs client action');
    expect(within(ana).getByTestId('stale-warning')).toHaveTextContent('Stale');
    expect(within(ana).getByTestId('book-age')).toHaveTextContent('3 days ago');
    expect(within(ana).getByTestId('book-age')).toHaveTextContent('As of Mar 17, 2026');
    const zoe = screen.getAllByTestId('book-row')[3]!;
    expect(within(zoe).getByText('-€200.00')).toHaveClass('negative');
    const nuevo = screen.getAllByTestId('book-row')[2]!;
    expect(nuevo).toHaveTextContent('No bank connected');
    expect(nuevo).toHaveTextContent('No data');
    expect(screen.getByTestId('book-count')).toHaveTextContent('4 clients');
  });

  it('shows an empty state that leads to adding a client', async () => {
    bookSummary.mockResolvedValueOnce({ generated_at: NOW, clients: [] });
    render(BookScreen);
    const empty = await screen.findByTestId('book-empty');
    expect(empty).toHaveTextContent('Your book is empty');
    expect(within(empty).getByRole('link', { name: 'Add a client' })).toHaveAttribute('href', '#/clients');
    // Not in sandbox mode: no demo book offer.
    expect(screen.queryByTestId('demo-book-offer')).toBeNull();
  });

  it('offers the demo book on a first start in sandbox mode and shows it once loaded', async () => {
    vi.mocked(api.appInfo).mockResolvedValue({
      version: '0.1.0',
      provider_environment: 'sandbox',
      ui_locale: null,
      sandbox_url: null,
      demo_book_offered: true,
    });
    vi.mocked(api.loadDemoBook).mockResolvedValueOnce({ clients_created: 4 } as Awaited<ReturnType<Api['loadDemoBook']>>);
    bookSummary.mockResolvedValueOnce({ generated_at: NOW, clients: [] });
    bookSummary.mockResolvedValueOnce(book);
    render(BookScreen);
    const offer = await screen.findByTestId('demo-book-offer');
    await userEvent.click(within(offer).getByTestId('load-demo-book'));
    expect(api.loadDemoBook).toHaveBeenCalledTimes(1);
    await screen.findAllByTestId('book-row');
    expect(names()).toContain('Ana Ruiz');
  });

  it('reloads when a sync finishes', async () => {
    let finished: () => void = () => {};
    vi.mocked(api.onSyncFinished).mockImplementationOnce(async (f) => ((finished = f as () => void), () => {}));
    bookSummary.mockResolvedValueOnce({ generated_at: NOW, clients: [] });
    bookSummary.mockResolvedValueOnce(book);
    render(BookScreen);
    await screen.findByTestId('book-empty');
    finished();
    await screen.findAllByTestId('book-row');
    expect(bookSummary).toHaveBeenCalledTimes(2);
  });

  it('reloads when another desktop changed the firm database', async () => {
    let changed: () => void = () => {};
    vi.mocked(api.onFirmChanged).mockImplementationOnce(async (f) => ((changed = f as () => void), () => {}));
    bookSummary.mockResolvedValueOnce({ generated_at: NOW, clients: [] });
    bookSummary.mockResolvedValueOnce(book);
    render(BookScreen);
    await screen.findByTestId('book-empty');
    changed();
    await screen.findAllByTestId('book-row');
    expect(bookSummary).toHaveBeenCalledTimes(2);
  });

  it('shows the error with the next step and retries', async () => {
    bookSummary.mockRejectedValueOnce(new ApiError('database', 'database error: disk I/O error'));
    bookSummary.mockResolvedValueOnce(book);
    render(BookScreen);
    const error = await screen.findByTestId('book-error');
    expect(error).toHaveTextContent('disk I/O error');
    expect(error).toHaveTextContent('advisor-desk-cli doctor');
    await userEvent.click(within(error).getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('book-row')).toHaveLength(4);
  });

  it('takes the book asked for before mounting once; a later load asks again', async () => {
    let resolve: (b: BookSummary) => void = () => {};
    bookSummary.mockReturnValueOnce(new Promise((r) => (resolve = r)));
    bookSummary.mockResolvedValueOnce({ generated_at: NOW, clients: [] });
    prefetchBook();
    expect(bookSummary).toHaveBeenCalledTimes(1);
    let finished: () => void = () => {};
    vi.mocked(api.onSyncFinished).mockImplementationOnce(async (f) => ((finished = f as () => void), () => {}));
    render(BookScreen);
    performance.clearMarks('advisor-desk:book');
    resolve(book);
    expect(await screen.findAllByTestId('book-row')).toHaveLength(4);
    // The start-up probe's mark for the answer's arrival.
    expect(performance.getEntriesByName('advisor-desk:book')).toHaveLength(1);
    // The screen's first load used the prefetched answer rather than asking again.
    expect(bookSummary).toHaveBeenCalledTimes(1);
    finished();
    await screen.findByTestId('book-empty');
    expect(bookSummary).toHaveBeenCalledTimes(2);
  });

  it('shows a failed prefetch as the error state, and its retry asks again', async () => {
    bookSummary.mockRejectedValueOnce(new ApiError('database', 'database error: disk I/O error'));
    bookSummary.mockResolvedValueOnce(book);
    prefetchBook();
    // The call has failed before the screen takes it.
    await new Promise((r) => setTimeout(r, 0));
    render(BookScreen);
    const error = await screen.findByTestId('book-error');
    expect(error).toHaveAttribute('data-error-code', 'database');
    expect(error).toHaveTextContent('disk I/O error');
    expect(bookSummary).toHaveBeenCalledTimes(1);
    await userEvent.click(within(error).getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('book-row')).toHaveLength(4);
    expect(bookSummary).toHaveBeenCalledTimes(2);
  });

  it('searches ignoring accents, filters by health and says when nothing matches', async () => {
    bookSummary.mockResolvedValueOnce(book);
    render(BookScreen);
    await screen.findAllByTestId('book-row');
    await userEvent.type(screen.getByTestId('book-search'), 'alvaro nun');
    expect(names()).toEqual(['Álvaro Núñez']);
    await userEvent.clear(screen.getByTestId('book-search'));
    await userEvent.selectOptions(screen.getByTestId('book-health-filter'), 'failing');
    expect(names()).toEqual(['Zoe Martin']);
    await userEvent.type(screen.getByTestId('book-search'), 'ana');
    expect(screen.getByTestId('book-no-match')).toHaveTextContent('No client matches');
  });

  it('sorts by health, data age and value in one currency', async () => {
    bookSummary.mockResolvedValueOnce(book);
    render(BookScreen);
    await screen.findAllByTestId('book-row');
    await userEvent.selectOptions(screen.getByTestId('book-sort'), 'health');
    expect(names()).toEqual(['Zoe Martin', 'Ana Ruiz', 'Álvaro Núñez', 'Nuevo']);
    await userEvent.selectOptions(screen.getByTestId('book-sort'), 'age');
    expect(names()).toEqual(['Nuevo', 'Zoe Martin', 'Ana Ruiz', 'Álvaro Núñez']);
    await userEvent.selectOptions(screen.getByTestId('book-sort'), 'value:EUR');
    expect(names()).toEqual(['Álvaro Núñez', 'Ana Ruiz', 'Zoe Martin', 'Nuevo']);
  });

  it('moves between rows with the arrow keys and opens one with Enter', async () => {
    bookSummary.mockResolvedValueOnce(book);
    render(BookScreen);
    await screen.findAllByTestId('book-row');
    const search = screen.getByTestId('book-search');
    search.focus();
    await userEvent.keyboard('{ArrowDown}');
    const rows = screen.getAllByTestId('book-row');
    expect(rows[0]).toHaveFocus();
    await userEvent.keyboard('{ArrowDown}{ArrowDown}{ArrowUp}');
    expect(rows[1]).toHaveFocus();
    expect(rows[1]).toHaveAttribute('tabindex', '0');
    expect(rows[0]).toHaveAttribute('tabindex', '-1');
    await userEvent.keyboard('{End}');
    expect(rows[3]).toHaveFocus();
    await userEvent.keyboard('{Home}{Enter}');
    expect(location.hash).toBe('#/client/2');
  });

  it('formats amounts and ages in Spanish and French', async () => {
    bookSummary.mockResolvedValue(book);
    await setLocale('es');
    const { unmount } = render(BookScreen);
    await screen.findAllByTestId('book-row');
    const ana = screen.getAllByTestId('book-row')[1]!;
    expect(ana).toHaveTextContent('14.000,00 €');
    expect(ana).toHaveTextContent('hace 3 días');
    expect(screen.getByRole('columnheader', { name: 'Valor total' })).toBeInTheDocument();
    unmount();
    await setLocale('fr');
    render(BookScreen);
    await screen.findAllByTestId('book-row');
    expect(screen.getAllByTestId('book-row')[1]).toHaveTextContent('il y a 3 jours');
    expect(screen.getAllByTestId('book-row')[1]!.textContent).toMatch(/14\s000,00\s€/);
  });

  it('renders a client name from the data as text, never as HTML', async () => {
    bookSummary.mockResolvedValueOnce({
      generated_at: NOW,
      clients: [bookRow({ client_id: 9, name: '<img src=x onerror="alert(1)">Eve' })],
    });
    const { container } = render(BookScreen);
    await screen.findAllByTestId('book-row');
    expect(container.querySelector('img')).toBeNull();
    expect(screen.getByTestId('book-name')).toHaveTextContent('<img src=x onerror="alert(1)">Eve');
  });

  function watched(): boolean {
    return [...observers].some((o) => o.watching());
  }

  /** What the webview's IntersectionObserver would report for the marker after the rows. */
  function scrolledNear(inView: boolean) {
    for (const o of observers) o.report(inView);
  }

  function bigBook(n: number): BookSummary {
    return {
      generated_at: NOW,
      clients: Array.from({ length: n }, (_, i) =>
        bookRow({ client_id: i + 1, name: `Client ${String(i).padStart(3, '0')}`, totals: [eur(i * 1000), eur(i, 'CAD')] }),
      ),
    };
  }

  it('draws a book of 500 clients a screenful first, then more as the advisor scrolls', async () => {
    bookSummary.mockResolvedValueOnce(bigBook(500));
    render(BookScreen);
    const first = await screen.findAllByTestId('book-row');
    expect(first).toHaveLength(20);
    expect(screen.getByTestId('book-count')).toHaveTextContent('500 clients');
    expect(screen.getByTestId('book-table')).toHaveAttribute('aria-rowcount', '501');
    // Not in view yet: nothing more is drawn. (The marker is watched from the next frame.)
    await waitFor(() => expect(watched()).toBe(true));
    scrolledNear(false);
    await tick();
    expect(screen.getAllByTestId('book-row')).toHaveLength(20);
    // The end of the drawn rows comes near the view: the next ones are drawn, until the end.
    for (let drawn = 40; drawn <= 480; drawn += 20) {
      await waitFor(() => expect(watched()).toBe(true));
      scrolledNear(true);
      await waitFor(() => expect(screen.getAllByTestId('book-row')).toHaveLength(drawn));
    }
    await waitFor(() => expect(watched()).toBe(true));
    scrolledNear(true);
    await waitFor(() => expect(screen.getAllByTestId('book-row')).toHaveLength(500));
    expect(screen.queryByTestId('book-more')).toBeNull();
    expect(names()).toEqual(Array.from({ length: 500 }, (_, i) => `Client ${String(i).padStart(3, '0')}`));
  });

  it('watches the end of the drawn rows from the element that scrolls, ahead of the view', async () => {
    const scroller = document.createElement('main');
    scroller.style.overflowY = 'auto';
    document.body.append(scroller);
    bookSummary.mockResolvedValueOnce(bigBook(500));
    render(BookScreen, { target: scroller });
    await screen.findAllByTestId('book-row');
    const [observer] = observers;
    expect(observer?.options?.root).toBe(scroller);
    expect(observer?.options?.rootMargin).toMatch(/^0px 0px \d+px 0px$/);
    scroller.remove();
  });

  it('draws every row at once where the webview cannot tell what is in view', async () => {
    vi.stubGlobal('IntersectionObserver', undefined);
    bookSummary.mockResolvedValueOnce(bigBook(500));
    render(BookScreen);
    await waitFor(() => expect(screen.getAllByTestId('book-row')).toHaveLength(500));
  });

  it('End on a big book reaches the last client before the rest is drawn', async () => {
    bookSummary.mockResolvedValueOnce(bigBook(500));
    render(BookScreen);
    await screen.findAllByTestId('book-row');
    screen.getByTestId('book-search').focus();
    await userEvent.keyboard('{ArrowDown}{End}');
    const rows = screen.getAllByTestId('book-row');
    expect(rows).toHaveLength(500);
    expect(rows[499]).toHaveFocus();
    expect(rows[499]).toHaveTextContent('Client 499');
  });

  it('searches a big book among all its clients, drawn or not yet', async () => {
    bookSummary.mockResolvedValueOnce(bigBook(500));
    render(BookScreen);
    await screen.findAllByTestId('book-row');
    await userEvent.type(screen.getByTestId('book-search'), 'client 49');
    // Clients 490–499: far past the first screenful.
    await waitFor(() => expect(names()).toHaveLength(10));
    expect(names()[0]).toBe('Client 490');
    expect(names()[9]).toBe('Client 499');
  });
});

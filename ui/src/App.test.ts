import { render, screen, waitFor } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from './App.svelte';
import { ApiError, api } from './lib/api';
import { getLocale, setLocale } from './lib/i18n/i18n.svelte';
import type { StoreHealth } from './lib/types';

vi.mock(import('./lib/api'), async (original) =>
  (await import('./test/mockApi')).onlyCommands(original, {
    appInfo: vi.fn(),
    listClients: vi.fn(),
    addClient: vi.fn(),
    setUiLocale: vi.fn(),
    bookSummary: vi.fn(),
    healthQueue: vi.fn(),
    // The activity center (sync progress, toasts, link hand-over) mounts with the app.
    onSyncProgress: vi.fn(async () => () => {}),
    onSyncFinished: vi.fn(async () => () => {}),
    onLinkEvent: vi.fn(async () => () => {}),
    onOpenRoute: vi.fn(async () => () => {}),
    linkInboxReady: vi.fn(async () => []),
    cancelSync: vi.fn(),
    // The database's health and a restore applied at this start.
    lastRestore: vi.fn(async () => null),
    storeHealth: vi.fn(),
    onStoreHealth: vi.fn(async () => () => {}),
    // Firm mode: the unreachable banner and the book's live reloads.
    firmMode: vi.fn(async () => ({ firm: null })),
    onFirmStatus: vi.fn(async () => () => {}),
    onFirmChanged: vi.fn(async () => () => {}),
  }),
);

describe('App', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    location.hash = '';
    vi.mocked(api.bookSummary).mockResolvedValue({ generated_at: '2026-03-20T12:00:00Z', clients: [] });
    vi.mocked(api.appInfo).mockResolvedValue({ version: '0.1.0', provider_environment: 'production', ui_locale: null, sandbox_url: null, demo_book_offered: false });
  });
  afterEach(() => setLocale('en'));

  // First in this file: the screens' code, once fetched, is kept for the rest of the file.
  it('fetches a screen when first shown and shows it at once on a later visit', async () => {
    vi.mocked(api.healthQueue).mockResolvedValue({
      generated_at: '2026-03-20T12:00:00Z',
      outages: [],
      client: [],
      wait: [],
      advisor: [],
      due_soon: [],
      consent_period: 'days90',
    });
    render(App);
    await screen.findByTestId('book-empty');
    const go = (hash: string) => {
      location.hash = hash;
      window.dispatchEvent(new HashChangeEvent('hashchange'));
      flushSync();
    };
    go('#/health');
    // Not in the first script: nothing until its code has arrived.
    expect(screen.queryByTestId('queue-count')).toBeNull();
    expect(await screen.findByTestId('queue-count')).toBeInTheDocument();
    expect(screen.getByTestId('nav-health')).toHaveAttribute('aria-current', 'page');
    expect(screen.queryByTestId('book-count')).toBeNull();
    go('#/');
    expect(screen.getByTestId('book-count')).toBeInTheDocument();
    // Its code is kept: no wait the second time.
    go('#/health');
    expect(screen.getByTestId('queue-count')).toBeInTheDocument();
  });

  it('opens on the book in the language saved in the database', async () => {
    vi.mocked(api.appInfo).mockResolvedValueOnce({
      version: '0.1.0',
      provider_environment: 'sandbox',
      ui_locale: 'fr',
      sandbox_url: null,
      demo_book_offered: false,
    });
    render(App);
    // In French once its catalogue has arrived.
    await waitFor(() => expect(screen.getByTestId('book-empty')).toHaveTextContent('Votre portefeuille est vide'));
    expect(getLocale()).toBe('fr');
    expect(screen.getByTestId('sandbox-badge')).toBeInTheDocument();
    expect(screen.getByTestId('nav-book')).toHaveAttribute('aria-current', 'page');
    // Applying the saved choice does not write it back.
    expect(api.setUiLocale).not.toHaveBeenCalled();
    // The activity center told the core the UI is ready for held link results.
    expect(api.linkInboxReady).toHaveBeenCalledTimes(1);
  });

  it('routes by the address: the clients screen, the health queue', async () => {
    vi.mocked(api.appInfo).mockRejectedValue(new ApiError('database', 'locked'));
    vi.mocked(api.listClients).mockRejectedValueOnce(new ApiError('database', 'locked'));
    location.hash = '#/clients';
    const { unmount } = render(App);
    expect(await screen.findByTestId('client-list-error')).toHaveTextContent('locked');
    expect(screen.queryByTestId('sandbox-badge')).toBeNull();
    expect(getLocale()).toBe('en');
    unmount();

    vi.mocked(api.healthQueue).mockResolvedValueOnce({
      generated_at: '2026-03-20T12:00:00Z',
      outages: [],
      client: [],
      wait: [],
      advisor: [],
      due_soon: [],
      consent_period: 'days90',
    });
    location.hash = '#/health';
    render(App);
    expect(await screen.findByTestId('queue-empty')).toBeInTheDocument();
    expect(screen.getByTestId('nav-health')).toHaveAttribute('aria-current', 'page');
  });

  it('replaces every screen by the recovery screen when the check finds the database damaged', async () => {
    let announce: (h: StoreHealth) => void = () => {};
    vi.mocked(api.onStoreHealth).mockImplementationOnce(async (f) => {
      announce = f;
      return () => {};
    });
    vi.mocked(api.storeHealth).mockResolvedValueOnce(health('checking'));
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      render(App);
      await screen.findByTestId('book-empty');
      // The check is asked for once the book is painted, not before.
      expect(api.storeHealth).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1000);
      expect(api.storeHealth).toHaveBeenCalledTimes(1);
      expect(screen.queryByTestId('recovery-screen')).toBeNull();
      announce(health('damaged'));
      expect(await screen.findByTestId('recovery-screen')).toBeInTheDocument();
      expect(screen.getByTestId('recovery-problem')).toHaveTextContent('page 12: btreeInitPage() returns error code 11');
      expect(screen.queryByTestId('book-empty')).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('asks again while the check runs, so a verdict announced before it listened is not lost', async () => {
    vi.mocked(api.onStoreHealth).mockImplementationOnce(async () => () => {});
    vi.mocked(api.storeHealth)
      .mockResolvedValueOnce(health('checking'))
      .mockResolvedValueOnce(health('damaged'));
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      render(App);
      await screen.findByTestId('book-empty');
      await vi.advanceTimersByTimeAsync(1000);
      expect(screen.queryByTestId('recovery-screen')).toBeNull();
      await vi.advanceTimersByTimeAsync(2500);
      expect(api.storeHealth).toHaveBeenCalledTimes(2);
      expect(await screen.findByTestId('recovery-screen')).toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });
});

function health(state: StoreHealth['state']): StoreHealth {
  return {
    state,
    problem: state === 'damaged' ? 'page 12: btreeInitPage() returns error code 11' : null,
    database: '/data/advisor-desk.sqlite3',
    set_aside_dir: '/data/backups',
    newest_backup: null,
  };
}

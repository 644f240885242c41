import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { api } from '../lib/api';
import { setLocale } from '../lib/i18n/i18n.svelte';
import type { FirmStatusView } from '../lib/types';
import FirmBanner from './FirmBanner.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, {
    firmMode: vi.fn(),
    firmTryAgain: vi.fn(async () => undefined),
    onFirmStatus: vi.fn(async () => () => {}),
  }),
);

const UNREACHABLE: FirmStatusView = {
  state: 'unreachable',
  since: '2026-03-20T14:02:00Z',
  code: 'firm_unreachable',
  message: 'connection refused',
  last_loaded: null,
};

function firm(status: FirmStatusView) {
  return {
    firm: { firm_name: 'Ruiz', role: 'ruiz_ana', server: 'db:5432/book', tls: 'require', status },
  };
}

describe('FirmBanner', () => {
  beforeEach(async () => {
    vi.clearAllMocks();
    await setLocale('en');
  });

  it('shows nothing in solo mode', async () => {
    vi.mocked(api.firmMode).mockResolvedValue({ firm: null });
    render(FirmBanner);
    await waitFor(() => expect(api.firmMode).toHaveBeenCalled());
    expect(screen.queryByTestId('firm-banner')).toBeNull();
  });

  it('says plainly since when the database is unreachable, and goes when it is back', async () => {
    let push: (s: FirmStatusView) => void = () => {};
    vi.mocked(api.onFirmStatus).mockImplementationOnce(async (f) => ((push = f), () => {}));
    vi.mocked(api.firmMode).mockResolvedValue(firm(UNREACHABLE));
    render(FirmBanner);
    const banner = await screen.findByTestId('firm-banner');
    expect(banner).toHaveTextContent(
      /The firm's database cannot be reached since .+ — firm mode picks up again by itself as soon as it answers\./,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(api.firmTryAgain).toHaveBeenCalled();
    push({ state: 'connected', since: '2026-03-20T14:09:00Z', schema_version: 2 });
    await waitFor(() => expect(screen.queryByTestId('firm-banner')).toBeNull());
    push(UNREACHABLE);
    expect(await screen.findByTestId('firm-banner')).toBeInTheDocument();
    // Leaving firm mode during an outage takes the banner away too.
    push({ state: 'solo' });
    await waitFor(() => expect(screen.queryByTestId('firm-banner')).toBeNull());
  });

  it('says when the pages it keeps showing were last loaded', async () => {
    vi.mocked(api.firmMode).mockResolvedValue(
      firm({ ...UNREACHABLE, last_loaded: '2026-03-20T13:58:00Z' }),
    );
    render(FirmBanner);
    const shown = await screen.findByTestId('firm-last-loaded');
    expect(shown).toHaveTextContent(
      /^Showing what was last loaded at .+; changes wait until it answers\.$/,
    );
    expect(screen.getByTestId('firm-banner')).toHaveTextContent(/cannot be reached since/);
  });

  it('says nothing of a last load when nothing was loaded', async () => {
    vi.mocked(api.firmMode).mockResolvedValue(firm(UNREACHABLE));
    render(FirmBanner);
    await screen.findByTestId('firm-banner');
    expect(screen.queryByTestId('firm-last-loaded')).toBeNull();
  });

  it('speaks French', async () => {
    await setLocale('fr');
    vi.mocked(api.firmMode).mockResolvedValue(firm(UNREACHABLE));
    render(FirmBanner);
    expect(await screen.findByTestId('firm-banner')).toHaveTextContent(
      /La base de données du cabinet est injoignable depuis/,
    );
  });
});

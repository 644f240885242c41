import { render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import App from './App.svelte';
import { ApiError, api } from './lib/api';
import { getLocale, setLocale } from './lib/i18n/i18n.svelte';

vi.mock(import('./lib/api'), async (original) => ({
  ...(await original()),
  api: { appInfo: vi.fn(), listClients: vi.fn(), addClient: vi.fn(), setUiLocale: vi.fn() },
}));

describe('App', () => {
  afterEach(() => setLocale('en'));

  it('opens on the Clients screen in the language saved in the database', async () => {
    vi.mocked(api.appInfo).mockResolvedValueOnce({
      version: '0.1.0',
      provider_environment: 'sandbox',
      ui_locale: 'fr',
    });
    vi.mocked(api.listClients).mockResolvedValueOnce([]);
    render(App);
    expect(await screen.findByTestId('client-list-empty')).toHaveTextContent(
      'Aucun client pour l’instant',
    );
    expect(getLocale()).toBe('fr');
    expect(screen.getByTestId('sandbox-badge')).toBeInTheDocument();
    // Applying the saved choice does not write it back.
    expect(api.setUiLocale).not.toHaveBeenCalled();
  });

  it('still shows the screen when the app info cannot be read', async () => {
    vi.mocked(api.appInfo).mockRejectedValueOnce(new ApiError('database', 'locked'));
    vi.mocked(api.listClients).mockRejectedValueOnce(new ApiError('database', 'locked'));
    render(App);
    expect(await screen.findByTestId('client-list-error')).toHaveTextContent('locked');
    expect(screen.queryByTestId('sandbox-badge')).toBeNull();
    expect(getLocale()).toBe('en');
  });
});

import { fireEvent, render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api } from '../lib/api';
import type { AppInfo, ProviderSettings } from '../lib/types';
import SettingsScreen from './SettingsScreen.svelte';

vi.mock(import('../lib/api'), async (original) => {
  const mocked = await (await import('../test/mockApi')).mockCommands(original, [
    'appInfo', 'providerSettings', 'setProviderEnvironment', 'setProviderKey',
    'removeProviderKey', 'setProviderBaseUrl', 'testProviderConnection', 'loadDemoBook',
    'setFlanksIntegration', 'startAtLogin', 'setStartAtLogin', 'flinksFrozenAfterDays',
    'setFlinksFrozenAfterDays',
  ]);
  // Settings → Report, Backups and Firm have their own tests.
  const never = () => new Promise<never>(() => {});
  return { ...mocked, api: { ...mocked.api, reportProfile: vi.fn(never), listBackups: vi.fn(never), firmMode: vi.fn(never), onFirmStatus: vi.fn(() => Promise.resolve(() => {})) } };
});

const info = (over: Partial<AppInfo> = {}): AppInfo => ({
  version: '0.1.0',
  provider_environment: 'sandbox',
  ui_locale: null,
  sandbox_url: 'http://127.0.0.1:40123',
  demo_book_offered: false,
  ...over,
});

function settings(over: Partial<ProviderSettings> = {}): ProviderSettings {
  return {
    environment: 'sandbox',
    keys: [
      { provider: 'flanks', field: 'client_id', set: false },
      { provider: 'flanks', field: 'client_secret', set: true },
      { provider: 'flinks', field: 'customer_id', set: false },
      { provider: 'flinks', field: 'secret_key', set: false },
      { provider: 'flinks', field: 'api_key', set: false },
    ],
    flanks_base_url: null,
    flinks_base_url: null,
    flanks_integration: 'link',
    ...over,
  };
}

describe('SettingsScreen', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    vi.mocked(api.appInfo).mockResolvedValue(info());
    vi.mocked(api.providerSettings).mockResolvedValue(settings());
    vi.mocked(api.startAtLogin).mockResolvedValue(false);
    vi.mocked(api.flinksFrozenAfterDays).mockResolvedValue(7);
  });

  it('sets after how many days unmoving Flinks data needs the client, and says when it is refused', async () => {
    vi.mocked(api.setFlinksFrozenAfterDays).mockResolvedValueOnce(14);
    render(SettingsScreen);
    const card = await screen.findByTestId('connection-settings');
    const days = within(card).getByTestId('flinks-frozen-days') as HTMLInputElement;
    await vi.waitFor(() => expect(days.value).toBe('7'));
    await fireEvent.change(days, { target: { value: '14' } });
    expect(api.setFlinksFrozenAfterDays).toHaveBeenCalledWith(14);
    expect(await within(card).findByTestId('flinks-frozen-saved')).toBeInTheDocument();

    vi.mocked(api.setFlinksFrozenAfterDays).mockRejectedValueOnce(
      new ApiError('invalid_input', 'Flinks data counts as frozen after 1 to 3650 days'),
    );
    await fireEvent.change(days, { target: { value: '0' } });
    expect(await within(card).findByTestId('flinks-frozen-error')).toHaveTextContent('1 to 3650 days');
  });

  it('sets the Flanks integration once, and start at login only when asked', async () => {
    const user = userEvent.setup();
    vi.mocked(api.setFlanksIntegration).mockResolvedValueOnce(settings({ flanks_integration: 'connect_v2' }));
    vi.mocked(api.setStartAtLogin).mockResolvedValueOnce(true);
    render(SettingsScreen);
    const card = await screen.findByTestId('connection-settings');
    expect(within(card).getByTestId('flanks-integration-link')).toBeChecked();
    const login = within(card).getByTestId('start-at-login');
    await vi.waitFor(() => expect(login).not.toBeDisabled());
    expect(login).not.toBeChecked();
    expect(api.setStartAtLogin).not.toHaveBeenCalled();
    await user.click(within(card).getByTestId('flanks-integration-connect_v2'));
    expect(api.setFlanksIntegration).toHaveBeenCalledWith('connect_v2');
    await vi.waitFor(() => expect(within(card).getByTestId('flanks-integration-connect_v2')).toBeChecked());
    await user.click(login);
    expect(api.setStartAtLogin).toHaveBeenCalledWith(true);
    await vi.waitFor(() => expect(login).toBeChecked());
    expect(within(card).getByTestId('open-audit')).toHaveAttribute('href', '#/audit');
  });

  it('shows the sandbox as chosen, its address, and which keys are set (never their values)', async () => {
    render(SettingsScreen);
    expect(screen.getByTestId('loading')).toBeInTheDocument();
    expect(await screen.findByTestId('sandbox-url')).toHaveTextContent('http://127.0.0.1:40123');
    expect(screen.getByTestId('env-sandbox')).toBeChecked();
    expect(
      within(screen.getByTestId('key-flanks-client_secret')).getByTestId('key-state'),
    ).toHaveTextContent('Set');
    expect(
      within(screen.getByTestId('key-flanks-client_id')).getByTestId('key-state'),
    ).toHaveTextContent('Not set');
    expect(screen.getByTestId('production-warning')).toHaveTextContent('real');
  });

  it('asks before switching to production', async () => {
    const user = userEvent.setup();
    vi.mocked(api.setProviderEnvironment).mockResolvedValueOnce(
      settings({ environment: 'production' }),
    );
    const changed = vi.fn();
    render(SettingsScreen, { onEnvironmentChanged: changed });
    await user.click(await screen.findByTestId('env-production'));
    expect(api.setProviderEnvironment).not.toHaveBeenCalled();
    // Not chosen until confirmed.
    expect(screen.getByTestId('env-production')).not.toBeChecked();
    expect(screen.getByTestId('env-sandbox')).toBeChecked();
    expect(screen.getByRole('alertdialog')).toHaveTextContent('real Flanks and Flinks');
    await user.click(screen.getByTestId('confirm-production'));
    expect(api.setProviderEnvironment).toHaveBeenCalledWith('production');
    expect(changed).toHaveBeenCalledWith('production');
    expect(screen.getByTestId('env-production')).toBeChecked();
  });

  it('stores a key through the adapter and clears the field', async () => {
    const user = userEvent.setup();
    vi.mocked(api.setProviderKey).mockResolvedValueOnce(settings());
    vi.mocked(api.removeProviderKey).mockResolvedValueOnce(settings());
    render(SettingsScreen);
    const row = await screen.findByTestId('key-flanks-client_secret');
    await user.click(within(row).getByTestId('key-edit'));
    await user.type(within(row).getByTestId('key-input'), 'new-secret');
    await user.click(within(row).getByRole('button', { name: 'Save' }));
    expect(api.setProviderKey).toHaveBeenCalledWith('flanks', 'client_secret', 'new-secret');
    expect(screen.queryByDisplayValue('new-secret')).toBeNull();
    await user.click(within(row).getByTestId('key-remove'));
    expect(api.removeProviderKey).toHaveBeenCalledWith('flanks', 'client_secret');
  });

  it('tests a connection and shows the classified result', async () => {
    const user = userEvent.setup();
    vi.mocked(api.testProviderConnection)
      .mockResolvedValueOnce({ result: 'ok' })
      .mockResolvedValueOnce({
        result: 'failed',
        kind: 'unauthorized',
        provider_code: null,
        provider_message: 'access_denied',
        http_status: 403,
      });
    render(SettingsScreen);
    await user.click(await screen.findByTestId('test-flanks'));
    expect(await screen.findByTestId('probe-flanks')).toHaveTextContent('accepted the keys');
    await user.click(screen.getByTestId('test-flinks'));
    const r = await screen.findByTestId('probe-flinks');
    expect(r).toHaveTextContent('(unauthorized)');
    expect(r).toHaveTextContent('403 · access_denied');
  });

  it('explains a locked keychain', async () => {
    vi.mocked(api.providerSettings).mockRejectedValueOnce(
      new ApiError('keychain_locked', 'the system keychain is locked; unlock your keychain and try again'),
    );
    render(SettingsScreen);
    const err = await screen.findByTestId('settings-error');
    expect(err).toHaveTextContent('unlock your keychain');
    expect(err).toHaveTextContent('Unlock it and try again');
  });

  it('offers the demo book on an empty sandbox book', async () => {
    vi.mocked(api.appInfo).mockResolvedValue(info({ demo_book_offered: true }));
    vi.mocked(api.loadDemoBook).mockResolvedValueOnce({ clients_created: 9, connection_ids: [1] });
    render(SettingsScreen);
    await userEvent.click(await screen.findByTestId('load-demo-book'));
    expect(await screen.findByTestId('demo-book-loaded')).toHaveTextContent('9 demo clients');
    expect(screen.queryByTestId('demo-book-offer')).toBeNull();
  });
});

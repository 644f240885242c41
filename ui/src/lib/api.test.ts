import { beforeEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.hoisted(() => vi.fn());
vi.mock('@tauri-apps/api/core', () => ({ invoke }));

import { api, ApiError, toApiError } from './api';

describe('api adapter', () => {
  beforeEach(() => invoke.mockReset());

  it('calls the commands the Rust side registers, with their argument names', async () => {
    invoke.mockResolvedValueOnce([]);
    await expect(api.listClients()).resolves.toEqual([]);
    expect(invoke).toHaveBeenLastCalledWith('list_clients', undefined);

    const created = { id: 1, name: 'Ana' };
    invoke.mockResolvedValueOnce(created);
    const input = { kind: 'household' as const, name: 'Ana', email: null };
    await expect(api.addClient(input)).resolves.toBe(created);
    expect(invoke).toHaveBeenLastCalledWith('add_client', { client: input });

    invoke.mockResolvedValueOnce({ version: '0.1.0', provider_environment: 'sandbox' });
    await api.appInfo();
    expect(invoke).toHaveBeenLastCalledWith('app_info', undefined);

    invoke.mockResolvedValueOnce(null);
    await api.setUiLocale('fr');
    expect(invoke).toHaveBeenLastCalledWith('set_ui_locale', { locale: 'fr' });
  });

  it('asks for the reference rates once for totals asked at the same time, and again later', async () => {
    let fetched: () => void = () => {};
    invoke.mockImplementation((command: string) =>
      command === 'refresh_rates' ? new Promise<void>((r) => (fetched = r)) : Promise.resolve({ base: 'EUR' }),
    );
    const totals = [api.baseTotal(null, 1), api.baseTotal(null, 2), api.baseTotal(3, null)];
    await Promise.resolve();
    expect(invoke.mock.calls.filter(([c]) => c === 'refresh_rates')).toHaveLength(1);
    fetched();
    await Promise.all(totals);
    expect(invoke.mock.calls.filter(([c]) => c === 'base_total').map(([, args]) => args)).toEqual([
      { clientId: null, householdId: 1 },
      { clientId: null, householdId: 2 },
      { clientId: 3, householdId: null },
    ]);
    // A failed fetch is no error: the total says which rates it lacks.
    invoke.mockImplementation((command: string) =>
      command === 'refresh_rates' ? Promise.reject({ code: 'io', message: 'offline' }) : Promise.resolve({ base: 'EUR' }),
    );
    await expect(api.baseTotal(null, 1)).resolves.toEqual({ base: 'EUR' });
    expect(invoke.mock.calls.filter(([c]) => c === 'refresh_rates')).toHaveLength(2);
  });

  it('turns a {code, message} rejection into a typed ApiError', async () => {
    invoke.mockRejectedValueOnce({ code: 'invalid_input', message: 'a client needs a name' });
    const err = await api.addClient({ kind: 'person', name: ' ' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'invalid_input', message: 'a client needs a name' });
  });

  it('maps anything else to code "ipc" without losing the text', () => {
    expect(toApiError('command list_clients not allowed')).toMatchObject({
      code: 'ipc',
      message: 'command list_clients not allowed',
    });
    expect(toApiError(new Error('boom'))).toMatchObject({ code: 'ipc', message: 'boom' });
    expect(toApiError({ code: 3 })).toMatchObject({ code: 'ipc' });
  });
});

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

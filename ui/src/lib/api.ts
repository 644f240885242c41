// The only module that talks to the Rust side. Components import `api`, never `invoke`,
// so tests mock this one module and the IPC surface is listed in one place.
import { invoke } from '@tauri-apps/api/core';
import type { AppInfo, Client, ErrorCode, NewClient } from './types';

/** An error from a command, as the core sent it: a stable code and a sentence. */
export class ApiError extends Error {
  readonly code: ErrorCode | (string & {});

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

/** Turns whatever `invoke` rejected with into an `ApiError`. */
export function toApiError(raw: unknown): ApiError {
  if (raw instanceof ApiError) return raw;
  if (typeof raw === 'object' && raw !== null) {
    const { code, message } = raw as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && typeof message === 'string') {
      return new ApiError(code, message);
    }
  }
  const message = raw instanceof Error ? raw.message : String(raw);
  return new ApiError('ipc', message);
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toApiError(raw);
  }
}

export const api = {
  appInfo: (): Promise<AppInfo> => call<AppInfo>('app_info'),
  listClients: (): Promise<Client[]> => call<Client[]>('list_clients'),
  addClient: (client: NewClient): Promise<Client> => call<Client>('add_client', { client }),
  setUiLocale: (locale: 'en' | 'es' | 'fr'): Promise<void> =>
    call<void>('set_ui_locale', { locale }),
};

export type Api = typeof api;

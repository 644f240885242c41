// Shapes that cross IPC, mirroring advisor-desk-core (serde, snake_case fields).

export type ClientKind = 'person' | 'household';

export interface Client {
  id: number;
  kind: ClientKind;
  name: string;
  email: string | null;
  phone: string | null;
  notes: string;
  archived: boolean;
  created_at: string;
  updated_at: string;
}

/** What the advisor types when adding a client (core `NewClient`). */
export interface NewClient {
  kind: ClientKind;
  name: string;
  email?: string | null;
  phone?: string | null;
  notes?: string | null;
}

export interface AppInfo {
  version: string;
  /** `sandbox` or `production`; the shell shows a "Sandbox" badge for the former. */
  provider_environment: string;
  /** The interface language saved in the database, or null to follow the OS. */
  ui_locale: 'en' | 'es' | 'fr' | null;
}

/** Stable codes from core `ErrorCode`, plus `ipc` for a failure of the bridge itself. */
export type ErrorCode =
  | 'not_found'
  | 'invalid_input'
  | 'schema_too_new'
  | 'database'
  | 'io'
  | 'keychain_unavailable'
  | 'keychain_locked'
  | 'keychain'
  | 'ipc';

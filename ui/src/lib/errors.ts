// Which "what to do next" sentence goes with an error code from the core.
import type { MessageKey } from './i18n/i18n.svelte';

const HINTS: Record<string, MessageKey> = {
  invalid_input: 'error.invalid_input',
  not_found: 'error.not_found',
  schema_too_new: 'error.schema_too_new',
  database: 'error.database',
  io: 'error.io',
  disk_full: 'error.disk_full',
  keychain: 'error.keychain',
  keychain_locked: 'error.keychain',
  keychain_unavailable: 'error.keychain',
  deletion_stopped: 'error.deletion_stopped',
  database_damaged: 'error.database_damaged',
  backup_failed: 'error.backup_failed',
  wrong_passphrase: 'error.wrong_passphrase',
  book_file_damaged: 'error.book_file_damaged',
  book_file_too_new: 'error.book_file_too_new',
};

export function errorHintKey(code: string): MessageKey {
  return HINTS[code] ?? 'error.unknown';
}

// Words for a backup: its kind and what it holds (client and connection counts).
import { getLocale, t, tn, type MessageKey } from '../lib/i18n/i18n.svelte';
import type { BackupKind } from '../lib/types';

export type RowCounts = { [table in string]?: number };

export function kindLabel(kind: BackupKind): string {
  return t(`backups.kind.${kind}` as MessageKey);
}

/** "12 clients · 1 connection", or that the file cannot be read. */
export function holds(rows: RowCounts | null): string {
  if (!rows) return t('backups.unreadable');
  return t('backups.holds', {
    clients: tn('backups.clients', rows.clients ?? 0),
    connections: tn('backups.connections', rows.connections ?? 0),
  });
}

/** A backup's time in the current language: the date and the time of day. */
export function takenAt(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // The interface's language (reactive: the date follows a switch of language).
  return new Intl.DateTimeFormat(getLocale(), {
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(date);
}

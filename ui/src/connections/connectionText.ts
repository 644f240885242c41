// How a connection reads on its card: status in plain words, times in the current language,
// the institution's name, the tone of its status dot and the one action that fixes it.
import { getLocale, t, type MessageKey } from '../lib/i18n/i18n.svelte';
import type { Connection, ConnectionStatus } from '../lib/types';

export function statusText(s: ConnectionStatus): string {
  return t(`conn.status.${s}` as MessageKey);
}

/** A timestamp with date and time, or "never". */
export function when(iso: string | null): string {
  if (!iso) return t('conn.never');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(getLocale(), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function institution(c: Connection): string {
  return c.institution_name ?? c.institution_id ?? t(`conn.provider.${c.provider}`);
}

export type Fix = 'reauthorize' | 'refresh_live' | 'retry' | 'settings' | 'sync' | null;

/** The one action that fixes a connection in this state (`settings` only where it can open). */
export function fixFor(c: Connection, canOpenSettings: boolean): Fix {
  switch (c.status) {
    case 'pending_sca':
    case 'blocked':
    case 'mfa_required':
      return 'reauthorize';
    case 'retry_later':
    case 'pending':
      return 'retry';
    case 'needs_advisor':
      return canOpenSettings ? 'settings' : 'retry';
    case 'ready':
      // Flinks no longer refreshes most banks by itself: "Update now" is a live refresh with
      // the client present (it may ask the client a security question).
      return c.provider === 'flinks' ? 'refresh_live' : 'sync';
    default:
      return null;
  }
}

export function tone(c: Connection): 'ok' | 'warn' | 'bad' | 'muted' {
  if (c.status === 'ready') return c.stale ? 'warn' : 'ok';
  if (c.status === 'pending' || c.status === 'delayed' || c.status === 'retry_later') return 'warn';
  if (c.status === 'removed') return 'muted';
  return 'bad';
}

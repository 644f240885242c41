// The end of an update in one line of parts: "23 updated · 2 need the client: Ana Ruiz
// (Banco X), … · 1 needs you: …". Names only, never an account number (the report has none).
import { t, tn } from '../lib/i18n/i18n.svelte';
import type { NeedsAction, RunReport } from '../lib/types';

/** Connections named in a part; the rest are counted ("and 3 more"). */
export const NAMED = 3;

function names(list: NeedsAction[]): string {
  const shown = list.slice(0, NAMED).map((n) => `${n.client_name} (${n.institution})`);
  const more = list.length - shown.length;
  return more > 0 ? `${shown.join(', ')} ${tn('run.andMore', more)}` : shown.join(', ');
}

export function summaryParts(r: RunReport): string[] {
  const parts = [tn('run.updated', r.updated)];
  if (r.needs_client.length > 0) {
    parts.push(`${tn('run.needsClient', r.needs_client.length)}: ${names(r.needs_client)}`);
  }
  if (r.needs_advisor.length > 0) {
    parts.push(`${tn('run.needsYou', r.needs_advisor.length)}: ${names(r.needs_advisor)}`);
  }
  if (r.retrying > 0) parts.push(tn('run.retrying', r.retrying));
  if (r.cancelled > 0) parts.push(tn('run.cancelled', r.cancelled));
  return parts;
}

/** Whether anyone must act after this update. */
export function needsSomeone(r: RunReport): boolean {
  return r.needs_client.length + r.needs_advisor.length > 0;
}

export function summaryTitle(r: RunReport): string {
  return r.cancelled > 0 ? t('run.titleCancelled') : t('run.title');
}

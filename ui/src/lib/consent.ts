// The consent forecast and a sent link in words, for the health queue and the connection card
// alike. The core computes every date and count (`ConnectionView.consent`, `.sent_link`).
import { formatDay } from './components/format';
import { t, tn } from './i18n/i18n.svelte';
import type { ConsentForecast, SentLink } from './types';

/** When the bank will probably ask for SCA again (Flanks), or how long ago the client was last
 * present (Flinks). */
export function consentText(f: ConsentForecast): string {
  if (f.kind === 'live_connection' || f.days_left === null || f.next_sca_at === null) {
    return tn('queue.consent.live', f.days_since);
  }
  const date = formatDay(f.next_sca_at);
  if (f.days_left > 0) return tn('queue.consent.in', f.days_left, { date });
  if (f.days_left === 0) return t('queue.consent.today');
  return t('queue.consent.overdue', { date });
}

/** Due today or overdue: shown in the warning colour. */
export function consentOverdue(f: ConsentForecast): boolean {
  return f.days_left !== null && f.days_left <= 0;
}

/** A link sent to the client: until when it works, or that it expired. */
export function sentLinkText(s: SentLink): string {
  return s.expired ? t('sentLink.expired') : t('sentLink.waiting', { date: formatDay(s.expires_at) });
}

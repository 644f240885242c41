// The consent forecast in words: when the bank will probably ask for SCA again (Flanks), or
// how long ago the client was last present (Flinks). The core computes the dates and counts.
import { formatDay } from '../lib/components/format';
import { t, tn } from '../lib/i18n/i18n.svelte';
import type { ConsentForecast } from '../lib/types';

export function consentText(f: ConsentForecast): string {
  if (f.kind === 'live_connection' || f.days_left === null || f.next_sca_at === null) {
    return tn('queue.consent.live', f.days_since);
  }
  const date = formatDay(f.next_sca_at);
  if (f.days_left > 0) return tn('queue.consent.in', f.days_left, { date });
  if (f.days_left === 0) return t('queue.consent.today');
  return t('queue.consent.overdue', { date });
}

// The firm database's status in words, for Settings → Firm (the banner says it its own way).
import { formatTime, t } from '../lib/i18n/i18n.svelte';
import type { FirmStatusView } from '../lib/types';

export function firmStatusText(status: FirmStatusView): string {
  switch (status.state) {
    case 'connecting':
      return t('firm.status.connecting');
    case 'connected':
      return t('firm.status.connected', { time: formatTime(status.since) });
    case 'unreachable':
      return t('firm.status.unreachable', {
        time: formatTime(status.since),
        reason: status.message,
      });
    case 'not_started':
      return t('firm.status.notStarted', { reason: status.message });
    case 'solo':
      return t('firm.solo');
  }
}

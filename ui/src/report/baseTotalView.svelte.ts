// The base-currency total of one client or one household, loaded again when the subject
// changes. Shared by the full total (client and household pages) and the brief one (a row of
// the book by household). Create it while a component initialises: its effect is the component's.
import { api, toApiError, type ApiError } from '../lib/api';
import type { BaseTotal } from '../lib/types';

export type BaseTotalState =
  | { status: 'loading' }
  | { status: 'ready'; total: BaseTotal }
  | { status: 'error'; error: ApiError };

export interface Subject {
  clientId: number | null;
  householdId: number | null;
  /** When the figures around the total were read (a list's `generated_at`): a new one, after
   * a sync or a member change, converts again so the total never lags the figures beside it. */
  stamp?: string | null;
}

export class BaseTotalView {
  state = $state.raw<BaseTotalState>({ status: 'loading' });

  /** `subject` reads the component's props, so a new client or household loads anew. */
  constructor(subject: () => Subject) {
    $effect(() => {
      const { clientId, householdId, stamp } = subject();
      this.state = { status: 'loading' };
      api.baseTotal(clientId, householdId).then(
        (total) => {
          // An answer for a subject the component has left is dropped.
          const now = subject();
          if (now.clientId === clientId && now.householdId === householdId && now.stamp === stamp) {
            this.state = { status: 'ready', total };
          }
        },
        (raw) => (this.state = { status: 'error', error: toApiError(raw) }),
      );
    });
  }
}

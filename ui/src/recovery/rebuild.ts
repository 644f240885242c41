// The wording and choices of "Rebuild from the provider" (RebuildSection), kept apart so they
// are tested without a component.
import { t } from '../lib/i18n/i18n.svelte';
import type { AttachTo, Proposal, ProviderCredential } from '../lib/types';

/** Who a credential goes to, in the advisor's words. */
export function goesTo(p: Proposal): string {
  switch (p.kind) {
    case 'by_id':
      return t('rebuild.byId', { name: p.client_name });
    case 'by_name':
      return t('rebuild.byName', { name: p.client_name });
    case 'new_client':
      return t('rebuild.newClient', { name: p.name });
    case 'unmatched':
      return p.reason === 'several_clients' ? t('rebuild.severalClients') : t('rebuild.noReference');
  }
}

/** Where "Re-attach" sends it: the proposal, or the client picked for an unmatched one. */
export function targetOf(c: ProviderCredential, picked: number | undefined): AttachTo | null {
  switch (c.proposal.kind) {
    case 'by_id':
    case 'by_name':
      return { kind: 'client', client_id: c.proposal.client_id };
    case 'new_client':
      return { kind: 'new_client', name: c.proposal.name };
    case 'unmatched':
      return picked === undefined ? null : { kind: 'client', client_id: picked };
  }
}

/** The clients "Re-attach all matched" would create, each once. */
export function newClientNames(listed: ProviderCredential[]): string[] {
  const names = listed.flatMap((c) => (c.proposal.kind === 'new_client' ? [c.proposal.name] : []));
  return [...new Set(names)];
}

// The advisor chooses where the bank is, in plain words; which provider and which of its
// integrations that means is the app's business (the Flanks integration is a setting).
import type { FlanksIntegration, LinkFlow } from '../lib/types';

export type Region = 'europe' | 'canada';

export const REGIONS: Region[] = ['europe', 'canada'];

/** The link flow that connects a bank in `region`, given the Flanks integration set. */
export function flowFor(region: Region, integration: FlanksIntegration): LinkFlow {
  if (region === 'canada') return 'flinks_connect';
  return integration === 'connect_v2' ? 'flanks_connect_v2' : 'flanks_link';
}

import { describe, expect, it } from 'vitest';
import { flowFor } from './region';

describe('region', () => {
  it('maps plain words to the provider flow, the Flanks one by the setting', () => {
    expect(flowFor('canada', 'link')).toBe('flinks_connect');
    expect(flowFor('canada', 'connect_v2')).toBe('flinks_connect');
    expect(flowFor('europe', 'link')).toBe('flanks_link');
    expect(flowFor('europe', 'connect_v2')).toBe('flanks_connect_v2');
  });
});

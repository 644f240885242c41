import { describe, expect, it } from 'vitest';
import { parseRoute } from './routes';

describe('routes', () => {
  it('reads the households list and one household from the address', () => {
    expect(parseRoute('#/households')).toEqual({ name: 'households' });
    expect(parseRoute('#/household/7')).toEqual({ name: 'household', id: 7 });
    expect(parseRoute('#/household/x')).toEqual({ name: 'book' });
    expect(parseRoute('#/client/3')).toEqual({ name: 'client', id: 3 });
  });

  it('reads the audit log screen', () => {
    expect(parseRoute('#/audit')).toEqual({ name: 'audit' });
    expect(parseRoute('#/audit/x')).toEqual({ name: 'book' });
  });
});

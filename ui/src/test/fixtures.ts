import type { Client } from '../lib/types';

export function client(overrides: Partial<Client> & Pick<Client, 'id' | 'name'>): Client {
  return {
    kind: 'person',
    email: null,
    phone: null,
    notes: '',
    archived: false,
    created_at: '2026-03-05T10:00:00.000Z',
    updated_at: '2026-03-05T10:00:00.000Z',
    ...overrides,
  };
}

import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '../lib/i18n/i18n.svelte';
import { holds } from './backups';

describe('holds', () => {
  afterEach(() => setLocale('en'));

  it('counts clients and connections in the singular and the plural', () => {
    expect(holds({ clients: 1, connections: 1 })).toBe('1 client · 1 connection');
    expect(holds({ clients: 12, connections: 0 })).toBe('12 clients · 0 connections');
    expect(holds({})).toBe('0 clients · 0 connections');
  });

  it('speaks the current language', async () => {
    await setLocale('es');
    expect(holds({ clients: 1, connections: 3 })).toBe('1 cliente · 3 conexiones');
  });

  it('says when a backup cannot be read', () => {
    expect(holds(null)).toBe('Cannot be read');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { en } from './en';
import { es } from './es';
import { fr } from './fr';
import { detectLocale, formatDate, setLocale, t, tn } from './i18n.svelte';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('catalogues', () => {
  afterEach(() => setLocale('en'));

  for (const [name, catalogue] of Object.entries({ es, fr })) {
    it(`${name} has exactly the English keys, each translated with the same placeholders`, () => {
      expect(Object.keys(catalogue).sort()).toEqual(Object.keys(en).sort());
      for (const [key, english] of Object.entries(en)) {
        const translated = (catalogue as Record<string, string>)[key] ?? '';
        expect(translated.trim(), key).not.toBe('');
        expect(placeholders(translated), key).toEqual(placeholders(english));
      }
    });
  }

  it('switches language and fills placeholders', async () => {
    expect(t('form.added', { name: 'Ana' })).toBe('Ana was added.');
    await setLocale('es');
    expect(t('nav.clients')).toBe('Clientes');
    expect(t('form.added', { name: 'Ana' })).toBe('Se ha añadido a Ana.');
    await setLocale('fr');
    expect(t('clients.kind.household')).toBe('Foyer');
    expect(document.documentElement.lang).toBe('fr');
  });

  it('chooses plural forms by the language rules and formats numbers', async () => {
    expect(tn('clients.count', 1)).toBe('1 client');
    expect(tn('clients.count', 0)).toBe('0 clients');
    expect(tn('clients.count', 1234)).toBe('1,234 clients');
    await setLocale('fr');
    // French: 0 is singular, and thousands use a narrow no-break space.
    expect(tn('clients.count', 0)).toBe('0 client');
    expect(tn('clients.count', 1234)).toBe('1\u202f234 clients');
    await setLocale('es');
    expect(tn('clients.count', 2)).toBe('2 clientes');
  });

  it('formats dates per language and leaves a bad timestamp readable', async () => {
    const iso = '2026-03-05T10:00:00.000Z';
    expect(formatDate(iso)).toBe('Mar 5, 2026');
    await setLocale('es');
    expect(formatDate(iso)).toBe('5 mar 2026');
    await setLocale('fr');
    expect(formatDate(iso)).toBe('5 mars 2026');
    expect(formatDate('not a date')).toBe('not a date');
  });

  it('detects the saved choice, then the OS language, then English', () => {
    expect(detectLocale('fr', ['es-ES'])).toBe('fr');
    expect(detectLocale('xx', ['de-DE', 'es-MX'])).toBe('es');
    expect(detectLocale(null, ['FR-ca'])).toBe('fr');
    expect(detectLocale(null, ['de'])).toBe('en');
  });
});

// Spanish and French are fetched on first use. The Spanish module is held back here until the
// test lets it through, to see the English stand-in and then the redraw.
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { createRawSnippet } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import AppShell from '../components/AppShell.svelte';
import { getLocale, setLocale, t, tn } from './i18n.svelte';

const spanish = vi.hoisted(() => {
  let release: () => void = () => {};
  const released = new Promise<void>((r) => (release = r));
  return { release: () => release(), released };
});

vi.mock(import('./es'), async (original) => {
  await spanish.released;
  return original();
});

vi.mock(import('../api'), async (original) =>
  (await import('../../test/mockApi')).onlyCommands(original, { setUiLocale: vi.fn(() => Promise.resolve()) }),
);

const children = createRawSnippet(() => ({ render: () => '<p>screen</p>' }));

describe('a catalogue loaded on demand', () => {
  afterEach(() => setLocale('en'));

  it('speaks English until Spanish arrives, then redraws in Spanish', async () => {
    render(AppShell, { props: { info: null, section: 'clients', children } });
    await userEvent.selectOptions(screen.getByLabelText('Language'), 'es');
    // Chosen, remembered and announced at once; the words are English for now.
    expect(getLocale()).toBe('es');
    expect(localStorage.getItem('advisor-desk.locale')).toBe('es');
    expect(document.documentElement.lang).toBe('es');
    expect(t('nav.clients')).toBe('Clients');
    expect(tn('clients.count', 2)).toBe('2 clients');
    expect(screen.getByLabelText('Language')).toHaveValue('es');
    expect(screen.getByRole('link', { name: 'Clients' })).toBeInTheDocument();

    spanish.release();
    expect(await screen.findByRole('link', { name: 'Clientes' })).toHaveAttribute('aria-current', 'page');
    expect(screen.getByLabelText('Idioma')).toHaveValue('es');
    expect(t('nav.clients')).toBe('Clientes');
    // Loaded once: back to Spanish later is immediate.
    await setLocale('en');
    const again = setLocale('es');
    expect(t('nav.clients')).toBe('Clientes');
    await again;
  });
});

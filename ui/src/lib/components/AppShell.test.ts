import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { createRawSnippet } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api';
import { setLocale } from '../i18n/i18n.svelte';
import AppShell from './AppShell.svelte';

vi.mock(import('../api'), async (original) =>
  (await import('../../test/mockApi')).onlyCommands(original, {
    appInfo: vi.fn(),
    listClients: vi.fn(),
    addClient: vi.fn(),
    setUiLocale: vi.fn(() => Promise.resolve()),
  }),
);

const children = createRawSnippet(() => ({ render: () => '<p>screen</p>' }));

describe('App shell', () => {
  afterEach(() => setLocale('en'));

  it('shows the product name, version and a Sandbox badge in the sandbox', () => {
    render(AppShell, {
      props: { info: { version: '0.1.0', provider_environment: 'sandbox', ui_locale: null, sandbox_url: null, demo_book_offered: false }, children },
    });
    expect(screen.getByTestId('product-name')).toHaveTextContent('Advisor Desk');
    expect(screen.getByTestId('sandbox-badge')).toHaveTextContent('Sandbox');
    expect(screen.getByText('Version 0.1.0')).toBeInTheDocument();
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeInTheDocument();
    expect(screen.getByText('screen')).toBeInTheDocument();
  });

  it('has no badge in production or before the info arrives', () => {
    const { unmount } = render(AppShell, {
      props: { info: { version: '0.1.0', provider_environment: 'production', ui_locale: null, sandbox_url: null, demo_book_offered: false }, children },
    });
    expect(screen.queryByTestId('sandbox-badge')).toBeNull();
    unmount();
    render(AppShell, { props: { info: null, children } });
    expect(screen.queryByTestId('sandbox-badge')).toBeNull();
  });

  it('switches the language from the sidebar and remembers it', async () => {
    render(AppShell, {
      props: {
        info: { version: '0.1.0', provider_environment: 'sandbox', ui_locale: null, sandbox_url: null, demo_book_offered: false },
        section: 'clients',
        children,
      },
    });
    await userEvent.selectOptions(screen.getByLabelText('Language'), 'fr');
    // Redrawn in French once its catalogue has arrived.
    expect(await screen.findByLabelText('Langue')).toHaveValue('fr');
    expect(screen.getByRole('link', { name: 'Clients' })).toBeInTheDocument();
    expect(localStorage.getItem('advisor-desk.locale')).toBe('fr');
    expect(api.setUiLocale).toHaveBeenLastCalledWith('fr');
    await userEvent.selectOptions(screen.getByLabelText('Langue'), 'es');
    expect(await screen.findByRole('link', { name: 'Clientes' })).toHaveAttribute('aria-current', 'page');
    expect(api.setUiLocale).toHaveBeenLastCalledWith('es');
    expect(screen.getByRole('link', { name: 'Cartera' })).not.toHaveAttribute('aria-current');
  });

  it('marks the current section and links every workspace screen', () => {
    render(AppShell, { props: { info: null, section: 'health', children } });
    expect(screen.getByTestId('nav-health')).toHaveAttribute('aria-current', 'page');
    expect(screen.getByTestId('nav-book')).toHaveAttribute('href', '#/');
    expect(screen.getByTestId('nav-clients')).toHaveAttribute('href', '#/clients');
  });

  it('keeps the new language when saving it fails', async () => {
    vi.mocked(api.setUiLocale).mockRejectedValueOnce(new Error('database'));
    render(AppShell, { props: { info: null, children } });
    await userEvent.selectOptions(screen.getByLabelText('Language'), 'es');
    expect(await screen.findByLabelText('Idioma')).toHaveValue('es');
  });
});

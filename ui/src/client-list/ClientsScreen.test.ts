import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api } from '../lib/api';
import { setLocale } from '../lib/i18n/i18n.svelte';
import { client } from '../test/fixtures';
import ClientsScreen from './ClientsScreen.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, { appInfo: vi.fn(), listClients: vi.fn(), addClient: vi.fn(), setUiLocale: vi.fn() }),
);

const listClients = vi.mocked(api.listClients);
const addClient = vi.mocked(api.addClient);

const ana = client({ id: 1, name: 'Ana López', email: 'ana@example.es' });
const alvarez = client({ id: 2, name: 'Álvarez family', kind: 'household' });

function rows() {
  return screen.queryAllByTestId('client-row').map((row) => ({
    name: within(row).getByTestId('client-name').textContent,
    kind: within(row).getByTestId('client-kind').textContent,
    email: within(row).getByTestId('client-email').textContent,
  }));
}

describe('Clients screen', () => {
  beforeEach(() => {
    listClients.mockReset();
    addClient.mockReset();
  });
  afterEach(() => setLocale('en'));

  it('shows a skeleton, then the clients the core returned', async () => {
    let resolve: (v: typeof ana[]) => void = () => {};
    listClients.mockReturnValueOnce(new Promise((r) => (resolve = r)));
    render(ClientsScreen);
    expect(screen.getByTestId('loading')).toHaveTextContent('Loading clients…');

    resolve([alvarez, ana]);
    await screen.findAllByTestId('client-row');
    expect(rows()).toEqual([
      { name: 'Álvarez family', kind: 'Household', email: '—' },
      { name: 'Ana López', kind: 'Person', email: 'ana@example.es' },
    ]);
    expect(screen.getByTestId('client-count')).toHaveTextContent('2 clients');
    expect(screen.queryByTestId('loading')).toBeNull();
  });

  it('shows an empty state when there are no clients', async () => {
    listClients.mockResolvedValueOnce([]);
    render(ClientsScreen);
    expect(await screen.findByTestId('client-list-empty')).toHaveTextContent('No clients yet');
    expect(screen.getByTestId('client-count')).toHaveTextContent('0 clients');
  });

  it('shows a load error with the next step, and retries', async () => {
    listClients.mockRejectedValueOnce(new ApiError('database', 'database error: disk I/O error'));
    listClients.mockResolvedValueOnce([ana]);
    render(ClientsScreen);
    const alert = await screen.findByTestId('client-list-error');
    expect(alert).toHaveTextContent('The client list could not be loaded');
    expect(alert).toHaveTextContent('database error: disk I/O error');
    expect(alert).toHaveTextContent('advisor-desk-cli doctor');

    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await screen.findAllByTestId('client-row');
    expect(rows().map((r) => r.name)).toEqual(['Ana López']);
    expect(listClients).toHaveBeenCalledTimes(2);
  });

  it('adds a client through the form and reloads the list from the core', async () => {
    const user = userEvent.setup();
    listClients.mockResolvedValueOnce([ana]);
    const beatriz = client({ id: 3, name: 'Beatriz Ruiz', kind: 'household' });
    addClient.mockResolvedValueOnce(beatriz);
    listClients.mockResolvedValueOnce([ana, beatriz]);
    render(ClientsScreen);
    await screen.findAllByTestId('client-row');

    await user.type(screen.getByLabelText('Name'), 'Beatriz Ruiz');
    await user.click(screen.getByLabelText('Household'));
    await user.type(screen.getByLabelText(/E-mail/), 'beatriz@example.es');
    await user.type(screen.getByLabelText(/Notes/), 'Met in Madrid');
    await user.selectOptions(screen.getByLabelText('Language of messages to the client'), 'Español');
    await user.click(screen.getByTestId('add-client-submit'));

    expect(addClient).toHaveBeenCalledWith({
      kind: 'household',
      name: 'Beatriz Ruiz',
      email: 'beatriz@example.es',
      phone: null,
      notes: 'Met in Madrid',
      language: 'es',
    });
    expect(await screen.findByTestId('add-client-success')).toHaveTextContent(
      'Beatriz Ruiz was added.',
    );
    await vi.waitFor(() => expect(rows()).toHaveLength(2));
    expect(rows()[1]).toMatchObject({ name: 'Beatriz Ruiz', kind: 'Household' });
    // The form is ready for the next client.
    expect(screen.getByLabelText('Name')).toHaveValue('');
    expect(screen.getByLabelText('Name')).toHaveFocus();
  });

  it("shows the core's validation message, as text, and keeps what was typed", async () => {
    const user = userEvent.setup();
    listClients.mockResolvedValueOnce([]);
    addClient.mockRejectedValueOnce(
      new ApiError('invalid_input', '"<b>x</b>" is not an e-mail address'),
    );
    render(ClientsScreen);
    await screen.findByTestId('client-list-empty');

    await user.type(screen.getByLabelText('Name'), 'Carla');
    await user.type(screen.getByLabelText(/E-mail/), '<b>x</b>');
    await user.click(screen.getByTestId('add-client-submit'));

    const alert = await screen.findByTestId('add-client-error');
    expect(alert).toHaveTextContent('The client was not added');
    expect(screen.getByTestId('add-client-error-message').textContent).toBe(
      '"<b>x</b>" is not an e-mail address',
    );
    expect(alert.querySelector('b')).toBeNull();
    expect(alert).toHaveTextContent('Correct the details and try again.');
    expect(screen.getByLabelText('Name')).toHaveValue('Carla');
    expect(listClients).toHaveBeenCalledTimes(1);
  });

  it('asks for a name before calling the core', async () => {
    const user = userEvent.setup();
    listClients.mockResolvedValueOnce([]);
    render(ClientsScreen);
    await screen.findByTestId('client-list-empty');
    await user.type(screen.getByLabelText('Name'), '   ');
    await user.click(screen.getByTestId('add-client-submit'));
    expect(screen.getByTestId('client-name-error')).toHaveTextContent("Enter the client's name.");
    expect(screen.getByLabelText('Name')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Name')).toHaveFocus();
    expect(addClient).not.toHaveBeenCalled();
  });

  it('speaks Spanish and French', async () => {
    listClients.mockResolvedValue([alvarez]);
    await setLocale('es');
    const { unmount } = render(ClientsScreen);
    await screen.findAllByTestId('client-row');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Clientes');
    expect(rows()[0]?.kind).toBe('Unidad familiar');
    expect(screen.getByTestId('add-client-submit')).toHaveTextContent('Añadir cliente');
    unmount();

    await setLocale('fr');
    render(ClientsScreen);
    await screen.findAllByTestId('client-row');
    expect(screen.getByTestId('client-count')).toHaveTextContent('1 client');
    expect(rows()[0]?.kind).toBe('Foyer');
  });

  it('"New client" moves focus to the form', async () => {
    listClients.mockResolvedValueOnce([ana]);
    render(ClientsScreen);
    await screen.findAllByTestId('client-row');
    await userEvent.click(screen.getByTestId('new-client'));
    expect(screen.getByLabelText('Name')).toHaveFocus();
  });

  it('can be filled in with the keyboard alone, in reading order', async () => {
    const user = userEvent.setup();
    listClients.mockResolvedValue([]);
    addClient.mockResolvedValueOnce(client({ id: 9, name: 'Dana' }));
    render(ClientsScreen);
    await screen.findByTestId('client-list-empty');

    await user.click(screen.getByTestId('new-client'));
    expect(screen.getByLabelText('Name')).toHaveFocus();
    await user.keyboard('Dana');
    await user.tab();
    expect(screen.getByLabelText('Person')).toHaveFocus();
    // Arrow keys move within the radio group, as in any native form.
    await user.keyboard('{ArrowRight}');
    expect(screen.getByLabelText('Household')).toBeChecked();
    await user.tab();
    expect(screen.getByLabelText(/E-mail/)).toHaveFocus();
    await user.tab();
    expect(screen.getByLabelText('Language of messages to the client')).toHaveFocus();
    await user.tab();
    expect(screen.getByLabelText(/Phone/)).toHaveFocus();
    await user.tab();
    expect(screen.getByLabelText(/Notes/)).toHaveFocus();
    await user.tab();
    expect(screen.getByTestId('add-client-submit')).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(addClient).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'Dana', kind: 'household' }),
    );
  });
});

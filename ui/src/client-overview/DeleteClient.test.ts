import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api } from '../lib/api';
import { setLocale } from '../lib/i18n/i18n.svelte';
import DeleteClient from './DeleteClient.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, { deleteClient: vi.fn() }),
);

const deleteClient = vi.mocked(api.deleteClient);

function setup(connections = 2) {
  const onDeleted = vi.fn();
  render(DeleteClient, {
    props: { clientId: 7, name: 'Ana Ruiz', connections, accounts: 3, holdings: 4, transactions: 120, onDeleted },
  });
  return onDeleted;
}

describe('Delete client', () => {
  beforeEach(() => deleteClient.mockReset());
  afterEach(() => setLocale('en'));

  it('names what goes and deletes only after the name is typed', async () => {
    const user = userEvent.setup();
    const onDeleted = setup();
    deleteClient.mockResolvedValue({ client_id: 7, connections_removed: 2, deleted_at_provider: 2, kept_at_provider: 0 });
    await user.click(screen.getByTestId('delete-client'));
    const dialog = screen.getByTestId('delete-client-dialog');
    expect(dialog).toHaveTextContent('Delete Ana Ruiz for good?');
    expect(screen.getByTestId('delete-client-connections')).toHaveTextContent(
      '2 connections are deleted at the provider, and their credentials removed from the keychain.',
    );
    expect(dialog).toHaveTextContent('accounts (3), holdings (4) and transactions (120)');
    const confirm = screen.getByTestId('delete-client-confirm');
    expect(confirm).toBeDisabled();
    await user.type(screen.getByTestId('delete-client-name'), 'Ana Rui');
    expect(confirm).toBeDisabled();
    await user.click(confirm);
    expect(deleteClient).not.toHaveBeenCalled();
    await user.type(screen.getByTestId('delete-client-name'), 'z');
    expect(confirm).toBeEnabled();
    await user.click(confirm);
    expect(deleteClient).toHaveBeenCalledWith(7, false);
    expect(onDeleted).toHaveBeenCalledWith(expect.objectContaining({ connections_removed: 2 }));
  });

  it('shows a provider stop with its sentence and offers "delete here anyway" only then', async () => {
    const user = userEvent.setup();
    const onDeleted = setup(1);
    deleteClient.mockRejectedValueOnce(
      new ApiError('deletion_stopped', 'the provider could not delete the connection to Banco Uno (connection 4)'),
    );
    deleteClient.mockResolvedValueOnce({ client_id: 7, connections_removed: 1, deleted_at_provider: 0, kept_at_provider: 1 });
    await user.click(screen.getByTestId('delete-client'));
    expect(screen.getByTestId('delete-client-connections')).toHaveTextContent('1 connection is deleted at the provider');
    expect(screen.queryByTestId('delete-client-anyway')).toBeNull();
    await user.type(screen.getByTestId('delete-client-name'), 'Ana Ruiz');
    await user.click(screen.getByTestId('delete-client-confirm'));
    const error = await screen.findByTestId('delete-client-error');
    expect(error).toHaveAttribute('data-error-code', 'deletion_stopped');
    expect(error).toHaveTextContent('Banco Uno (connection 4)');
    expect(error).toHaveTextContent('Nothing else was deleted.');
    expect(onDeleted).not.toHaveBeenCalled();
    await user.click(screen.getByTestId('delete-client-anyway'));
    expect(deleteClient).toHaveBeenLastCalledWith(7, true);
    expect(onDeleted).toHaveBeenCalledOnce();
  });

  it('any other error is shown without the anyway option, and cancel closes the dialog', async () => {
    const user = userEvent.setup();
    setup(0);
    deleteClient.mockRejectedValueOnce(new ApiError('keychain_locked', 'the system keychain is locked'));
    await user.click(screen.getByTestId('delete-client'));
    expect(screen.queryByTestId('delete-client-connections')).toBeNull();
    await user.type(screen.getByTestId('delete-client-name'), 'Ana Ruiz');
    await user.click(screen.getByTestId('delete-client-confirm'));
    expect(await screen.findByTestId('delete-client-error')).toHaveTextContent('the system keychain is locked');
    expect(screen.queryByTestId('delete-client-anyway')).toBeNull();
    await user.click(screen.getByTestId('delete-client-cancel'));
    expect(screen.queryByTestId('delete-client-dialog')).toBeNull();
    expect(screen.getByTestId('delete-client')).toBeVisible();
  });

  it('speaks Spanish', async () => {
    const user = userEvent.setup();
    await setLocale('es');
    setup(2);
    await user.click(screen.getByTestId('delete-client'));
    expect(screen.getByTestId('delete-client-dialog')).toHaveTextContent('¿Eliminar a Ana Ruiz definitivamente?');
    expect(screen.getByTestId('delete-client-connections')).toHaveTextContent('2 conexiones se eliminan en el proveedor');
  });
});

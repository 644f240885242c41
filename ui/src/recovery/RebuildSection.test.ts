import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { api } from '../lib/api';
import type { Client, ProviderCredential } from '../lib/types';
import RebuildSection from './RebuildSection.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, {
    rebuildList: vi.fn(),
    rebuildAttach: vi.fn(),
    rebuildAttachMatched: vi.fn(),
    listClients: vi.fn(),
  }),
);

const cred = (hash: string, proposal: ProviderCredential['proposal'], named: string | null): ProviderCredential => ({
  provider: 'flanks',
  token_hash: hash,
  bank: 'testbank',
  named_client_id: named ? 1 : null,
  named_client_name: named,
  proposal,
});

const luc = { id: 2, name: 'Luc Tremblay' } as Client;

const listed: ProviderCredential[] = [
  cred('aa11', { kind: 'new_client', name: 'Ana Ruiz García' }, 'Ana Ruiz García'),
  cred('bb22', { kind: 'by_name', client_id: 2, client_name: 'Luc Tremblay' }, 'Luc Tremblay'),
  cred('cc33', { kind: 'unmatched', reason: 'no_reference' }, null),
];

const reattached = (hash: string, client: number) => ({
  token_hash: hash,
  connection_id: 9,
  client_id: client,
  created_client: false,
});

describe('RebuildSection', () => {
  beforeEach(() => vi.clearAllMocks());

  it('lists each credential with the client it names, assigns an unmatched one, and says Flinks cannot be listed', async () => {
    vi.mocked(api.rebuildList).mockResolvedValueOnce(listed).mockResolvedValueOnce(listed.slice(0, 2));
    vi.mocked(api.listClients).mockResolvedValue([luc]);
    vi.mocked(api.rebuildAttach).mockResolvedValueOnce([reattached('cc33', 2)]);
    render(RebuildSection);

    expect(screen.getByTestId('rebuild-flinks-note')).toHaveTextContent('book export');
    expect(api.rebuildList).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId('rebuild-list'));
    const rows = await screen.findAllByTestId('rebuild-row');
    expect(rows).toHaveLength(3);
    expect(rows[0]!).toHaveTextContent('A new client: Ana Ruiz García');
    expect(rows[1]).toHaveTextContent('Luc Tremblay (the same name)');
    expect(rows[2]).toHaveTextContent('Names no client: assign it');

    // The unmatched one waits for a client to be picked.
    const attach = within(rows[2]!).getByTestId('rebuild-attach');
    expect(attach).toBeDisabled();
    const select = within(rows[2]!).getByTestId('rebuild-assign') as HTMLSelectElement;
    select.selectedIndex = 1;
    await fireEvent.change(select);
    expect(attach).toBeEnabled();
    await fireEvent.click(attach);
    expect(api.rebuildAttach).toHaveBeenCalledWith('cc33', { kind: 'client', client_id: 2 });
    expect(await screen.findByTestId('rebuild-attached')).toHaveTextContent('1 connections re-attached');
    expect(await screen.findAllByTestId('rebuild-row')).toHaveLength(2);
  });

  it('re-attaches all matched only after confirming the clients it would create', async () => {
    vi.mocked(api.rebuildList).mockResolvedValueOnce(listed).mockResolvedValueOnce(listed.slice(2));
    vi.mocked(api.listClients).mockResolvedValue([luc]);
    vi.mocked(api.rebuildAttachMatched).mockResolvedValueOnce([reattached('aa11', 1), reattached('bb22', 2)]);
    render(RebuildSection);
    await fireEvent.click(screen.getByTestId('rebuild-list'));
    await fireEvent.click(await screen.findByTestId('rebuild-attach-all'));
    expect(api.rebuildAttachMatched).not.toHaveBeenCalled();
    expect(screen.getByTestId('rebuild-confirm')).toHaveTextContent(
      'This creates 1 clients the book does not have: Ana Ruiz García.',
    );
    await fireEvent.click(screen.getByTestId('rebuild-confirm-create'));
    expect(api.rebuildAttachMatched).toHaveBeenCalledWith(true);
    expect(await screen.findByTestId('rebuild-attached')).toHaveTextContent('2 connections');
    expect(screen.queryByTestId('rebuild-attach-all')).not.toBeInTheDocument();
  });

  it('shows the provider refusing the keys as a clear error', async () => {
    vi.mocked(api.rebuildList).mockRejectedValueOnce({
      code: 'provider_unauthorized',
      message: 'Flanks could not list its credentials: the provider refused the API keys',
    });
    vi.mocked(api.listClients).mockResolvedValue([]);
    render(RebuildSection);
    await fireEvent.click(screen.getByTestId('rebuild-list'));
    expect(await screen.findByText(/refused the API keys/)).toBeInTheDocument();
    expect(screen.queryByTestId('rebuild-table')).not.toBeInTheDocument();
  });

  it('says when the provider holds nothing the book lacks', async () => {
    vi.mocked(api.rebuildList).mockResolvedValueOnce([]);
    vi.mocked(api.listClients).mockResolvedValue([]);
    render(RebuildSection);
    await fireEvent.click(screen.getByTestId('rebuild-list'));
    expect(await screen.findByTestId('rebuild-none')).toBeInTheDocument();
  });
});

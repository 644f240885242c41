import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api } from '../lib/api';
import { setLocale } from '../lib/i18n/i18n.svelte';
import type { Connection, ConnectionStatus, LinkEvent } from '../lib/types';
import { connection } from '../test/fixtures';
import ConnectionsPanel from './ConnectionsPanel.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).mockCommands(original, [
    'listConnections', 'startConnect', 'startReauthorize', 'sendLink', 'mapExistingCredential',
    'removeConnection', 'syncNow', 'onLinkEvent', 'onSyncFinished', 'onFirmChanged', 'linkInboxReady', 'onLinkWindowNotice',
    'pendingLinks', 'sendReauthorizationLinks', 'providerSettings', 'confirmHolder', 'rejectHolder',
  ]),
);

const list = vi.mocked(api.listConnections);
let linkListener: (e: LinkEvent) => void = () => {};

function conn(id: number, status: ConnectionStatus, extra: Partial<Connection> = {}): Connection {
  return connection({
    id,
    client_id: 7,
    institution_id: 'testbank',
    institution_name: 'TestBank',
    status,
    last_attempt_at: '2026-11-20T09:30:00Z',
    last_success_at: '2026-11-20T09:30:00Z',
    data_as_of: null,
    created_at: '2026-11-01T09:00:00Z',
    ...extra,
  });
}

function cards() {
  return screen.queryAllByTestId('connection-card');
}

describe('ConnectionsPanel', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    list.mockReset();
    vi.mocked(api.onLinkEvent).mockImplementation(async (f) => {
      linkListener = f;
      return () => {};
    });
    vi.mocked(api.onSyncFinished).mockResolvedValue(() => {});
    vi.mocked(api.onFirmChanged).mockResolvedValue(() => {});
    vi.mocked(api.onLinkWindowNotice).mockResolvedValue(() => {});
    vi.mocked(api.linkInboxReady).mockResolvedValue([]);
    vi.mocked(api.pendingLinks).mockResolvedValue([]);
  });

  it('lists open links: waiting for the client, and a delayed code waiting for provider checks', async () => {
    list.mockResolvedValue([]);
    vi.mocked(api.pendingLinks).mockResolvedValueOnce([
      {
        session_id: 1,
        client_id: 7,
        connection_id: null,
        flow: 'flinks_connect',
        purpose: 'new',
        state: 'waiting_for_client',
        expires_at: '2026-11-22T10:00:00Z',
        next_check_at: null,
      },
      {
        session_id: 2,
        client_id: 7,
        connection_id: null,
        flow: 'flanks_link',
        purpose: 'new',
        state: 'waiting_for_provider_checks',
        expires_at: '2026-11-21T10:00:00Z',
        next_check_at: '2026-11-21T11:00:00Z',
      },
    ]);
    render(ConnectionsPanel, { clientId: 7 });
    const items = await screen.findAllByTestId('pending-link');
    expect(items[0]).toHaveTextContent('Flinks (Canada) – Connect: waiting for the client to finish');
    expect(items[1]).toHaveTextContent('waiting for provider checks (next check');
  });

  it('shows a result that arrived before it listened (a deep link at start-up)', async () => {
    list.mockResolvedValue([]);
    vi.mocked(api.linkInboxReady).mockResolvedValueOnce([
      {
        source: 'deep_link',
        error: null,
        outcome: {
          outcome: 'connected',
          session_id: 2,
          client_id: 7,
          connection_id: 4,
          status: 'pending',
        },
      },
    ]);
    render(ConnectionsPanel, { clientId: 7 });
    expect(await screen.findByTestId('connection-notice')).toHaveTextContent(
      'Connected. Collecting the first data',
    );
  });
  afterEach(() => setLocale('en'));

  it('shows a skeleton while loading, then the empty state and the connect form', async () => {
    let resolve: (v: Connection[]) => void = () => {};
    list.mockReturnValueOnce(new Promise((r) => (resolve = r)));
    render(ConnectionsPanel, { clientId: 7 });
    expect(screen.getByTestId('connections-loading')).toHaveTextContent('Loading connections…');
    resolve([]);
    expect(await screen.findByTestId('connections-empty')).toHaveTextContent(
      'No bank connected yet',
    );
    expect(list).toHaveBeenCalledWith(7);
    expect(screen.getByTestId('connect-form')).toBeInTheDocument();
  });

  it('shows a load error with the next step and retries', async () => {
    list.mockRejectedValueOnce(new ApiError('keychain_locked', 'the system keychain is locked'));
    list.mockResolvedValueOnce([conn(1, 'ready')]);
    render(ConnectionsPanel, { clientId: 7 });
    const alert = await screen.findByTestId('connections-error');
    expect(alert).toHaveTextContent('the system keychain is locked');
    expect(alert).toHaveTextContent('Unlock it');
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('connection-card')).toHaveLength(1);
  });

  const cases: [ConnectionStatus, string, string | null][] = [
    ['ready', 'Working', 'sync-connection'],
    ['pending', 'Collecting the first data', 'retry'],
    ['pending_sca', 'confirm their identity (SCA)', 'reauthorize'],
    ['blocked', 'enter their login again', 'reauthorize'],
    ['mfa_required', 'security questions', 'reauthorize'],
    ['delayed', 'Waiting for provider checks', null],
    ['retry_later', 'Temporary problem', 'retry'],
    ['needs_advisor', 'Needs your attention', 'retry'],
    ['removed', 'Removed at the provider', null],
  ];
  for (const [status, words, action] of cases) {
    it(`a ${status} connection says so in plain words and offers ${action ?? 'no fix'}`, async () => {
      list.mockResolvedValueOnce([conn(1, status)]);
      render(ConnectionsPanel, { clientId: 7 });
      const [card] = await screen.findAllByTestId('connection-card');
      expect(within(card!).getByTestId('connection-status')).toHaveTextContent(words);
      for (const id of ['reauthorize', 'retry', 'sync-connection']) {
        const found = within(card!).queryByTestId(id);
        if (id === action) expect(found).not.toBeNull();
        else expect(found).toBeNull();
      }
      expect(within(card!).queryByTestId('remove') === null).toBe(status === 'removed');
    });
  }

  it("renders the provider's message as text, never as HTML, with both timestamps", async () => {
    list.mockResolvedValueOnce([
      conn(1, 'pending_sca', {
        provider_code: 'SCA_REQUIRED',
        provider_message: '<img src=x onerror=alert(1)> confirm in your app',
        last_success_at: null,
        stale: true,
      }),
    ]);
    render(ConnectionsPanel, { clientId: 7 });
    const msg = await screen.findByTestId('connection-provider-message');
    expect(msg).toHaveTextContent('SCA_REQUIRED: <img src=x onerror=alert(1)> confirm in your app');
    expect(msg.querySelector('img')).toBeNull();
    expect(screen.getByTestId('connection-last-success')).toHaveTextContent('never');
    expect(screen.getByTestId('connection-last-attempt')).toHaveTextContent('2026');
    expect(screen.getByTestId('connection-stale')).toBeInTheDocument();
  });

  it('sends a reauthorization link beside Reauthorize, with the message in the client’s language', async () => {
    list.mockResolvedValueOnce([conn(1, 'blocked')]);
    // After sending, the list is read again: the card now shows the link as sent.
    list.mockResolvedValueOnce([
      conn(1, 'blocked', {
        sent_link: { session_id: 4, sent_at: '2026-11-20T09:30:00Z', expires_at: '2026-11-21T09:30:00Z', expired: false },
      }),
    ]);
    vi.mocked(api.sendReauthorizationLinks).mockResolvedValueOnce({
      messages: [
        {
          client_id: 7,
          client_name: 'Luc Tremblay',
          email: 'luc@example.ca',
          language: 'fr',
          links: [{ connection_id: 1, institution: 'TestBank', purpose: 'reset', url: 'https://x/link?token=r', expires_at: '2026-11-21T09:30:00Z' }],
          subject: 'Veuillez reconnecter votre banque: TestBank',
          body: 'Bonjour Luc Tremblay,\n',
          mailto: 'mailto:luc@example.ca?subject=Veuillez&body=Bonjour',
        },
      ],
      not_sent: [],
    });
    render(ConnectionsPanel, { clientId: 7 });
    const [card] = await screen.findAllByTestId('connection-card');
    expect(within(card!).getByTestId('reauthorize')).toBeInTheDocument();
    await userEvent.click(within(card!).getByTestId('send-reauthorization-link'));
    expect(api.sendReauthorizationLinks).toHaveBeenCalledWith([1]);
    const message = await screen.findByTestId('sent-message');
    expect(within(message).getByTestId('sent-subject')).toHaveValue('Veuillez reconnecter votre banque: TestBank');
    expect(within(message).getByTestId('sent-expiry')).toHaveTextContent('TestBank: the link works once, until Nov 21, 2026');
    expect(await screen.findByTestId('connection-sent-link')).toHaveTextContent('Link sent · works once, until Nov 21, 2026');
    expect(list).toHaveBeenCalledTimes(2);
    await userEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByTestId('sent-message')).toBeNull();
  });

  it('offers an expired sent link again: "Send again" makes a new link', async () => {
    const expired = { session_id: 4, sent_at: '2026-11-19T09:30:00Z', expires_at: '2026-11-20T09:30:00Z', expired: true };
    const resent = { session_id: 5, sent_at: '2026-11-21T09:30:00Z', expires_at: '2026-11-22T09:30:00Z', expired: false };
    list.mockResolvedValueOnce([conn(1, 'pending_sca', { sent_link: expired })]);
    list.mockResolvedValueOnce([conn(1, 'pending_sca', { sent_link: resent })]);
    vi.mocked(api.sendReauthorizationLinks).mockResolvedValueOnce({
      messages: [
        {
          client_id: 7,
          client_name: 'Ana Ruiz',
          email: null,
          language: 'en',
          links: [{ connection_id: 1, institution: 'TestBank', purpose: 'sca', url: 'https://x/link?state=new', expires_at: resent.expires_at }],
          subject: 'Please reconnect your bank: TestBank',
          body: 'Hello Ana Ruiz,\n',
          mailto: null,
        },
      ],
      not_sent: [],
    });
    render(ConnectionsPanel, { clientId: 7 });
    const line = await screen.findByTestId('connection-sent-link');
    expect(line).toHaveTextContent('Link expired');
    expect(line).toHaveClass('overdue');
    const again = screen.getByTestId('send-reauthorization-link');
    expect(again).toHaveTextContent('Send again');
    await userEvent.click(again);
    expect(api.sendReauthorizationLinks).toHaveBeenCalledWith([1]);
    const message = await screen.findByTestId('sent-message');
    expect(within(message).getByTestId('sent-expiry')).toHaveTextContent('TestBank: the link works once, until Nov 22, 2026');
    await vi.waitFor(() =>
      expect(screen.getByTestId('connection-sent-link')).toHaveTextContent('Link sent · works once, until Nov 22, 2026'),
    );
    expect(screen.getByTestId('send-reauthorization-link')).toHaveTextContent('Send link');
  });

  it('shows the core’s consent forecast on each card: SCA due, overdue in the warning colour, Flinks’ last live connection', async () => {
    list.mockResolvedValueOnce([
      conn(1, 'ready', {
        consent: { kind: 'sca', last_renewed_at: '2026-09-01T09:00:00Z', days_since: 80, next_sca_at: '2026-11-30T09:00:00Z', days_left: 23, due_soon: false },
      }),
      conn(2, 'ready', {
        consent: { kind: 'sca', last_renewed_at: '2026-08-01T09:00:00Z', days_since: 111, next_sca_at: '2026-10-30T09:00:00Z', days_left: -21, due_soon: true },
      }),
      conn(3, 'ready', {
        provider: 'flinks',
        flow: 'flinks_connect',
        consent: { kind: 'live_connection', last_renewed_at: '2026-11-16T09:00:00Z', days_since: 4, next_sca_at: null, days_left: null, due_soon: false },
      }),
      // The bank is asking now: the core sends no forecast, and the card shows none.
      conn(4, 'pending_sca', { consent: null }),
    ]);
    render(ConnectionsPanel, { clientId: 7 });
    await screen.findAllByTestId('connection-card');
    expect(cards()).toHaveLength(4);
    const [due, overdue, live, ...more] = screen.getAllByTestId('connection-consent');
    expect(more).toHaveLength(0);
    expect(due).toHaveTextContent('Next SCA in 23 days (Nov 30, 2026)');
    expect(due).not.toHaveClass('overdue');
    expect(overdue).toHaveTextContent('SCA probably overdue since Oct 30, 2026');
    expect(overdue).toHaveClass('overdue');
    expect(live).toHaveTextContent('Last live connection 4 days ago');
    // No link was sent for any of them.
    expect(screen.queryByTestId('connection-sent-link')).toBeNull();
  });

  it('reauthorizes: opens the link window, then shows the result that arrives as an event', async () => {
    list.mockResolvedValueOnce([conn(1, 'pending_sca')]);
    list.mockResolvedValueOnce([conn(1, 'ready')]);
    vi.mocked(api.startReauthorize).mockResolvedValueOnce({
      kind: 'opened',
      session_id: 40,
      window: 'link-40',
    });
    render(ConnectionsPanel, { clientId: 7 });
    await userEvent.click(await screen.findByTestId('reauthorize'));
    expect(api.startReauthorize).toHaveBeenCalledWith(1);
    expect(screen.getByTestId('connection-notice')).toHaveTextContent('own window');
    linkListener({
      source: 'embedded_window',
      error: null,
      outcome: {
        outcome: 'reauthorized',
        session_id: 40,
        client_id: 7,
        connection_id: 1,
        status: 'ready',
      },
    });
    expect(await screen.findByText('Reauthorized and updated. Working')).toBeInTheDocument();
    expect(await screen.findByText('Working')).toBeInTheDocument();
  });

  it('updates a Flinks connection live with the client present, and says when its data is frozen', async () => {
    const flinks = {
      provider: 'flinks' as const,
      flow: 'flinks_connect',
      stale: true,
      frozen: true,
      data_as_of: '2026-11-20T10:00:00Z',
    };
    list.mockResolvedValueOnce([conn(1, 'ready', flinks)]);
    list.mockResolvedValueOnce([conn(1, 'ready', { provider: 'flinks', flow: 'flinks_connect' })]);
    vi.mocked(api.startReauthorize).mockResolvedValueOnce({ kind: 'already_healthy', connection_id: 1, status: 'ready' });
    render(ConnectionsPanel, { clientId: 7 });
    expect(await screen.findByTestId('connection-frozen')).toHaveTextContent('Needs the client present to refresh');
    expect(screen.getByTestId('connection-status')).toHaveTextContent('Working, but the data is not moving');
    // Its age is the client's last live connection, shown beside the (recent) last update.
    expect(screen.getByText("Data as of (client's last live connection)")).toBeInTheDocument();
    expect(screen.getByTestId('connection-data-as-of')).toHaveTextContent('Nov 20, 2026');
    expect(screen.queryByTestId('sync-connection')).toBeNull();
    await userEvent.click(screen.getByTestId('refresh-live'));
    expect(api.startReauthorize).toHaveBeenCalledWith(1);
    expect(await screen.findByText('Updated live at the bank: the data is current.')).toBeInTheDocument();
    expect(screen.queryByTestId('connection-frozen')).toBeNull();
  });

  it('ignores results for other clients', async () => {
    list.mockResolvedValue([]);
    render(ConnectionsPanel, { clientId: 7 });
    await screen.findByTestId('connections-empty');
    linkListener({
      source: 'deep_link',
      error: null,
      outcome: { outcome: 'connected', session_id: 3, client_id: 8, connection_id: 9, status: 'ready' },
    });
    await Promise.resolve();
    expect(screen.queryByTestId('connection-notice')).toBeNull();
  });

  it('connects with the chosen provider and offers to map a duplicate credential', async () => {
    const user = userEvent.setup();
    list.mockResolvedValue([]);
    vi.mocked(api.startConnect).mockResolvedValueOnce({ session_id: 5, window: 'link-5' });
    vi.mocked(api.mapExistingCredential).mockResolvedValueOnce({
      outcome: 'connected',
      session_id: 5,
      client_id: 7,
      connection_id: 12,
      status: 'ready',
    });
    render(ConnectionsPanel, { clientId: 7 });
    await screen.findByTestId('connections-empty');
    await user.selectOptions(screen.getByTestId('connect-region'), 'canada');
    await user.click(screen.getByTestId('connect-here'));
    expect(api.startConnect).toHaveBeenCalledWith(7, 'flinks_connect');
    linkListener({
      source: 'embedded_window',
      error: null,
      outcome: {
        outcome: 'duplicate',
        session_id: 5,
        message: 'This bank login is already connected to Advisor Desk.',
        next_step: 'Map the existing connection to this client instead.',
        candidates: [
          { credential_ref: 'abc', bank: 'testbank', mapped_to_client_id: null, mapped_to_client_name: null },
          { credential_ref: 'def', bank: 'bbva', mapped_to_client_id: 2, mapped_to_client_name: 'Luis' },
        ],
      },
    });
    const notice = await screen.findByTestId('connection-notice');
    expect(notice).toHaveTextContent('already connected');
    expect(notice).toHaveTextContent('Already belongs to Luis');
    await user.click(within(notice).getByTestId('map-duplicate'));
    expect(api.mapExistingCredential).toHaveBeenCalledWith(5, 'abc');
    expect(await screen.findByText('Connected. Working')).toBeInTheDocument();
  });

  it("shows the provider's wording and next step when the flow ends with an error", async () => {
    list.mockResolvedValue([]);
    vi.mocked(api.startConnect).mockResolvedValueOnce({ session_id: 6, window: 'link-6' });
    render(ConnectionsPanel, { clientId: 7 });
    await screen.findByTestId('connections-empty');
    await userEvent.click(screen.getByTestId('connect-here'));
    linkListener({
      source: 'embedded_window',
      error: null,
      outcome: {
        outcome: 'provider_error',
        session_id: 6,
        code: 'INVALID_CREDENTIALS',
        message: 'The bank rejected the user or password.',
        next_step: 'Ask the client to check their login and try again.',
      },
    });
    const notice = await screen.findByTestId('connection-notice');
    expect(notice).toHaveTextContent('The bank rejected the user or password.');
    expect(notice).toHaveTextContent('Ask the client to check');
  });

  it('sends a link the advisor can copy or e-mail', async () => {
    list.mockResolvedValue([]);
    vi.mocked(api.sendLink).mockResolvedValueOnce({
      session_id: 9,
      url: 'https://platform.flanks.io/link?token=t&state=s',
      expires_at: '2026-11-22T10:00:00Z',
      flow: 'flanks_link',
      purpose: 'new',
    });
    render(ConnectionsPanel, { clientId: 7 });
    await screen.findByTestId('connections-empty');
    await userEvent.click(screen.getByTestId('send-link'));
    const box = await screen.findByTestId('sent-link');
    expect(screen.getByTestId('sent-link-url')).toHaveValue(
      'https://platform.flanks.io/link?token=t&state=s',
    );
    expect(within(box).getByRole('link', { name: 'E-mail it' }).getAttribute('href')).toContain(
      encodeURIComponent('https://platform.flanks.io/link?token=t&state=s'),
    );
  });

  it('asks before removing, then removes', async () => {
    const user = userEvent.setup();
    list.mockResolvedValueOnce([conn(1, 'ready')]);
    list.mockResolvedValueOnce([]);
    vi.mocked(api.removeConnection).mockResolvedValueOnce({
      connection_id: 1,
      deleted_at_provider: true,
    });
    render(ConnectionsPanel, { clientId: 7 });
    await user.click(await screen.findByTestId('remove'));
    expect(api.removeConnection).not.toHaveBeenCalled();
    expect(screen.getByRole('alertdialog')).toHaveTextContent('Remove the connection to TestBank?');
    await user.click(screen.getByTestId('confirm-remove'));
    expect(api.removeConnection).toHaveBeenCalledWith(1);
    expect(await screen.findByTestId('connections-empty')).toBeInTheDocument();
    expect(screen.getByTestId('connection-notice')).toHaveTextContent('The connection was removed.');
  });

  it('shows an action error with its explanation', async () => {
    list.mockResolvedValueOnce([conn(1, 'blocked')]);
    vi.mocked(api.startReauthorize).mockRejectedValueOnce(
      new ApiError('keychain_locked', 'the system keychain is locked; unlock your keychain'),
    );
    render(ConnectionsPanel, { clientId: 7 });
    await userEvent.click(await screen.findByTestId('reauthorize'));
    const err = await screen.findByTestId('connection-action-error');
    expect(err).toHaveTextContent('unlock your keychain');
  });

  it('speaks Spanish', async () => {
    await setLocale('es');
    list.mockResolvedValueOnce([conn(1, 'pending_sca')]);
    render(ConnectionsPanel, { clientId: 7 });
    expect(await screen.findByTestId('reauthorize')).toHaveTextContent('Reautorizar');
    expect(cards()).toHaveLength(1);
    expect(screen.getByTestId('connection-consent')).toHaveTextContent('Próxima SCA en 12 días');
  });
});

describe('ConnectionsPanel: confirm the account holder', () => {
  const held = () =>
    conn(4, 'ready', { holder_check: 'pending', holder_names: ['MARTA GIL NAVARRO', '<b>Jordi</b>'] });

  beforeEach(() => {
    vi.clearAllMocks();
    list.mockReset();
    vi.mocked(api.onLinkEvent).mockResolvedValue(() => {});
    vi.mocked(api.onSyncFinished).mockResolvedValue(() => {});
    vi.mocked(api.onFirmChanged).mockResolvedValue(() => {});
    vi.mocked(api.onLinkWindowNotice).mockResolvedValue(() => {});
    vi.mocked(api.linkInboxReady).mockResolvedValue([]);
    vi.mocked(api.pendingLinks).mockResolvedValue([]);
  });

  it('asks instead of offering the usual actions, holder names beside the client name, as text', async () => {
    list.mockResolvedValue([held(), conn(5, 'ready')]);
    render(ConnectionsPanel, { clientId: 7, clientName: 'Ana Ruiz García' });
    const prompt = await screen.findByTestId('holder-prompt');
    const card = cards().find((c) => c.dataset.connectionId === '4')!;
    expect(within(card).getByTestId('connection-status')).toHaveTextContent('Waiting for you to confirm the account holder');
    expect(within(prompt).getByText('Confirm the account holder')).toBeInTheDocument();
    expect(within(prompt).getByTestId('holder-names')).toHaveTextContent('MARTA GIL NAVARRO, <b>Jordi</b>');
    expect(prompt.querySelector('b')).toBeNull();
    expect(within(prompt).getByTestId('holder-client')).toHaveTextContent('Ana Ruiz García');
    expect(within(card).queryByTestId('remove')).toBeNull();
    expect(within(card).queryByTestId('sync-connection')).toBeNull();
    // The other card is as it always was.
    const other = cards().find((c) => c.dataset.connectionId === '5')!;
    expect(within(other).queryByTestId('holder-prompt')).toBeNull();
    expect(within(other).getByTestId('remove')).toBeInTheDocument();
  });

  it('Confirm joins the data: the list and the page read again', async () => {
    list.mockResolvedValueOnce([held()]).mockResolvedValueOnce([conn(4, 'ready', { holder_check: 'confirmed' })]);
    vi.mocked(api.confirmHolder).mockResolvedValueOnce(conn(4, 'ready', { holder_check: 'confirmed' }));
    const onDataChanged = vi.fn();
    render(ConnectionsPanel, { clientId: 7, clientName: 'Ana Ruiz', onDataChanged });
    await userEvent.click(await screen.findByTestId('holder-confirm'));
    expect(api.confirmHolder).toHaveBeenCalledWith(4);
    expect(api.rejectHolder).not.toHaveBeenCalled();
    expect(await screen.findByText("Confirmed: the connection's data is now in the client's book.")).toBeInTheDocument();
    expect(screen.queryByTestId('holder-prompt')).toBeNull();
    expect(onDataChanged).toHaveBeenCalledTimes(1);
  });

  it('Not this client removes it; a refusal is shown and nothing is lost', async () => {
    list.mockResolvedValue([held()]);
    vi.mocked(api.rejectHolder).mockRejectedValueOnce(new ApiError('invalid_input', 'the provider is down'));
    const onDataChanged = vi.fn();
    render(ConnectionsPanel, { clientId: 7, clientName: 'Ana Ruiz', onDataChanged });
    await userEvent.click(await screen.findByTestId('holder-reject'));
    expect(api.rejectHolder).toHaveBeenCalledWith(4);
    expect(await screen.findByTestId('connection-action-error')).toHaveTextContent('the provider is down');
    expect(screen.getByTestId('holder-prompt')).toBeInTheDocument();

    list.mockResolvedValue([]);
    vi.mocked(api.rejectHolder).mockResolvedValueOnce({ connection_id: 4, deleted_at_provider: true });
    await userEvent.click(screen.getByTestId('holder-reject'));
    expect(await screen.findByText("The connection was removed: it was not this client's.")).toBeInTheDocument();
    expect(cards()).toHaveLength(0);
    expect(onDataChanged).not.toHaveBeenCalled();
  });

  it('asks in Spanish', async () => {
    await setLocale('es');
    list.mockResolvedValue([held()]);
    render(ConnectionsPanel, { clientId: 7, clientName: 'Ana Ruiz' });
    const prompt = await screen.findByTestId('holder-prompt');
    expect(within(prompt).getByText('Confirma el titular de la cuenta')).toBeInTheDocument();
    expect(within(prompt).getByTestId('holder-reject')).toHaveTextContent('No es este cliente');
    await setLocale('en');
  });
});

import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api } from '../lib/api';
import { setLocale } from '../lib/i18n/i18n.svelte';
import type { HealthQueue } from '../lib/types';
import { NOW, connection, eur, queueItem } from '../test/fixtures';
import HealthScreen from './HealthScreen.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, {
    healthQueue: vi.fn(),
    sendReauthorizationLinks: vi.fn(),
    renewConsent: vi.fn(),
    openMail: vi.fn(),
    setConsentPeriod: vi.fn(),
    confirmHolder: vi.fn(),
    rejectHolder: vi.fn(),
    onSyncFinished: vi.fn(async () => () => {}),
  }),
);

const healthQueue = vi.mocked(api.healthQueue);
const sendLinks = vi.mocked(api.sendReauthorizationLinks);
const renewConsent = vi.mocked(api.renewConsent);
const openMail = vi.mocked(api.openMail);
const setConsentPeriod = vi.mocked(api.setConsentPeriod);

const outageItems = [1, 2, 3].map((i) =>
  queueItem({ id: 10 + i, client: `Outage client ${i}`, institution: 'Banco Caído' }),
);

const queue: HealthQueue = {
  generated_at: NOW,
  outages: [
    {
      institution: 'Banco Caído',
      institution_id: 'banco_caido',
      client_count: 3,
      connection_count: 3,
      since: '2026-03-20T09:00:00.000Z',
      value_at_risk: [eur(300_000)],
      items: outageItems,
    },
  ],
  client: [
    queueItem({
      id: 1,
      client: 'Ana Ruiz',
      group: 'client',
      health: 'needs_client',
      connection: connection({ id: 1, client_id: 1, status: 'pending_sca', action_by: 'client', stale: true, provider_message: '<script>alert(1)</script>SCA needed' }),
    }),
  ],
  advisor: [
    queueItem({ id: 2, client: 'Dora', group: 'advisor', health: 'failing', connection: connection({ id: 2, client_id: 2, status: 'needs_advisor', action_by: 'advisor' }) }),
  ],
  wait: [
    queueItem({ id: 3, client: 'Eva', value_at_risk: [eur(9_000_000)], days_stale: 2 }),
    queueItem({ id: 4, client: 'Fede', value_at_risk: [eur(100), eur(500, 'CAD')], days_stale: 10 }),
    queueItem({ id: 5, client: 'Gil', days_stale: null, connection: connection({ id: 5, client_id: 5, status: 'pending', last_success_at: null }) }),
  ],
  due_soon: [],
  consent_period: 'days90',
};

describe('Health queue', () => {
  beforeEach(() => {
    healthQueue.mockReset();
  });
  afterEach(() => setLocale('en'));

  it('shows an outage once, then the groups by who must act, in the core’s ranking', async () => {
    let resolve: (q: HealthQueue) => void = () => {};
    healthQueue.mockReturnValueOnce(new Promise((r) => (resolve = r)));
    render(HealthScreen);
    expect(screen.getByTestId('loading')).toHaveTextContent('Loading the queue…');
    resolve(queue);
    const outage = await screen.findByTestId('outage');
    expect(outage).toHaveTextContent('Probable outage at Banco Caído');
    expect(outage).toHaveTextContent('3 clients (3 connections) started failing at the same time, since Mar 20, 2026');
    expect(outage).toHaveTextContent('€3,000.00');
    expect(within(outage).getAllByTestId('queue-item')).toHaveLength(3);
    expect(screen.getByTestId('queue-count')).toHaveTextContent('8 connections need attention');

    const sections = ['client', 'advisor', 'wait'].map((g) => screen.getByTestId(`queue-group-${g}`));
    expect(sections[0]).toHaveTextContent('Client must act');
    expect(sections[0]).toHaveTextContent('Client must confirm identity (SCA)');
    expect(sections[1]).toHaveTextContent('You must act');
    expect(sections[1]).toHaveTextContent('Needs your attention');
    const wait = within(sections[2]!).getAllByTestId('queue-item');
    expect(wait.map((w) => within(w).getByTestId('queue-client').textContent)).toEqual(['Eva', 'Fede', 'Gil']);
    expect(within(wait[1]!).getByTestId('queue-age')).toHaveTextContent('10 days ago');
    expect(wait[1]).toHaveTextContent('€1.00');
    expect(wait[1]).toHaveTextContent('CA$5.00');
    expect(within(wait[2]!).getByTestId('queue-age')).toHaveTextContent('Never updated');
    expect(within(wait[0]!).getByTestId('queue-client')).toHaveAttribute('href', '#/client/3');
  });

  it('renders the provider’s message as text', async () => {
    healthQueue.mockResolvedValueOnce(queue);
    const { container } = render(HealthScreen);
    const msg = await screen.findByTestId('provider-message');
    expect(msg).toHaveTextContent('<script>alert(1)</script>SCA needed');
    expect(container.querySelector('script')).toBeNull();
  });

  it('says a frozen Flinks connection needs the client present, never that it works', async () => {
    const frozen = queueItem({
      id: 7,
      client: 'Hugo',
      group: 'client',
      health: 'needs_client',
      days_stale: 9,
      connection: connection({ id: 7, client_id: 7, provider: 'flinks', status: 'ready', stale: true, frozen: true }),
    });
    healthQueue.mockResolvedValueOnce({ generated_at: NOW, outages: [], client: [frozen], wait: [], advisor: [], due_soon: [], consent_period: 'days90' });
    render(HealthScreen);
    const item = await screen.findByTestId('queue-item');
    expect(within(item).getByTestId('queue-frozen')).toHaveTextContent('Needs the client present to refresh');
    expect(item).not.toHaveTextContent('Working');
  });

  it('asks the advisor to confirm a login whose holder is someone else, and answers from the row', async () => {
    const held = queueItem({
      id: 9,
      client: 'Ana Ruiz',
      group: 'advisor',
      health: 'failing',
      value_at_risk: [],
      connection: connection({ id: 9, client_id: 4, holder_check: 'pending', holder_names: ['MARTA GIL NAVARRO'] }),
    });
    const only = (advisor: typeof held[]): HealthQueue => ({
      generated_at: NOW, outages: [], client: [], wait: [], advisor, due_soon: [], consent_period: 'days90',
    });
    healthQueue.mockResolvedValueOnce(only([held])).mockResolvedValueOnce(only([]));
    vi.mocked(api.confirmHolder).mockResolvedValueOnce(held.connection);
    render(HealthScreen);
    const item = await screen.findByTestId('queue-item');
    expect(item).toHaveTextContent('Waiting for you to confirm the account holder');
    const prompt = within(item).getByTestId('holder-prompt');
    expect(within(prompt).getByTestId('holder-names')).toHaveTextContent('MARTA GIL NAVARRO');
    expect(within(prompt).getByTestId('holder-client')).toHaveTextContent('Ana Ruiz');
    await userEvent.click(within(prompt).getByTestId('holder-confirm'));
    expect(api.confirmHolder).toHaveBeenCalledWith(9);
    expect(await screen.findByTestId('queue-notice')).toHaveTextContent("Confirmed: the connection's data is now in the client's book.");
    expect(screen.queryByTestId('holder-prompt')).toBeNull();

    healthQueue.mockResolvedValueOnce(only([held])).mockResolvedValueOnce(only([]));
    vi.mocked(api.rejectHolder).mockResolvedValueOnce({ connection_id: 9, deleted_at_provider: true });
    await userEvent.click(screen.getByTestId('queue-refresh'));
    await userEvent.click(await screen.findByTestId('holder-reject'));
    expect(api.rejectHolder).toHaveBeenCalledWith(9);
    expect(await screen.findByTestId('queue-notice')).toHaveTextContent("The connection was removed: it was not this client's.");
  });

  it('has an empty state when everything is healthy', async () => {
    healthQueue.mockResolvedValueOnce({ generated_at: NOW, outages: [], client: [], wait: [], advisor: [], due_soon: [], consent_period: 'days90' });
    render(HealthScreen);
    expect(await screen.findByTestId('queue-empty')).toHaveTextContent('Every connection is healthy');
  });

  it('shows an error with the next step and retries', async () => {
    healthQueue.mockRejectedValueOnce(new ApiError('database', 'database is locked'));
    healthQueue.mockResolvedValueOnce(queue);
    render(HealthScreen);
    const error = await screen.findByTestId('queue-error');
    expect(error).toHaveTextContent('database is locked');
    await userEvent.click(within(error).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('outage')).toBeInTheDocument();
  });

  it('speaks Spanish and French', async () => {
    healthQueue.mockResolvedValue(queue);
    await setLocale('es');
    const { unmount } = render(HealthScreen);
    expect(await screen.findByTestId('outage')).toHaveTextContent('Probable caída de Banco Caído');
    expect(screen.getByTestId('queue-group-client')).toHaveTextContent('Debe actuar el cliente');
    unmount();
    await setLocale('fr');
    render(HealthScreen);
    expect(await screen.findByTestId('outage')).toHaveTextContent('Panne probable chez Banco Caído');
  });

  describe('links sent to clients and consent', () => {
    const blocked = queueItem({
      id: 6,
      client: 'Luc Tremblay',
      group: 'client',
      health: 'needs_client',
      connection: connection({ id: 6, client_id: 6, status: 'blocked', action_by: 'client', stale: true }),
    });
    const dueSoon = queueItem({
      id: 7,
      client: 'Eva Mar',
      group: 'wait',
      health: 'good',
      connection: connection({ id: 7, client_id: 7 }),
    });
    const bookQueue: HealthQueue = { ...queue, client: [...queue.client, blocked], due_soon: [dueSoon] };
    const expires = '2026-03-21T12:00:00.000Z';
    const sent = {
      messages: [
        {
          client_id: 1,
          client_name: 'Ana Ruiz',
          email: 'ana@example.com',
          language: 'es' as const,
          links: [{ connection_id: 1, institution: 'Banco Uno', purpose: 'sca' as const, url: 'https://x/link?token=a', expires_at: expires }],
          subject: 'Vuelva a conectar su banco: Banco Uno',
          body: 'Hola Ana Ruiz,\n\nhttps://x/link?token=a\n',
          mailto: 'mailto:ana@example.com?subject=Vuelva&body=Hola',
        },
        {
          client_id: 6,
          client_name: 'Luc Tremblay',
          email: null,
          language: 'fr' as const,
          links: [{ connection_id: 6, institution: 'Banco Uno', purpose: 'reset' as const, url: 'https://x/link?token=b', expires_at: expires }],
          subject: 'Veuillez reconnecter votre banque: Banco Uno',
          body: 'Bonjour Luc Tremblay,\n',
          mailto: null,
        },
      ],
      not_sent: [],
    };

    beforeEach(() => {
      sendLinks.mockReset();
      renewConsent.mockReset();
      openMail.mockReset();
    });

    it('sends one batch for the selected connections and shows one message per client', async () => {
      healthQueue.mockResolvedValue(bookQueue);
      sendLinks.mockResolvedValueOnce(sent);
      openMail.mockResolvedValueOnce(undefined);
      render(HealthScreen);
      const group = await screen.findByTestId('queue-group-client');
      const sendSelected = within(group).getByTestId('queue-send-selected');
      expect(sendSelected).toBeDisabled();
      await userEvent.click(within(group).getByRole('checkbox', { name: 'Select Ana Ruiz at Banco Uno' }));
      await userEvent.click(within(group).getByRole('checkbox', { name: 'Select Luc Tremblay at Banco Uno' }));
      expect(sendSelected).toHaveTextContent('Send links to the selected (2)');
      await userEvent.click(sendSelected);
      expect(sendLinks).toHaveBeenCalledWith([1, 6]);
      const messages = await screen.findAllByTestId('sent-message');
      expect(messages).toHaveLength(2);
      expect(within(messages[0]!).getByTestId('sent-subject')).toHaveValue('Vuelva a conectar su banco: Banco Uno');
      expect(within(messages[0]!).getByTestId('sent-body')).toHaveValue('Hola Ana Ruiz,\n\nhttps://x/link?token=a\n');
      expect(within(messages[0]!).getByTestId('sent-expiry')).toHaveTextContent('Banco Uno: the link works once, until Mar 21, 2026');
      expect(within(messages[1]!).getByTestId('sent-no-email')).toHaveTextContent('no e-mail address');
      await userEvent.click(within(messages[0]!).getByTestId('sent-open-mail'));
      expect(openMail).toHaveBeenCalledWith('mailto:ana@example.com?subject=Vuelva&body=Hola');
      // The selection was sent: nothing stays selected.
      expect(sendSelected).toBeDisabled();
    });

    it('shows a sent link on its row and offers an expired one again', async () => {
      const expired = { session_id: 3, sent_at: '2026-03-18T12:00:00.000Z', expires_at: '2026-03-19T12:00:00.000Z', expired: true };
      const waiting = { session_id: 4, sent_at: '2026-03-20T12:00:00.000Z', expires_at: expires, expired: false };
      const withLink = (sent_link: typeof expired) => ({ ...blocked, connection: { ...blocked.connection, sent_link } });
      healthQueue.mockResolvedValueOnce({ ...bookQueue, client: [withLink(expired)] });
      healthQueue.mockResolvedValueOnce({ ...bookQueue, client: [withLink(waiting)] });
      sendLinks.mockResolvedValueOnce({ messages: [sent.messages[1]!], not_sent: [] });
      render(HealthScreen);
      const group = await screen.findByTestId('queue-group-client');
      const line = within(group).getByTestId('queue-sent-link');
      expect(line).toHaveTextContent('Link expired');
      expect(line).toHaveClass('overdue');
      await userEvent.click(within(group).getByRole('button', { name: 'Send again' }));
      expect(sendLinks).toHaveBeenCalledWith([6]);
      expect(await screen.findByTestId('sent-message')).toHaveTextContent('To Luc Tremblay');
      // The queue is read again: the row now shows the new link, waiting.
      await vi.waitFor(() =>
        expect(screen.getByTestId('queue-sent-link')).toHaveTextContent('Link sent · works once, until Mar 21, 2026'),
      );
      expect(screen.getByTestId('queue-send-link')).toHaveTextContent('Send link');
    });

    it('sends one connection’s link from its row', async () => {
      healthQueue.mockResolvedValue(bookQueue);
      sendLinks.mockResolvedValueOnce({ messages: [sent.messages[1]!], not_sent: [] });
      render(HealthScreen);
      const group = await screen.findByTestId('queue-group-client');
      await userEvent.click(within(group).getAllByTestId('queue-send-link')[1]!);
      expect(sendLinks).toHaveBeenCalledWith([6]);
      expect(await screen.findByTestId('sent-message')).toHaveTextContent('To Luc Tremblay');
    });

    it('lists connections due within 14 days with their forecast and renews one', async () => {
      healthQueue.mockResolvedValueOnce(bookQueue);
      renewConsent.mockResolvedValueOnce({ kind: 'opened', session_id: 9, window: 'link-9' });
      render(HealthScreen);
      const due = await screen.findByTestId('queue-group-due-soon');
      expect(due).toHaveTextContent('Bank consent due within 14 days');
      expect(within(due).getByTestId('queue-consent')).toHaveTextContent('Next SCA in 12 days (Apr 1, 2026)');
      await userEvent.click(within(due).getByRole('button', { name: 'Renew now' }));
      expect(renewConsent).toHaveBeenCalledWith(7);
      expect(await screen.findByTestId('queue-notice')).toHaveTextContent('window that opened');
    });

    it('switches the SCA period to 180 days and reloads the forecast', async () => {
      healthQueue.mockResolvedValueOnce(bookQueue);
      healthQueue.mockResolvedValueOnce({ ...bookQueue, due_soon: [], consent_period: 'days180' });
      setConsentPeriod.mockResolvedValueOnce('days180');
      render(HealthScreen);
      const period = await screen.findByTestId('queue-period');
      expect(period).toHaveValue('90');
      await userEvent.selectOptions(period, '180');
      expect(setConsentPeriod).toHaveBeenCalledWith('180');
      await vi.waitFor(() => expect(screen.queryByTestId('queue-group-due-soon')).toBeNull());
      expect(screen.getByTestId('queue-period')).toHaveValue('180');
    });

    it('shows the due-soon group even when nothing else needs anyone, in Spanish too', async () => {
      healthQueue.mockResolvedValue({ ...bookQueue, outages: [], client: [], advisor: [], wait: [] });
      await setLocale('es');
      render(HealthScreen);
      const due = await screen.findByTestId('queue-group-due-soon');
      expect(due).toHaveTextContent('Consentimiento del banco en menos de 14 días');
      expect(within(due).getByRole('button', { name: 'Renovar ahora' })).toBeInTheDocument();
      expect(screen.queryByTestId('queue-empty')).toBeNull();
    });
  });
});

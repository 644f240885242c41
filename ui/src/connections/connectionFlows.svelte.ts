// The state of one client's connections panel: the connection list, the open link sessions,
// and the link flows the advisor starts from it (connect here, send a link, reauthorize,
// sync or retry, remove, map a duplicate credential), with their results. Results come back
// as app events (link window, OS deep link, poller); `listen()` wires them, so the panel's
// components only read this state and call its actions.
import { ApiError, api, toApiError } from '../lib/api';
import { listenToLinkResults, stopListening } from '../lib/linkResults';
import { t } from '../lib/i18n/i18n.svelte';
import type {
  Connection,
  FlanksIntegration,
  LinkEvent,
  LinkWindowNotice,
  LinkFlow,
  LinkOutcome,
  LinkStart,
  PendingLink,
  SentLinks,
} from '../lib/types';
import { statusText, when } from './connectionText';
import { flowFor, type Region } from './region';

export interface Notice {
  tone: 'ok' | 'info' | 'error';
  text: string;
  nextStep?: string;
}

export type DuplicateOutcome = Extract<LinkOutcome, { outcome: 'duplicate' }>;

/** The firm tables whose changes can change a client's connection cards. */
const FIRM_CONNECTION_TABLES = ['connections', 'refresh_outcomes'];

/** What an action is running for: a connection id, or one of the two ways to connect. */
export type Busy = number | 'connect' | 'send';

export class ConnectionFlows {
  connections = $state<Connection[] | null>(null);
  pending = $state<PendingLink[]>([]);
  loadError = $state<ApiError | null>(null);
  actionError = $state<ApiError | null>(null);
  busy = $state<Busy | null>(null);
  /** The connection whose removal waits for the advisor's confirmation. */
  confirmRemove = $state<number | null>(null);
  /** Where the bank is: "Connect account" and "Send link" start the flow for it. */
  region = $state<Region>('europe');
  /** The Flanks integration set in Settings (Link until it is read). */
  integration = $state<FlanksIntegration>('link');
  sent = $state<LinkStart | null>(null);
  /** The message "Send link" made for a connection that needs the client. */
  sentMessages = $state.raw<SentLinks | null>(null);
  copied = $state(false);
  notice = $state<Notice | null>(null);
  duplicate = $state<DuplicateOutcome | null>(null);

  #clientId: () => number;
  /** Link sessions this panel opened, to match results that carry no client id. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
  #mySessions = new Set<number>();
  #windowOpen = false;

  /** Called when the client's figures changed (a held connection's data joined the book). */
  #onDataChanged: () => void;

  /** `clientId` is read when needed (the panel's prop). */
  constructor(clientId: () => number, onDataChanged: () => void = () => {}) {
    this.#clientId = clientId;
    this.#onDataChanged = onDataChanged;
  }

  /** The flow "Connect account" and "Send link" start. */
  get flow(): LinkFlow {
    return flowFor(this.region, this.integration);
  }

  /** Reads the Flanks integration from Settings; if it cannot be read, Link stays. */
  loadIntegration = async () => {
    try {
      this.integration = (await api.providerSettings()).flanks_integration;
    } catch {
      // The keychain may be locked: connecting a bank in Canada still works, and the
      // Flanks default is what the app used before the setting existed.
    }
  };

  load = async () => {
    const clientId = this.#clientId();
    this.loadError = null;
    try {
      this.connections = await api.listConnections(clientId);
    } catch (e) {
      this.connections = null;
      this.loadError = toApiError(e);
      return;
    }
    // Open link sessions are a detail: when they cannot be read, the cards still show.
    try {
      this.pending = await api.pendingLinks(clientId);
    } catch {
      this.pending = [];
    }
  };

  async #act<T>(key: Busy, f: () => Promise<T>): Promise<T | null> {
    this.busy = key;
    this.actionError = null;
    try {
      return await f();
    } catch (e) {
      this.actionError = toApiError(e);
      return null;
    } finally {
      this.busy = null;
    }
  }

  /** A link window is open for a session of this panel: its result will arrive as an event. */
  #opened(sessionId: number) {
    this.#mySessions.add(sessionId);
    this.#windowOpen = true;
    this.notice = { tone: 'info', text: t('conn.window.open') };
  }

  /** "Send link" beside Reauthorize: the link for the client to open elsewhere, with a ready
   * message in the client's language; the poller finds the completion. */
  sendReauthorizationLink = async (c: Connection) => {
    this.notice = null;
    const r = await this.#act(c.id, () => api.sendReauthorizationLinks([c.id]));
    if (!r) return;
    this.sentMessages = r;
    // The card then shows the link as sent (or, once it expires, offers it again).
    await this.load();
  };

  /** Reauthorize, or with `live` a Flinks refresh with the client present: either way the
   * bank may want the client in the link window. */
  reauthorize = async (c: Connection, { live = false }: { live?: boolean } = {}) => {
    this.notice = null;
    const r = await this.#act(c.id, () => api.startReauthorize(c.id));
    if (!r) return;
    if (r.kind === 'opened') {
      this.#opened(r.session_id);
    } else if (r.kind === 'already_healthy') {
      this.notice = { tone: 'ok', text: t(live ? 'conn.outcome.refreshedLive' : 'conn.outcome.alreadyHealthy') };
      await this.load();
    } else {
      this.notice = { tone: 'info', text: t('conn.outcome.stillWorking') };
    }
  };

  /** Syncs one connection now (the fix for a working one, or a retry). */
  retry = async (c: Connection) => {
    this.notice = null;
    await this.#act(c.id, () => api.syncNow({ kind: 'connection', id: c.id }));
    await this.load();
  };

  /** "Confirm the account holder": the connection's data joins the book, so the page that
   * shows it reloads. */
  confirmHolder = async (c: Connection) => {
    this.notice = null;
    const r = await this.#act(c.id, () => api.confirmHolder(c.id));
    if (r) {
      this.notice = { tone: 'ok', text: t('holder.confirmed') };
      await this.load();
      this.#onDataChanged();
    }
  };

  /** "Not this client": removed at the provider and here, as a removal is. */
  rejectHolder = async (c: Connection) => {
    this.notice = null;
    const r = await this.#act(c.id, () => api.rejectHolder(c.id));
    if (r) {
      this.notice = { tone: 'ok', text: t('holder.rejected') };
      await this.load();
    }
  };

  remove = async (c: Connection) => {
    const r = await this.#act(c.id, () => api.removeConnection(c.id));
    this.confirmRemove = null;
    if (r) {
      this.notice = { tone: 'ok', text: t('conn.removed') };
      await this.load();
    }
  };

  connect = async () => {
    this.notice = null;
    this.sent = null;
    this.duplicate = null;
    const r = await this.#act('connect', () => api.startConnect(this.#clientId(), this.flow));
    if (r) this.#opened(r.session_id);
  };

  sendLink = async () => {
    this.notice = null;
    this.duplicate = null;
    this.copied = false;
    const r = await this.#act('send', () => api.sendLink(this.#clientId(), this.flow));
    if (r) {
      this.#mySessions.add(r.session_id);
      this.sent = r;
    }
  };

  copyLink = async () => {
    if (!this.sent) return;
    try {
      await navigator.clipboard.writeText(this.sent.url);
      this.copied = true;
    } catch {
      this.copied = false;
    }
  };

  mapDuplicate = async (sessionId: number, ref: string) => {
    const r = await this.#act('connect', () => api.mapExistingCredential(sessionId, ref));
    if (r) {
      this.duplicate = null;
      this.#show(r);
      await this.load();
    }
  };

  #mine(o: LinkOutcome): boolean {
    if ('client_id' in o) return o.client_id === this.#clientId();
    if ('session_id' in o) return this.#mySessions.has(o.session_id);
    return false;
  }

  #show(o: LinkOutcome) {
    switch (o.outcome) {
      case 'connected':
      case 'reauthorized':
        this.notice = {
          tone: 'ok',
          text: t(`conn.outcome.${o.outcome}`, { status: statusText(o.status) }),
        };
        break;
      case 'waiting':
        this.notice = { tone: 'info', text: t('conn.outcome.waiting', { time: when(o.next_check_at) }) };
        break;
      case 'in_progress':
        this.notice = { tone: 'info', text: t('conn.outcome.in_progress') };
        break;
      case 'kept_for_firm':
        this.notice = { tone: 'info', text: t('conn.outcome.kept_for_firm') };
        break;
      case 'closed':
        this.notice = { tone: 'info', text: t('conn.outcome.closed') };
        break;
      case 'provider_error':
      case 'expired':
        this.notice = { tone: 'error', text: o.message, nextStep: o.next_step };
        break;
      case 'duplicate':
        this.notice = { tone: 'error', text: o.message, nextStep: o.next_step };
        this.duplicate = o;
        break;
      case 'refused':
        this.notice = { tone: 'error', text: t('conn.outcome.refused', { message: o.message }) };
        break;
    }
  }

  #onLinkEvent = (e: LinkEvent) => {
    if (e.outcome && this.#mine(e.outcome)) {
      this.#windowOpen = false;
      this.#show(e.outcome);
      void this.load();
    } else if (e.error && this.#windowOpen) {
      this.#windowOpen = false;
      this.actionError = new ApiError(e.error.code, e.error.message);
      void this.load();
    }
  };

  /** A page of one of this panel's flows asked for a window or a link the app could not open:
   * say which, and what to do, rather than leave a click that did nothing. */
  #onWindowNotice = (n: LinkWindowNotice) => {
    if (!this.#mySessions.has(n.session_id)) return;
    this.notice = { tone: 'error', text: t(`conn.window.${n.kind}`, { page: n.page }) };
  };

  /** Listens to link results and finished syncs of this client; returns the way to stop. */
  listen(): () => void {
    const unlisten = [
      api.onLinkWindowNotice(this.#onWindowNotice),
      // Results that arrived before (e.g. a deep link at start-up) are handed over once, to
      // whichever listener asks first (this panel or the ActivityCenter).
      listenToLinkResults(this.#onLinkEvent),
      api.onSyncFinished((s) => {
        if (s.outcomes.some((o) => o.client_id === this.#clientId())) void this.load();
      }),
      // In firm mode, a connection made, repaired or refreshed on another desktop (or an
      // outage's end) re-reads the list: the event names a table, never a row.
      api.onFirmChanged((c) => {
        if (c.table === null || FIRM_CONNECTION_TABLES.includes(c.table)) void this.load();
      }),
    ];
    return () => stopListening(unlisten);
  }
}

// The only module that talks to the Rust side. Components import `api`, never `invoke`,
// so tests mock this one module and the IPC surface is listed in one place.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  AttachTo,
  ProviderCredential,
  Reattached,
  AppInfo,
  AuditEntry,
  Client,
  ClientDeletion,
  Connection,
  DemoBook,
  ErrorCode,
  FlanksIntegration,
  LinkEvent,
  LinkWindowNotice,
  LinkFlow,
  LinkOutcome,
  LinkStart,
  NewClient,
  PendingLink,
  OpenedLink,
  ProbeResult,
  Provider,
  ProviderEnvironment,
  ProviderSettings,
  Reauthorized,
  Removal,
  SentLinks,
  ConsentPeriod,
  SyncFinished,
  SyncProgress,
  SyncScope,
  SyncSummary,
} from './types';
import type {
  BookSummary,
  ClientOverview,
  ExportKind,
  ExportResult,
  HealthQueue,
  TransactionPage,
  TransactionQuery,
} from './types';
import type { FirmChange, FirmModeView, FirmStatusView } from './types';
import type {
  BackupFile,
  BackupSummary,
  RestoreOutcome,
  StoreHealth,
  TakenBackup,
} from './types';
import type {
  BaseTotal,
  BookByHousehold,
  Household,
  HouseholdOverview,
  HouseholdWithMembers,
  ReportProfile,
  SavedReport,
} from './types';

/** An error from a command, as the core sent it: a stable code and a sentence. */
export class ApiError extends Error {
  readonly code: ErrorCode | (string & {});

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

/** Turns whatever `invoke` rejected with into an `ApiError`. */
export function toApiError(raw: unknown): ApiError {
  if (raw instanceof ApiError) return raw;
  if (typeof raw === 'object' && raw !== null) {
    const { code, message } = raw as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && typeof message === 'string') {
      return new ApiError(code, message);
    }
  }
  const message = raw instanceof Error ? raw.message : String(raw);
  return new ApiError('ipc', message);
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toApiError(raw);
  }
}

// One refresh of the reference rates at a time: the book by household asks for a total per
// household at once, and they all wait for the same fetch (the core fetches at most daily).
let ratesRefresh: Promise<void> | null = null;

function refreshRates(): Promise<void> {
  ratesRefresh ??= call<unknown>('refresh_rates')
    // A failed fetch is not an error: the total then says which rates it lacks.
    .then(
      () => undefined,
      () => undefined,
    )
    .finally(() => (ratesRefresh = null));
  return ratesRefresh;
}

export const api = {
  appInfo: (): Promise<AppInfo> => call<AppInfo>('app_info'),
  listClients: (): Promise<Client[]> => call<Client[]>('list_clients'),
  addClient: (client: NewClient): Promise<Client> => call<Client>('add_client', { client }),
  setUiLocale: (locale: 'en' | 'es' | 'fr'): Promise<void> =>
    call<void>('set_ui_locale', { locale }),
  // The advisor's workspace.
  bookSummary: (): Promise<BookSummary> => call<BookSummary>('book_summary'),
  clientOverview: (clientId: number): Promise<ClientOverview> =>
    call<ClientOverview>('client_overview', { clientId }),
  clientTransactions: (clientId: number, query: TransactionQuery): Promise<TransactionPage> =>
    call<TransactionPage>('client_transactions', { clientId, query }),
  healthQueue: (): Promise<HealthQueue> => call<HealthQueue>('health_queue'),
  // A holdings or transactions export names a client or a household; the book's names neither.
  suggestExportPath: (kind: ExportKind, clientId: number | null, householdId: number | null = null): Promise<string> =>
    call<string>('suggest_export_path', { kind, clientId, householdId }),
  exportCsv: (
    kind: ExportKind,
    clientId: number | null,
    path: string,
    householdId: number | null = null,
  ): Promise<ExportResult> => call<ExportResult>('export_csv', { kind, clientId, householdId, path }),
  // Households, the total in the base currency, the review report.
  listHouseholds: (): Promise<HouseholdWithMembers[]> => call<HouseholdWithMembers[]>('list_households'),
  createHousehold: (name: string): Promise<Household> => call<Household>('create_household', { name }),
  addHouseholdMember: (householdId: number, clientId: number): Promise<void> =>
    call<void>('add_household_member', { householdId, clientId }),
  removeHouseholdMember: (householdId: number, clientId: number): Promise<void> =>
    call<void>('remove_household_member', { householdId, clientId }),
  /** Moves a member to another household in one step (one audit entry naming both). */
  moveHouseholdMember: (clientId: number, toHouseholdId: number): Promise<void> =>
    call<void>('move_household_member', { clientId, toHouseholdId }),
  bookByHousehold: (): Promise<BookByHousehold> => call<BookByHousehold>('book_by_household'),
  householdOverview: (householdId: number): Promise<HouseholdOverview> =>
    call<HouseholdOverview>('household_overview', { householdId }),
  householdTransactions: (householdId: number, query: TransactionQuery): Promise<TransactionPage> =>
    call<TransactionPage>('household_transactions', { householdId, query }),
  /** One of `clientId` and `householdId`. Fetches due reference rates first. */
  baseTotal: async (clientId: number | null, householdId: number | null): Promise<BaseTotal> => {
    await refreshRates();
    return call<BaseTotal>('base_total', { clientId, householdId });
  },
  /** Writes the report PDF into the data folder's `exports/` and says where. */
  saveReport: (clientId: number | null, householdId: number | null): Promise<SavedReport> =>
    call<SavedReport>('save_report', { clientId, householdId }),
  reportProfile: (): Promise<ReportProfile> => call<ReportProfile>('report_profile'),
  setReportProfile: (profile: ReportProfile): Promise<ReportProfile> =>
    call<ReportProfile>('set_report_profile', { profile }),
  // Connections and link flows. The core builds every provider URL.
  listConnections: (clientId: number): Promise<Connection[]> =>
    call<Connection[]>('list_connections', { clientId }),
  startConnect: (clientId: number, flow: LinkFlow): Promise<OpenedLink> =>
    call<OpenedLink>('start_connect', { clientId, flow }),
  startReauthorize: (connectionId: number): Promise<Reauthorized> =>
    call<Reauthorized>('start_reauthorize', { connectionId }),
  sendLink: (clientId: number, flow: LinkFlow): Promise<LinkStart> =>
    call<LinkStart>('send_link', { clientId, flow }),
  /** "Send link" on connections that need their client: one ready message per client. */
  sendReauthorizationLinks: (connectionIds: number[]): Promise<SentLinks> =>
    call<SentLinks>('send_reauthorization_links', { connectionIds }),
  /** "Renew now" with the client present: the bank's check in the link window. */
  renewConsent: (connectionId: number): Promise<Reauthorized> =>
    call<Reauthorized>('renew_consent', { connectionId }),
  /** How often the advisor's banks ask for SCA again (the consent forecast). */
  setConsentPeriod: (days: '90' | '180'): Promise<ConsentPeriod> =>
    call<ConsentPeriod>('set_consent_period', { days }),
  /** Opens a message the core composed (its `mailto`) in the mail client. */
  openMail: (mailto: string): Promise<void> => call<void>('open_mail', { mailto }),
  setClientContact: (clientId: number, email: string | null, language: 'en' | 'es' | 'fr'): Promise<Client> =>
    call<Client>('set_client_contact', { clientId, email, language }),
  mapExistingCredential: (sessionId: number, credentialRef: string): Promise<LinkOutcome> =>
    call<LinkOutcome>('map_existing_credential', { sessionId, credentialRef }),
  removeConnection: (connectionId: number): Promise<Removal> =>
    call<Removal>('remove_connection', { connectionId }),
  /** "Confirm the account holder": a held connection's data joins the client's book. */
  confirmHolder: (connectionId: number): Promise<Connection> =>
    call<Connection>('confirm_holder', { connectionId }),
  /** "Not this client": the held connection is removed at the provider and here. */
  rejectHolder: (connectionId: number): Promise<Removal> =>
    call<Removal>('reject_holder', { connectionId }),
  /** Deletes a client for good (provider credentials, keychain entries, data). After a
   * `deletion_stopped` error the advisor may retry with `localIfProviderFails`. */
  deleteClient: (clientId: number, localIfProviderFails = false): Promise<ClientDeletion> =>
    call<ClientDeletion>('delete_client', { clientId, localIfProviderFails }),
  /** Results that arrived before the UI listened (a cold-start deep link). Call once. */
  linkInboxReady: (): Promise<LinkEvent[]> => call<LinkEvent[]>('link_inbox_ready'),
  pollLinks: (): Promise<number> => call<number>('poll_links'),
  pendingLinks: (clientId: number): Promise<PendingLink[]> =>
    call<PendingLink[]>('pending_links', { clientId }),

  // Sync.
  syncNow: (scope: SyncScope): Promise<SyncSummary> => call<SyncSummary>('sync_now', { scope }),
  cancelSync: (): Promise<boolean> => call<boolean>('cancel_sync'),

  // Settings. Keys go in; only "set" comes back.
  providerSettings: (): Promise<ProviderSettings> => call<ProviderSettings>('provider_settings'),
  setProviderEnvironment: (environment: ProviderEnvironment): Promise<ProviderSettings> =>
    call<ProviderSettings>('set_provider_environment', { environment }),
  setProviderKey: (provider: Provider, field: string, value: string): Promise<ProviderSettings> =>
    call<ProviderSettings>('set_provider_key', { provider, field, value }),
  removeProviderKey: (provider: Provider, field: string): Promise<ProviderSettings> =>
    call<ProviderSettings>('remove_provider_key', { provider, field }),
  setProviderBaseUrl: (provider: Provider, url: string | null): Promise<ProviderSettings> =>
    call<ProviderSettings>('set_provider_base_url', { provider, url }),
  testProviderConnection: (provider: Provider): Promise<ProbeResult> =>
    call<ProbeResult>('test_provider_connection', { provider }),
  loadDemoBook: (): Promise<DemoBook> => call<DemoBook>('load_demo_book'),
  /** Which Flanks integration "a bank in Spain or Europe" uses. */
  setFlanksIntegration: (integration: FlanksIntegration): Promise<ProviderSettings> =>
    call<ProviderSettings>('set_flanks_integration', { integration }),
  startAtLogin: (): Promise<boolean> => call<boolean>('start_at_login'),
  /** Days after which unmoving Flinks data counts as frozen (needs the client present). */
  flinksFrozenAfterDays: (): Promise<number> => call<number>('flinks_frozen_after_days'),
  setFlinksFrozenAfterDays: (days: number): Promise<number> =>
    call<number>('set_flinks_frozen_after_days', { days }),
  setStartAtLogin: (enabled: boolean): Promise<boolean> => call<boolean>('set_start_at_login', { enabled }),
  /** The newest audit entries (refused links and counted floods among them). */
  auditLog: (): Promise<AuditEntry[]> => call<AuditEntry[]>('audit_log'),

  // Backups and recovery. A restore is staged, then applied when the app restarts.
  /** The first call starts the check of the whole database; its verdict comes as an event. */
  storeHealth: (): Promise<StoreHealth> => call<StoreHealth>('store_health'),
  listBackups: (): Promise<BackupSummary[]> => call<BackupSummary[]>('list_backups'),
  takeBackup: (): Promise<TakenBackup> => call<TakenBackup>('take_backup'),
  restoreLatestBackup: (): Promise<BackupFile> => call<BackupFile>('restore_latest_backup'),
  restoreBackup: (path: string): Promise<BackupFile> => call<BackupFile>('restore_backup', { path }),
  /** What the restore applied at this start did, if one was staged. */
  lastRestore: (): Promise<RestoreOutcome | null> => call<RestoreOutcome | null>('last_restore'),
  reattachFoundConnection: (tokenHash: string, clientId: number): Promise<number> =>
    call<number>('reattach_found_connection', { tokenHash, clientId }),
  restartApp: (): Promise<void> => call<void>('restart_app'),
  /** Solo (`firm: null`) or the firm this desktop is in, with the database's status. */
  firmMode: (): Promise<FirmModeView> => call<FirmModeView>('firm_mode'),
  /** Joins the firm of an invite file (its secrets go to the keychain, never to the page). */
  joinFirm: (invitePath: string, passphrase: string): Promise<FirmModeView> =>
    call<FirmModeView>('join_firm', { invitePath, passphrase }),
  /** Back to solo mode; the solo book is untouched. */
  leaveFirm: (): Promise<FirmModeView> => call<FirmModeView>('leave_firm'),
  /** Tries to reach the firm database now rather than at the next attempt. */
  firmTryAgain: (): Promise<void> => call<void>('firm_try_again'),
  /** Flanks credentials the book lacks, each with the client its link named (never a token). */
  rebuildList: (): Promise<ProviderCredential[]> => call<ProviderCredential[]>('rebuild_list'),
  /** Attaches one listed credential (by its token's hash) to a client, or to a new one; synced. */
  rebuildAttach: (tokenHash: string, to: AttachTo): Promise<Reattached[]> =>
    call<Reattached[]>('rebuild_attach', { tokenHash, to }),
  /** Every matched credential; with `createClients` also the clients the book lacks. Synced. */
  rebuildAttachMatched: (createClients: boolean): Promise<Reattached[]> =>
    call<Reattached[]>('rebuild_attach_matched', { createClients }),

  // Events from the app (main window only).
  onStoreHealth: (f: (h: StoreHealth) => void): Promise<UnlistenFn> =>
    listen<StoreHealth>('store-health', (e) => f(e.payload)),
  onFirmStatus: (f: (s: FirmStatusView) => void): Promise<UnlistenFn> =>
    listen<FirmStatusView>('firm://status', (e) => f(e.payload)),
  /** Something changed on the firm database (a table, or `null`: re-read everything). */
  onFirmChanged: (f: (c: FirmChange) => void): Promise<UnlistenFn> =>
    listen<FirmChange>('firm://changed', (e) => f(e.payload)),
  onSyncProgress: (f: (p: SyncProgress) => void): Promise<UnlistenFn> =>
    listen<SyncProgress>('sync://progress', (e) => f(e.payload)),
  onSyncFinished: (f: (s: SyncFinished) => void): Promise<UnlistenFn> =>
    listen<SyncFinished>('sync://finished', (e) => f(e.payload)),
  onLinkEvent: (f: (e: LinkEvent) => void): Promise<UnlistenFn> =>
    listen<LinkEvent>('link://outcome', (e) => f(e.payload)),
  /** A link page's window or link the app could not open (the advisor is told which). */
  onLinkWindowNotice: (f: (n: LinkWindowNotice) => void): Promise<UnlistenFn> =>
    listen<LinkWindowNotice>('link://window-notice', (e) => f(e.payload)),
  /** The advisor clicked a desktop notification: the route it opens (e.g. `health`). */
  onOpenRoute: (f: (route: string) => void): Promise<UnlistenFn> =>
    listen<string>('app://open-route', (e) => f(e.payload)),
};

export type Api = typeof api;

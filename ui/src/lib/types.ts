// Shapes that cross IPC, mirroring advisor-desk-core (serde, snake_case fields).

export type ClientKind = 'person' | 'household';

export interface Client {
  id: number;
  kind: ClientKind;
  name: string;
  email: string | null;
  phone: string | null;
  notes: string;
  archived: boolean;
  created_at: string;
  updated_at: string;
}

/** What the advisor types when adding a client (core `NewClient`). */
export interface NewClient {
  kind: ClientKind;
  name: string;
  email?: string | null;
  phone?: string | null;
  notes?: string | null;
}

export interface AppInfo {
  version: string;
  /** `sandbox` or `production`; the shell shows a "Sandbox" badge for the former. */
  provider_environment: string;
  /** The interface language saved in the database, or null to follow the OS. */
  ui_locale: 'en' | 'es' | 'fr' | null;
  /** The embedded sandbox's address while the app runs on it. */
  sandbox_url?: string | null;
  /** Sandbox mode with an empty book: offer the demo book. */
  demo_book_offered?: boolean;
}

/** Stable codes from core `ErrorCode`, plus `ipc` for a failure of the bridge itself. */
export type ErrorCode =
  | 'not_found'
  | 'invalid_input'
  | 'schema_too_new'
  | 'database'
  | 'io'
  | 'keychain_unavailable'
  | 'keychain_locked'
  | 'keychain'
  | 'deletion_stopped'
  | 'ipc';

// ---- The advisor's workspace (core `reads::{book, client, health, export}`) ----

/** Worst to best: failing > needs_client > waiting > good > none (no connection). */
export type Health = 'none' | 'good' | 'waiting' | 'needs_client' | 'failing';

/** One currency's totals in minor units; different currencies are never summed. */
export interface CurrencyTotal {
  currency: string;
  assets_minor: number;
  liabilities_minor: number;
  net_minor: number;
}

export interface BookRow {
  client_id: number;
  name: string;
  kind: ClientKind;
  totals: CurrencyTotal[];
  connection_count: number;
  health: Health;
  needs_client: number;
  waiting: number;
  failing: number;
  data_as_of: string | null;
  data_age_days: number | null;
  stale: boolean;
}

export interface BookSummary {
  generated_at: string;
  clients: BookRow[];
}

/** Core `ConnectionView` (declared once, below, as `Connection`). */
export type ConnectionView = Connection;

export interface Slice {
  currency: string;
  key: string;
  value_minor: number;
}

export interface HistoryPoint {
  currency: string;
  date: string;
  net_minor: number;
}

export interface AccountView {
  id: number;
  connection_id: number;
  institution: string;
  kind: string;
  name: string;
  number_masked: string | null;
  currency: string;
  balance_minor: number;
  as_of: string | null;
  owners: string[];
  copies: number;
  stale: boolean;
}

export interface HoldingView {
  id: number;
  account_id: number | null;
  name: string;
  isin: string | null;
  asset_class: string;
  units: string | null;
  value_minor: number;
  currency: string;
  weight_bp: number;
  as_of: string | null;
  stale: boolean;
}

export interface ClientOverview {
  client: Client;
  generated_at: string;
  health: Health;
  net_worth: CurrencyTotal[];
  history_method: string;
  history: HistoryPoint[];
  by_class: Slice[];
  by_currency: Slice[];
  by_institution: Slice[];
  accounts: AccountView[];
  holdings: HoldingView[];
  connections: ConnectionView[];
  data_as_of: string | null;
  stale: boolean;
  transaction_count: number;
}

export interface TransactionQuery {
  search?: string | null;
  from?: string | null;
  to?: string | null;
  account_ids?: number[];
  offset: number;
  limit: number;
}

export interface TransactionLine {
  id: number;
  account_id: number;
  account_name: string;
  booking_date: string;
  amount_minor: number;
  currency: string;
  balance_minor: number | null;
  description: string;
  category: string | null;
  counterparty: string | null;
  presence: string;
}

export interface TransactionPage {
  total: number;
  offset: number;
  rows: TransactionLine[];
}

export type QueueGroup = 'client' | 'wait' | 'advisor';

export interface QueueItem {
  connection: ConnectionView;
  client_name: string;
  institution: string;
  health: Health;
  group: QueueGroup;
  value_at_risk: CurrencyTotal[];
  days_stale: number | null;
  score: number;
}

export interface Outage {
  institution: string;
  institution_id: string | null;
  client_count: number;
  connection_count: number;
  since: string | null;
  value_at_risk: CurrencyTotal[];
  items: QueueItem[];
}

export interface HealthQueue {
  generated_at: string;
  outages: Outage[];
  client: QueueItem[];
  wait: QueueItem[];
  advisor: QueueItem[];
}

export type ExportKind = 'holdings' | 'transactions' | 'book';

export interface ExportResult {
  path: string;
  rows: number;
  bytes: number;
}

// ----- Connections, link flows, sync, settings (advisor-desk-core links / sync / settings) -----

export type Provider = 'flanks' | 'flinks';

export type ConnectionStatus =
  | 'pending'
  | 'ready'
  | 'pending_sca'
  | 'blocked'
  | 'mfa_required'
  | 'delayed'
  | 'retry_later'
  | 'needs_advisor'
  | 'removed';

/** Core `ConnectionView`: a connection as the UI shows it. Never carries a token. */
export interface Connection {
  id: number;
  client_id: number;
  provider: Provider;
  flow: LinkFlow;
  institution_id: string | null;
  institution_name: string | null;
  status: ConnectionStatus;
  /** Who must act: `nobody`, `client` or `advisor`. */
  action_by: 'nobody' | 'client' | 'advisor';
  provider_code: string | null;
  provider_message: string | null;
  last_attempt_at: string | null;
  last_success_at: string | null;
  data_as_of: string | null;
  next_retry_at: string | null;
  consecutive_failures: number;
  created_at: string;
  stale: boolean;
}

export type LinkFlow = 'flanks_link' | 'flanks_connect_v2' | 'flinks_connect';

/** A link session opened in the embedded window. */
export interface OpenedLink {
  session_id: number;
  window: string;
}

export type Reauthorized =
  | { kind: 'opened'; session_id: number; window: string }
  | { kind: 'already_healthy'; connection_id: number; status: ConnectionStatus }
  | { kind: 'provider_still_working'; connection_id: number };

/** "Send link": the provider URL the core built, to copy or e-mail. */
export interface LinkStart {
  session_id: number;
  url: string;
  expires_at: string;
  flow: LinkFlow;
  purpose: 'new' | 'sca' | 'reset' | 'mfa';
}

export interface DuplicateCandidate {
  credential_ref: string;
  bank: string | null;
  mapped_to_client_id: number | null;
  mapped_to_client_name: string | null;
}

/** Core `LinkOutcome` (tagged by `outcome`). */
export type LinkOutcome =
  | {
      outcome: 'connected' | 'reauthorized';
      session_id: number;
      client_id: number;
      connection_id: number;
      status: ConnectionStatus;
    }
  | { outcome: 'waiting'; session_id: number; next_check_at: string }
  | { outcome: 'in_progress'; session_id: number }
  | { outcome: 'provider_error'; session_id: number; code: string; message: string; next_step: string }
  | {
      outcome: 'duplicate';
      session_id: number;
      message: string;
      next_step: string;
      candidates: DuplicateCandidate[];
    }
  | { outcome: 'closed'; session_id: number }
  | { outcome: 'expired'; session_id: number; message: string; next_step: string }
  | { outcome: 'refused'; reason: string; message: string };

/** One link result pushed by the app (`link://outcome`) or handed over at start. */
export interface LinkEvent {
  source: 'embedded_window' | 'deep_link' | 'poller';
  outcome: LinkOutcome | null;
  error: { code: string; message: string } | null;
}

export interface Removal {
  connection_id: number;
  deleted_at_provider: boolean;
}

/** Core `links::ClientDeletion`: what deleting a client removed. */
export interface ClientDeletion {
  client_id: number;
  connections_removed: number;
  deleted_at_provider: number;
  /** Credentials left at the provider after "delete here anyway". */
  kept_at_provider: number;
}

export type SyncScope = { kind: 'connection'; id: number } | { kind: 'client'; id: number } | { kind: 'all' };

/** Core `SyncProgress` (`sync://progress`). */
export interface SyncProgress {
  done: number;
  total: number;
  connection_id: number;
  step:
    | 'checking_status'
    | 'waiting_for_provider'
    | 'fetching'
    | 'saving'
    | 'finished'
    | 'cancelled';
  status?: ConnectionStatus;
  ok?: boolean;
}

export interface ConnectionOutcome {
  connection_id: number;
  client_id: number;
  provider: Provider;
  status: ConnectionStatus;
  result: 'synced' | 'failed' | 'error' | 'cancelled';
}

export interface SyncSummary {
  total: number;
  synced: number;
  failed: number;
  cancelled: number;
  rows_written: number;
  elapsed_ms: number;
  outcomes: ConnectionOutcome[];
}

/** `sync://finished`. */
export interface SyncFinished extends SyncSummary {
  trigger: string;
}

export type ProviderEnvironment = 'sandbox' | 'production';

export interface KeyStatus {
  provider: Provider;
  field: string;
  /** Whether the keychain holds it. The value never crosses IPC. */
  set: boolean;
}

export interface ProviderSettings {
  environment: ProviderEnvironment;
  keys: KeyStatus[];
  flanks_base_url: string | null;
  flinks_base_url: string | null;
}

export type ProbeResult =
  | { result: 'ok' }
  | {
      result: 'failed';
      kind: string;
      provider_code: string | null;
      provider_message: string | null;
      http_status: number | null;
    };

export interface DemoBook {
  clients_created: number;
  connection_ids: number[];
}

/** Core `PendingLink`: an open link session of a client. */
export interface PendingLink {
  session_id: number;
  client_id: number;
  connection_id: number | null;
  flow: LinkFlow;
  purpose: 'new' | 'sca' | 'reset' | 'mfa';
  state: 'waiting_for_client' | 'waiting_for_provider_checks' | 'finishing';
  expires_at: string;
  next_check_at: string | null;
}

// Households, the total in the base currency and the review report (core `households/`,
// `rates/`; crate `report`).
export interface Household {
  id: number;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface HouseholdWithMembers extends Household {
  members: Client[];
}

/** One member's own figures, as on their client page (a joint account under each holder). */
export interface MemberSummary {
  client_id: number;
  name: string;
  net_worth: CurrencyTotal[];
  connection_count: number;
  health: Health;
  stale: boolean;
}

export interface HouseholdAccount extends AccountView {
  /** Members whose connections reach the account (two or more for a joint account). */
  member_ids: number[];
}

export interface HouseholdOverview {
  household: Household;
  generated_at: string;
  members: MemberSummary[];
  health: Health;
  /** The household's total per currency, each joint account once. */
  net_worth: CurrencyTotal[];
  history_method: string;
  history: HistoryPoint[];
  by_class: Slice[];
  by_currency: Slice[];
  by_institution: Slice[];
  accounts: HouseholdAccount[];
  holdings: HoldingView[];
  connections: ConnectionView[];
  data_as_of: string | null;
  stale: boolean;
  transaction_count: number;
}

export type RateSource = 'ecb' | 'bank_of_canada';

export interface AppliedRate {
  source: RateSource;
  /** Units of the base currency per unit of the amount's currency (decimal text). */
  rate: string;
  /** The rate's publication date, `YYYY-MM-DD`. */
  date: string;
}

export interface ConvertedAmount {
  currency: string;
  amount_minor: number;
  base_minor: number;
  /** `null` when the amount already is in the base currency. */
  rate: AppliedRate | null;
}

export type LeftOutReason = { kind: 'no_rate' } | { kind: 'stale'; latest: string } | { kind: 'no_base_rate' };

export interface LeftOut {
  currency: string;
  amount_minor: number;
  reason: LeftOutReason;
}

export interface BaseTotal {
  base: string;
  source: RateSource;
  valued_on: string;
  total_minor: number;
  partial: boolean;
  converted: ConvertedAmount[];
  left_out: LeftOut[];
  oldest_rate_date: string | null;
}

export interface SavedReport {
  path: string;
  bytes: number;
}

export type Paper = 'a4' | 'letter';

/** Settings → Report: who signs the review report, its paper, the base currency of totals. */
export interface ReportProfile {
  advisor_name: string | null;
  firm: string | null;
  paper: Paper;
  base_currency: string;
}

/** The book by household: each household's total (joint accounts once), and the people in none. */
export interface HouseholdBookRow {
  household: Household;
  members: BookRow[];
  totals: CurrencyTotal[];
  connection_count: number;
  health: Health;
  data_as_of: string | null;
  stale: boolean;
}

export interface BookByHousehold {
  generated_at: string;
  households: HouseholdBookRow[];
  people: BookRow[];
}

// Test data in the core's serde shapes, shared by the component tests of every screen.
import type {
  AccountView,
  BookRow,
  Client,
  ClientOverview,
  ConnectionView,
  HoldingView,
  QueueItem,
  TransactionLine,
} from '../lib/types';

export const NOW = '2026-03-20T12:00:00.000Z';

export function client(overrides: Partial<Client> & Pick<Client, 'id' | 'name'>): Client {
  return {
    kind: 'person',
    email: null,
    phone: null,
    notes: '',
    language: 'en',
    archived: false,
    created_at: '2026-03-05T10:00:00.000Z',
    updated_at: '2026-03-05T10:00:00.000Z',
    ...overrides,
  };
}

export function connection(overrides: Partial<ConnectionView> = {}): ConnectionView {
  return {
    id: 1,
    client_id: 1,
    provider: 'flanks',
    flow: 'flanks_link',
    institution_id: 'banco_uno',
    institution_name: 'Banco Uno',
    status: 'ready',
    action_by: 'nobody',
    provider_code: null,
    provider_message: null,
    last_attempt_at: '2026-03-20T10:00:00.000Z',
    last_success_at: '2026-03-20T10:00:00.000Z',
    data_as_of: '2026-03-20T10:00:00.000Z',
    next_retry_at: null,
    consecutive_failures: 0,
    created_at: '2026-01-01T10:00:00.000Z',
    consent_renewed_at: null,
    holder_check: 'matched',
    holder_names: [],
    stale: false,
    frozen: false,
    consent: {
      kind: 'sca',
      last_renewed_at: '2026-01-01T10:00:00.000Z',
      days_since: 78,
      next_sca_at: '2026-04-01T10:00:00.000Z',
      days_left: 12,
      due_soon: true,
    },
    sent_link: null,
    ...overrides,
  };
}

export function bookRow(overrides: Partial<BookRow> & Pick<BookRow, 'client_id' | 'name'>): BookRow {
  return {
    kind: 'person',
    totals: [],
    connection_count: 1,
    health: 'good',
    needs_client: 0,
    waiting: 0,
    failing: 0,
    data_as_of: '2026-03-20T10:00:00.000Z',
    data_age_days: 0,
    stale: false,
    ...overrides,
  };
}

export function eur(net: number, currency = 'EUR') {
  return { currency, assets_minor: Math.max(net, 0), liabilities_minor: Math.max(-net, 0), net_minor: net };
}

/** The joint current account of Ana and Pedro Ruiz. */
export function account(overrides: Partial<AccountView> = {}): AccountView {
  return {
    id: 11,
    connection_id: 1,
    institution: 'Banco Uno',
    kind: 'current',
    name: 'Cuenta conjunta',
    number_masked: '••••1111',
    currency: 'EUR',
    balance_minor: 500_000,
    as_of: '2026-03-20T10:00:00.000Z',
    owners: ['Ana Ruiz', 'Pedro Ruiz'],
    copies: 2,
    stale: false,
    ...overrides,
  };
}

export function holding(overrides: Partial<HoldingView> = {}): HoldingView {
  return {
    id: 21,
    account_id: 13,
    name: 'World Index Fund',
    isin: 'IE00B4L5Y983',
    asset_class: 'fund',
    units: '12.345',
    value_minor: 750_000,
    currency: 'EUR',
    weight_bp: 7_500,
    as_of: '2026-03-20T10:00:00.000Z',
    stale: false,
    ...overrides,
  };
}

export function overview(overrides: Partial<ClientOverview> = {}): ClientOverview {
  return {
    client: client({ id: 1, name: 'Ana Ruiz', created_at: NOW, updated_at: NOW }),
    generated_at: NOW,
    health: 'good',
    net_worth: [
      { currency: 'CAD', assets_minor: 300_000, liabilities_minor: 0, net_minor: 300_000 },
      { currency: 'EUR', assets_minor: 1_500_000, liabilities_minor: 100_000, net_minor: 1_400_000 },
    ],
    history_method: 'backward_from_balances',
    history: [
      { currency: 'EUR', date: '2026-01-31', net_minor: 1_200_000 },
      { currency: 'EUR', date: '2026-02-28', net_minor: 1_150_000 },
      { currency: 'EUR', date: '2026-03-20', net_minor: 1_400_000 },
      { currency: 'CAD', date: '2026-02-28', net_minor: 280_000 },
      { currency: 'CAD', date: '2026-03-20', net_minor: 300_000 },
    ],
    by_class: [
      { currency: 'EUR', key: 'fund', value_minor: 750_000 },
      { currency: 'EUR', key: 'cash', value_minor: 500_000 },
      { currency: 'EUR', key: 'fixed_income', value_minor: 250_000 },
    ],
    by_currency: [
      { currency: 'CAD', key: 'CAD', value_minor: 300_000 },
      { currency: 'EUR', key: 'EUR', value_minor: 1_500_000 },
    ],
    by_institution: [{ currency: 'EUR', key: 'Banco Uno', value_minor: 1_500_000 }],
    accounts: [
      account(),
      account({
        id: 12,
        kind: 'savings',
        name: 'Savings CA',
        number_masked: null,
        currency: 'CAD',
        balance_minor: 300_000,
        owners: ['Ana Ruiz'],
        copies: 1,
      }),
    ],
    holdings: [
      holding(),
      holding({
        id: 22,
        name: 'Bono 2030',
        isin: 'ES0000012345',
        asset_class: 'fixed_income',
        units: null,
        value_minor: 250_000,
        weight_bp: 2_500,
      }),
    ],
    connections: [connection()],
    data_as_of: '2026-03-20T10:00:00.000Z',
    stale: false,
    transaction_count: 3,
    ...overrides,
  };
}

export function txLine(i: number, overrides: Partial<TransactionLine> = {}): TransactionLine {
  return {
    id: i + 1,
    account_id: 11,
    account_name: 'Cuenta conjunta',
    booking_date: '2026-03-01',
    amount_minor: -1250 - i,
    currency: 'EUR',
    balance_minor: null,
    description: `Row ${i}`,
    category: null,
    counterparty: null,
    presence: 'active',
    ...overrides,
  };
}

export function queueItem(overrides: Partial<QueueItem> & { id: number; client: string }): QueueItem {
  const { id, client, ...rest } = overrides;
  return {
    connection: connection({ id, client_id: id, status: 'retry_later', stale: true }),
    client_name: client,
    institution: 'Banco Uno',
    health: 'waiting',
    group: 'wait',
    value_at_risk: [eur(100_000)],
    days_stale: 2,
    score: 1,
    ...rest,
  };
}

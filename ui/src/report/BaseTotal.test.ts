import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, type Api } from '../lib/api';
import { setLocale } from '../lib/i18n/i18n.svelte';
import type { BaseTotal as Total } from '../lib/types';
import BaseTotal from './BaseTotal.svelte';
import ReportButton from './ReportButton.svelte';

vi.mock(import('../lib/api'), async (original) => ({
  ...(await original()),
  api: { baseTotal: vi.fn(), saveReport: vi.fn() } as unknown as Api,
}));

const baseTotal = vi.mocked(api.baseTotal);
const saveReport = vi.mocked(api.saveReport);

const total: Total = {
  base: 'EUR',
  source: 'ecb',
  valued_on: '2026-03-20',
  total_minor: 5_589_674,
  partial: true,
  converted: [
    { currency: 'EUR', amount_minor: 5_250_000, base_minor: 5_250_000, rate: null },
    {
      currency: 'CAD',
      amount_minor: 500_000,
      base_minor: 339_674,
      rate: { source: 'ecb', rate: '0.679348', date: '2026-03-19' },
    },
  ],
  left_out: [
    { currency: 'USD', amount_minor: 217_000, reason: { kind: 'no_rate' } },
    { currency: 'GBP', amount_minor: 1_000, reason: { kind: 'stale', latest: '2026-03-02' } },
  ],
  oldest_rate_date: '2026-03-19',
};

describe('Base-currency total', () => {
  beforeEach(() => {
    baseTotal.mockReset();
    saveReport.mockReset();
  });
  afterEach(() => setLocale('en'));

  it('shows the total, each converted figure with its rate, date and source, and what it leaves out', async () => {
    baseTotal.mockResolvedValueOnce(total);
    render(BaseTotal, { props: { householdId: 3 } });
    expect(baseTotal).toHaveBeenCalledWith(null, 3);
    expect(await screen.findByTestId('base-total-value')).toHaveTextContent('€55,896.74');
    const lines = screen.getAllByTestId('base-total-line');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toHaveTextContent('CA$5,000.00 at 0.679348 (ECB reference rate, Mar 19, 2026) → €3,396.74');
    const partial = screen.getByTestId('base-total-partial');
    expect(partial).toHaveTextContent('Partial total. Left out, with no usable rate:');
    expect(partial).toHaveTextContent('$2,170.00');
    expect(partial).toHaveTextContent('£10.00 (latest rate Mar 2, 2026)');
  });

  it('speaks the interface language', async () => {
    await setLocale('es');
    baseTotal.mockResolvedValueOnce({ ...total, partial: false, left_out: [] });
    render(BaseTotal, { props: { clientId: 1 } });
    expect(await screen.findByText('Total en EUR')).toBeInTheDocument();
    expect(screen.getByTestId('base-total-line')).toHaveTextContent('tipo de referencia del BCE');
    // The rate in Spanish digits too, every published decimal kept.
    expect(screen.getByTestId('base-total-line')).toHaveTextContent('5000,00 CAD a 0,679348 (');
    expect(screen.queryByTestId('base-total-partial')).toBeNull();
  });

  it('says when the total could not be converted', async () => {
    baseTotal.mockRejectedValueOnce(new ApiError('not_found', 'household 9 was not found'));
    render(BaseTotal, { props: { householdId: 9 } });
    expect(await screen.findByTestId('base-total-error')).toHaveTextContent('household 9 was not found');
  });
});

describe('Report button', () => {
  beforeEach(() => saveReport.mockReset());

  it('saves the report and says where', async () => {
    saveReport.mockResolvedValueOnce({ path: '/data/exports/ana-ruiz-report-2026-03-20.pdf', bytes: 34_000 });
    render(ReportButton, { props: { clientId: 4 } });
    await userEvent.click(screen.getByTestId('report-download'));
    expect(saveReport).toHaveBeenCalledWith(4, null);
    expect(await screen.findByTestId('report-saved')).toHaveTextContent(
      'Report saved to: /data/exports/ana-ruiz-report-2026-03-20.pdf',
    );
  });

  it('shows the core’s refusal', async () => {
    saveReport.mockRejectedValueOnce(new ApiError('io', 'cannot write the report: disk full'));
    render(ReportButton, { props: { householdId: 2 } });
    await userEvent.click(screen.getByTestId('report-download'));
    expect(await screen.findByTestId('report-error')).toHaveTextContent('disk full');
    expect(saveReport).toHaveBeenCalledWith(null, 2);
  });
});

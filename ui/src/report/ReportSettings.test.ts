import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, type Api } from '../lib/api';
import ReportSettings from './ReportSettings.svelte';

vi.mock(import('../lib/api'), async (original) => ({
  ...(await original()),
  api: {
    reportProfile: vi.fn(),
    setReportProfile: vi.fn(),
    firmMode: vi.fn(async () => ({ firm: null })),
  } as unknown as Api,
}));

const load = vi.mocked(api.reportProfile);
const store = vi.mocked(api.setReportProfile);

describe('Report settings', () => {
  beforeEach(() => {
    load.mockReset();
    store.mockReset();
  });

  it('edits the cover signature, the paper and the base currency', async () => {
    load.mockResolvedValueOnce({ advisor_name: null, firm: null, paper: 'a4', base_currency: 'EUR' });
    store.mockImplementationOnce(async (p) => p);
    render(ReportSettings);
    await userEvent.type(await screen.findByTestId('report-advisor'), 'Marta Gil');
    await userEvent.type(screen.getByTestId('report-firm'), 'Gil Patrimonios');
    await userEvent.selectOptions(screen.getByTestId('report-paper'), 'letter');
    await userEvent.selectOptions(screen.getByTestId('report-base-currency'), 'CAD');
    await userEvent.click(screen.getByTestId('report-settings-save'));
    expect(store).toHaveBeenCalledWith({
      advisor_name: 'Marta Gil',
      firm: 'Gil Patrimonios',
      paper: 'letter',
      base_currency: 'CAD',
    });
    expect(await screen.findByTestId('report-settings-saved')).toHaveTextContent('Saved.');
  });

  it('shows the core’s refusal', async () => {
    load.mockResolvedValueOnce({ advisor_name: 'M', firm: null, paper: 'a4', base_currency: 'EUR' });
    store.mockRejectedValueOnce(new ApiError('invalid_input', 'the firm’s name can be at most 200 characters'));
    render(ReportSettings);
    await userEvent.click(await screen.findByTestId('report-settings-save'));
    expect(await screen.findByTestId('report-settings-error')).toHaveTextContent('at most 200 characters');
  });

  it('in firm mode shows the firm’s own name, not to be edited here', async () => {
    vi.mocked(api.firmMode).mockResolvedValueOnce({ firm: { firm_name: 'Ruiz & Partners' } } as never);
    load.mockResolvedValueOnce({ advisor_name: 'Ana', firm: 'Ruiz & Partners', paper: 'a4', base_currency: 'EUR' });
    render(ReportSettings);
    expect(await screen.findByTestId('report-firm-from-firm')).toHaveTextContent('your firm’s name, from its invite');
    expect(screen.getByTestId('report-firm')).toHaveAttribute('readonly');
    expect(screen.getByTestId('report-firm')).toHaveValue('Ruiz & Partners');
  });
});

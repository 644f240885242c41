import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api } from '../lib/api';
import { setLocale } from '../lib/i18n/i18n.svelte';
import ExportPanel from './ExportPanel.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, { suggestExportPath: vi.fn(), exportCsv: vi.fn() }),
);

const suggest = vi.mocked(api.suggestExportPath);
const exportCsv = vi.mocked(api.exportCsv);
const PATH = '/home/a/.local/share/app/exports/ana-ruiz-holdings-2026-03-20.csv';

describe('Export panel', () => {
  beforeEach(() => {
    suggest.mockReset();
    exportCsv.mockReset();
  });
  afterEach(() => setLocale('en'));

  it('suggests a path, lets the advisor edit it, writes and says where', async () => {
    suggest.mockResolvedValueOnce(PATH);
    exportCsv.mockResolvedValueOnce({ path: '/tmp/mine.csv', rows: 12, bytes: 900 });
    render(ExportPanel, { props: { kind: 'holdings', clientId: 4 } });
    await userEvent.click(screen.getByTestId('export-holdings-open'));
    const input = await screen.findByTestId('export-holdings-path');
    expect(suggest).toHaveBeenCalledWith('holdings', 4, null);
    expect(input).toHaveValue(PATH);
    await userEvent.clear(input);
    await userEvent.type(input, '/tmp/mine.csv');
    await userEvent.click(screen.getByTestId('export-holdings-save'));
    expect(exportCsv).toHaveBeenCalledWith('holdings', 4, '/tmp/mine.csv', null);
    expect(await screen.findByTestId('export-holdings-done')).toHaveTextContent('Saved 12 rows to:');
    expect(screen.getByTestId('export-holdings-written')).toHaveTextContent('/tmp/mine.csv');
  });

  it('shows the core’s refusal (never overwrite) with the next step and keeps the path', async () => {
    suggest.mockResolvedValueOnce(PATH);
    exportCsv.mockRejectedValueOnce(
      new ApiError('invalid_input', `${PATH} already exists; choose another name (files are never overwritten)`),
    );
    render(ExportPanel, { props: { kind: 'book', clientId: null } });
    await userEvent.click(screen.getByTestId('export-book-open'));
    await screen.findByTestId('export-book-path');
    await userEvent.click(screen.getByTestId('export-book-save'));
    const error = await screen.findByTestId('export-book-error');
    expect(error).toHaveTextContent('already exists');
    expect(error).toHaveTextContent('Correct the details and try again.');
    expect(screen.getByTestId('export-book-path')).toHaveValue(PATH);
    expect(exportCsv).toHaveBeenCalledWith('book', null, PATH, null);
  });

  it('exports a household’s transactions by the household', async () => {
    suggest.mockResolvedValueOnce(PATH);
    exportCsv.mockResolvedValueOnce({ path: PATH, rows: 3, bytes: 300 });
    render(ExportPanel, { props: { kind: 'transactions', clientId: null, householdId: 9 } });
    await userEvent.click(screen.getByTestId('export-transactions-open'));
    await screen.findByTestId('export-transactions-path');
    expect(suggest).toHaveBeenCalledWith('transactions', null, 9);
    await userEvent.click(screen.getByTestId('export-transactions-save'));
    expect(exportCsv).toHaveBeenCalledWith('transactions', null, PATH, 9);
    expect(await screen.findByTestId('export-transactions-done')).toHaveTextContent('Saved 3 rows to:');
  });

  it('is labelled in the current language', async () => {
    await setLocale('fr');
    render(ExportPanel, { props: { kind: 'transactions', clientId: 1 } });
    expect(screen.getByTestId('export-transactions-open')).toHaveTextContent('Exporter les opérations (CSV)');
  });
});

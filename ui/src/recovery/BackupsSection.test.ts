import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { api } from '../lib/api';
import type { BackupSummary } from '../lib/types';
import BackupsSection from './BackupsSection.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, {
    listBackups: vi.fn(),
    takeBackup: vi.fn(),
    restoreBackup: vi.fn(),
    restartApp: vi.fn(),
  }),
);

const backup = (day: number, clients: number): BackupSummary => ({
  path: `/data/backups/backup-202603${String(day).padStart(2, '0')}T020000.000Z-daily.sqlite3`,
  kind: day === 3 ? 'on_demand' : 'daily',
  taken_at: `2026-03-${String(day).padStart(2, '0')}T02:00:00Z`,
  bytes: 4096,
  rows: { clients, connections: clients * 2 },
});

describe('BackupsSection', () => {
  beforeEach(() => vi.clearAllMocks());

  it('lists backups with kind and counts, backs up now, and restores one after confirming', async () => {
    vi.mocked(api.listBackups)
      .mockResolvedValueOnce([backup(2, 10), backup(1, 9)])
      .mockResolvedValueOnce([backup(3, 11), backup(2, 10), backup(1, 9)]);
    vi.mocked(api.takeBackup).mockResolvedValueOnce({
      file: { path: backup(3, 11).path, kind: 'on_demand', taken_at: '2026-03-03T02:00:00Z' },
      rows: { clients: 11, connections: 22 },
    });
    vi.mocked(api.restoreBackup).mockResolvedValueOnce(backup(1, 9));
    vi.mocked(api.restartApp).mockResolvedValueOnce(undefined);
    render(BackupsSection);

    expect(await screen.findAllByTestId('backup-row')).toHaveLength(2);
    expect(screen.getAllByTestId('backup-row')[0]).toHaveTextContent('10 clients · 20 connections');

    await fireEvent.click(screen.getByTestId('backup-now'));
    expect(await screen.findByTestId('backup-taken')).toHaveTextContent('Backup taken: 11 clients · 22 connections.');
    expect(await screen.findAllByTestId('backup-row')).toHaveLength(3);
    expect(screen.getAllByTestId('backup-row')[0]).toHaveTextContent('On demand');

    // Restore asks first, and says what happens to what came after.
    await fireEvent.click(screen.getAllByTestId('backup-restore').at(-1)!);
    expect(api.restoreBackup).not.toHaveBeenCalled();
    expect(screen.getByTestId('backup-restore-confirm')).toHaveTextContent('/data/backups');
    await fireEvent.click(screen.getByTestId('backup-restore-yes'));
    expect(api.restoreBackup).toHaveBeenCalledWith(backup(1, 9).path);
    await vi.waitFor(() => expect(api.restartApp).toHaveBeenCalledTimes(1));
  });

  it('says when there is no backup yet', async () => {
    vi.mocked(api.listBackups).mockResolvedValueOnce([]);
    render(BackupsSection);
    expect(await screen.findByTestId('backups-empty')).toBeInTheDocument();
  });
});

import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api } from '../lib/api';
import type { StoreHealth } from '../lib/types';
import RecoveryScreen from './RecoveryScreen.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, {
    restoreLatestBackup: vi.fn(),
    restartApp: vi.fn(),
  }),
);

const damaged = (over: Partial<StoreHealth> = {}): StoreHealth => ({
  state: 'damaged',
  problem: 'Tree 5 page 12: btreeInitPage() returns error code 11',
  database: '/home/ana/.local/share/advisor-desk/advisor-desk.sqlite3',
  set_aside_dir: '/home/ana/.local/share/advisor-desk/backups',
  newest_backup: {
    path: '/home/ana/.local/share/advisor-desk/backups/backup-20260301T020000.000Z-daily.sqlite3',
    kind: 'daily',
    taken_at: '2026-03-01T02:00:00Z',
    bytes: 4096,
    rows: { clients: 12, connections: 30 },
  },
  ...over,
});

describe('RecoveryScreen', () => {
  beforeEach(() => vi.clearAllMocks());

  it('names the problem, the newest backup and where the damaged file goes, then restores and restarts', async () => {
    vi.mocked(api.restoreLatestBackup).mockResolvedValueOnce({
      path: '/b.sqlite3',
      kind: 'daily',
      taken_at: '2026-03-01T02:00:00Z',
    });
    vi.mocked(api.restartApp).mockResolvedValueOnce(undefined);
    render(RecoveryScreen, { health: damaged() });
    expect(screen.getByTestId('recovery-problem')).toHaveTextContent('btreeInitPage');
    expect(screen.getByTestId('recovery-backup')).toHaveTextContent('Daily');
    expect(screen.getByTestId('recovery-backup-holds')).toHaveTextContent('12 clients · 30 connections');
    expect(screen.getByText(/moved to \/home\/ana\/.local\/share\/advisor-desk\/backups/)).toBeInTheDocument();
    await fireEvent.click(screen.getByTestId('recovery-restore'));
    expect(api.restoreLatestBackup).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(api.restartApp).toHaveBeenCalledTimes(1));
  });

  it('says so when no sound backup exists, and shows a failed restore without restarting', async () => {
    const { unmount } = render(RecoveryScreen, { health: damaged({ newest_backup: null }) });
    expect(screen.getByTestId('recovery-no-backup')).toHaveTextContent('No sound backup');
    expect(screen.getByTestId('recovery-rebuild')).toHaveTextContent('Rebuild from the provider');
    expect(screen.queryByTestId('recovery-restore')).toBeNull();
    unmount();

    vi.mocked(api.restoreLatestBackup).mockRejectedValueOnce(new ApiError('not_found', 'sound backup in /b was not found'));
    render(RecoveryScreen, { health: damaged() });
    await fireEvent.click(screen.getByTestId('recovery-restore'));
    expect(await screen.findByRole('alert')).toHaveTextContent('sound backup in /b was not found');
    expect(api.restartApp).not.toHaveBeenCalled();
  });
});

import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api } from '../lib/api';
import { setLocale } from '../lib/i18n/i18n.svelte';
import type { FirmModeView, FirmStatusView } from '../lib/types';
import FirmSection from './FirmSection.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).onlyCommands(original, {
    firmMode: vi.fn(),
    joinFirm: vi.fn(),
    leaveFirm: vi.fn(),
    onFirmStatus: vi.fn(async () => () => {}),
  }),
);

const SOLO: FirmModeView = { firm: null };

function joined(status: FirmStatusView): FirmModeView {
  return {
    firm: {
      firm_name: 'Ruiz & Partners',
      role: 'ruiz_ana',
      server: 'db.ruiz.example:5432/book',
      tls: 'require',
      status,
    },
  };
}

const CONNECTED: FirmStatusView = {
  state: 'connected',
  since: '2026-03-20T14:02:00Z',
  schema_version: 2,
};

describe('FirmSection', () => {
  beforeEach(async () => {
    vi.clearAllMocks();
    await setLocale('en');
  });

  it('joins a firm with the invite file and passphrase, then shows the firm', async () => {
    vi.mocked(api.firmMode).mockResolvedValue(SOLO);
    vi.mocked(api.joinFirm).mockResolvedValue(joined(CONNECTED));
    render(FirmSection);
    expect(await screen.findByTestId('firm-solo')).toBeInTheDocument();
    const join = screen.getByTestId('firm-join');
    expect(join).toBeDisabled();
    await userEvent.type(screen.getByTestId('firm-invite-path'), '/home/ana/ana.invite');
    await userEvent.type(screen.getByTestId('firm-passphrase'), 'correct horse battery');
    await userEvent.click(join);
    expect(api.joinFirm).toHaveBeenCalledWith('/home/ana/ana.invite', 'correct horse battery');
    expect(await screen.findByTestId('firm-name')).toHaveTextContent('Ruiz & Partners');
    expect(screen.getByTestId('firm-role')).toHaveTextContent('ruiz_ana');
    expect(screen.getByTestId('firm-server')).toHaveTextContent('db.ruiz.example:5432/book');
    expect(screen.getByTestId('firm-schema')).toHaveTextContent('2');
    expect(screen.getByTestId('firm-status')).toHaveTextContent(/^Connected since/);
  });

  it('says why a join was refused and forgets the passphrase', async () => {
    vi.mocked(api.firmMode).mockResolvedValue(SOLO);
    vi.mocked(api.joinFirm).mockRejectedValue(
      new ApiError('wrong_passphrase', 'the passphrase does not open this invite file'),
    );
    render(FirmSection);
    await userEvent.type(await screen.findByTestId('firm-invite-path'), '/tmp/a.invite');
    await userEvent.type(screen.getByTestId('firm-passphrase'), 'not it at all');
    await userEvent.click(screen.getByTestId('firm-join'));
    expect(await screen.findByTestId('firm-error')).toHaveTextContent('does not open');
    expect(screen.getByTestId('firm-passphrase')).toHaveValue('');
    expect(screen.getByTestId('firm-invite-path')).toHaveValue('/tmp/a.invite');
  });

  it('follows the status events and leaves firm mode after confirming', async () => {
    let push: (s: FirmStatusView) => void = () => {};
    vi.mocked(api.onFirmStatus).mockImplementationOnce(async (f) => ((push = f), () => {}));
    vi.mocked(api.firmMode).mockResolvedValue(joined(CONNECTED));
    vi.mocked(api.leaveFirm).mockResolvedValue(SOLO);
    render(FirmSection);
    const status = await screen.findByTestId('firm-status');
    push({
      state: 'unreachable',
      since: '2026-03-20T14:05:00Z',
      code: 'firm_unreachable',
      message: 'connection refused',
      last_loaded: null,
    });
    await waitFor(() => expect(status).toHaveTextContent(/Cannot be reached since .*connection refused/));
    expect(status).toHaveAttribute('data-state', 'unreachable');
    await userEvent.click(screen.getByTestId('firm-leave'));
    expect(api.leaveFirm).not.toHaveBeenCalled();
    await userEvent.click(screen.getByTestId('firm-leave-yes'));
    expect(await screen.findByTestId('firm-solo')).toBeInTheDocument();
  });

  it('speaks Spanish', async () => {
    await setLocale('es');
    vi.mocked(api.firmMode).mockResolvedValue(
      joined({ state: 'not_started', code: 'firm_sign_in_refused', message: 'sin contraseña' }),
    );
    render(FirmSection);
    expect(await screen.findByTestId('firm-status')).toHaveTextContent(
      'El modo firma no se inició: sin contraseña',
    );
    expect(screen.getByRole('heading', { name: 'Firma' })).toBeInTheDocument();
  });
});

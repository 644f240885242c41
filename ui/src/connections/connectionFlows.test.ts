import { beforeEach, describe, expect, it, vi } from 'vitest';
import { api } from '../lib/api';
import type { FirmChange, LinkEvent, LinkWindowNotice } from '../lib/types';
import { ConnectionFlows } from './connectionFlows.svelte';

vi.mock(import('../lib/api'), async (original) =>
  (await import('../test/mockApi')).mockCommands(original, [
    'listConnections', 'pendingLinks', 'startConnect', 'onLinkEvent', 'onSyncFinished', 'onFirmChanged',
    'linkInboxReady', 'onLinkWindowNotice',
  ]),
);

let deliver: (e: LinkEvent) => void = () => {};
let notify: (n: LinkWindowNotice) => void = () => {};
let firmChanged: (c: FirmChange) => void = () => {};

describe('connection flows', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    vi.mocked(api.listConnections).mockResolvedValue([]);
    vi.mocked(api.pendingLinks).mockResolvedValue([]);
    vi.mocked(api.onLinkEvent).mockImplementation(async (f) => {
      deliver = f;
      return () => {};
    });
    vi.mocked(api.onSyncFinished).mockResolvedValue(() => {});
    vi.mocked(api.onFirmChanged).mockImplementation(async (f) => {
      firmChanged = f;
      return () => {};
    });
    vi.mocked(api.linkInboxReady).mockResolvedValue([]);
    vi.mocked(api.onLinkWindowNotice).mockImplementation(async (f) => {
      notify = f;
      return () => {};
    });
  });

  it("re-reads the list when another desktop changed the firm's connections, not for other tables", async () => {
    const flows = new ConnectionFlows(() => 7);
    const stop = flows.listen();
    await vi.waitFor(() => expect(api.onFirmChanged).toHaveBeenCalled());
    firmChanged({ table: 'clients' });
    firmChanged({ table: 'link_sessions' });
    expect(api.listConnections).not.toHaveBeenCalled();
    firmChanged({ table: 'connections' });
    firmChanged({ table: 'refresh_outcomes' });
    // After an outage the listener cannot say what changed: everything is re-read.
    firmChanged({ table: null });
    await vi.waitFor(() => expect(api.listConnections).toHaveBeenCalledTimes(3));
    expect(api.listConnections).toHaveBeenCalledWith(7);
    stop();
  });

  it('says when a page of its own flow asked for a window or link that could not open', async () => {
    const flows = new ConnectionFlows(() => 7);
    const stop = flows.listen();
    await vi.waitFor(() => expect(api.onLinkWindowNotice).toHaveBeenCalled());
    const notice: LinkWindowNotice = { session_id: 5, kind: 'browser_failed', page: 'https://bank.example/help' };
    notify(notice);
    expect(flows.notice).toBeNull(); // not this panel's flow yet

    vi.mocked(api.startConnect).mockResolvedValueOnce({ session_id: 5, window: 'link-5' });
    await flows.connect();
    notify(notice);
    expect(flows.notice?.tone).toBe('error');
    expect(flows.notice?.text).toContain('https://bank.example/help');
    expect(flows.notice?.text).toContain('no web browser started');
    stop();
  });

  it('takes a link error only while a window it opened is open', async () => {
    const flows = new ConnectionFlows(() => 7);
    const stop = flows.listen();
    await vi.waitFor(() => expect(api.linkInboxReady).toHaveBeenCalled());
    const failed: LinkEvent = {
      source: 'embedded_window',
      outcome: null,
      error: { code: 'keychain_locked', message: 'the keychain is locked' },
    };
    deliver(failed);
    expect(flows.actionError).toBeNull();

    vi.mocked(api.startConnect).mockResolvedValueOnce({ session_id: 5, window: 'link-5' });
    await flows.connect();
    expect(api.startConnect).toHaveBeenCalledWith(7, 'flanks_link');
    deliver(failed);
    expect(flows.actionError?.code).toBe('keychain_locked');
    // The window is closed now: a second error is someone else's.
    flows.actionError = null;
    deliver(failed);
    expect(flows.actionError).toBeNull();
    stop();
  });

  it('shows results of its own sessions, also those that carry no client id', async () => {
    const flows = new ConnectionFlows(() => 7);
    const stop = flows.listen();
    await vi.waitFor(() => expect(api.linkInboxReady).toHaveBeenCalled());
    deliver({ source: 'poller', error: null, outcome: { outcome: 'closed', session_id: 5 } });
    expect(flows.notice).toBeNull();

    vi.mocked(api.startConnect).mockResolvedValueOnce({ session_id: 5, window: 'link-5' });
    await flows.connect();
    deliver({ source: 'poller', error: null, outcome: { outcome: 'closed', session_id: 5 } });
    expect(flows.notice?.tone).toBe('info');
    expect(flows.notice?.text).toContain('closed');
    stop();
  });

  it('says plainly when a firm link result waits for the firm database', async () => {
    const flows = new ConnectionFlows(() => 7);
    const stop = flows.listen();
    await vi.waitFor(() => expect(api.linkInboxReady).toHaveBeenCalled());
    deliver({
      source: 'embedded_window',
      error: null,
      outcome: { outcome: 'kept_for_firm', session_id: 9, client_id: 7 },
    });
    expect(flows.notice?.tone).toBe('info');
    expect(flows.notice?.text).toBe(
      'Connected — it will appear in the firm’s book when the firm database is back.',
    );
    stop();
  });
});

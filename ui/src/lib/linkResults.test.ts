import { describe, expect, it, vi } from 'vitest';
import { api } from './api';
import { listenToLinkResults, stopListening } from './linkResults';
import type { LinkEvent } from './types';

vi.mock(import('./api'), async (original) =>
  (await import('../test/mockApi')).mockCommands(original, ['onLinkEvent', 'linkInboxReady']),
);

const held: LinkEvent = {
  source: 'deep_link',
  error: null,
  outcome: { outcome: 'closed', session_id: 3 },
};

describe('link results', () => {
  it('asks for the held results only once subscribed, and hands them to the handler', async () => {
    const order: string[] = [];
    let subscribed: (stop: () => void) => void = () => {};
    vi.mocked(api.onLinkEvent).mockImplementation(() => {
      order.push('subscribe');
      return new Promise((r) => (subscribed = r));
    });
    vi.mocked(api.linkInboxReady).mockImplementation(async () => {
      order.push('inbox');
      return [held];
    });
    const handler = vi.fn();
    const stop = vi.fn();
    const subscription = listenToLinkResults(handler);
    await Promise.resolve();
    expect(order).toEqual(['subscribe']);
    subscribed(stop);
    await expect(subscription).resolves.toBe(stop);
    await vi.waitFor(() => expect(handler).toHaveBeenCalledOnce());
    expect(handler.mock.calls[0]?.[0]).toBe(held);
    expect(order).toEqual(['subscribe', 'inbox']);
  });

  it('ends every subscription, also when one of them failed', async () => {
    const stop = vi.fn();
    stopListening([Promise.resolve(stop), Promise.reject(new Error('no event bridge'))]);
    await vi.waitFor(() => expect(stop).toHaveBeenCalledOnce());
  });
});

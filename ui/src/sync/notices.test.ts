import { describe, expect, it } from 'vitest';
import { MAX_SHOWN, Notices, REFUSAL_WINDOW_MS } from './notices.svelte';

describe('notices', () => {
  it('counts refusals in one notice, and starts again after a quiet minute', () => {
    let now = 1_000;
    const n = new Notices(() => now);
    for (let i = 0; i < 1000; i++) n.refused('bad state');
    expect(n.list).toHaveLength(1);
    expect(n.list[0]).toMatchObject({ kind: 'refused', count: 1000 });
    now += REFUSAL_WINDOW_MS + 1;
    n.refused('bad state');
    expect(n.list[0]).toMatchObject({ kind: 'refused', count: 1 });
  });

  it('keeps one "need action" notice, emptied as connections become healthy', () => {
    const n = new Notices();
    n.needsAction([1, 2]);
    n.needsAction([2, 3]);
    expect(n.list).toHaveLength(1);
    expect(n.list[0]).toMatchObject({ kind: 'needs_action', connections: [1, 2, 3] });
    n.healthy([1, 3]);
    expect(n.list[0]).toMatchObject({ connections: [2] });
    n.healthy([2]);
    expect(n.list).toHaveLength(0);
    n.needsAction([]);
    expect(n.list).toHaveLength(0);
  });

  it('counts a repeated text and never shows more than a few notices', () => {
    const n = new Notices();
    n.text('error', 'Expired.');
    n.text('error', 'Expired.');
    expect(n.list).toEqual([expect.objectContaining({ text: 'Expired.', count: 2 })]);
    for (let i = 0; i < 10; i++) n.text('ok', `Connected ${i}`);
    expect(n.list).toHaveLength(MAX_SHOWN);
    expect(n.list.at(-1)).toMatchObject({ text: 'Connected 9' });
    n.dismiss(n.list[0]!.id);
    expect(n.list).toHaveLength(MAX_SHOWN - 1);
  });
});

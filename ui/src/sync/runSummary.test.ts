import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '../lib/i18n/i18n.svelte';
import type { NeedsAction, RunReport } from '../lib/types';
import { needsSomeone, summaryParts } from './runSummary';

const needs = (id: number, name: string): NeedsAction => ({
  connection_id: id,
  client_id: id,
  client_name: name,
  institution: `Bank ${id}`,
  status: 'blocked',
  newly: false,
});

const report = (over: Partial<RunReport>): RunReport => ({
  total: 0,
  updated: 0,
  retrying: 0,
  cancelled: 0,
  needs_client: [],
  needs_advisor: [],
  ...over,
});

describe('run summary', () => {
  afterEach(() => setLocale('en'));

  it('names the first few who are needed and counts the rest', () => {
    const r = report({
      updated: 1,
      retrying: 2,
      cancelled: 1,
      needs_client: [1, 2, 3, 4, 5].map((i) => needs(i, `C${i}`)),
    });
    expect(summaryParts(r)).toEqual([
      '1 updated',
      '5 need the client: C1 (Bank 1), C2 (Bank 2), C3 (Bank 3) and 2 more',
      '2 will be retried',
      '1 not updated (cancelled)',
    ]);
    expect(needsSomeone(r)).toBe(true);
    expect(needsSomeone(report({ updated: 3 }))).toBe(false);
  });

  it('speaks Spanish', async () => {
    await setLocale('es');
    const r = report({ updated: 23, needs_advisor: [needs(1, 'Ana Ruiz')] });
    expect(summaryParts(r)).toEqual(['23 actualizadas', '1 le necesita a usted: Ana Ruiz (Bank 1)']);
  });
});

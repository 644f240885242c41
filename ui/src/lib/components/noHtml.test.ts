// No component renders text as HTML: provider and client text is always interpolated
// (escaped by Svelte). ESLint also forbids `{@html}`; this check covers every .svelte file,
// including ones ESLint might be told to skip.
import { describe, expect, it } from 'vitest';

const sources = import.meta.glob<string>('/src/**/*.svelte', { query: '?raw', import: 'default', eager: true });

describe('components', () => {
  it('never use {@html} or innerHTML', () => {
    const files = Object.keys(sources);
    expect(files.length).toBeGreaterThan(15);
    const offenders = files.filter((f) => /\{@html|innerHTML|outerHTML|insertAdjacentHTML/.test(sources[f] ?? ''));
    expect(offenders).toEqual([]);
  });
});

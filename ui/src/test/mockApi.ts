// The adapter (`lib/api`) as component tests mock it, from the test's own `vi.mock` (hoisted,
// so it imports this module itself):
//   vi.mock(import('../lib/api'), async (original) =>
//     (await import('../test/mockApi')).onlyCommands(original, { healthQueue: vi.fn() }));
import { vi } from 'vitest';
import type * as Adapter from '../lib/api';

type Module = typeof Adapter;
type Command = keyof Module['api'];

/** The adapter with `api` made of `commands` only: a command the test does not list is absent. */
export async function onlyCommands(
  original: () => Promise<Module>,
  commands: Partial<Record<Command, unknown>>,
): Promise<Module> {
  return { ...(await original()), api: commands as unknown as Module['api'] };
}

/** The adapter with the named commands replaced by bare mocks, the others left as they are. */
export async function mockCommands(original: () => Promise<Module>, names: Command[]): Promise<Module> {
  const o = await original();
  return { ...o, api: { ...o.api, ...Object.fromEntries(names.map((n) => [n, vi.fn()])) } };
}

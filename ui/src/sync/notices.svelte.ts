// The notices the activity centre shows, kept so that they cannot flood the window:
// - refused links coalesce into one notice that counts them ("12 links were refused in the
//   last minute"), whatever arrives;
// - "N connections need action" is about named connections, and goes away once each of them
//   is healthy again;
// - any other text already on screen is counted rather than repeated;
// - at most MAX_SHOWN notices at once (the oldest goes).

export type Tone = 'ok' | 'warn' | 'error';

export type Notice =
  | { id: number; kind: 'refused'; tone: 'error'; count: number; message: string; last: number }
  | { id: number; kind: 'needs_action'; tone: 'warn'; connections: number[] }
  | { id: number; kind: 'text'; tone: Tone; text: string; count: number };

export const MAX_SHOWN = 3;
/** Refusals further apart than this start a new count. */
export const REFUSAL_WINDOW_MS = 60_000;

export class Notices {
  list = $state<Notice[]>([]);
  #nextId = 0;
  #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A refused link: counted into the one refusal notice. */
  refused(message: string) {
    const now = this.#now();
    const existing = this.list.find((n) => n.kind === 'refused');
    if (existing && existing.kind === 'refused') {
      const fresh = now - existing.last <= REFUSAL_WINDOW_MS;
      this.#replace(existing.id, {
        ...existing,
        count: fresh ? existing.count + 1 : 1,
        message,
        last: now,
      });
      return;
    }
    this.#push({ id: this.#nextId++, kind: 'refused', tone: 'error', count: 1, message, last: now });
  }

  /** Connections that need someone: added to the one "need action" notice. */
  needsAction(connectionIds: number[]) {
    if (connectionIds.length === 0) return;
    const existing = this.list.find((n) => n.kind === 'needs_action');
    if (existing && existing.kind === 'needs_action') {
      this.#replace(existing.id, { ...existing, connections: unique([...existing.connections, ...connectionIds]) });
      return;
    }
    this.#push({ id: this.#nextId++, kind: 'needs_action', tone: 'warn', connections: unique(connectionIds) });
  }

  /** Connections healthy again: they leave the "need action" notice (and it goes when empty). */
  healthy(connectionIds: number[]) {
    this.list = this.list.flatMap((n): Notice[] => {
      if (n.kind !== 'needs_action') return [n];
      const left = n.connections.filter((id) => !connectionIds.includes(id));
      return left.length === 0 ? [] : [{ ...n, connections: left }];
    });
  }

  /** Any other message; the same text again is counted on the notice already shown. */
  text(tone: Tone, text: string) {
    const same = this.list.find((n) => n.kind === 'text' && n.text === text && n.tone === tone);
    if (same && same.kind === 'text') {
      this.#replace(same.id, { ...same, count: same.count + 1 });
      return;
    }
    this.#push({ id: this.#nextId++, kind: 'text', tone, text, count: 1 });
  }

  dismiss(id: number) {
    this.list = this.list.filter((n) => n.id !== id);
  }

  #push(n: Notice) {
    this.list = [...this.list, n].slice(-MAX_SHOWN);
  }

  #replace(id: number, n: Notice) {
    this.list = this.list.map((x) => (x.id === id ? n : x));
  }
}

/** The ids in their first order, each once (a handful: a plain scan is enough). */
function unique(ids: number[]): number[] {
  return ids.filter((id, i) => ids.indexOf(id) === i);
}

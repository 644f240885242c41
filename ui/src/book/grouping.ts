// How the Book lists the clients: one row per person, or one per household (its members
// beneath it). Remembered in this window's local storage, not in the book's settings: it is a
// way of looking, not part of the advisor's data (settings travel in a book export and every
// change to them is audited), and reading it costs no IPC before the book's first paint.

export type BookGrouping = 'person' | 'household';

const STORAGE_KEY = 'advisor-desk.book.grouping';

export function loadGrouping(): BookGrouping {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) === 'household' ? 'household' : 'person';
  } catch {
    // Storage refused (a locked-down webview): the default view.
    return 'person';
  }
}

export function saveGrouping(grouping: BookGrouping): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, grouping);
  } catch {
    // Not remembered this time; the view still changes.
  }
}

// The book is the first screen: its data is asked for while the UI is still being set up
// (main.ts), and the book screen's first load takes that answer instead of asking again.
import { api } from '../lib/api';
import type { BookSummary } from '../lib/types';

let prefetched: Promise<BookSummary> | null = null;

/** Starts `bookSummary()` now, for the book screen's first load. */
export function prefetchBook(): void {
  prefetched = api.bookSummary();
  // Marks the answer's arrival for the start-up probe. The rejection handler also keeps a
  // failure, handled by whoever takes it, from being an "unhandled rejection" until then.
  void prefetched.then(
    () => performance.mark('advisor-desk:book'),
    () => {},
  );
}

/** The prefetched book, once (later loads, e.g. a retry, ask the API again); else a new call. */
export function takeBook(): Promise<BookSummary> {
  const book = prefetched ?? api.bookSummary();
  prefetched = null;
  return book;
}

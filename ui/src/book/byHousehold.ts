// The rows of the book by household: each household (its members beneath it) and each client
// in no household, in one name-ordered list, filtered like the book by person.
import type { BookByHousehold, BookRow, Health, HouseholdBookRow } from '../lib/types';

export type Entry =
  | {
      kind: 'household';
      row: HouseholdBookRow;
      /** A member's name matched the search: the household opens to show them. */
      memberMatched: boolean;
    }
  | { kind: 'person'; row: BookRow };

/** Case- and accent-insensitive form of a name, for searching. */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

export function entriesOf(
  book: BookByHousehold,
  search: string,
  health: 'all' | Health,
  locale: string,
): Entry[] {
  const q = fold(search.trim());
  const matches = (name: string) => !q || fold(name).includes(q);
  const healthy = (h: Health) => health === 'all' || h === health;
  const entries: Entry[] = [];
  for (const row of book.households) {
    if (!healthy(row.health)) continue;
    const memberMatched = q !== '' && row.members.some((m) => matches(m.name));
    if (matches(row.household.name) || memberMatched) entries.push({ kind: 'household', row, memberMatched });
  }
  for (const row of book.people) {
    if (healthy(row.health) && matches(row.name)) entries.push({ kind: 'person', row });
  }
  const collator = new Intl.Collator(locale, { sensitivity: 'base' });
  return entries.sort((a, b) => collator.compare(nameOf(a), nameOf(b)));
}

export function nameOf(entry: Entry): string {
  return entry.kind === 'household' ? entry.row.household.name : entry.row.name;
}

// Translation and locale-aware formatting. The current locale is reactive state: any
// component that calls `t()` or a formatter re-renders when it changes.
// English ships with the app's first script (it is the fallback); Spanish and French are
// fetched when first chosen, and until one arrives its messages are the English ones.
import { en, type Catalogue, type MessageKey } from './en';

export type { MessageKey } from './en';

export const LOCALES = ['en', 'es', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

/** Each language's own name, shown in the switcher whatever the current language. */
export const LOCALE_NAMES: Record<Locale, string> = {
  en: 'English',
  es: 'Español',
  fr: 'Français',
};

const LOADERS: Record<Exclude<Locale, 'en'>, () => Promise<Catalogue>> = {
  es: () => import('./es').then((m) => m.es),
  fr: () => import('./fr').then((m) => m.fr),
};
const loaded: Partial<Record<Locale, Catalogue>> = { en };
const loading: Partial<Record<Locale, Promise<void>>> = {};
const STORAGE_KEY = 'advisor-desk.locale';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The saved choice, else the first OS/browser language we serve, else English. */
export function detectLocale(
  saved: string | null,
  preferred: readonly string[] = [],
): Locale {
  if (isLocale(saved)) return saved;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLocale(base)) return base;
  }
  return 'en';
}

function readSaved(): string | null {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}

let current = $state<Locale>(detectLocale(readSaved(), globalThis.navigator?.languages ?? []));
// The messages in use: the current locale's once loaded, English until then. Raw state: one
// signal for the whole catalogue, not one per key.
let active = $state.raw<{ locale: Locale; messages: Catalogue }>({ locale: 'en', messages: en });

function activate(): void {
  const messages = loaded[current];
  const next = messages ? { locale: current, messages } : { locale: 'en' as const, messages: en };
  if (next.locale !== active.locale) active = next;
}

/** Fetches a locale's catalogue (once). Never rejects: a catalogue that fails to load leaves
 * English in place, and a later call tries again. */
export function loadCatalogue(locale: Locale): Promise<void> {
  if (locale === 'en' || loaded[locale]) return Promise.resolve();
  return (loading[locale] ??= LOADERS[locale]()
    .then((messages) => {
      loaded[locale] = messages;
      activate();
    })
    .catch(() => {})
    .finally(() => delete loading[locale]));
}

export function getLocale(): Locale {
  return current;
}

/** Switches language at once (English text until the catalogue arrives, then a re-render);
 * the promise settles when the catalogue is in use (or failed to load: English stays). */
export function setLocale(locale: Locale): Promise<void> {
  current = locale;
  activate();
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, locale);
  } catch {
    // Storage can be unavailable; the choice then lasts for this session only.
  }
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
  return loadCatalogue(locale);
}

export type Params = Record<string, string | number>;

function interpolate(template: string, params: Params | undefined): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? formatNumber(value) : value;
  });
}

/** The message for `key` in the current language, with `{name}` placeholders filled. */
export function t(key: MessageKey, params?: Params): string {
  return interpolate(active.messages[key] ?? en[key], params);
}

/** A plural message: `base.one`, `base.other`, … chosen by the language's plural rules. */
export function tn(base: string, count: number, params?: Params): string {
  // The rules of the language the messages are in (English while a catalogue loads).
  const rule = new Intl.PluralRules(active.locale).select(count);
  const catalogue = active.messages as Record<string, string>;
  const template = catalogue[`${base}.${rule}`] ?? catalogue[`${base}.other`] ?? base;
  return interpolate(template, { count, ...params });
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat(current).format(value);
}

/** The time of day (hours and minutes) of an RFC 3339 timestamp, in the local time zone. */
export function formatTime(iso: string): string {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local value, not state
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(current, { timeStyle: 'short' }).format(date);
}

/** A calendar date from an RFC 3339 timestamp, in the current language's style. */
export function formatDate(iso: string): string {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local value, not state
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium' }).format(date);
}

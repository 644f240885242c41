// Translation and locale-aware formatting. The current locale is reactive state: any
// component that calls `t()` or a formatter re-renders when it changes.
import { en, type MessageKey } from './en';
import { es } from './es';
import { fr } from './fr';

export type { MessageKey } from './en';

export const LOCALES = ['en', 'es', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

/** Each language's own name, shown in the switcher whatever the current language. */
export const LOCALE_NAMES: Record<Locale, string> = {
  en: 'English',
  es: 'Español',
  fr: 'Français',
};

const CATALOGUES: Record<Locale, Record<MessageKey, string>> = { en, es, fr };
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

export function getLocale(): Locale {
  return current;
}

export function setLocale(locale: Locale): void {
  current = locale;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, locale);
  } catch {
    // Storage can be unavailable; the choice then lasts for this session only.
  }
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
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
  return interpolate(CATALOGUES[current][key] ?? en[key], params);
}

/** A plural message: `base.one`, `base.other`, … chosen by the language's plural rules. */
export function tn(base: string, count: number, params?: Params): string {
  const rule = new Intl.PluralRules(current).select(count);
  const catalogue = CATALOGUES[current] as Record<string, string>;
  const template = catalogue[`${base}.${rule}`] ?? catalogue[`${base}.other`] ?? base;
  return interpolate(template, { count, ...params });
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat(current).format(value);
}

/** A calendar date from an RFC 3339 timestamp, in the current language's style. */
export function formatDate(iso: string): string {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local value, not state
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium' }).format(date);
}

// Locale-aware formatting of the workspace's figures. Money arrives as integer minor units
// with its ISO currency (core `money.rs`); it is turned into an exact decimal string before
// `Intl` sees it, so no binary floating point touches an amount.
import { getLocale } from '../i18n/i18n.svelte';

/** ISO 4217 minor-unit exponent, as the core's `Currency::exponent`. */
export function exponent(currency: string): number {
  if (['JPY', 'KRW', 'CLP', 'ISK'].includes(currency)) return 0;
  if (['BHD', 'KWD', 'OMR', 'TND', 'JOD'].includes(currency)) return 3;
  return 2;
}

/** `-1250`, `EUR` → `"-12.50"`: exact, whatever the size. */
export function minorToDecimal(minor: number, currency: string): string {
  const exp = exponent(currency);
  const negative = minor < 0;
  const digits = String(Math.abs(Math.trunc(minor))).padStart(exp + 1, '0');
  const whole = exp === 0 ? digits : digits.slice(0, -exp);
  const frac = exp === 0 ? '' : `.${digits.slice(-exp)}`;
  return `${negative ? '-' : ''}${whole}${frac}`;
}

const cache = new Map<string, Intl.NumberFormat>();

function moneyFormat(currency: string, compact: boolean): Intl.NumberFormat {
  const key = `${getLocale()}|${currency}|${compact}`;
  let f = cache.get(key);
  if (!f) {
    const exp = exponent(currency);
    try {
      f = new Intl.NumberFormat(getLocale(), {
        style: 'currency',
        currency,
        ...(compact
          ? { notation: 'compact', maximumFractionDigits: 1 }
          : { minimumFractionDigits: exp, maximumFractionDigits: exp }),
      });
    } catch {
      // An unknown code from a provider: a plain number followed by the code.
      f = new Intl.NumberFormat(getLocale(), { minimumFractionDigits: exp });
    }
    cache.set(key, f);
  }
  return f;
}

/** `1234567`, `EUR` → `12.345,67 €` in Spanish, `€12,345.67` in English. */
export function formatMoney(minor: number, currency: string, compact = false): string {
  const f = moneyFormat(currency, compact);
  // Intl accepts decimal strings (exact); the type definitions of ES2021 do not say so.
  const text = f.format(minorToDecimal(minor, currency) as unknown as number);
  return f.resolvedOptions().style === 'currency' ? text : `${text} ${currency}`;
}

/** A calendar date (`YYYY-MM-DD` or a timestamp) in the current language, never shifted
 *  by the time zone for date-only values. */
export function formatDay(iso: string | null | undefined): string {
  if (!iso) return '';
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  const date = new Date(dateOnly ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(date.getTime())) return iso;
  // Building an Intl formatter costs far more than using one: one per locale and kind.
  const key = `${getLocale()}|${dateOnly}`;
  let f = dateCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(getLocale(), {
      dateStyle: 'medium',
      ...(dateOnly ? { timeZone: 'UTC' } : {}),
    });
    dateCache.set(key, f);
  }
  return f.format(date);
}

const dateCache = new Map<string, Intl.DateTimeFormat>();

/** A moment (date and time to the second) in the current language, e.g. an audit entry's. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const key = `${getLocale()}|time`;
  let f = dateCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(getLocale(), { dateStyle: 'medium', timeStyle: 'medium' });
    dateCache.set(key, f);
  }
  return f.format(date);
}

/** `3 days ago`, `hace 3 días`, `il y a 3 jours`. */
export function formatAge(days: number): string {
  return new Intl.RelativeTimeFormat(getLocale(), { numeric: 'auto' }).format(-days, 'day');
}

/** A published exchange rate (`"0.680874"`, as the core sends it) in the current language's
 * digits, every decimal kept: `0,680874` in Spanish. Display only; nothing is computed with it. */
export function formatRate(rate: string): string {
  const places = rate.split('.')[1]?.length ?? 0;
  const value = Number(rate);
  if (!Number.isFinite(value)) return rate;
  return new Intl.NumberFormat(getLocale(), { minimumFractionDigits: places, maximumFractionDigits: places }).format(value);
}

/** Basis points → `12.5 %` in the current language. */
export function formatPercent(bp: number): string {
  return new Intl.NumberFormat(getLocale(), {
    style: 'percent',
    maximumFractionDigits: 1,
  }).format(bp / 10_000);
}

/** Whole days between an ISO timestamp and now. */
export function daysSince(iso: string | null, now: Date = new Date()): number | null {
  if (!iso) return null;
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.floor((now.getTime() - t) / 86_400_000));
}

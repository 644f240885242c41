// The Book's columns, the same by person and by household.
import { t } from '../lib/i18n/i18n.svelte';

export function bookColumns(): { label: string; num?: boolean }[] {
  return [
    { label: t('book.col.client') },
    { label: t('book.col.value'), num: true },
    { label: t('book.col.connections'), num: true },
    { label: t('book.col.health') },
    { label: t('book.col.age') },
  ];
}

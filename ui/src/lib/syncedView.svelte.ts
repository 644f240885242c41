// What a screen shows of one record (a client, a household): loading, ready or failed.
// It loads again when the record's id changes, and a finished sync (this record's or all) or,
// in firm mode, a change on the firm database (another desktop's new connection or refresh)
// reloads it quietly, keeping the figures on screen instead of a skeleton.
// Create it while a component initialises: it ties its effect and listener to that component.
import { onMount } from 'svelte';
import { api, toApiError, type ApiError } from './api';

export type ViewState<T> =
  | { status: 'loading' }
  | { status: 'ready'; value: T }
  | { status: 'error'; error: ApiError };

export class SyncedView<T> {
  state = $state.raw<ViewState<T>>({ status: 'loading' });
  #id: () => number;
  #fetch: (id: number) => Promise<T>;
  #reloading: Promise<void> | null = null;
  #again = false;

  /** `id` reads the component's prop, so a new id loads the new record. */
  constructor(id: () => number, fetch: (id: number) => Promise<T>) {
    this.#id = id;
    this.#fetch = fetch;
    $effect(() => {
      void this.load();
    });
    onMount(() => {
      const unlisten = [
        api.onSyncFinished(() => void this.load(true)),
        api.onFirmChanged(() => this.#reloadCoalesced()),
      ];
      return () => unlisten.forEach((u) => void u.then((stop) => stop()));
    });
  }

  /** A quiet reload, at most one running and one waiting: a firm's refresh round sends a
   * change per connection, and the page needs only the last state. */
  #reloadCoalesced(): void {
    if (this.#reloading) {
      this.#again = true;
      return;
    }
    this.#reloading = this.load(true).finally(() => {
      this.#reloading = null;
      if (this.#again) {
        this.#again = false;
        this.#reloadCoalesced();
      }
    });
  }

  /** Loads the record; `quiet` keeps what is shown until the answer comes. */
  async load(quiet = false): Promise<void> {
    const id = this.#id();
    if (!quiet) this.state = { status: 'loading' };
    try {
      const value = await this.#fetch(id);
      // An answer for a record the screen has left is dropped.
      if (id === this.#id()) this.state = { status: 'ready', value };
    } catch (raw) {
      if (id === this.#id()) this.state = { status: 'error', error: toApiError(raw) };
    }
  }
}

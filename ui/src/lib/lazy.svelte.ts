// A screen that is not in the first script: its chunk is fetched when first shown and kept,
// so a second visit draws at once. A failed fetch may be tried again.
import { toApiError, type ApiError } from './api';

export class LazyModule<T> {
  /** The loaded export, once there. */
  value = $state.raw<T | null>(null);
  error = $state.raw<ApiError | null>(null);
  #fetch: () => Promise<{ default: T }>;
  #pending: Promise<void> | null = null;

  constructor(fetch: () => Promise<{ default: T }>) {
    this.#fetch = fetch;
  }

  /** Fetches the module unless it is loaded or on its way. */
  load(): Promise<void> {
    if (this.value !== null) return Promise.resolve();
    if (!this.#pending) {
      this.error = null;
      this.#pending = this.#fetch()
        .then(
          (module) => void (this.value = module.default),
          (raw) => void (this.error = toApiError(raw)),
        )
        .finally(() => (this.#pending = null));
    }
    return this.#pending;
  }
}

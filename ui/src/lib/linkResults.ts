// Listening to link results (`link://outcome`) the way every listener must: subscribe first,
// then ask for the results that arrived before anyone listened (e.g. a deep link at start-up).
// The app hands those over once, to whichever listener asks first.
import { api } from './api';
import type { LinkEvent } from './types';

type Unlisten = () => void;

/** Subscribes `handler`, then gives it the held results; resolves to the unsubscribe. */
export function listenToLinkResults(handler: (e: LinkEvent) => void): Promise<Unlisten> {
  const links = api.onLinkEvent(handler);
  void links
    .then(() => api.linkInboxReady())
    .then((held) => held.forEach(handler))
    .catch(() => {});
  return links;
}

/** Ends subscriptions that may still be on their way; a failed one has nothing to end. */
export function stopListening(subscriptions: Promise<Unlisten>[]): void {
  for (const u of subscriptions) void u.then((stop) => stop()).catch(() => {});
}

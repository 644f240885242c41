// Routing (hash based: the app is served from tauri:// with no server to rewrite paths):
//   #/            the book (home)        #/client/<id>  one client
//   #/health      the health queue       #/clients      add and list clients
//   #/settings    provider environment, API keys, base URLs
//   #/households  households and their members   #/household/<id>  one household
//   #/audit       the audit log (refused links, counted floods, settings changes)
// Anything else is the book.

export type Route =
  | { name: 'book' }
  | { name: 'client'; id: number }
  | { name: 'health' }
  | { name: 'clients' }
  | { name: 'settings' }
  | { name: 'audit' }
  | { name: 'households' }
  | { name: 'household'; id: number };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const client = /^\/client\/(\d+)$/.exec(path);
  if (client) return { name: 'client', id: Number(client[1]) };
  if (path === '/health') return { name: 'health' };
  if (path === '/clients') return { name: 'clients' };
  if (path === '/settings') return { name: 'settings' };
  if (path === '/audit') return { name: 'audit' };
  if (path === '/households') return { name: 'households' };
  const household = /^\/household\/(\d+)$/.exec(path);
  if (household) return { name: 'household', id: Number(household[1]) };
  return { name: 'book' };
}

// English: the reference catalogue. Every key here must exist in es.ts and fr.ts (the type
// checker enforces it, and catalogues.test.ts checks the placeholders match).
export const en = {
  'app.name': 'Advisor Desk',
  'app.version': 'Version {version}',
  'app.loading': 'Opening Advisor Desk…',
  'nav.label': 'Main',
  'nav.clients': 'Clients',
  'badge.sandbox': 'Sandbox',
  'badge.sandboxHint': 'Provider calls go to the test environment, not to real banks.',
  'language.label': 'Language',

  'clients.title': 'Clients',
  'clients.subtitle': 'Your book of clients and households.',
  'clients.count.one': '{count} client',
  'clients.count.other': '{count} clients',
  'clients.listLabel': 'Client list',
  'clients.col.name': 'Name',
  'clients.col.kind': 'Type',
  'clients.col.email': 'E-mail',
  'clients.col.phone': 'Phone',
  'clients.col.added': 'Added',
  'clients.kind.person': 'Person',
  'clients.kind.household': 'Household',
  'clients.none': '—',
  'clients.loading': 'Loading clients…',
  'clients.empty.title': 'No clients yet',
  'clients.empty.body':
    'Add your first client with the form. Their bank connections and accounts will appear here.',
  'clients.error.title': 'The client list could not be loaded',
  'clients.new': 'New client',
  'clients.retry': 'Try again',

  'form.title': 'Add a client',
  'form.intro': 'Only the name is required.',
  'form.name': 'Name',
  'form.namePlaceholder': 'e.g. Beatriz Ruiz',
  'form.kind': 'Type',
  'form.email': 'E-mail',
  'form.phone': 'Phone',
  'form.notes': 'Notes',
  'form.optional': 'optional',
  'form.submit': 'Add client',
  'form.saving': 'Adding…',
  'form.nameRequired': "Enter the client's name.",
  'form.added': '{name} was added.',
  'form.errorTitle': 'The client was not added',

  'error.invalid_input': 'Correct the details and try again.',
  'error.not_found': 'It may have been removed meanwhile. Reload the list.',
  'error.schema_too_new':
    'This data was saved by a newer version of Advisor Desk. Update the app to open it.',
  'error.database':
    'The local database could not be used. Restart Advisor Desk; if this persists, run “advisor-desk-cli doctor”.',
  'error.io': 'A file could not be read or written. Check that the data folder is available.',
  'error.keychain': 'The system keychain did not answer. Unlock it and try again.',
  'error.unknown': 'Something went wrong inside the app. Restart it and try again.',
} as const;

export type MessageKey = keyof typeof en;
export type Catalogue = Record<MessageKey, string>;

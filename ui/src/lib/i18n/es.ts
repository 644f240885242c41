import type { Catalogue } from './en';

export const es: Catalogue = {
  'app.name': 'Advisor Desk',
  'app.version': 'Versión {version}',
  'app.loading': 'Abriendo Advisor Desk…',
  'nav.label': 'Principal',
  'nav.clients': 'Clientes',
  'badge.sandbox': 'Sandbox',
  'badge.sandboxHint': 'Las llamadas a los proveedores van al entorno de pruebas, no a bancos reales.',
  'language.label': 'Idioma',

  'clients.title': 'Clientes',
  'clients.subtitle': 'Su cartera de clientes y unidades familiares.',
  'clients.count.one': '{count} cliente',
  'clients.count.other': '{count} clientes',
  'clients.listLabel': 'Lista de clientes',
  'clients.col.name': 'Nombre',
  'clients.col.kind': 'Tipo',
  'clients.col.email': 'Correo electrónico',
  'clients.col.phone': 'Teléfono',
  'clients.col.added': 'Alta',
  'clients.kind.person': 'Persona',
  'clients.kind.household': 'Unidad familiar',
  'clients.none': '—',
  'clients.loading': 'Cargando clientes…',
  'clients.empty.title': 'Todavía no hay clientes',
  'clients.empty.body':
    'Añada su primer cliente con el formulario. Sus conexiones bancarias y cuentas aparecerán aquí.',
  'clients.error.title': 'No se pudo cargar la lista de clientes',
  'clients.new': 'Nuevo cliente',
  'clients.retry': 'Reintentar',

  'form.title': 'Añadir un cliente',
  'form.intro': 'Solo el nombre es obligatorio.',
  'form.name': 'Nombre',
  'form.namePlaceholder': 'p. ej. Beatriz Ruiz',
  'form.kind': 'Tipo',
  'form.email': 'Correo electrónico',
  'form.phone': 'Teléfono',
  'form.notes': 'Notas',
  'form.optional': 'opcional',
  'form.submit': 'Añadir cliente',
  'form.saving': 'Añadiendo…',
  'form.nameRequired': 'Escriba el nombre del cliente.',
  'form.added': 'Se ha añadido a {name}.',
  'form.errorTitle': 'No se añadió el cliente',

  'error.invalid_input': 'Corrija los datos y vuelva a intentarlo.',
  'error.not_found': 'Puede que se haya eliminado entretanto. Vuelva a cargar la lista.',
  'error.schema_too_new':
    'Estos datos los guardó una versión más reciente de Advisor Desk. Actualice la aplicación para abrirlos.',
  'error.database':
    'No se pudo usar la base de datos local. Reinicie Advisor Desk; si persiste, ejecute «advisor-desk-cli doctor».',
  'error.io':
    'No se pudo leer o escribir un archivo. Compruebe que la carpeta de datos está disponible.',
  'error.keychain': 'El llavero del sistema no respondió. Desbloquéelo y vuelva a intentarlo.',
  'error.unknown': 'Algo falló dentro de la aplicación. Reiníciela y vuelva a intentarlo.',
};

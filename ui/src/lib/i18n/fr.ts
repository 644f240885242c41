import type { Catalogue } from './en';

export const fr: Catalogue = {
  'app.name': 'Advisor Desk',
  'app.version': 'Version {version}',
  'app.loading': 'Ouverture d’Advisor Desk…',
  'nav.label': 'Principale',
  'nav.clients': 'Clients',
  'badge.sandbox': 'Sandbox',
  'badge.sandboxHint':
    'Les appels aux fournisseurs vont vers l’environnement de test, pas vers de vraies banques.',
  'language.label': 'Langue',

  'clients.title': 'Clients',
  'clients.subtitle': 'Votre portefeuille de clients et de foyers.',
  'clients.count.one': '{count} client',
  'clients.count.other': '{count} clients',
  'clients.listLabel': 'Liste des clients',
  'clients.col.name': 'Nom',
  'clients.col.kind': 'Type',
  'clients.col.email': 'Courriel',
  'clients.col.phone': 'Téléphone',
  'clients.col.added': 'Ajouté le',
  'clients.kind.person': 'Personne',
  'clients.kind.household': 'Foyer',
  'clients.none': '—',
  'clients.loading': 'Chargement des clients…',
  'clients.empty.title': 'Aucun client pour l’instant',
  'clients.empty.body':
    'Ajoutez votre premier client avec le formulaire. Ses connexions bancaires et ses comptes apparaîtront ici.',
  'clients.error.title': 'La liste des clients n’a pas pu être chargée',
  'clients.new': 'Nouveau client',
  'clients.retry': 'Réessayer',

  'form.title': 'Ajouter un client',
  'form.intro': 'Seul le nom est obligatoire.',
  'form.name': 'Nom',
  'form.namePlaceholder': 'p. ex. Beatriz Ruiz',
  'form.kind': 'Type',
  'form.email': 'Courriel',
  'form.phone': 'Téléphone',
  'form.notes': 'Notes',
  'form.optional': 'facultatif',
  'form.submit': 'Ajouter le client',
  'form.saving': 'Ajout…',
  'form.nameRequired': 'Saisissez le nom du client.',
  'form.added': '{name} a été ajouté.',
  'form.errorTitle': 'Le client n’a pas été ajouté',

  'error.invalid_input': 'Corrigez les informations et réessayez.',
  'error.not_found': 'Il a peut-être été supprimé entre-temps. Rechargez la liste.',
  'error.schema_too_new':
    'Ces données ont été enregistrées par une version plus récente d’Advisor Desk. Mettez l’application à jour pour les ouvrir.',
  'error.database':
    'La base de données locale n’a pas pu être utilisée. Redémarrez Advisor Desk ; si le problème persiste, lancez « advisor-desk-cli doctor ».',
  'error.io':
    'Un fichier n’a pas pu être lu ou écrit. Vérifiez que le dossier de données est disponible.',
  'error.keychain': 'Le trousseau du système n’a pas répondu. Déverrouillez-le et réessayez.',
  'error.unknown': 'Une erreur interne est survenue. Redémarrez l’application et réessayez.',
};

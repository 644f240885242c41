import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { prefetchBook } from './book/prefetch';
import { getLocale, loadCatalogue } from './lib/i18n/i18n.svelte';
import { parseRoute } from './routes';

// For the start-up probe: the script is loaded and evaluated (mount comes next).
performance.mark('advisor-desk:script');

const locale = getLocale();
document.documentElement.lang = locale;

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

// The book (the home screen) is asked for before anything is drawn.
if (parseRoute(location.hash).name === 'book') prefetchBook();

// A Spanish or French start waits for its catalogue rather than flashing English.
void loadCatalogue(locale).then(() => mount(App, { target }));

import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { getLocale } from './lib/i18n/i18n.svelte';

document.documentElement.lang = getLocale();

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

export default mount(App, { target });

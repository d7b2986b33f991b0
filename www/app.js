// app.js - the admin page's entry: tabs from the URL hash, then each view.
import { initCatalog } from './catalog.js';
import { initGenerate } from './generate.js';
import { initHealth } from './health.js';

function showTab() {
  const name = (location.hash || '#catalog').slice(1);
  for (const s of document.querySelectorAll('section.tab')) s.hidden = s.id !== name;
  for (const a of document.querySelectorAll('header nav a')) {
    if (a.dataset.tab === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

window.addEventListener('hashchange', showTab);
showTab();
initCatalog();
initGenerate();
initHealth();

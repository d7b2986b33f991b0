// app.js - the admin page's entry: tabs from the URL hash, then each view.
import { initCatalog } from './catalog.js';
import { initGenerate } from './generate.js';
import { initHealth } from './health.js';
import { initLogin } from './login.js';
import { initTokens } from './tokens.js';
import { initTrack } from './track.js';

const TABS = ['catalog', 'generate', 'health', 'tokens'];

function showTab(moveFocus) {
  const asked = location.hash.slice(1);
  const name = TABS.includes(asked) ? asked : 'catalog';
  for (const s of document.querySelectorAll('section.tab')) s.hidden = s.id !== name;
  for (const a of document.querySelectorAll('header nav a')) {
    if (a.dataset.tab === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // A keyboard or screen-reader user lands on the section they chose.
  if (moveFocus) document.getElementById(`${name}-title`)?.focus();
}

window.addEventListener('hashchange', () => showTab(true));
showTab(false);
initLogin();
initTrack();
initCatalog();
initGenerate();
initHealth();
initTokens();

// login.js - the API token: asked for when an action answers 401, kept in
// sessionStorage by api.js, named in the header with a way to forget it.
import * as api from './api.js';

const $ = (id) => document.getElementById(id);

async function showWho() {
  const who = await api.whoami();
  const box = $('who');
  const name = who && who.token;
  $('who-name').textContent = name ? `token: ${name}` : api.token() ? 'token: (not accepted)' : 'no token';
  $('who-forget').hidden = !api.token();
  box.hidden = !who || who.mode === 'off';
}

// Ask for a token in the login dialog; resolves to it, or null on Cancel.
function ask(why) {
  const dialog = $('login');
  const input = $('login-token');
  $('login-why').textContent = why;
  input.value = '';
  return new Promise((resolve) => {
    const done = (value) => {
      dialog.removeEventListener('close', onClose);
      $('login-form').removeEventListener('submit', onSubmit);
      if (dialog.open) dialog.close();
      if (value) api.setToken(value);
      resolve(value);
      showWho();
    };
    const onSubmit = (e) => {
      e.preventDefault();
      done(input.value.trim() || null);
    };
    const onClose = () => done(null);
    dialog.addEventListener('close', onClose);
    $('login-form').addEventListener('submit', onSubmit);
    dialog.showModal();
    input.focus();
  });
}

export function initLogin() {
  api.onTokenNeeded(ask);
  $('who-forget').addEventListener('click', () => {
    api.setToken(null);
    showWho();
  });
  $('login-cancel').addEventListener('click', () => $('login').close());
  showWho();
}

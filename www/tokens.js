// tokens.js - the Tokens view: each token's scopes, its characters
// synthesised today per engine against its daily quota, when it was last
// used; create one (its secret shown once, with a copy button) and revoke.
import * as api from './api.js';

const $ = (id) => document.getElementById(id);

function showError(err) {
  $('tokens-error').textContent = err ? err.message : '';
  $('tokens-error').hidden = !err;
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

async function refresh() {
  try {
    const list = await api.tokens();
    const body = $('tokens-table').querySelector('tbody');
    body.replaceChildren(...list.map((t) => {
      const tr = document.createElement('tr');
      tr.dataset.name = t.name;
      const used = Object.entries(t.used_today ?? {}).map(([e, n]) => `${e} ${n}`).join(', ') || '0';
      const live = !t.revoked_at;
      tr.append(cell(t.name), cell((t.scopes ?? []).join(', ')), cell(t.daily_chars ?? 'no quota'),
        cell(`${t.used_today_total ?? 0}${t.daily_chars != null ? ` of ${t.daily_chars}` : ''} (${used})`),
        cell(t.last_used_at ? new Date(t.last_used_at).toLocaleString() : 'never'),
        cell(live ? 'live' : 'revoked'));
      const td = document.createElement('td');
      if (live) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'secondary';
        b.textContent = 'Revoke';
        b.dataset.revoke = t.name;
        b.addEventListener('click', async () => {
          try {
            await api.revokeToken(t.name);
            showError(null);
            refresh();
          } catch (err) {
            showError(err);
          }
        });
        td.append(b);
      }
      tr.append(td);
      return tr;
    }));
    showError(null);
  } catch (err) {
    showError(err);
  }
}

async function create(e) {
  e.preventDefault();
  const scopes = [...document.querySelectorAll('#token-form input[name="scope"]:checked')].map((x) => x.value);
  const daily = $('token-daily').value === '' ? null : Number($('token-daily').value);
  try {
    const made = await api.createToken($('token-name').value.trim(), scopes, daily);
    $('token-secret').textContent = made.token;
    $('token-new').hidden = false;
    $('token-copy').focus();
    $('token-form').reset();
    showError(null);
    refresh();
  } catch (err) {
    showError(err);
  }
}

export function initTokens() {
  $('token-form').addEventListener('submit', create);
  $('token-copy').addEventListener('click', () => {
    navigator.clipboard?.writeText($('token-secret').textContent).catch(() => {});
  });
  // Load when the tab is opened: the list needs an admin token.
  const load = () => { if (location.hash === '#tokens') refresh(); };
  window.addEventListener('hashchange', load);
  load();
}

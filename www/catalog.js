// catalog.js - search as you type, filters, facets, pagination; the URL
// holds the query so a search can be bookmarked and Back works.
//
// Pages go by cursor (the API's next_cursor), which stays right however
// deep and while tracks are added; the cursors of the pages before this
// one are kept in the history entry's state, so Prev and Back walk them.
import * as api from './api.js';
import { openTrack } from './track.js';

const FIELDS = ['q', 'status', 'genre', 'format', 'year_from', 'year_to', 'sort', 'order'];
const LIMIT = 20;
let cursor = '';        // this page's cursor; '' is the first page
let trail = [];         // the cursors of the pages before it
let nextCursor = null;  // the shown page's next_cursor
let seq = 0;            // answers to stale requests are dropped
let timer = null;

const $ = (id) => document.getElementById(id);

// Text that may carry <b></b> from ts_headline: escape everything, then
// allow those two tags back, nothing else.
export function highlight(text) {
  const div = document.createElement('div');
  div.textContent = text ?? '';
  return div.innerHTML.replaceAll('&lt;b&gt;', '<b>').replaceAll('&lt;/b&gt;', '</b>');
}

// The row's text: the API's headline, or the same fields joined when a
// track comes without one.
function headline(t) {
  if (t.headline) return highlight(t.headline);
  return highlight([t.title || '(untitled)', t.artist, t.album, t.genre].filter(Boolean).join(' — '));
}

function formParams() {
  const p = {};
  for (const f of FIELDS) {
    const v = $(f).value.trim();
    if (v !== '') p[f] = v;
  }
  return p;
}

function fillForm(params, state) {
  for (const f of FIELDS) $(f).value = params.get(f) ?? '';
  cursor = params.get('cursor') ?? '';
  trail = Array.isArray(state?.trail) ? state.trail : [];
}

function firstPage() {
  cursor = '';
  trail = [];
}

function duration(s) {
  if (s == null) return '';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s % 60)).padStart(2, '0')}`;
}

function renderFacets(f) {
  const box = $('facets');
  box.replaceChildren();
  for (const [name, label] of [['status', 'Status'], ['genre', 'Genre'], ['format', 'Format'], ['decade', 'Decade']]) {
    const h = document.createElement('h4');
    h.textContent = label;
    const ul = document.createElement('ul');
    for (const { value, count } of f[name] ?? []) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = `${value} (${count})`;
      const active = name === 'decade'
        ? $('year_from').value === String(parseInt(value, 10)) && $('year_to').value === String(parseInt(value, 10) + 9)
        : $(name).value === String(value);
      b.setAttribute('aria-pressed', String(active));
      b.addEventListener('click', () => {
        if (name === 'decade') {
          const y = parseInt(value, 10);
          $('year_from').value = y;
          $('year_to').value = y + 9;
        } else {
          $(name).value = value;
        }
        firstPage();
        run(true);
      });
      li.append(b);
      ul.append(li);
    }
    box.append(h, ul);
    if (name === 'genre' || name === 'format') {
      $(`${name}-list`).replaceChildren(...(f[name] ?? []).map(({ value }) => new Option(value)));
    }
  }
}

// A failed track shows why, and a Retry button when the API allows the
// move back to PENDING (its "next"), right in the list.
function failedCell(cell, t) {
  if (t.error_message) {
    const why = document.createElement('small');
    why.className = 'reason';
    why.textContent = t.error_message;
    cell.append(why);
  }
  if (!(t.next ?? []).includes('PENDING')) return;
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'secondary retry';
  b.textContent = 'Retry';
  b.setAttribute('aria-label', `Retry ${t.title || 'this track'}`);
  // The row opens the track on click and Enter: the button must not.
  b.addEventListener('keydown', (e) => e.stopPropagation());
  b.addEventListener('click', async (e) => {
    e.stopPropagation();
    b.disabled = true;
    try {
      await api.setStatus(t.id, 'PENDING');
      run(false);
    } catch (err) {
      b.disabled = false;
      $('search-error').textContent = `Retry failed: ${err.message}`;
      $('search-error').hidden = false;
    }
  });
  cell.append(b);
}

function renderResults(r) {
  const tbody = $('results').querySelector('tbody');
  tbody.replaceChildren();
  for (const t of r.items) {
    const tr = document.createElement('tr');
    tr.tabIndex = 0;
    tr.dataset.id = t.id;
    tr.innerHTML = `<td class="headline">${headline(t)}</td><td></td><td></td>`
      + '<td><span class="status"></span></td><td></td>';
    tr.cells[1].textContent = t.year ?? '';
    tr.cells[2].textContent = duration(t.duration);
    const st = tr.cells[3].firstChild;
    st.textContent = t.status;
    st.classList.add(t.status);
    if (t.status === 'FAILED') failedCell(tr.cells[3], t);
    tr.cells[4].textContent = t.format ?? '';
    const open = () => openTrack(t.id, () => run(false));
    tr.addEventListener('click', open);
    // preventDefault: the key must not go on to press the dialog's
    // first button, which has the focus by then.
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(); }
    });
    tbody.append(tr);
  }
  // Past 2 000 matches the API estimates the total, and says so.
  const about = r.total_is_estimate ? 'about ' : '';
  const before = trail.length * LIMIT;
  $('results-summary').textContent = `${about}${r.total.toLocaleString('en')} track${r.total === 1 ? '' : 's'}`
    + (r.items.length ? ` — showing ${before + 1}–${before + r.items.length}` : '');
  const pages = Math.max(trail.length + 1, Math.ceil(r.total / LIMIT));
  $('page-info').textContent = r.total ? `page ${trail.length + 1} of ${about}${pages}` : '';
  $('prev').disabled = trail.length === 0 && cursor === '';
  $('next').disabled = !r.has_more;
  nextCursor = r.next_cursor;
}

// Run the search in the form; push a history entry when asked.
export async function run(push) {
  // A search started any other way supersedes a keystroke still waiting.
  clearTimeout(timer);
  const params = formParams();
  const url = new URLSearchParams(params);
  if (cursor) url.set('cursor', cursor);
  const query = url.toString() ? `?${url}` : '';
  const target = `${location.pathname}${query}${push ? '#catalog' : (location.hash || '#catalog')}`;
  const state = { trail };
  if (push && target !== location.pathname + location.search + location.hash) history.pushState(state, '', target);
  else if (!push) history.replaceState(state, '', target);
  const mine = ++seq;
  const results = $('results');
  results.setAttribute('aria-busy', 'true');
  $('search-error').hidden = true;
  try {
    const [r, f] = await Promise.all([
      api.search({ ...params, limit: LIMIT, ...(cursor ? { cursor } : {}) }),
      api.facets(params),
    ]);
    if (mine !== seq) return;
    renderResults(r);
    renderFacets(f);
  } catch (err) {
    if (mine !== seq) return;
    $('search-error').textContent = err.message;
    $('search-error').hidden = false;
  } finally {
    if (mine === seq) results.removeAttribute('aria-busy');
  }
}

export function initCatalog() {
  fillForm(new URLSearchParams(location.search), history.state);
  $('search-form').addEventListener('submit', (e) => { e.preventDefault(); firstPage(); run(true); });
  $('q').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { firstPage(); run(true); }, 250);
  });
  for (const f of ['status', 'sort', 'order']) $(f).addEventListener('change', () => { firstPage(); run(true); });
  for (const f of ['genre', 'format', 'year_from', 'year_to']) $(f).addEventListener('change', () => { firstPage(); run(true); });
  $('search-form').addEventListener('reset', () => {
    // After the form has cleared its fields.
    setTimeout(() => { firstPage(); run(true); $('q').focus(); });
  });
  // A page opened from a bookmarked cursor has no trail: Prev goes to the first page.
  $('prev').addEventListener('click', () => { cursor = trail.pop() ?? ''; trail = [...trail]; run(true); });
  $('next').addEventListener('click', () => {
    if (!nextCursor) return;
    trail = [...trail, cursor];
    cursor = nextCursor;
    run(true);
  });
  // Back/Forward, and tab links (a fragment change is a history entry
  // too): the form follows the URL, and the rows are fetched fresh.
  window.addEventListener('popstate', (e) => { fillForm(new URLSearchParams(location.search), e.state); run(false); });
  run(false);
}

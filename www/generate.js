// generate.js - the speech form: voices, languages and models from the
// API (unavailable models disabled, with why), up to two speakers; plays
// the result and shows the new track.
import * as api from './api.js';
import { openTrack } from './track.js';

const $ = (id) => document.getElementById(id);
let lastUrl = null;

async function fillLists() {
  const note = $('model-note');
  note.textContent = 'Loading voices, languages and models…';
  try {
    const [voices, langs, models] = await Promise.all([api.voices(), api.languages(), api.models()]);
    for (const sel of [$('tts-voice'), ...document.querySelectorAll('.voice-list')]) {
      sel.replaceChildren(...voices.map((x) => new Option(x.name, x.name)));
    }
    if (voices.some((x) => x.name === 'Kore')) $('tts-voice').value = 'Kore';
    $('tts-language').append(...langs.map((x) => new Option(x.name, x.name)));
    const notes = [];
    // No model named: the server picks Flite for English, espeak-ng otherwise.
    $('tts-model').append(new Option('auto (by language)', ''));
    for (const model of models) {
      const o = new Option(model.available ? model.name : `${model.name} (unavailable)`, model.name);
      o.disabled = !model.available;
      if (!model.available) {
        o.title = model.reason ?? 'unavailable';
        notes.push(`${model.name}: ${model.reason ?? 'unavailable'}`);
      }
      $('tts-model').append(o);
    }
    const usable = models.find((x) => x.available);
    if (usable && $('tts-model').selectedOptions[0]?.disabled) $('tts-model').value = usable.name;
    note.textContent = notes.length ? `Unavailable: ${notes.join('; ')}` : '';
  } catch (err) {
    note.textContent = '';
    showError(err);
  }
}

function showError(err) {
  $('tts-error').textContent = err.message;
  $('tts-error').hidden = false;
}

function request() {
  const r = { text: $('tts-text').value, voice: $('tts-voice').value };
  if ($('tts-model').value) r.model = $('tts-model').value;
  if ($('tts-language').value) r.language = $('tts-language').value;
  if ($('tts-format').value !== 'wav') r.format = $('tts-format').value;
  const speed = Number($('tts-speed').value);
  if (speed && speed !== 1) r.speed = speed;
  const speakers = [];
  for (const n of [1, 2]) {
    const name = $(`sp${n}-name`).value.trim();
    if (name) speakers.push({ name, voice: $(`sp${n}-voice`).value });
  }
  if (speakers.length) r.speakers = speakers;
  return r;
}

async function submit(e) {
  e.preventDefault();
  const button = $('tts-submit');
  button.disabled = true;
  $('tts-form').setAttribute('aria-busy', 'true');
  $('tts-error').hidden = true;
  $('tts-status').textContent = 'Speaking…';
  $('tts-track').replaceChildren();
  try {
    const out = await api.speak(request());
    if (lastUrl) URL.revokeObjectURL(lastUrl);
    lastUrl = URL.createObjectURL(out.blob);
    const audio = $('tts-audio');
    audio.src = lastUrl;
    audio.hidden = false;
    audio.play().catch(() => { /* autoplay may be refused: the controls are there */ });
    $('tts-status').textContent = `Done — X-Cache: ${out.cache ?? '?'}`
      + (out.degraded ? ' (database unavailable: not recorded)' : '');
    if (out.trackId) {
      const t = await api.track(out.trackId);
      const a = document.createElement('button');
      a.type = 'button';
      a.className = 'secondary';
      a.id = 'tts-track-link';
      a.dataset.id = t.id;
      a.textContent = `Open the new track: “${t.title ?? '(untitled)'}” (${t.status}, ${t.format ?? '?'}, ${t.duration ?? '?'} s) — ${t.id}`;
      a.addEventListener('click', () => openTrack(t.id, () => {}));
      $('tts-track').append(a);
    }
  } catch (err) {
    $('tts-status').textContent = '';
    showError(err);
  } finally {
    button.disabled = false;
    $('tts-form').removeAttribute('aria-busy');
  }
}

export function initGenerate() {
  fillLists();
  $('tts-form').addEventListener('submit', submit);
}

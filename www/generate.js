// generate.js - the speech form: voices, languages and models from the
// API (unavailable models disabled, with why), up to two speakers; plays
// the result and shows the new track.
import * as api from './api.js';
import { openTrack } from './track.js';

const $ = (id) => document.getElementById(id);
let lastUrl = null;

async function fillLists() {
  try {
    const [v, l, m] = await Promise.all([api.voices(), api.languages(), api.models()]);
    for (const sel of [$('tts-voice'), ...document.querySelectorAll('.voice-list')]) {
      sel.replaceChildren(...v.voices.map((x) => new Option(x.name, x.name)));
    }
    $('tts-voice').value = 'Kore';
    $('tts-language').append(...l.languages.map((x) => new Option(x.name, x.name)));
    const notes = [];
    for (const model of m.models) {
      const o = new Option(model.available ? model.name : `${model.name} (unavailable)`, model.name);
      o.disabled = !model.available;
      if (!model.available) notes.push(`${model.name}: ${model.reason}`);
      $('tts-model').append(o);
    }
    $('model-note').textContent = notes.length ? `Unavailable: ${notes.join('; ')}` : '';
  } catch (err) {
    $('tts-error').textContent = err.message;
    $('tts-error').hidden = false;
  }
}

function request() {
  const r = { text: $('tts-text').value, voice: $('tts-voice').value, model: $('tts-model').value };
  if ($('tts-language').value) r.language = $('tts-language').value;
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
  $('tts-error').hidden = true;
  $('tts-status').textContent = 'Speaking…';
  $('tts-track').replaceChildren();
  try {
    const out = await api.speak(request());
    if (lastUrl) URL.revokeObjectURL(lastUrl);
    lastUrl = URL.createObjectURL(out.blob);
    const audio = $('tts-audio');
    audio.src = lastUrl;
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
      a.textContent = `Track ${t.id}: “${t.title}” (${t.status}, ${t.duration} s)`;
      a.addEventListener('click', () => openTrack(t.id, () => {}));
      $('tts-track').append(a);
    }
  } catch (err) {
    $('tts-status').textContent = '';
    $('tts-error').textContent = err.message;
    $('tts-error').hidden = false;
  } finally {
    button.disabled = false;
  }
}

export function initGenerate() {
  fillLists();
  $('tts-form').addEventListener('submit', submit);
}

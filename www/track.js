// track.js - the track dialog: every field, the audio with its waveform,
// and the status transitions the API allows, as buttons.
import * as api from './api.js';

const $ = (id) => document.getElementById(id);

// The moves PUT /status/{id} accepts from each status.
const MOVES = {
  PENDING: ['PROCESSING'],
  PROCESSING: ['COMPLETED', 'FAILED', 'PENDING'],
  COMPLETED: [],
  FAILED: ['PENDING'],
};

const LABELS = { PENDING: 'Back to pending', PROCESSING: 'Start processing', COMPLETED: 'Mark completed', FAILED: 'Mark failed' };

async function drawWaveform(url) {
  const canvas = $('waveform');
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!url) return;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${res.status}`);
    const audio = await new AudioContext().decodeAudioData(await res.arrayBuffer());
    const data = audio.getChannelData(0);
    const step = Math.max(1, Math.floor(data.length / canvas.width));
    ctx.fillStyle = '#2456c8';
    for (let x = 0; x < canvas.width; x++) {
      let peak = 0;
      for (let i = x * step; i < Math.min(data.length, (x + 1) * step); i++) peak = Math.max(peak, Math.abs(data[i]));
      const h = Math.max(1, peak * canvas.height);
      ctx.fillRect(x, (canvas.height - h) / 2, 1, h);
    }
    canvas.dataset.drawn = 'true';
  } catch (err) {
    canvas.dataset.drawn = 'false';
    ctx.fillStyle = '#5b6475';
    ctx.fillText(`no waveform: ${err.message}`, 10, 20);
  }
}

// Fields in the order a person reads a track; any others follow.
const ORDER = ['id', 'title', 'artist', 'album', 'genre', 'year', 'status', 'error_message',
  'retry_count', 'duration', 'format', 'channels', 'sample_rate', 'bitrate', 'text', 'voice',
  'language', 'model', 'audio_url', 'audio_path', 'thumbnail_path', 'created_at', 'updated_at'];

function renderFields(t) {
  const dl = $('track-fields');
  dl.replaceChildren();
  const keys = [...ORDER.filter((k) => k in t), ...Object.keys(t).filter((k) => !ORDER.includes(k))];
  for (const k of keys) {
    const v = t[k];
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v == null ? '—' : String(v);
    dd.dataset.field = k;
    dl.append(dt, dd);
  }
}

function renderActions(t, refresh) {
  const box = $('track-actions');
  box.replaceChildren();
  const st = document.createElement('span');
  st.className = `status ${t.status}`;
  st.id = 'track-status';
  st.textContent = t.status;
  box.append(st);
  for (const to of MOVES[t.status] ?? []) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = LABELS[to];
    b.dataset.to = to;
    b.addEventListener('click', async () => {
      let msg = null;
      if (to === 'FAILED') msg = prompt('Why did it fail?', 'marked failed by an operator');
      box.setAttribute('aria-busy', 'true');
      $('track-error').hidden = true;
      try {
        await api.setStatus(t.id, to, msg);
        await openTrack(t.id, refresh);
        refresh();
      } catch (err) {
        $('track-error').textContent = err.message;
        $('track-error').hidden = false;
      } finally {
        box.removeAttribute('aria-busy');
      }
    });
    box.append(b);
  }
}

export async function openTrack(id, refresh) {
  const dialog = $('track');
  $('track-error').hidden = true;
  if (!dialog.open) dialog.showModal();
  dialog.setAttribute('aria-busy', 'true');
  try {
    const t = await api.track(id);
    $('track-title').textContent = [t.title || '(untitled)', t.artist].filter(Boolean).join(' — ');
    const player = $('track-player');
    player.replaceChildren();
    if (t.audio_url) {
      const audio = document.createElement('audio');
      audio.controls = true;
      audio.src = t.audio_url;
      audio.id = 'track-audio';
      player.append(audio);
    } else {
      player.textContent = 'No audio stored for this track.';
    }
    renderActions(t, refresh);
    renderFields(t);
    drawWaveform(t.audio_url);
  } catch (err) {
    $('track-error').textContent = err.message;
    $('track-error').hidden = false;
  } finally {
    dialog.removeAttribute('aria-busy');
  }
}

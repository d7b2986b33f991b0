// track.js - the track dialog: every field, the audio with its waveform,
// and the status transitions the API allows, as buttons.
import * as api from './api.js';

const $ = (id) => document.getElementById(id);

function label(from, to) {
  if (from === 'FAILED' && to === 'PENDING') return 'Retry (back to pending)';
  if (from === 'PROCESSING' && to === 'PENDING') return 'Release (back to pending)';
  return { PROCESSING: 'Start processing', COMPLETED: 'Mark completed', FAILED: 'Mark failed' }[to] ?? to;
}

let drawing = 0;        // a newer track's waveform wins over an older one's

async function drawWaveform(url) {
  const mine = ++drawing;
  const canvas = $('waveform');
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  delete canvas.dataset.drawn;
  canvas.hidden = !url;
  if (!url) return;
  ctx.fillStyle = '#5b6475';
  ctx.font = '14px system-ui, sans-serif';
  ctx.fillText('loading the waveform…', 10, 20);
  let ac;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const bytes = await res.arrayBuffer();
    ac = new AudioContext();
    const audio = await ac.decodeAudioData(bytes);
    if (mine !== drawing) return;
    const data = audio.getChannelData(0);
    const step = Math.max(1, Math.floor(data.length / canvas.width));
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#2456c8';
    for (let x = 0; x < canvas.width; x++) {
      let peak = 0;
      for (let i = x * step; i < Math.min(data.length, (x + 1) * step); i++) peak = Math.max(peak, Math.abs(data[i]));
      const h = Math.max(1, peak * canvas.height);
      ctx.fillRect(x, (canvas.height - h) / 2, 1, h);
    }
    canvas.setAttribute('aria-label', `Waveform of ${audio.duration.toFixed(2)} seconds of audio`);
    canvas.dataset.drawn = 'true';
  } catch (err) {
    if (mine !== drawing) return;
    canvas.dataset.drawn = 'false';
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#b3261e';
    ctx.fillText(`no waveform: ${err.message}`, 10, 20);
    canvas.setAttribute('aria-label', `No waveform: ${err.message}`);
  } finally {
    ac?.close();
  }
}

// Fields in the order a person reads a track; any others follow.
const ORDER = ['id', 'title', 'artist', 'album', 'genre', 'year', 'status', 'error_message',
  'retry_count', 'duration', 'format', 'channels', 'sample_rate', 'bitrate', 'text', 'voice',
  'language', 'model', 'speakers', 'audio_url', 'audio_path', 'thumbnail_path', 'cache_key',
  'created_at', 'updated_at'];

function show(v) {
  if (v == null || v === '') return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function renderFields(t) {
  const dl = $('track-fields');
  dl.replaceChildren();
  const keys = [...ORDER.filter((k) => k in t), ...Object.keys(t).filter((k) => !ORDER.includes(k))];
  for (const k of keys) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = show(t[k]);
    dd.dataset.field = k;
    dl.append(dt, dd);
  }
}

// A failed track says why and how often it was retried, above the fold.
function renderFailure(t) {
  const box = $('track-failure');
  box.hidden = t.status !== 'FAILED';
  if (box.hidden) return;
  box.replaceChildren();
  const msg = document.createElement('span');
  msg.id = 'track-failure-message';
  msg.textContent = `Failed: ${t.error_message || 'no reason recorded'}`;
  const n = document.createElement('span');
  n.id = 'track-retries';
  n.textContent = ` · retried ${t.retry_count ?? 0} time${t.retry_count === 1 ? '' : 's'}`;
  box.append(msg, n);
}

function renderActions(t, refresh) {
  const box = $('track-actions');
  box.replaceChildren();
  const st = document.createElement('span');
  st.className = `status ${t.status}`;
  st.id = 'track-status';
  st.textContent = t.status;
  st.setAttribute('aria-label', `Status: ${t.status}`);
  box.append(st);
  // The server says which moves this track's status allows ("next").
  const moves = t.next ?? [];
  let reason = null;
  if (moves.includes('FAILED')) {
    const l = document.createElement('label');
    l.className = 'inline';
    l.textContent = 'Failure reason ';
    reason = document.createElement('input');
    reason.id = 'track-fail-reason';
    reason.value = 'marked failed by an operator';
    l.append(reason);
    box.append(l);
  }
  for (const to of moves) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label(t.status, to);
    b.dataset.to = to;
    b.addEventListener('click', async () => {
      const buttons = box.querySelectorAll('button');
      for (const x of buttons) x.disabled = true;
      box.setAttribute('aria-busy', 'true');
      $('track-error').hidden = true;
      try {
        await api.setStatus(t.id, to, to === 'FAILED' ? reason.value.trim() : null);
        await openTrack(t.id, refresh);
        ($('track-actions').querySelector('button') ?? $('track-close')).focus();
        refresh();
      } catch (err) {
        for (const x of buttons) x.disabled = false;
        $('track-error').textContent = err.message;
        $('track-error').hidden = false;
      } finally {
        box.removeAttribute('aria-busy');
      }
    });
    box.append(b);
  }
}

let shown = null;

export async function openTrack(id, refresh = () => {}) {
  const dialog = $('track');
  $('track-error').hidden = true;
  if (shown !== id) {
    // Another track: nothing of the last one may linger while this loads.
    shown = id;
    $('track-title').textContent = 'Loading…';
    for (const x of ['track-player', 'track-actions', 'track-fields']) $(x).replaceChildren();
    $('track-failure').hidden = true;
    drawWaveform(null);
  }
  if (!dialog.open) dialog.showModal();
  dialog.setAttribute('aria-busy', 'true');
  try {
    const t = await api.track(id);
    if (shown !== id) return;
    $('track-title').textContent = [t.title || '(untitled)', t.artist].filter(Boolean).join(' — ');
    const player = $('track-player');
    const url = api.audioUrl(t);
    const old = $('track-audio');
    if (url && old && old.getAttribute('src') === url) {
      // Same audio after a status change: keep playing.
    } else if (url) {
      const audio = document.createElement('audio');
      audio.controls = true;
      audio.preload = 'metadata';
      audio.src = url;
      audio.id = 'track-audio';
      audio.setAttribute('aria-label', `Audio of ${t.title || 'this track'}`);
      player.replaceChildren(audio);
      drawWaveform(url);
    } else {
      player.textContent = 'No audio stored for this track.';
      drawWaveform(null);
    }
    renderFailure(t);
    renderActions(t, refresh);
    renderFields(t);
  } catch (err) {
    $('track-title').textContent = 'Track';
    $('track-error').textContent = err.message;
    $('track-error').hidden = false;
  } finally {
    dialog.removeAttribute('aria-busy');
  }
}

export function initTrack() {
  const dialog = $('track');
  dialog.addEventListener('close', () => {
    shown = null;
    drawing++;
    $('track-audio')?.pause();
  });
}

// api.js - every call the admin page makes, in one place. Each function
// resolves to parsed data or throws an ApiError whose message is the API's
// own error.message, ready to show to a person.

export class ApiError extends Error {
  constructor(message, status, code, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

async function failure(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON: nginx's own page */ }
  const e = body && body.error;
  const message = e && e.message ? e.message : `${res.status} ${res.statusText || 'error'}`;
  return new ApiError(message, res.status, e && e.code, e && e.field);
}

async function getJSON(path) {
  let res;
  try {
    res = await fetch(path, { headers: { Accept: 'application/json' } });
  } catch (err) {
    throw new ApiError(`cannot reach the server: ${err.message}`, 0);
  }
  if (!res.ok) throw await failure(res);
  return res.json();
}

export function search(params) {
  return getJSON(`/search?${new URLSearchParams(params)}`);
}

export function facets(params) {
  return getJSON(`/search/facets?${new URLSearchParams(params)}`);
}

export function track(id) {
  return getJSON(`/search/${encodeURIComponent(id)}`);
}

export function status() {
  return getJSON('/status');
}

export function voices() { return getJSON('/tts/voices'); }
export function languages() { return getJSON('/tts/languages'); }
export function models() { return getJSON('/tts/models'); }

export async function setStatus(id, status, errorMessage) {
  const body = { status };
  if (errorMessage) body.error_message = errorMessage;
  const res = await fetch(`/status/${encodeURIComponent(id)}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res);
  return res.json();
}

// POST /tts: resolves to { blob, trackId, cache, degraded }.
export async function speak(request) {
  let res;
  try {
    res = await fetch('/tts', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'audio/wav' },
      body: JSON.stringify(request),
    });
  } catch (err) {
    throw new ApiError(`cannot reach the server: ${err.message}`, 0);
  }
  if (!res.ok) throw await failure(res);
  return {
    blob: await res.blob(),
    trackId: res.headers.get('X-Track-Id'),
    cache: res.headers.get('X-Cache'),
    degraded: res.headers.get('X-Voxcat-Degraded'),
  };
}

// api.js - every call the admin page makes, in one place, and the only
// module that knows the API's shapes. Each function resolves to plain data
// (normalised here, so a renamed field is a one-line change) or throws an
// ApiError whose message is the API's own error.message, ready to show to
// a person. All URLs are relative to the site root: the page sends nothing
// to any other origin.

export class ApiError extends Error {
  constructor(message, status, code, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

// {"error":{"code","message","field"}} → ApiError; anything else (nginx's
// own HTML error page, a proxy's) → the HTTP status in words.
async function failure(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const e = body && body.error;
  const message = e && e.message ? e.message : `${res.status} ${res.statusText || 'error'}`;
  const err = new ApiError(message, res.status, e && e.code, e && e.field);
  const after = res.headers.get('Retry-After');
  if (after) err.message += ` (retry after ${after} s)`;
  return err;
}

// The API token: kept for this tab only (sessionStorage), sent as a Bearer
// header to this site alone, never in a URL.
const TOKEN_KEY = 'voxcat-token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// Who asks the person for a token when an action answers 401: the page
// registers it (async (why) => token or null).
let askToken = null;
export function onTokenNeeded(fn) {
  askToken = fn;
}

function withToken(init) {
  const t = token();
  if (!t) return init;
  return { ...init, headers: { ...(init.headers ?? {}), Authorization: `Bearer ${t}` } };
}

async function call(path, init = {}, retried = false) {
  let res;
  try {
    res = await fetch(path, withToken({ credentials: 'same-origin', ...init }));
  } catch (err) {
    throw new ApiError(`cannot reach the server: ${err.message}`, 0);
  }
  if (res.status === 401 && !retried && askToken) {
    const why = (await failure(res)).message;
    const given = await askToken(why);
    if (given) {
      setToken(given);
      return call(path, init, true);
    }
    throw new ApiError(`a token is needed: ${why}`, 401, 'unauthorized');
  }
  if (!res.ok) throw await failure(res);
  return res;
}

async function getJSON(path) {
  const res = await call(path, { headers: { Accept: 'application/json' } });
  return res.json();
}

const query = (params) => new URLSearchParams(params).toString();

// GET /search → {total, total_is_estimate, limit, offset, has_more,
// next_cursor, items:[track + rank, headline, audio_url]}
export async function search(params) {
  const r = await getJSON(`/search?${query(params)}`);
  const items = r.items ?? [];
  const offset = Number(r.offset ?? params.offset ?? 0);
  const total = Number(r.total ?? items.length);
  return {
    total,
    offset,
    limit: Number(r.limit ?? params.limit ?? items.length),
    has_more: r.has_more ?? offset + items.length < total,
    total_is_estimate: r.total_is_estimate === true,
    next_cursor: typeof r.next_cursor === 'string' ? r.next_cursor : null,
    items,
  };
}

// GET /search/facets → {status|genre|format|decade: [{value, count}]}
export async function facets(params) {
  const f = await getJSON(`/search/facets?${query(params)}`);
  const list = (x) => (Array.isArray(x) ? x : Object.entries(x ?? {}).map(([value, count]) => ({ value, count })));
  return { status: list(f.status), genre: list(f.genre), format: list(f.format), decade: list(f.decade) };
}

// GET /search/{id} → the track
export function track(id) {
  return getJSON(`/search/${encodeURIComponent(id)}`);
}

// Where a track's audio is: the API's audio_url, else /tts/{id}.wav when
// the track says it has audio, else nothing.
export function audioUrl(t) {
  if (t.audio_url) return t.audio_url;
  if (t.audio_path || t.cache_key) return `/tts/${encodeURIComponent(t.id)}.wav`;
  return null;
}

// GET /status → the health document, as the API sends it (a "down"
// service may send it with a 503: still the document, not an error).
export async function status() {
  let res;
  try {
    res = await fetch('/status', withToken({ headers: { Accept: 'application/json' } }));
  } catch (err) {
    throw new ApiError(`cannot reach the server: ${err.message}`, 0);
  }
  if (res.ok) return res.json();
  const body = await res.clone().json().catch(() => null);
  if (body && typeof body.status === 'string') return body;
  throw await failure(res);
}

const named = (x) => (typeof x === 'string' ? { name: x } : { ...x, name: x.name ?? x.code ?? x.id });

// GET /tts/voices → [{name}]
export async function voices() {
  const v = await getJSON('/tts/voices');
  return (v.voices ?? v).map(named);
}

// GET /tts/languages → [{name}] (name is the BCP-47 code)
export async function languages() {
  const l = await getJSON('/tts/languages');
  return (l.languages ?? l).map(named);
}

// GET /tts/models → [{name, engine, available, reason}]
export async function models() {
  const m = await getJSON('/tts/models');
  return (m.models ?? m).map((x) => ({ available: true, reason: null, ...named(x) }));
}

// GET /status/metrics → the Prometheus text, for the Health tab's charts.
export async function metricsText() {
  const res = await call('/status/metrics', { headers: { Accept: 'text/plain' } });
  return res.text();
}

// PUT /status/{id} {"status","error_message"} → {id,status,retry_count,error_message,updated_at}
export async function setStatus(id, status, errorMessage) {
  const body = { status };
  if (errorMessage) body.error_message = errorMessage;
  const res = await call(`/status/${encodeURIComponent(id)}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return res.json();
}

// POST /tts → { blob, trackId, cache, degraded }: the WAV and its headers.
export async function speak(request) {
  const res = await call('/tts', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'audio/*' },
    body: JSON.stringify(request),
  });
  return {
    blob: await res.blob(),
    trackId: res.headers.get('X-Track-Id'),
    cache: res.headers.get('X-Cache'),
    degraded: res.headers.get('X-Voxcat-Degraded'),
  };
}

// Which token the page is using: {mode, token, scopes} from /status, or
// null when the server cannot say.
export async function whoami() {
  try {
    return (await status()).auth ?? null;
  } catch {
    return null;
  }
}

// GET /status/tokens (admin) → [{name, scopes, daily_chars, used_today, used_today_total, last_used_at, revoked_at}]
export async function tokens() {
  return (await getJSON('/status/tokens')).tokens ?? [];
}

// POST /status/tokens → {name, token, scopes, daily_chars}: the secret, this once.
export async function createToken(name, scopes, dailyChars) {
  const res = await call('/status/tokens', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ name, scopes, daily_chars: dailyChars }),
  });
  return res.json();
}

// DELETE /status/tokens/{name}: revoked from the next request on.
export async function revokeToken(name) {
  await call(`/status/tokens/${encodeURIComponent(name)}`, { method: 'DELETE' });
}

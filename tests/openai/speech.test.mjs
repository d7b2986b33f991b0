// speech.test.mjs - the official openai SDK (pinned in package-lock.json)
// against voxcat's OpenAI-compatible speech API on a real stack: every
// format decoded by FFmpeg, a streamed request whose audio starts well
// before it ends, server-sent events, and the SDK's own exceptions.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import OpenAI from 'openai';

const baseURL = `${process.env.VOXCAT_URL}/tts/v1`;
const client = new OpenAI({ baseURL, apiKey: process.env.VOXCAT_TOKEN, maxRetries: 0 });
const dir = mkdtempSync(join(tmpdir(), 'voxcat-openai-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const probe = (file) => JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries',
  'stream=codec_name,sample_rate,channels', '-of', 'json', file], { encoding: 'utf8' })).streams[0];
// Seconds of audio, decoded to the end.
const seconds = (file) => execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 's16le', '-ac', '1',
  '-ar', '24000', '-'], { maxBuffer: 64 << 20 }).length / 48000;

async function save(response, name) {
  const file = join(dir, name);
  writeFileSync(file, Buffer.from(await response.arrayBuffer()));
  return file;
}

test('audio.speech.create: hello world as MP3, the default', async () => {
  const res = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hello world' });
  assert.equal(res.headers.get('content-type'), 'audio/mpeg');
  const file = await save(res, 'hello.mp3');
  const s = probe(file);
  assert.equal(s.codec_name, 'mp3');
  assert.equal(s.sample_rate, '24000');
  assert.equal(s.channels, 1);
  assert.ok(seconds(file) > 0.4);
});

const text = 'The library opens at nine on Sunday and closes at five.';
const formats = [
  ['mp3', 'mp3', '24000'], ['opus', 'opus', '48000'], ['aac', 'aac', '24000'],
  ['flac', 'flac', '24000'], ['wav', 'pcm_s16le', '24000'],
];
let reference;

for (const [format, codec, rate] of formats) {
  test(`audio.speech.create with response_format ${format}`, async () => {
    const res = await client.audio.speech.create({ model: 'tts-1', voice: 'nova', input: text, response_format: format });
    const file = await save(res, `said.${format}`);
    const s = probe(file);
    assert.equal(s.codec_name, codec);
    assert.equal(s.sample_rate, rate);
    assert.equal(s.channels, 1);
    const d = seconds(file);
    reference ??= d;
    assert.ok(d > 2 && Math.abs(d - reference) < reference * 0.15, `${format}: ${d} s vs ${reference} s`);
  });
}

test('audio.speech.create with response_format pcm: raw s16le at 24 kHz', async () => {
  const res = await client.audio.speech.create({ model: 'tts-1', voice: 'nova', input: text, response_format: 'pcm' });
  const bytes = (await res.arrayBuffer()).byteLength;
  const d = bytes / 48000;
  assert.ok(Math.abs(d - reference) < reference * 0.15, `pcm: ${d} s vs ${reference} s`);
});

test('a streamed request: audio arrives long before the whole is made', async () => {
  // Sentences from the fake Gemini take 0.4 s each: the whole takes ~3 s.
  const steps = Array.from({ length: 8 }, () => ({ step: 'slow', seconds: 0.4 }));
  await fetch(`${process.env.FAKE}/__control/reset`, { method: 'POST' });
  await fetch(`${process.env.FAKE}/__control/script`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ gemini: steps }),
  });
  const paragraph = 'Streaming starts with the first sentence. The second follows it. A third comes next. ' +
    'Then a fourth. The fifth is here. A sixth one. The seventh sentence. And the eighth ends it.';
  const start = performance.now();
  const res = await client.audio.speech.create({ model: 'gemini-flash', voice: 'alloy', input: paragraph,
    response_format: 'mp3', stream_format: 'audio' });
  let received = 0;
  let firstAudio = null;
  for await (const chunk of res.body) {
    received += chunk.length;
    if (firstAudio === null && received > 1000) firstAudio = performance.now() - start;
  }
  const total = performance.now() - start;
  console.log(`# first audio after ${firstAudio.toFixed(0)} ms of ${total.toFixed(0)} ms`);
  assert.ok(total > 2500, `total ${total} ms`);
  assert.ok(firstAudio < total / 3, `first audio at ${firstAudio} ms of ${total} ms`);
});

test('server-sent events: deltas that join into playable audio, then done', async () => {
  const res = await client.audio.speech.create({ model: 'tts-1', voice: 'echo', input: 'Events in pieces. Joined again.',
    response_format: 'mp3', stream_format: 'sse' });
  const events = (await res.text()).split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
  assert.equal(events.at(-1).type, 'speech.audio.done');
  const deltas = events.filter((e) => e.type === 'speech.audio.delta');
  assert.ok(deltas.length >= 2);
  const file = join(dir, 'events.mp3');
  writeFileSync(file, Buffer.concat(deltas.map((e) => Buffer.from(e.audio, 'base64'))));
  assert.equal(probe(file).codec_name, 'mp3');
  assert.ok(seconds(file) > 1);
});

test('an unknown voice and an empty input raise BadRequestError', async () => {
  await assert.rejects(client.audio.speech.create({ model: 'tts-1', voice: 'nobody', input: 'x' }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && /voice/.test(e.message));
  await assert.rejects(client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: '' }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'input');
});

test('no token raises AuthenticationError', async () => {
  const anonymous = new OpenAI({ baseURL, apiKey: 'vc_not-a-real-token', maxRetries: 0 });
  await assert.rejects(anonymous.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'x' }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
});

test('models and voices are listed', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.ok(ids.includes('tts-1') && ids.includes('espeak'));
  const voices = await (await fetch(`${baseURL}/audio/voices`)).json();
  assert.ok(voices.voices.includes('alloy'));
});

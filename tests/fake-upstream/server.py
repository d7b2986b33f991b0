#!/usr/bin/env python3
"""server.py - a loopback fake of the Gemini TTS and ElevenLabs APIs.

Speaks their real wire formats so voxcat's remote engines can be tested
without the internet, checks each request the way the real service would
(path, key header, body shape, voice names), and can be scripted per test:

  POST /__control/script   {"gemini": [step, ...], "elevenlabs": [step, ...]}
                           queue of answers, one consumed per request; an
                           empty queue answers "ok". A step is a name or
                           {"step": name, "retry_delay": "2s"}.
  GET  /__control/requests every request seen (key values never recorded)
  POST /__control/reset    clear the script and the log

Steps: ok, no_audio, rate_limit, daily_quota, unauthorized, server_error,
unavailable, hang (no answer for "seconds"), slow (ok after "seconds"),
truncated_base64, wrong_rate, bad_request;
ElevenLabs also quota_exceeded, too_many_concurrent, system_busy,
unprocessable.

Usage: server.py --port N [--pid-file F]; prints "listening PORT" when ready.
"""
import argparse
import base64
import json
import math
import os
import re
import signal
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

GEMINI_KEY = "test-gemini-key"
ELEVEN_KEY = "test-eleven-key"
GEMINI_MODELS = {"gemini-2.5-flash-preview-tts", "gemini-2.5-pro-preview-tts"}
ELEVEN_MODELS = {"eleven_multilingual_v2", "eleven_flash_v2_5"}
VOICES = ["Zephyr", "Puck", "Charon", "Kore", "Fenrir", "Leda", "Orus", "Aoede",
          "Callirrhoe", "Autonoe", "Enceladus", "Iapetus", "Umbriel", "Algieba",
          "Despina", "Erinome", "Algenib", "Rasalgethi", "Laomedeia", "Achernar",
          "Alnilam", "Schedar", "Gacrux", "Pulcherrima", "Achird", "Zubenelgenubi",
          "Vindemiatrix", "Sadachbia", "Sadaltager", "Sulafat"]

lock = threading.Lock()
script = {"gemini": [], "elevenlabs": []}
seen = []


def tone(text, voice, rate=24000):
    """Deterministic PCM s16le: a tone per voice, ~0.1 s per word."""
    words = max(1, len(text.split()))
    n = int(rate * 0.1 * words)
    freq = 200 + 20 * (VOICES.index(voice) if voice in VOICES else 0)
    return b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate)))
                    for i in range(n))


def next_step(engine):
    with lock:
        queue = script[engine]
        step = queue.pop(0) if queue else "ok"
    if isinstance(step, dict):
        return step.get("step", "ok"), step
    return step, {}


def google_error(code, status, message, details=None):
    err = {"code": code, "message": message, "status": status}
    if details:
        err["details"] = details
    return {"error": err}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-upstream: " + (fmt % args) + "\n")

    def send(self, code, body, ctype="application/json", headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return None

    def record(self, engine, body, step, key_ok):
        u = urlparse(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()
                   if k.lower() not in ("x-goog-api-key", "xi-api-key")}
        with lock:
            seen.append({"engine": engine, "method": self.command, "path": u.path,
                         "query": parse_qs(u.query), "headers": headers, "key_ok": key_ok,
                         "body": body, "step": step, "at": time.time()})

    def do_GET(self):
        if self.path == "/__control/requests":
            with lock:
                return self.send(200, seen)
        self.send(404, google_error(404, "NOT_FOUND", "no such path"))

    def do_POST(self):
        u = urlparse(self.path)
        if u.path == "/__control/script":
            body = self.body_json() or {}
            with lock:
                for k in ("gemini", "elevenlabs"):
                    script[k] = list(body.get(k, []))
            return self.send(200, {"ok": True})
        if u.path == "/__control/reset":
            self.body_json()
            with lock:
                script["gemini"], script["elevenlabs"] = [], []
                seen.clear()
            return self.send(200, {"ok": True})
        m = re.fullmatch(r"/v1beta/models/([^/:]+):generateContent", u.path)
        if m:
            return self.gemini(m.group(1))
        m = re.fullmatch(r"/v1/text-to-speech/([A-Za-z0-9]+)", u.path)
        if m:
            return self.eleven(m.group(1), parse_qs(u.query))
        self.body_json()
        self.send(404, google_error(404, "NOT_FOUND", "no such path"))

    # ---- Gemini ----------------------------------------------------------
    def gemini_problem(self, body):
        """What the real API would refuse in this body, or None."""
        if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
            return "Content-Type must be application/json"
        if not isinstance(body, dict):
            return "body is not a JSON object"
        try:
            text = body["contents"][0]["parts"][0]["text"]
        except (KeyError, IndexError, TypeError):
            return "contents[0].parts[0].text is missing"
        if not isinstance(text, str) or not text:
            return "text must be a non-empty string"
        gc = body.get("generationConfig") or {}
        if gc.get("responseModalities") != ["AUDIO"]:
            return "generationConfig.responseModalities must be [\"AUDIO\"]"
        sc = gc.get("speechConfig") or {}
        if "multiSpeakerVoiceConfig" in sc:
            cfgs = sc["multiSpeakerVoiceConfig"].get("speakerVoiceConfigs")
            if not isinstance(cfgs, list) or len(cfgs) != 2:
                return "multiSpeakerVoiceConfig needs exactly 2 speakerVoiceConfigs"
            for c in cfgs:
                try:
                    v = c["voiceConfig"]["prebuiltVoiceConfig"]["voiceName"]
                except (KeyError, TypeError):
                    return "speakerVoiceConfig without voiceName"
                if v not in VOICES or not c.get("speaker"):
                    return "bad speaker voice %r" % v
        else:
            try:
                v = sc["voiceConfig"]["prebuiltVoiceConfig"]["voiceName"]
            except (KeyError, TypeError):
                return "speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName is missing"
            if v not in VOICES:
                return "unknown voice %r" % v
        if "languageCode" in sc and not re.fullmatch(r"[a-z]{2}-[A-Z]{2}", sc["languageCode"]):
            return "bad languageCode"
        return None

    def gemini(self, model):
        body = self.body_json()
        key_ok = self.headers.get("x-goog-api-key") == GEMINI_KEY
        step, opts = next_step("gemini")
        self.record("gemini", body, step, key_ok)
        if not key_ok or step == "unauthorized":
            return self.send(403, google_error(403, "PERMISSION_DENIED", "API key not valid."))
        if model not in GEMINI_MODELS:
            return self.send(404, google_error(404, "NOT_FOUND", "models/%s is not found" % model))
        problem = self.gemini_problem(body)
        if problem or step == "bad_request":
            return self.send(400, google_error(400, "INVALID_ARGUMENT", problem or "Invalid request"))
        if step == "hang":
            time.sleep(float(opts.get("seconds", 30)))
            return
        if step == "slow":
            time.sleep(float(opts.get("seconds", 2)))
        if step == "rate_limit":
            delay = opts.get("retry_delay", "1s")
            return self.send(429, google_error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted", [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
                    {"quotaMetric": "generativelanguage.googleapis.com/generate_requests_per_model",
                     "quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]),
                headers={"Retry-After": str(int(float(delay.rstrip("s"))))})
        if step == "daily_quota":
            return self.send(429, google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for today", [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
                    {"quotaMetric": "generativelanguage.googleapis.com/generate_requests_per_model_per_day",
                     "quotaId": "GenerateRequestsPerDayPerProjectPerModel"}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "43200s"}]))
        if step == "server_error":
            return self.send(500, google_error(500, "INTERNAL", "An internal error has occurred."))
        if step == "unavailable":
            return self.send(503, google_error(503, "UNAVAILABLE", "The model is overloaded."))
        if step == "no_audio":
            return self.send(200, {"candidates": [{"content": {"role": "model"}, "finishReason": "OTHER",
                                                   "index": 0}], "modelVersion": model})
        sc = body["generationConfig"]["speechConfig"]
        voice = (sc.get("voiceConfig") or {}).get("prebuiltVoiceConfig", {}).get("voiceName") \
            or sc["multiSpeakerVoiceConfig"]["speakerVoiceConfigs"][0]["voiceConfig"]["prebuiltVoiceConfig"]["voiceName"]
        text = body["contents"][0]["parts"][0]["text"]
        rate = 16000 if step == "wrong_rate" else 24000
        data = base64.b64encode(tone(text, voice, rate)).decode()
        if step == "truncated_base64":
            data = data[: len(data) // 2 - 1]
        self.send(200, {"candidates": [{"content": {"parts": [{"inlineData": {
            "mimeType": "audio/L16;codec=pcm;rate=%d" % rate, "data": data}}], "role": "model"},
            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": len(text.split()), "totalTokenCount": len(text.split())},
            "modelVersion": model})

    # ---- ElevenLabs ------------------------------------------------------
    def eleven(self, voice_id, query):
        body = self.body_json()
        key_ok = self.headers.get("xi-api-key") == ELEVEN_KEY
        step, opts = next_step("elevenlabs")
        self.record("elevenlabs", body, step, key_ok)
        detail = lambda status, msg: {"detail": {"status": status, "message": msg}}
        if not key_ok or step == "unauthorized":
            return self.send(401, detail("invalid_api_key", "Invalid API key"))
        if step == "quota_exceeded":
            return self.send(401, detail("quota_exceeded", "This request exceeds your quota."))
        if query.get("output_format") != ["pcm_24000"]:
            return self.send(422, {"detail": [{"loc": ["query", "output_format"], "msg": "unsupported",
                                               "type": "value_error"}]})
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"]:
            return self.send(422, {"detail": [{"loc": ["body", "text"], "msg": "field required",
                                               "type": "value_error.missing"}]})
        if body.get("model_id") not in ELEVEN_MODELS:
            return self.send(400, detail("invalid_model_id", "unknown model_id"))
        if step in ("unprocessable", "bad_request"):
            return self.send(422, {"detail": [{"loc": ["body"], "msg": "invalid", "type": "value_error"}]})
        if step == "too_many_concurrent":
            return self.send(429, detail("too_many_concurrent_requests", "Too many concurrent requests"))
        if step == "system_busy":
            return self.send(429, detail("system_busy", "The system is busy"))
        if step in ("server_error", "unavailable"):
            return self.send(500 if step == "server_error" else 503, detail("internal_error", "error"))
        if step == "hang":
            time.sleep(float(opts.get("seconds", 30)))
            return
        if step == "slow":
            time.sleep(float(opts.get("seconds", 2)))
        if step == "no_audio":
            return self.send(200, b"", "audio/pcm")
        self.send(200, tone(body["text"], voice_id), "audio/pcm")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--pid-file")
    args = ap.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print("listening %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""fakellm.py - a fake OpenAI-compatible chat-completions server for tests.

Python 3 standard library only. Listens on 127.0.0.1 (a free port unless
--port), prints the port on stdout and writes it to --port-file, and exits by
itself after --idle seconds without a request (and after --max-life seconds in
any case), so a test can never leave it running.

POST .../chat/completions answers deterministically from the request:
  - the sentence is the JSON string after "Sentence:" in the first user
    message (the whole message if there is none);
  - a prompt that mentions "entities" gets an extraction answer
    {"entities": [...], "quantities": [...], "parts": {...}};
  - anything else gets {"text": "Rewritten: SENTENCE"}.

Faults on demand: a marker in the first user message (so in the sentence),
    [fake:KIND]  or  [fake:KIND times=N after=S delay=S]
applies to the first N requests that carry the same first user message
(default: all of them), re-asks included. KIND:
  500, 503, 400, ... any HTTP status, with an OpenAI-style error body
                    (429 and 503 send Retry-After: after, default 1 s)
  slow              answer after delay seconds (default 5)
  malformed         HTTP 200 with a body that is not JSON
  truncated         Content-Length larger than the body, then close
  reset             close the connection with a TCP reset, no answer
  fence             the JSON inside a ```json code fence, with prose around
  think             a <think> block (holding a decoy JSON object) first
  prose             the JSON between two sentences of prose
  wrongshape        valid JSON of the wrong shape: {"answer": ...}
  wrongtype         {"text": 42}
  nojson            prose only
  empty             empty content
  cut               JSON cut off, finish_reason "length"
  echokey           HTTP 400 whose message repeats the Authorization header
Server-wide: --delay MS before every answer (benchmarks), --require-key KEY
(HTTP 401 unless "Authorization: Bearer KEY"), --status CODE (every chat
request gets that status).

GET /stats -> {"requests": N, "by_status": {...}, "log": [{"t", "sentence",
"fault", "status", "messages", "auth"}...]} (log: first --log-limit requests;
"auth" is true/false, the key itself is never kept).  POST /reset zeroes the
counters.  GET /health -> {"ok": true}.
"""
import argparse
import json
import os
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MARK = re.compile(r"\[fake:([a-z0-9]+)((?:\s+[a-z]+=[0-9.]+)*)\]")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
NUMBER = re.compile(r"(\d+(?:\.\d+)?)(?:\s*([A-Za-z]+))?")

lock = threading.Lock()
state = {"requests": 0, "by_status": {}, "log": [], "seen": {}}
activity = {"last": time.monotonic(), "busy": 0}
opts = None


def sentence_of(first_user):
    i = first_user.find("Sentence:")
    if i >= 0:
        rest = first_user[i + len("Sentence:"):].lstrip()
        try:
            s, _ = json.JSONDecoder().raw_decode(rest)
            if isinstance(s, str):
                return s
        except ValueError:
            pass
    return first_user


def extraction(sentence):
    words = WORD.findall(sentence)
    ents = []
    for w in words:
        if w[0].isupper():
            ents.append({"text": w, "type": "name"})
        elif len(w) > 3:
            ents.append({"text": w, "type": "thing"})
    quants = []
    for m in NUMBER.finditer(sentence):
        v = float(m.group(1))
        quants.append({"text": m.group(0), "value": int(v) if v.is_integer() else v,
                       "unit": m.group(2)})
    subject = " ".join(words[:2]) if words else sentence
    parts = {"theme": "test",
             "subject": {"text": subject, "type": "thing", "count": 1},
             "action": words[2] if len(words) > 2 else None,
             "state": None}
    return {"entities": ents, "quantities": quants, "parts": parts}


def completion(content, finish="stop"):
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fake",
        "choices": [{"index": 0, "finish_reason": finish,
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once
    server_version = "fakellm/1"

    def log_message(self, fmt, *args):
        pass

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    def send_json(self, code, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def error_json(self, code, message, headers=None):
        self.send_json(code, {"error": {"message": message, "type": "fake_error",
                                        "code": code}}, headers)

    def do_GET(self):
        if self.path.startswith("/stats"):
            with lock:
                out = {"requests": state["requests"], "by_status": dict(state["by_status"]),
                       "log": list(state["log"])}
            self.send_json(200, out)
        elif self.path.startswith("/health"):
            self.send_json(200, {"ok": True})
        else:
            self.error_json(404, "no such page")

    def do_POST(self):
        with lock:
            activity["busy"] += 1
            activity["last"] = time.monotonic()
        try:
            self.post()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with lock:
                activity["busy"] -= 1
                activity["last"] = time.monotonic()

    def post(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.path.startswith("/reset"):
            with lock:
                state.update({"requests": 0, "by_status": {}, "log": [], "seen": {}})
            self.send_json(200, {"ok": True})
            return
        if not self.path.endswith("/chat/completions"):
            self.error_json(404, "no endpoint %s" % self.path)
            return
        auth = self.headers.get("Authorization")
        try:
            req = json.loads(raw)
            msgs = req["messages"]
            first_user = next(m["content"] for m in msgs if m.get("role") == "user")
        except (ValueError, KeyError, TypeError, StopIteration):
            self.record("", "badrequest", 400, 0, auth)
            self.error_json(400, "request body is not a chat request")
            return
        sentence = sentence_of(first_user)
        kind, params = None, {}
        m = MARK.search(first_user)
        if m:   # only marked requests are counted (keeps benchmarks flat)
            with lock:
                seen = state["seen"].get(first_user, 0)
                state["seen"][first_user] = seen + 1
            params = dict(p.split("=") for p in m.group(2).split())
            times = int(float(params.get("times", "1e9")))
            if seen < times:
                kind = m.group(1)
        if opts.delay:
            time.sleep(opts.delay / 1000.0)
        if opts.require_key is not None and auth != "Bearer " + opts.require_key:
            self.record(sentence, kind, 401, len(msgs), auth)
            self.error_json(401, "invalid API key")
            return
        if opts.status:
            self.record(sentence, kind, opts.status, len(msgs), auth)
            self.error_json(opts.status, "fake status %d" % opts.status)
            return
        allprompt = " ".join(str(x.get("content")) for x in msgs)
        good = extraction(sentence) if '"entities"' in allprompt else \
            {"text": "Rewritten: " + sentence}
        good_s = json.dumps(good)
        status = 200
        if kind and kind.isdigit():
            status = int(kind)
            self.record(sentence, kind, status, len(msgs), auth)
            hdr = {}
            if status in (429, 503):
                hdr["Retry-After"] = params.get("after", "1")
            self.error_json(status, "fake error %d for this request" % status, hdr)
            return
        self.record(sentence, kind, 400 if kind == "echokey" else status, len(msgs), auth)
        if kind == "slow":
            time.sleep(float(params.get("delay", "5")))
        if kind == "echokey":
            self.error_json(400, "bad request; you sent Authorization: %s" % auth)
            return
        if kind == "malformed":
            body = b'{"choices": [{"message": {"content": "oops'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if kind == "truncated":
            body = json.dumps(completion(good_s)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if kind == "reset":
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RD)
            os.close(self.connection.detach())
            return
        finish = "stop"
        content = good_s
        if kind == "fence":
            content = "Here you go:\n```json\n%s\n```\nLet me know if you need more." % \
                json.dumps(good, indent=2)
        elif kind == "think":
            content = ('<think>The user wants JSON. Maybe {"text": "decoy"} would do, '
                       'but let me check the {braces}.</think>\n' + good_s)
        elif kind == "prose":
            content = "Sure! Here is the result: " + good_s + " I hope this helps {:-)}."
        elif kind == "wrongshape":
            content = json.dumps({"answer": sentence})
        elif kind == "wrongtype":
            content = '{"text": 42}'
        elif kind == "nojson":
            content = "I am sorry, but I cannot help with that."
        elif kind == "empty":
            content = ""
        elif kind == "cut":
            content = good_s[: len(good_s) // 2]
            finish = "length"
        self.send_json(200, completion(content, finish))

    def record(self, sentence, kind, status, nmsg, auth):
        with lock:
            state["requests"] += 1
            k = str(status)
            state["by_status"][k] = state["by_status"].get(k, 0) + 1
            if len(state["log"]) < opts.log_limit:
                state["log"].append({"t": round(time.time(), 4), "sentence": sentence,
                                     "fault": kind, "status": status,
                                     "messages": nmsg, "auth": auth is not None})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass    # clients that hang up early are part of the tests


def watchdog(t0):
    while True:
        time.sleep(0.2)
        now = time.monotonic()
        with lock:
            idle = activity["busy"] == 0 and now - activity["last"] > opts.idle
        if idle or now - t0 > opts.max_life:
            os._exit(0)


def main():
    global opts
    ap = argparse.ArgumentParser(description="fake chat-completions server for tests")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--delay", type=float, default=0, help="ms before every answer")
    ap.add_argument("--idle", type=float, default=20, help="exit after this many idle seconds")
    ap.add_argument("--max-life", type=float, default=600, help="exit after this many seconds")
    ap.add_argument("--require-key")
    ap.add_argument("--status", type=int, default=0)
    ap.add_argument("--log-limit", type=int, default=10000)
    opts = ap.parse_args()
    srv = Server(("127.0.0.1", opts.port), Handler)
    port = srv.server_address[1]
    if opts.port_file:
        tmp = opts.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, opts.port_file)
    print(port, flush=True)
    threading.Thread(target=watchdog, args=(time.monotonic(),), daemon=True).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()

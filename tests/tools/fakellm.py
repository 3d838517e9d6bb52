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

Structured output (response_format), --schema MODE:
  honour   (default) a request with response_format json_schema has its
           schema checked against what gcse's answer checker accepts (probe
           answers the checker takes must validate, probes it refuses must
           not: HTTP 400 "fake: the json_schema ..." otherwise), and gets
           only JSON that validates against it, as a grammar-constrained
           server gives: faults that would break the schema (fence, think,
           prose, wrongshape, wrongtype, nojson, cutprose, empty, hugecount)
           do not happen; cut (the token limit) and schema-valid nonsense
           (garbage, copy, long, nul, badutf8) still do. json_object: JSON
           only (no fence, think, prose, nojson, cutprose, empty).
  require  the same, and a request without response_format json_schema is
           refused (HTTP 400)
  reject   a request with response_format gets HTTP 400 naming the field,
           as a server that does not support it
  ignore   response_format is not looked at

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
  cutprose          prose without JSON, finish_reason "length"
  garbage           schema-valid nonsense: spans not in the sentence, or a
                    text unrelated to it
  copy              {"text": the sentence itself}
  long              {"text": the sentence 10 times}
  nul               {"text": "...\u0000..."}
  badutf8           {"text": ...} with a byte that is not UTF-8 in the body
  hugecount         extraction with subject count -6915001281338784
  huge              a complete {"text": ...} answer of size=N bytes (default 2e6)
  echokey           HTTP 400 whose message repeats the Authorization header
HTTP 500 bodies differ from one request to the next (a counter), as a
server's transient trouble; with same=1 they are the same every time (an
error that will repeat).
Server-wide: --delay MS before every answer (benchmarks), --require-key KEY
(HTTP 401 unless "Authorization: Bearer KEY"), --status CODE (every chat
request gets that status), --record FILE (every chat request body appended
to FILE, one JSON line each: bench/llm_prompt_tokens.sh).

GET /stats -> {"requests": N, "by_status": {...}, "prompts": distinct first
user messages, "max_per_prompt": the most requests one of them had, "log":
[{"t", "sentence", "fault", "status", "messages", "auth", "prompt", "rf",
"schema", "max_tokens", "seed"}...]} (log: first --log-limit requests;
"auth" is true/false, the key itself is never kept; "prompt" a hash of the
first user message; "rf" response_format's type or null, "schema" its
json_schema name).  POST /reset zeroes the counters; with a JSON body
{"schema": MODE, "delay": MS} it also sets those two (absent: honour, 0),
as a new server would have them, only quicker.  GET /health -> {"ok": true}.
"""
import argparse
import hashlib
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

SCHEMA_MODES = ("honour", "require", "reject", "ignore")
lock = threading.Lock()
state = {"requests": 0, "by_status": {}, "log": [], "seen": {}, "prompts": {}, "n500": 0}
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


def validate(v, sch, path="$"):
    """A JSON Schema subset (what gcse sends): type (name or list), properties,
    required, additionalProperties false, items, minLength, minimum, maximum,
    anyOf. Returns None or the first error."""
    if "anyOf" in sch:
        errs = [validate(v, s, path) for s in sch["anyOf"]]
        return None if any(e is None for e in errs) else "%s: matches no anyOf branch" % path
    t = sch.get("type")
    if t is not None:
        kinds = t if isinstance(t, list) else [t]
        def is_kind(k):
            if k == "null":
                return v is None
            if k == "boolean":
                return isinstance(v, bool)
            if k == "integer":
                return isinstance(v, int) and not isinstance(v, bool) or \
                    isinstance(v, float) and v.is_integer()
            if k == "number":
                return isinstance(v, (int, float)) and not isinstance(v, bool)
            if k == "string":
                return isinstance(v, str)
            if k == "array":
                return isinstance(v, list)
            if k == "object":
                return isinstance(v, dict)
            raise ValueError("unknown type %r" % k)
        if not any(is_kind(k) for k in kinds):
            return "%s: not of type %s" % (path, t)
    if isinstance(v, str) and len(v) < sch.get("minLength", 0):
        return "%s: shorter than minLength" % path
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in sch and v < sch["minimum"]:
            return "%s: below minimum" % path
        if "maximum" in sch and v > sch["maximum"]:
            return "%s: above maximum" % path
    if isinstance(v, list) and "items" in sch:
        for i, e in enumerate(v):
            err = validate(e, sch["items"], "%s[%d]" % (path, i))
            if err:
                return err
    if isinstance(v, dict):
        props = sch.get("properties", {})
        for k in sch.get("required", []):
            if k not in v:
                return "%s.%s: missing" % (path, k)
        for k, e in v.items():
            if k in props:
                err = validate(e, props[k], "%s.%s" % (path, k))
                if err:
                    return err
            elif sch.get("additionalProperties") is False:
                return "%s.%s: not allowed" % (path, k)
    return None


# What gcse's answer checker accepts and refuses (lib/llm/llmanswer.h: the
# shapes LLM_SHAPE_KGEXTRACT and LLM_SHAPE_TEXT). A schema sent with a
# request must accept the first list and refuse the second.
GOOD_X = {"entities": [{"text": "a man", "type": "noun.person"}],
          "quantities": [{"text": "two dogs", "value": 2, "unit": "dog"},
                         {"text": "some", "value": None, "unit": None}],
          "parts": {"theme": "sport", "subject": {"text": "a man", "type": "person", "count": 1},
                    "action": "skis", "state": None}}
PROBES = {
    "extraction": (
        [GOOD_X,
         {"entities": [], "quantities": [],
          "parts": {"theme": None, "subject": None, "action": None, "state": None}}],
        [{"entities": [], "quantities": []},
         {"entities": [{"text": "a man", "type": ""}], "quantities": [], "parts": GOOD_X["parts"]},
         {"entities": [{"text": "", "type": "x"}], "quantities": [], "parts": GOOD_X["parts"]},
         {"entities": [], "quantities": [{"text": "2", "value": "2", "unit": None}],
          "parts": GOOD_X["parts"]},
         {"entities": [], "quantities": [],
          "parts": dict(GOOD_X["parts"], subject={"text": "a man", "type": "person", "count": -5})},
         {"entities": [], "quantities": [],
          "parts": dict(GOOD_X["parts"], subject={"text": "a man", "type": "person", "count": 1.5})},
         {"entities": [], "quantities": [],
          "parts": dict(GOOD_X["parts"], subject={"text": "a man", "type": "", "count": 1})}]),
    "text": ([{"text": "A sentence."}],
             [{}, {"text": ""}, {"text": 42}, {"text": None}]),
}


def schema_problem(schema, kind):
    """None when the schema accepts what the checker accepts and refuses
    what it refuses, else what is wrong."""
    if not isinstance(schema, dict):
        return "no schema object"
    good, bad = PROBES[kind]
    try:
        for g in good:
            err = validate(g, schema)
            if err:
                return "it refuses %s (%s)" % (json.dumps(g), err)
        for b in bad:
            if validate(b, schema) is None:
                return "it accepts %s" % json.dumps(b)
    except (ValueError, TypeError, AttributeError, KeyError) as e:
        return "cannot read it (%s)" % e
    return None


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
                       "prompts": len(state["prompts"]),
                       "max_per_prompt": max(state["prompts"].values(), default=0),
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
            try:
                cfg = json.loads(raw) if raw else None
                # a body: these settings, the others back to their defaults
                schema = opts.schema if cfg is None else cfg.get("schema", "honour")
                delay = opts.delay if cfg is None else float(cfg.get("delay", 0))
                if schema not in SCHEMA_MODES:
                    raise ValueError("schema")
            except (ValueError, TypeError, AttributeError):
                self.error_json(400, "reset: bad settings")
                return
            with lock:
                state.update({"requests": 0, "by_status": {}, "log": [], "seen": {},
                              "prompts": {}, "n500": 0})
                opts.schema, opts.delay = schema, delay
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
            self.record("", "badrequest", 400, 0, auth, {}, "")
            self.error_json(400, "request body is not a chat request")
            return
        if opts.record:
            with lock, open(opts.record, "a", encoding="utf-8") as f:
                f.write(json.dumps(req) + "\n")
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
        rec = lambda status: self.record(sentence, kind, status, len(msgs), auth, req, first_user)
        if opts.require_key is not None and auth != "Bearer " + opts.require_key:
            rec(401)
            self.error_json(401, "invalid API key")
            return
        if opts.status:
            rec(opts.status)
            self.error_json(opts.status, "fake status %d" % opts.status)
            return
        allprompt = " ".join(str(x.get("content")) for x in msgs)
        prompt_kind = "extraction" if '"entities"' in allprompt else "text"
        rf = req.get("response_format")
        rf_type = rf.get("type") if isinstance(rf, dict) else None
        schema = None
        if opts.schema == "reject" and rf is not None:
            rec(400)
            self.error_json(400, "'response_format' is not supported by this server")
            return
        if opts.schema in ("honour", "require"):
            if rf_type == "json_schema":
                js = rf.get("json_schema")
                schema = js.get("schema") if isinstance(js, dict) else None
                why = schema_problem(schema, prompt_kind)
                if why:
                    rec(400)
                    self.error_json(400, "fake: the json_schema does not match what gcse's checker "
                                    "accepts: %s" % why)
                    return
            elif opts.schema == "require":
                rec(400)
                self.error_json(400, "fake: response_format json_schema required, got %s" %
                                json.dumps(rf))
                return
        good = extraction(sentence) if prompt_kind == "extraction" else \
            {"text": "Rewritten: " + sentence}
        if schema is not None:
            err = validate(good, schema)
            if err:   # the fake itself cannot answer within the schema: a test must see it
                rec(500)
                self.error_json(500, "fake: cannot answer within the schema: %s" % err)
                return
        good_s = json.dumps(good)
        status = 200
        if kind and kind.isdigit():
            status = int(kind)
            rec(status)
            hdr = {}
            if status in (429, 503):
                hdr["Retry-After"] = params.get("after", "1")
            msg = "fake error %d for this request" % status
            if status == 500 and params.get("same") != "1":
                with lock:
                    state["n500"] += 1
                    msg += " (%d)" % state["n500"]
            self.error_json(status, msg, hdr)
            return
        rec(400 if kind == "echokey" else status)
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
        elif kind == "cutprose":
            content = "Well, let me think about this sentence step by step, first of all"
            finish = "length"
        elif kind == "empty":
            content = ""
        elif kind == "cut":
            content = good_s[: len(good_s) // 2]
            finish = "length"
        elif kind == "garbage":
            if prompt_kind == "extraction":
                content = json.dumps({
                    "entities": [{"text": "zorblat quux", "type": "thing"},
                                 {"text": "frobnitz", "type": "thing"},
                                 {"text": "wibble", "type": "name"}],
                    "quantities": [{"text": "eleventy", "value": 110, "unit": "wug"}],
                    "parts": {"theme": "noise", "subject": {"text": "the plonk", "type": "thing",
                                                            "count": 1},
                              "action": "snargles", "state": None}})
            else:
                content = json.dumps({"text": "Purple monkeys dishwasher quantum "
                                              "harmonica volcanoes forever."})
        elif kind == "copy":
            content = json.dumps({"text": sentence})
        elif kind == "long":
            content = json.dumps({"text": " ".join([sentence] * 10)})
        elif kind == "nul":
            content = json.dumps({"text": "Rewritten:\u0000 " + sentence})
        elif kind == "hugecount":
            bad = extraction(sentence)
            bad["parts"]["subject"]["count"] = -6915001281338784
            content = json.dumps(bad)
        elif kind == "huge":
            size = int(float(params.get("size", "2e6")))
            content = json.dumps({"text": "x" * size})
        if schema is not None or rf_type == "json_object":
            # a constrained server answers JSON (of the schema) or is cut off
            try:
                ok = kind == "cut" or (
                    isinstance(json.loads(content), dict) and
                    (schema is None or validate(json.loads(content), schema) is None))
            except ValueError:
                ok = False
            if not ok:
                content, finish = good_s, "stop"
        if kind == "badutf8":
            body = json.dumps(completion(json.dumps({"text": "Rewritten: XX " + sentence}),
                                         finish)).encode().replace(b"XX", b"\xff\xfe")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_json(200, completion(content, finish))

    def record(self, sentence, kind, status, nmsg, auth, req, first_user):
        rf = req.get("response_format") if isinstance(req, dict) else None
        js = rf.get("json_schema") if isinstance(rf, dict) else None
        key = hashlib.sha1(first_user.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        with lock:
            state["requests"] += 1
            k = str(status)
            state["by_status"][k] = state["by_status"].get(k, 0) + 1
            state["prompts"][key] = state["prompts"].get(key, 0) + 1
            if len(state["log"]) < opts.log_limit:
                state["log"].append({
                    "t": round(time.time(), 4), "sentence": sentence, "fault": kind,
                    "status": status, "messages": nmsg, "auth": auth is not None,
                    "prompt": key,
                    "rf": rf.get("type") if isinstance(rf, dict) else None,
                    "schema": js.get("name") if isinstance(js, dict) else None,
                    "max_tokens": req.get("max_tokens") if isinstance(req, dict) else None,
                    "seed": req.get("seed") if isinstance(req, dict) else None})


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
    ap.add_argument("--record", help="append every chat request body to this file")
    ap.add_argument("--schema", choices=SCHEMA_MODES,
                    default="honour", help="what to do with response_format (see above)")
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

#!/usr/bin/env python3
"""oauth2_server.py: a loopback OAuth2 provider for the lab, the two endpoints a hosted
mailbox's provider has and the lab's Dovecot asks:
  POST /token       grant_type=refresh_token with client_id, client_secret and
                    refresh_token (RFC 6749 section 6): a wrong client is 401
                    invalid_client, an unknown refresh token 400 invalid_grant; else a
                    new access token with expires_in, and with --rotate a new refresh token
                    that replaces the old one (which is refused from then on).
  POST /introspect  token=... (RFC 7662; Dovecot's introspection_mode = post): active with
                    the username for a token it issued and has not expired, else inactive.
Usage: oauth2_server.py PORT STATEFILE --client-id ID --client-secret S --refresh-token R
       --user U [--expires-in N] [--rotate]
STATEFILE gets one JSON line per request (path, what it answered, the refresh token in
use), for the test to read; the tokens it issues are test values, never real secrets.
It runs in the foreground until SIGTERM; the test starts it and stops it by its PID.
"""
import argparse
import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("statefile")
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--client-secret", required=True)
    ap.add_argument("--refresh-token", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--expires-in", type=int, default=3600)
    ap.add_argument("--rotate", action="store_true")
    a = ap.parse_args()
    state = {"refresh": a.refresh_token, "issued": {}}

    def record(**kw):
        with open(a.statefile, "a") as f:
            f.write(json.dumps(kw) + "\n")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def answer(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(min(n, 65536)).decode(),
                                         keep_blank_values=True)
            f = {k: v[0] for k, v in form.items()}
            with LOCK:
                if self.path == "/token":
                    self.token(f)
                elif self.path == "/introspect":
                    tok = f.get("token", "")
                    if not tok:
                        auth = self.headers.get("Authorization", "")
                        tok = auth[7:] if auth.lower().startswith("bearer ") else ""
                    who = state["issued"].get(tok)
                    ok = who is not None and who[1] > time.time()
                    record(path="/introspect", active=ok)
                    self.answer(200, {"active": True, "username": who[0]} if ok
                                else {"active": False})
                else:
                    self.answer(404, {"error": "not_found"})

        def token(self, f):
            if f.get("grant_type") != "refresh_token":
                record(path="/token", answer="unsupported_grant_type")
                return self.answer(400, {"error": "unsupported_grant_type"})
            if f.get("client_id") != a.client_id or f.get("client_secret") != a.client_secret:
                record(path="/token", answer="invalid_client")
                return self.answer(401, {"error": "invalid_client",
                                         "error_description": "client authentication failed"})
            if f.get("refresh_token") != state["refresh"]:
                record(path="/token", answer="invalid_grant")
                return self.answer(400, {"error": "invalid_grant",
                                         "error_description": "the refresh token is not valid"})
            access = "lab-at-" + secrets.token_urlsafe(24)
            state["issued"][access] = (a.user, time.time() + a.expires_in)
            out = {"access_token": access, "token_type": "Bearer", "expires_in": a.expires_in,
                   "scope": f.get("scope", "")}
            if a.rotate:
                state["refresh"] = "lab-rt-" + secrets.token_urlsafe(24)
                out["refresh_token"] = state["refresh"]
            record(path="/token", answer="ok", used=f.get("refresh_token"),
                   scope=f.get("scope", ""), new_refresh=out.get("refresh_token"))
            self.answer(200, out)

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    print(f"oauth2_server: listening on 127.0.0.1:{a.port}, pid {os.getpid()}", flush=True)
    srv.serve_forever()
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

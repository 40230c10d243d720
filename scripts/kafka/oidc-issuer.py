#!/usr/bin/env python3
"""A small OIDC issuer for kbp's OAUTHBEARER tests, started by scripts/kafka.sh.

It hands out RS256 JWT access tokens for the OAuth 2.0 client-credentials grant
(POST /token, client id and secret in HTTP Basic auth or in the form) and publishes the
signing key (GET /jwks) for the broker's OAuthBearerValidatorCallbackHandler. Only the
standard library and the openssl CLI (which signs) are used, so nothing is installed
for it. It serves HTTPS (certificate signed by the test CA, for kbp) and plain HTTP
(for the broker's JWKS fetch) on two ports, written to DIR/https_port and DIR/http_port
once it listens. Every token issued is a line in DIR/tokens.log: epoch seconds,
client id, lifetime.

  oidc-issuer.py DIR KEY.pem CERT.pem CERT-KEY.pem CLIENT=SECRET:LIFETIME_S ...
"""

import base64
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AUDIENCE = "kafka"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def modulus(key_path: str) -> bytes:
    out = subprocess.run(
        ["openssl", "rsa", "-in", key_path, "-noout", "-modulus"],
        check=True, capture_output=True, text=True,
    ).stdout
    return bytes.fromhex(out.strip().split("=", 1)[1])


class Issuer:
    def __init__(self, directory, key_path, clients):
        self.dir = directory
        self.key_path = key_path
        self.clients = clients  # id -> (secret, lifetime seconds)
        self.kid = "kbp-test-1"
        self.jwks = json.dumps({"keys": [{
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
            "n": b64url(modulus(key_path)), "e": b64url((65537).to_bytes(3, "big")),
        }]}).encode()
        self.log_lock = threading.Lock()
        self.issuer = None  # set once the HTTP port is known

    def sign(self, client, lifetime):
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        claims = {"iss": self.issuer, "sub": client, "aud": AUDIENCE, "iat": now,
                  "nbf": now, "exp": now + lifetime, "scope": "kafka"}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode())).encode()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key_path],
                             input=signing_input, check=True, capture_output=True).stdout
        with self.log_lock, open(os.path.join(self.dir, "tokens.log"), "a") as log:
            log.write(f"{now} {client} {lifetime}\n")
        return signing_input.decode() + "." + b64url(sig)


def handler(issuer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: the tokens log says what matters
            pass

        def reply(self, status, body):
            data = json.dumps(body).encode() if isinstance(body, dict) else body
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.split("?")[0] == "/jwks":
                self.reply(200, issuer.jwks)
            else:
                self.reply(404, {"error": "not_found"})

        def do_POST(self):
            if self.path.split("?")[0] != "/token":
                return self.reply(404, {"error": "not_found"})
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            client = (form.get("client_id") or [None])[0]
            secret = (form.get("client_secret") or [None])[0]
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                client, secret = urllib.parse.unquote(user), urllib.parse.unquote(password)
            if (form.get("grant_type") or [None])[0] != "client_credentials":
                return self.reply(400, {"error": "unsupported_grant_type"})
            known = issuer.clients.get(client)
            if known is None or known[0] != secret:
                return self.reply(401, {"error": "invalid_client",
                                        "error_description": "client authentication failed"})
            token = issuer.sign(client, known[1])
            self.reply(200, {"access_token": token, "token_type": "Bearer",
                             "expires_in": known[1], "scope": "kafka"})

    return Handler


def main():
    directory, key, cert, cert_key, *specs = sys.argv[1:]
    clients = {}
    for spec in specs:
        client, rest = spec.split("=", 1)
        secret, lifetime = rest.rsplit(":", 1)
        clients[client] = (secret, int(lifetime))
    issuer = Issuer(directory, key, clients)
    plain = ThreadingHTTPServer(("127.0.0.1", 0), handler(issuer))
    secure = ThreadingHTTPServer(("127.0.0.1", 0), handler(issuer))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, cert_key)
    secure.socket = context.wrap_socket(secure.socket, server_side=True)
    issuer.issuer = f"http://127.0.0.1:{plain.server_address[1]}"
    for name, server in (("http_port", plain), ("https_port", secure)):
        tmp = os.path.join(directory, name + ".tmp")
        with open(tmp, "w") as f:
            f.write(f"{server.server_address[1]}\n")
        os.replace(tmp, os.path.join(directory, name))
    threading.Thread(target=secure.serve_forever, daemon=True).start()
    plain.serve_forever()


if __name__ == "__main__":
    main()

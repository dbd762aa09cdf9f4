"""Review-page sessions: the API key is entered once per browser session.

Signing in exchanges the key (sent once, in a JSON body over the page's own
origin) for a signed, HttpOnly, SameSite=Strict session cookie; the key itself is
never stored in the browser, never put in a URL, a log line or a page. The cookie
names the key's hash, so removing a key from the keys file ends its sessions, and
it lapses after ``SESSION_HOURS`` or when the browser closes (no Max-Age).

Cross-site requests cannot decide anything: a request that changes state on a
session cookie must carry the session's CSRF token in ``X-CSRF-Token`` (a header
another site's form or script cannot set), and an ``Origin`` header, when the
browser sends one, must be the server's own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from fastapi import Request

from api.key_ring import KeyRing, Principal, hash_key

COOKIE = "resolver_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_HOURS = 12
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Session:
    who: Principal
    csrf: str


def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def issue(secret: str, key: str, who: Principal, *, now: float | None = None) -> str:
    """The cookie value of a new session for the holder of ``key``."""
    body = {
        "k": hash_key(key),
        "n": who.name,
        "e": int((now or time.time()) + SESSION_HOURS * 3600),
    }
    payload = base64.urlsafe_b64encode(json.dumps(body, sort_keys=True).encode()).decode()
    return f"{payload}.{_sign(secret, payload.encode())}"


def read(secret: str, keys: KeyRing | None, value: str | None) -> Session | None:
    """The session a cookie value stands for, or None (forged, expired, key revoked)."""
    if not value or "." not in value or keys is None:
        return None
    payload, sig = value.rsplit(".", 1)
    if not hmac.compare_digest(sig, _sign(secret, payload.encode())):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(payload.encode()))
        digest, expires = str(body["k"]), int(body["e"])
    except (ValueError, KeyError, TypeError):
        return None
    if expires < time.time():
        return None
    who = keys.lookup_hash(digest)
    if who is None:
        return None
    return Session(who, _sign(secret, f"csrf:{sig}".encode())[:32])


def same_origin(request: Request) -> bool:
    """Whether the request's Origin (when the browser sent one) is this server."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


def cross_site_refusal(request: Request, session: Session) -> str | None:
    """Why a state-changing request on a session cookie is refused, or None."""
    if request.method in SAFE_METHODS:
        return None
    if not same_origin(request):
        return "cross-site request refused: Origin is not this server"
    token = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(token, session.csrf):
        return f"cross-site request refused: missing or wrong {CSRF_HEADER} header"
    return None

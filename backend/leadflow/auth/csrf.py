"""CSRF defence for cookie-authenticated requests.

Browsers attach the session cookie to cross-site requests, but a cross-site page cannot set a
custom header without a CORS preflight, which Leadflow never grants. So a state-changing
request authenticated by cookie must carry `X-Leadflow-CSRF: 1` (the SPA always sends it).
Bearer-token requests carry no ambient credentials and need no such proof.
"""

from __future__ import annotations

from starlette.requests import Request

CSRF_HEADER = "x-leadflow-csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def has_csrf_proof(request: Request) -> bool:
    return request.headers.get(CSRF_HEADER) == "1"

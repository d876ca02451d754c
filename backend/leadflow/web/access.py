"""Who sends a request, and the CSRF rule: decided here for every route.

A request is authenticated by a bearer token (scripts, partners) or by the browser's session
cookie (the web app); a bearer token wins. Browsers attach the cookie to cross-site requests
too, but a cross-site page cannot set a custom header without a CORS preflight, which Leadflow
never grants. So a request the session cookie authenticates must carry `X-Leadflow-CSRF: 1`
(the web app always sends it), GET included: a link must not run anything, nor write the audit
log, in the user's name. The one exception are downloads (`links=True`): the web app starts
them with a plain link, which cannot carry a header, and they change nothing. Bearer requests
carry no ambient credentials and need no such proof.
"""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.requests import HTTPConnection, Request

from leadflow.auth.sessions import SESSION_COOKIE, authenticate_session
from leadflow.auth.tokens import Authenticated, authenticate_token, forget_token_lookups
from leadflow.db.availability import database_unavailable
from leadflow.web.errors import HttpError, unauthenticated
from leadflow.web.unavailable import log_unavailable, unavailable

# Who a request or connection is, for the other web modules (they authenticate nothing).
Caller = Authenticated

CSRF_HEADER = "x-leadflow-csrf"
READ_METHODS = frozenset({"GET", "HEAD"})


async def caller(request: Request, *, links: bool = False) -> Authenticated | None:
    """Who sends `request` (None: nobody logged in), once the CSRF rule is met (403 `CSRF`
    otherwise). `links`: the route serves downloads, which a link may start with GET."""
    auth = await authenticated(request)
    by_cookie = auth is not None and auth.via_session
    link = links and request.method in READ_METHODS
    if by_cookie and not link and not has_csrf_proof(request):
        raise csrf_missing()
    return auth


async def signed_in(
    request: Request, *, links: bool = False, writes: bool = False
) -> Authenticated:
    """`caller`, for routes that serve only the logged-in (401 otherwise); with `writes`, a
    read-only token is refused (403), as for GraphQL's mutations."""
    auth = await caller(request, links=links)
    if auth is None:
        raise unauthenticated()
    if writes and auth.read_only:
        raise HttpError(403, "FORBIDDEN", "This token is read-only.")
    return auth


async def cookie_session(request: Request) -> tuple[str, Authenticated] | None:
    """The live session the request's cookie names, whatever else the request carries (logout
    ends it even beside a bearer token), once the CSRF rule is met; None for no or a dead
    cookie."""
    secret = request.cookies.get(SESSION_COOKIE)
    session = await _looked_up(authenticate_session(secret)) if secret else None
    if secret is None or session is None:
        return None
    if not has_csrf_proof(request):
        raise csrf_missing()
    return secret, session


async def authenticated(request: Request) -> Authenticated | None:
    """The request's credentials, looked up once per request: kept where Starlette keeps them
    (`scope["auth"]`, read as `request.auth`), where the audit of a refusal finds them too."""
    if "auth" not in request.scope:
        request.scope["auth"] = await _looked_up(_authenticate(request))
    auth: Authenticated | None = request.scope["auth"]
    return auth


async def _authenticate(request: Request) -> Authenticated | None:
    header = request.headers.get("authorization", "")
    if header:
        # A malformed Authorization header is nobody, not a fall-back to the cookie.
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        return await authenticate_token(secret.strip())
    session_secret = request.cookies.get(SESSION_COOKIE)
    if session_secret:
        return await authenticate_session(session_secret)
    return None


async def _looked_up(lookup: Awaitable[Authenticated | None]) -> Authenticated | None:
    """A login's lookup; a database that cannot be reached is 503 with Retry-After (the
    client tries again), not a failure of ours (500) nor nobody logged in (401)."""
    try:
        return await lookup
    except Exception as error:
        if not database_unavailable(error):
            raise
        log_unavailable(error, "login lookup")
        raise unavailable() from error


def session_secret(connection: HTTPConnection) -> str | None:
    """The session cookie's secret (a WebSocket handshake's too)."""
    return connection.cookies.get(SESSION_COOKIE)


async def authenticate_secret(secret: str, *, session: bool) -> Authenticated | None:
    """A token's or a session's secret, as at login: long-lived connections (subscriptions)
    check theirs again while they last (`web/live.Login`), always in the database: a token
    revoked on another instance ends the connection at its next check."""
    if session:
        return await authenticate_session(secret)
    return await authenticate_token(secret, cached=False)


def has_csrf_proof(request: Request) -> bool:
    return request.headers.get(CSRF_HEADER) == "1"


def csrf_missing() -> HttpError:
    return HttpError(
        403,
        "CSRF",
        "This request is authenticated by a session cookie, so it must carry the header "
        f"'{CSRF_HEADER}: 1' (the Leadflow app sends it). Scripts use a bearer token.",
    )


def forget_kept_logins() -> None:
    """After a transaction that may have changed users or tokens has committed: the token
    lookups its saves cleared before the COMMIT may have been read again in between
    (auth/tokens.py)."""
    forget_token_lookups()

"""Browser logins: POST /auth/login and POST /auth/logout."""

from __future__ import annotations

import json
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadflow.auth.sessions import SESSION_COOKIE, close_session
from leadflow.errors import DomainError
from leadflow.services import accounts
from leadflow.services.audit import AuditAction, record
from leadflow.settings import Settings
from leadflow.web.access import cookie_session
from leadflow.web.bodies import require_json
from leadflow.web.client import client_address
from leadflow.web.endpoints import endpoint
from leadflow.web.errors import HttpError, bad_request

MAX_LOGIN_BODY = 16 * 1024


def auth_routes(settings: Settings) -> list[Route]:
    async def login(request: Request) -> Response:
        return await _login(request, settings)

    return [
        Route("/auth/login", endpoint(login), methods=["POST"], max_body_size=MAX_LOGIN_BODY),
        Route("/auth/logout", endpoint(_logout), methods=["POST"], max_body_size=MAX_LOGIN_BODY),
    ]


async def _login(request: Request, settings: Settings) -> Response:
    # JSON only: a cross-site HTML form cannot send it, so nobody can be logged in unawares.
    require_json(request.headers.get("content-type"))
    email, password = await _credentials(request)
    try:
        result = await accounts.log_in(
            email,
            password,
            address=client_address(request),
            user_agent=request.headers.get("user-agent", ""),
            lifetime=timedelta(hours=settings.session_hours),
        )
    except accounts.LoginThrottled as throttled:
        raise HttpError(
            429,
            "TOO_MANY_ATTEMPTS",
            str(throttled),
            headers={"Retry-After": str(throttled.retry_after)},
        ) from None
    except DomainError as refused:
        raise HttpError(401, "INVALID_CREDENTIALS", refused.message) from None
    user = result.user
    response = JSONResponse(
        {"user": {"name": user.name, "email": user.email, "role": user.role.value}}
    )
    response.set_cookie(
        SESSION_COOKIE,
        result.secret,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
        path="/",
    )
    return response


async def _credentials(request: Request) -> tuple[str, str]:
    refused = bad_request('Expected {"email": "...", "password": "..."}.')
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise refused from None
    if not isinstance(body, dict):
        raise refused
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str) or len(password) > 1024:
        raise refused
    return email, password


async def _logout(request: Request) -> Response:
    # Logging out ends the cookie's session, whatever else the request carries (a bearer token
    # beside it must not leave the session open); a dead cookie is only cleared.
    live = await cookie_session(request)
    if live is not None:
        secret, session = live
        await close_session(secret)
        await record(AuditAction.LOGOUT, actor=session.user, address=client_address(request))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _secure(request: Request, settings: Settings) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    # The scheme is the proxy's X-Forwarded-Proto only when LEADFLOW_FORWARDED_ALLOW_IPS
    # trusts that proxy (web/guards.py applies it); the header itself is anybody's to send.
    return request.url.scheme == "https"

"""HTTP endpoints for browser logins: POST /auth/login and POST /auth/logout."""

from __future__ import annotations

import json
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadflow.auth.csrf import has_csrf_proof
from leadflow.auth.sessions import SESSION_COOKIE, authenticate_session, close_session
from leadflow.errors import DomainError
from leadflow.services import accounts
from leadflow.services.audit import AuditAction, record
from leadflow.settings import Settings

MAX_LOGIN_BODY = 16 * 1024


def auth_routes(settings: Settings) -> list[Route]:
    async def login(request: Request) -> Response:
        return await _login(request, settings)

    async def logout(request: Request) -> Response:
        return await _logout(request)

    return [
        Route("/auth/login", login, methods=["POST"], max_body_size=MAX_LOGIN_BODY),
        Route("/auth/logout", logout, methods=["POST"], max_body_size=MAX_LOGIN_BODY),
    ]


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)


async def _login(request: Request, settings: Settings) -> Response:
    # JSON only: a cross-site HTML form cannot send it, so nobody can be logged in unawares.
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return _error(415, "UNSUPPORTED_MEDIA_TYPE", "Send the credentials as application/json.")
    credentials = await _credentials(request)
    if credentials is None:
        return _error(400, "BAD_REQUEST", 'Expected {"email": "...", "password": "..."}.')
    email, password = credentials
    try:
        result = await accounts.log_in(
            email,
            password,
            address=_address(request),
            user_agent=request.headers.get("user-agent", ""),
            lifetime=timedelta(hours=settings.session_hours),
        )
    except accounts.LoginThrottled as throttled:
        return _error(
            429, "TOO_MANY_ATTEMPTS", str(throttled), {"Retry-After": str(throttled.retry_after)}
        )
    except DomainError as refused:
        return _error(401, "INVALID_CREDENTIALS", refused.message)
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


async def _credentials(request: Request) -> tuple[str, str] | None:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str) or len(password) > 1024:
        return None
    return email, password


async def _logout(request: Request) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret and not has_csrf_proof(request):
        return _error(403, "CSRF", "Missing the X-Leadflow-CSRF header.")
    if secret:
        auth = await authenticate_session(secret)
        await close_session(secret)
        if auth is not None:
            await record(AuditAction.LOGOUT, actor=auth.user, address=_address(request))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _secure(request: Request, settings: Settings) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    # The scheme is the proxy's X-Forwarded-Proto only when LEADFLOW_FORWARDED_ALLOW_IPS
    # trusts that proxy (uvicorn applies it); the header itself is anybody's to send.
    return request.url.scheme == "https"

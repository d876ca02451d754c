"""Browser sessions: a random secret in an HttpOnly cookie, its SHA-256 in the database."""

from __future__ import annotations

import secrets
from datetime import timedelta

from leadflow import clock
from leadflow.auth.tokens import Authenticated, token_digest
from leadflow.db.models import LoginSession, User

SESSION_COOKIE = "leadflow_session"
SESSION_PREFIX = "lfs_"


async def open_session(
    user: User, *, lifetime: timedelta, address: str = "", user_agent: str = ""
) -> tuple[LoginSession, str]:
    secret = SESSION_PREFIX + secrets.token_urlsafe(32)
    opened_at = clock.now()
    session = await LoginSession.create(
        user=user,
        digest=token_digest(secret),
        created_at=opened_at,
        expires_at=opened_at + lifetime,
        address=address[:64],
        user_agent=user_agent[:300],
    )
    return session, secret


async def authenticate_session(secret: str) -> Authenticated | None:
    """The session's user, if the session is open, unexpired and the user still active."""
    if not secret.startswith(SESSION_PREFIX) or len(secret) > 200:
        return None
    session = (
        await LoginSession.filter(
            digest=token_digest(secret), revoked_at=None, expires_at__gt=clock.now()
        )
        .select_related("user")
        .first()
    )
    if session is None or not session.user.active:
        return None
    return Authenticated(user=session.user, read_only=False, via_session=True)


async def close_session(secret: str) -> None:
    await LoginSession.filter(digest=token_digest(secret), revoked_at=None).update(
        revoked_at=clock.now()
    )


async def revoke_sessions_of(user: User) -> int:
    """Log a user out everywhere (deactivation, new password)."""
    return await LoginSession.filter(user_id=user.id, revoked_at=None).update(
        revoked_at=clock.now()
    )

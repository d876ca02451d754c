"""API tokens: long random secrets, stored only as a SHA-256 digest (cheap to check)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from leadflow import clock
from leadflow.db.models import ApiToken, User

TOKEN_PREFIX = "lf_"


@dataclass(frozen=True, slots=True)
class Authenticated:
    user: User
    read_only: bool
    token_id: int | None = None
    # True for browser sessions: their state-changing requests need CSRF proof.
    via_session: bool = False


def token_digest(secret: str) -> str:
    # A plain digest suffices: the secret has 256 bits of entropy, so there is nothing to
    # brute-force and no need for a slow hash.
    return hashlib.sha256(secret.encode()).hexdigest()


async def issue_token(
    user: User, *, name: str = "", read_only: bool = False
) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = await ApiToken.create(
        user=user,
        name=name,
        digest=token_digest(secret),
        read_only=read_only,
        created_at=clock.now(),
    )
    return token, secret


async def authenticate_token(secret: str) -> Authenticated | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = (
        await ApiToken.filter(digest=token_digest(secret), revoked_at=None)
        .select_related("user")
        .first()
    )
    if token is None or not token.user.active:
        return None
    return Authenticated(user=token.user, read_only=token.read_only, token_id=token.id)

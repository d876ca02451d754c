"""API tokens: long random secrets, stored only as a SHA-256 digest (cheap to check).

A token's lookup is kept for TOKEN_CACHE_SECONDS in this process (by digest, tokens that were
found only), so a script paging through leads pays one lookup per token and period instead of a
database round trip per request. What can end a token's use clears the whole cache in the
process that does it, before the next request: revoking the token or deactivating its user
(any save or delete of an ApiToken or a User, through Tortoise's post_save/post_delete
signals). A save inside a transaction clears it before the COMMIT, and a lookup in between
reads the old row: code that commits such a transaction calls `forget_token_lookups()` again
after it (services/accounts.deactivate_user; web/graphql.py after a keyed mutation's
transaction). Other processes and instances learn of it when their entry expires: a revoked token
or a deactivated user's token works there for at most TOKEN_CACHE_SECONDS more. So do changes
made by a plain UPDATE (QuerySet.update(), SQL), which send no signal; none of those touches
what authentication reads today (digest, revoked_at, read_only, the user's active flag and
role).
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from tortoise.signals import post_delete, post_save

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


TOKEN_CACHE_SECONDS = 2.0
# A bound on memory: a flood of valid tokens empties the cache rather than growing it.
TOKEN_CACHE_ENTRIES = 10_000
# Digest -> (monotonic time of the lookup, what it found).
_recent: dict[str, tuple[float, Authenticated]] = {}
# Counts the clearings: a lookup that was under way while the cache was cleared (it may have
# read the token before it was revoked) is not kept.
_clearings = 0


async def authenticate_token(secret: str, *, cached: bool = True) -> Authenticated | None:
    """The token's user, if the token is live and the user active. `cached=False` always asks
    the database (long-lived connections checking their login again)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    started, clearings = time.monotonic(), _clearings
    digest = token_digest(secret)
    recent = _recent.get(digest) if cached else None
    if recent is not None and started - recent[0] < TOKEN_CACHE_SECONDS:
        return _for_this_request(recent[1])
    token = await ApiToken.filter(digest=digest, revoked_at=None).select_related("user").first()
    if token is None or not token.user.active:
        _recent.pop(digest, None)
        return None
    found = Authenticated(user=token.user, read_only=token.read_only, token_id=token.id)
    if clearings == _clearings:
        if len(_recent) >= TOKEN_CACHE_ENTRIES:
            _recent.clear()
        _recent[digest] = (started, found)
    return _for_this_request(found)


def _for_this_request(found: Authenticated) -> Authenticated:
    # Each request gets its own copy of the user: a service that changes the actor's row
    # (a user setting their own password) must not change what other requests hold.
    return Authenticated(
        user=copy.copy(found.user), read_only=found.read_only, token_id=found.token_id
    )


def forget_token_lookups() -> None:
    """Every token is looked up afresh by its next request in this process."""
    global _clearings
    _clearings += 1
    _recent.clear()


@post_save(ApiToken, User)
async def _saved(*_: Any, **__: Any) -> None:
    forget_token_lookups()


@post_delete(ApiToken, User)
async def _deleted(*_: Any, **__: Any) -> None:
    forget_token_lookups()

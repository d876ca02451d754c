"""Accounts: logging in (with throttling), pruning what logins leave behind, passwords,
deactivation, tokens, partner links. The same functions serve the API (an admin) and the
command line (`OPERATOR`); the policy decides who may.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.auth.passwords import hash_password, verify_password
from leadflow.auth.sessions import open_session, revoke_sessions_of
from leadflow.auth.tokens import forget_token_lookups, issue_token
from leadflow.db.enums import Role
from leadflow.db.models import (
    SHORT_MAX,
    ApiToken,
    Campaign,
    LoginFailure,
    LoginSession,
    PartnerCampaign,
    User,
)
from leadflow.errors import DomainError, ErrorCode
from leadflow.global_ids import may_be_key
from leadflow.services.audit import AuditAction, record
from leadflow.services.campaigns import campaign_named
from leadflow.services.validation import (
    clean_text,
    is_storable_text,
    is_unicode_text,
    require_valid_password,
    storable_text,
)


class AdminAction(StrEnum):
    """What only admins may do, in the words of the refusal ("Only admins may ...")."""

    CREATE_USERS = "create users"
    DEACTIVATE_USERS = "deactivate users"
    CREATE_API_TOKENS = "create API tokens"
    REVOKE_API_TOKENS = "revoke API tokens"
    LIST_API_TOKENS = "list API tokens"
    SEE_API_TOKENS = "see API tokens"
    LINK_PARTNERS = "link partners to campaigns"


def require_admin_for(actor: Actor, action: AdminAction) -> None:
    """Each admin service checks this first; the API also asks it before it reads a request's
    ids, so a non-admin is refused (FORBIDDEN, audited) whatever ids it sent."""
    policy.require_admin(actor, action)


THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
LOGIN_REFUSED = "Wrong email or password."
# Failures count for THROTTLE_WINDOW only; they are pruned a little later, so that app instances
# whose clocks disagree by up to the margin never prune a failure another one still counts.
FAILURE_RETENTION = THROTTLE_WINDOW + timedelta(minutes=5)
# Rows per DELETE when pruning: a large backlog goes in many short statements, each holding its
# locks (SQLite: the whole database) for milliseconds, not in one long one.
PRUNE_BATCH_SIZE = 1_000
# Verifying against a real hash when the account does not exist keeps the answer time equal.
_DUMMY_HASH: str | None = None


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed logins; try again in {retry_after} seconds.")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class LoginResult:
    user: User
    secret: str
    expires_at: datetime


async def log_in(
    email: str, password: str, *, address: str, user_agent: str, lifetime: timedelta
) -> LoginResult:
    """Open a session, or refuse with the same message whatever was wrong."""
    # The attempt is recorded under the address as given, escaped where a database cannot
    # store it (NUL fails a PostgreSQL statement); such an address belongs to no account.
    email_key = storable_text(email.strip().lower())[:254]
    # The attempt counts as a failure before the password is checked, so that guesses sent in
    # parallel see each other and cannot all slip under the limit; a success deletes it.
    attempt = await LoginFailure.create(email=email_key, address=address[:64], at=clock.now())
    try:
        await _refuse_if_throttled(email_key, address, before=attempt.id)
    except LoginThrottled:
        await attempt.delete()
        raise
    user = await User.get_or_none(email=email_key) if is_storable_text(email) else None
    if not await _password_matches(user, password):
        await record(AuditAction.LOGIN_FAILED, actor=user, detail=email_key, address=address)
        raise DomainError(ErrorCode.INVALID, LOGIN_REFUSED, ["password"])
    assert user is not None
    await LoginFailure.filter(email=email_key).delete()
    session, secret = await open_session(
        user, lifetime=lifetime, address=address, user_agent=storable_text(user_agent)
    )
    await record(AuditAction.LOGIN_SUCCEEDED, actor=user, address=address)
    return LoginResult(user=user, secret=secret, expires_at=session.expires_at)


async def _password_matches(user: User | None, password: str) -> bool:
    global _DUMMY_HASH
    # A password argon2 cannot encode (a lone surrogate) matches nothing, in the same time.
    usable = is_unicode_text(password)
    if user is None or not user.active or not user.password_hash or not usable:
        _DUMMY_HASH = _DUMMY_HASH or await hash_password("not a real password")
        await verify_password(_DUMMY_HASH, password if usable else "")
        return False
    return await verify_password(user.password_hash, password)


async def _refuse_if_throttled(email_key: str, address: str, *, before: int) -> None:
    """Refuse when the failures (and attempts under way) older than attempt `before` reach a
    limit."""
    since = clock.now() - THROTTLE_WINDOW
    for field, value, limit in (
        ("email", email_key, MAX_FAILURES_PER_ACCOUNT),
        ("address", address[:64], MAX_FAILURES_PER_ADDRESS),
    ):
        failures = LoginFailure.filter(**{field: value}, at__gt=since, id__lt=before)
        if await failures.count() < limit:
            continue
        oldest = await failures.order_by("at").first()
        assert oldest is not None
        retry_after = int((oldest.at + THROTTLE_WINDOW - clock.now()).total_seconds()) + 1
        await record(AuditAction.LOGIN_THROTTLED, detail=f"{field}={value}", address=address)
        raise LoginThrottled(max(retry_after, 1))


@dataclass(frozen=True, slots=True)
class PrunedLoginRecords:
    login_failures: int
    expired_sessions: int


async def prune_login_records() -> PrunedLoginRecords:
    """Delete what no login check reads any more: failed logins older than FAILURE_RETENTION
    and sessions past their expiry (revoked ones go when they expire). Several app instances
    may prune at once: each DELETE only removes rows that no longer count, whoever gets them."""
    now = clock.now()
    failures = LoginFailure.filter(at__lt=now - FAILURE_RETENTION)
    sessions = LoginSession.filter(expires_at__lt=now)
    return PrunedLoginRecords(
        login_failures=await _delete_in_batches(failures),
        expired_sessions=await _delete_in_batches(sessions),
    )


async def _delete_in_batches(rows: QuerySet[Any]) -> int:
    deleted = 0
    while True:
        # One statement per batch (DELETE … WHERE id IN (SELECT id … LIMIT n)): Tortoise's own
        # `.limit(n).delete()` silently ignores the limit on SQLite and PostgreSQL.
        batch = rows.limit(PRUNE_BATCH_SIZE).values("id")
        count: int = await rows.model.filter(id__in=Subquery(batch)).delete()
        deleted += count
        if count < PRUNE_BATCH_SIZE:
            return deleted


async def set_password(actor: Actor, user: User, password: str) -> None:
    policy.require_admin_or_self(actor, user, "set passwords")
    require_valid_password(password)
    user.password_hash = await hash_password(password)
    await user.save(update_fields=["password_hash"])
    await revoke_sessions_of(user)
    await record(AuditAction.USER_PASSWORD_SET, actor=actor, detail=user.email)


async def deactivate_user(actor: Actor, user_id: int, *, address: str = "") -> User:
    """Out at once: sessions are revoked, and tokens stop working with the active flag."""
    require_admin_for(actor, AdminAction.DEACTIVATE_USERS)
    user = await _user_to_administer(user_id)
    if policy.is_self(actor, user.id):
        raise DomainError(ErrorCode.INVALID, "You cannot deactivate yourself.", ["userId"])
    if not user.active:
        raise DomainError(
            ErrorCode.INVALID_STATE, f"{user.name} is deactivated already.", ["userId"]
        )
    async with in_transaction():
        user.active = False
        await user.save(update_fields=["active"])
        await revoke_sessions_of(user)
    # The save cleared the kept token lookups before the COMMIT; one made in between read
    # the user still active (auth/tokens.py).
    forget_token_lookups()
    await record(AuditAction.USER_DEACTIVATED, actor=actor, detail=user.email, address=address)
    return user


async def _user_to_administer(user_id: int) -> User:
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This user does not exist.", ["userId"])
    return user


async def create_api_token(
    actor: Actor, user_id: int, *, name: str = "", read_only: bool = False, address: str = ""
) -> tuple[ApiToken, str]:
    """A token for the user (its `user` loaded) and its secret, which is shown only once."""
    require_admin_for(actor, AdminAction.CREATE_API_TOKENS)
    user = await _user_to_administer(user_id)
    label = clean_text(name, ["name"], max_length=SHORT_MAX)
    if not user.active:
        raise DomainError(ErrorCode.INVALID, f"{user.email} is deactivated.", ["userId"])
    token, secret = await issue_token(user, name=label, read_only=read_only)
    kind = "read-only" if read_only else "read-write"
    await record(
        AuditAction.TOKEN_CREATED,
        actor=actor,
        detail=f"#{token.id} {kind} for {user.email}",
        address=address,
    )
    token.user = user
    return token, secret


async def revoke_api_token(actor: Actor, token_id: int, *, address: str = "") -> ApiToken:
    require_admin_for(actor, AdminAction.REVOKE_API_TOKENS)
    token = (
        await ApiToken.get_or_none(id=token_id).select_related("user")
        if may_be_key(token_id)
        else None
    )
    if token is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"Token #{token_id} does not exist.", ["tokenId"])
    if token.revoked_at is not None:
        raise DomainError(
            ErrorCode.INVALID_STATE, f"Token #{token_id} is revoked already.", ["tokenId"]
        )
    token.revoked_at = clock.now()
    await token.save(update_fields=["revoked_at"])
    await record(
        AuditAction.TOKEN_REVOKED,
        actor=actor,
        detail=f"#{token.id} of {token.user.email}",
        address=address,
    )
    return token


async def tokens_of(actor: Actor, user_id: int) -> list[ApiToken]:
    """A user's tokens (their `user` loaded), never their secrets (admins)."""
    require_admin_for(actor, AdminAction.LIST_API_TOKENS)
    user = await _user_to_administer(user_id)
    tokens = await ApiToken.filter(user_id=user.id).order_by("id")
    for token in tokens:
        token.user = user
    return tokens


async def get_api_token(actor: Actor, token_id: int) -> ApiToken:
    """One token by ID, its `user` loaded (admins; `node(id:)`)."""
    require_admin_for(actor, AdminAction.SEE_API_TOKENS)
    token = (
        await ApiToken.get_or_none(id=token_id).select_related("user")
        if may_be_key(token_id)
        else None
    )
    if token is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This token does not exist.", ["id"])
    return token


@dataclass(frozen=True, slots=True)
class PartnerCampaigns:
    partner: User
    campaigns: list[Campaign]  # every campaign linked to the partner, by name


async def link_partner_campaigns(
    actor: Actor, partner_id: int, campaign_ids: Sequence[int], *, address: str = ""
) -> PartnerCampaigns:
    """Let a partner feed these campaigns (links add up; linking twice is harmless)."""
    require_admin_for(actor, AdminAction.LINK_PARTNERS)
    partner = await _user_to_administer(partner_id)
    await link_partner(actor, partner, campaign_ids, address=address)
    return PartnerCampaigns(partner, await linked_campaigns(partner))


async def link_partner(
    actor: Actor, partner: User, campaign_ids: Sequence[int], *, address: str = ""
) -> None:
    """The links themselves, audited; also for a partner being created (`create_user`)."""
    require_admin_for(actor, AdminAction.LINK_PARTNERS)
    if partner.role != Role.PARTNER:
        raise DomainError(ErrorCode.INVALID, f"{partner.name} is not a partner.", ["userId"])
    if not campaign_ids:
        raise DomainError(ErrorCode.REQUIRED, "Choose at least one campaign.", ["campaignIds"])
    campaigns = await Campaign.filter(id__in=list(campaign_ids))
    missing = set(campaign_ids) - {campaign.id for campaign in campaigns}
    if missing:
        raise DomainError(
            ErrorCode.NOT_FOUND, "Some of these campaigns do not exist.", ["campaignIds"]
        )
    known = {campaign.id for campaign in await linked_campaigns(partner)}
    new_links = [
        PartnerCampaign(partner_id=partner.id, campaign_id=c.id)
        for c in campaigns
        if c.id not in known
    ]
    if new_links:
        await PartnerCampaign.bulk_create(new_links)
    names = ", ".join(sorted(campaign.name for campaign in campaigns))
    await record(
        AuditAction.PARTNER_LINKED,
        actor=actor,
        detail=f"{partner.email}: {names}",
        address=address,
    )


async def linked_campaigns(partner: User) -> list[Campaign]:
    return await Campaign.filter(partner_links__partner_id=partner.id).order_by("name")


async def campaigns_by_name(names: Sequence[str]) -> list[int]:
    """For the command line: campaign names to ids, every name must exist."""
    ids = []
    for name in names:
        campaign = await campaign_named(name)
        if campaign is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, f"No campaign named {name.strip()!r}.", ["campaigns"]
            )
        ids.append(campaign.id)
    return ids

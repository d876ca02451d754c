"""Users: creation (the one way, for the API, the command line and the demo), looking users
up under the visibility rule, and the lists managers pick clerks from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Sized

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.auth.passwords import hash_password
from leadflow.db import sql
from leadflow.db.enums import LeadStatus, Role
from leadflow.db.lead_status import status_condition
from leadflow.db.models import EMAIL_MAX, NAME_MAX, Lead, User
from leadflow.errors import DomainError, ErrorCode
from leadflow.services.accounts import AdminAction, link_partner, require_admin_for
from leadflow.services.audit import AuditAction, record
from leadflow.services.validation import clean_email, clean_text, require_valid_password


def parse_role(raw: str) -> Role:
    try:
        return Role(raw.strip().upper())
    except ValueError:
        choices = ", ".join(role.value.lower() for role in Role)
        raise DomainError(
            ErrorCode.INVALID, f"Unknown role {raw!r}; choose one of {choices}.", ["role"]
        ) from None


async def create_user(
    actor: Actor,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    *,
    campaign_ids: Sequence[int] = (),
    address: str = "",
) -> User:
    """Create a user (admins, the operator, the demo), audited; a partner may be linked to the
    campaigns it feeds at once. One transaction: a refused link leaves no user behind. Without
    a password the user cannot log in (yet)."""
    require_admin_for(actor, AdminAction.CREATE_USERS)
    if not campaigns_fit_role(role, campaign_ids):
        raise DomainError(
            ErrorCode.INVALID, "Only partners are linked to campaigns.", ["campaignIds"]
        )
    clean_address = clean_email(email, ["email"], max_length=EMAIL_MAX)
    if clean_address is None:
        raise DomainError(ErrorCode.REQUIRED, "Email must not be empty.", ["email"])
    display_name = clean_text(name, ["name"], max_length=NAME_MAX, required=True)
    password_hash = None
    if password is not None:
        require_valid_password(password)
        password_hash = await hash_password(password)
    async with in_transaction():
        user = await _insert_user(clean_address, display_name, role, password_hash)
        detail = f"{user.email} {user.role}"
        await record(AuditAction.USER_CREATED, actor=actor, detail=detail, address=address)
        if campaign_ids:
            await link_partner(actor, user, campaign_ids, address=address)
    return user


def campaigns_fit_role(role: Role, campaigns: Sized) -> bool:
    """Only partners are linked to campaigns (the ones they feed) when they are created; the
    command line asks this before it prompts for a password."""
    return not campaigns or role is Role.PARTNER


async def _insert_user(email: str, name: str, role: Role, password_hash: str | None) -> User:
    try:
        return await User.create(
            email=email.lower(),
            name=name,
            role=role,
            password_hash=password_hash,
            created_at=clock.now(),
        )
    except IntegrityError:
        raise DomainError(
            ErrorCode.DUPLICATE, f"A user with email {email} exists already.", ["email"]
        ) from None


async def get_user_by_email(email: str) -> User:
    user = await User.get_or_none(email=email.strip().lower())
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No user with email {email}.", ["email"])
    return user


async def get_user(actor: Actor, user_id: int) -> User:
    """One user by ID, under the rule of `list_users` (`node(id:)`)."""
    missing = DomainError(ErrorCode.NOT_FOUND, "This user does not exist.", ["id"])
    return await policy.find_user(actor, user_id, missing)


def details_visible(viewer: Actor, user_id: int, role: Role, active: bool) -> bool:
    """Whether the viewer reads this user's email, role, state and load (or only the name),
    on every edge that returns a user. No query: it runs for every user field read."""
    return policy.may_see_user_details(viewer, user_id, role, active)


async def list_users(
    actor: Actor, role: Role | None = None, *, ordered_by: tuple[str, ...] = ("name", "id")
) -> list[User]:
    users = policy.visible_users(actor).order_by(*ordered_by)
    if role is not None:
        users = users.filter(role=role)
    return await users


def is_active_clerk(user: User) -> bool:
    """Who may hold leads and opportunities: an active clerk."""
    return user.role == Role.CLERK and user.active


def active_clerks() -> QuerySet[User]:
    """The same rule as a query."""
    return User.filter(role=Role.CLERK, active=True)


async def require_active_clerk(actor: Actor, user_id: int, field: list[str]) -> User:
    """Leads and opportunities go only to active clerks. Clerks (`actor`) learn no more than
    that the choice is wrong: the users they may not list stay unnamed."""
    user = await User.get_or_none(id=user_id)
    if not policy.is_manager(actor):
        if user is None or not is_active_clerk(user):
            raise DomainError(ErrorCode.INVALID, "Choose one of the active clerks.", field)
        return user
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such user.", field)
    if user.role != Role.CLERK:
        raise DomainError(ErrorCode.INVALID, f"{user.name} is not a clerk.", field)
    if not user.active:
        raise DomainError(ErrorCode.INVALID, f"{user.name} is deactivated.", field)
    return user


async def open_lead_counts(user_ids: Iterable[int]) -> dict[int, int]:
    """ACTIVE leads per user (their load), 0 for a user without any. From migration 0021's
    counters, which hold exactly this (ACTIVE per assignee, kept by the triggers in every
    writing statement, so a transaction sees its own writes): no statement over `leads`."""
    ids = list(user_ids)
    if not ids:
        return {}
    counts = dict.fromkeys(ids, 0)
    counts.update(await sql.active_leads_per_assignee(ids))
    return counts


async def active_leads_per_assignee(leads: QuerySet[Lead]) -> dict[int, int]:
    """The ACTIVE leads among `leads` per assignee, in one GROUP BY query (the User type's
    openLeadCount and the clerk report's open leads)."""
    rows = (
        await leads.filter(status_condition(LeadStatus.ACTIVE))
        .group_by("assignee_id")
        .annotate(open_count=Count("id"))
        .values_list("assignee_id", "open_count")
    )
    return {assignee_id: int(count) for assignee_id, count in rows}

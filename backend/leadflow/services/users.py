"""Users: creation (command line, demo) and the lists managers pick clerks from."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.passwords import hash_password
from leadflow.db.enums import Role
from leadflow.db.models import EMAIL_MAX, NAME_MAX, Lead, User
from leadflow.errors import DomainError, ErrorCode
from leadflow.services.validation import clean_email, clean_text, require_valid_password


def parse_role(raw: str) -> Role:
    try:
        return Role(raw.strip().upper())
    except ValueError:
        choices = ", ".join(role.value.lower() for role in Role)
        raise DomainError(
            ErrorCode.INVALID, f"Unknown role {raw!r}; choose one of {choices}.", ["role"]
        ) from None


async def create_user(email: str, name: str, role: Role, password: str | None = None) -> User:
    clean_address = clean_email(email, ["email"], max_length=EMAIL_MAX)
    if clean_address is None:
        raise DomainError(ErrorCode.REQUIRED, "Email must not be empty.", ["email"])
    display_name = clean_text(name, ["name"], max_length=NAME_MAX, required=True)
    password_hash = None
    if password is not None:
        require_valid_password(password)
        password_hash = await hash_password(password)
    try:
        return await User.create(
            email=clean_address.lower(),
            name=display_name,
            role=role,
            password_hash=password_hash,
            created_at=clock.now(),
        )
    except IntegrityError:
        raise DomainError(
            ErrorCode.DUPLICATE, f"A user with email {clean_address} exists already.", ["email"]
        ) from None


async def get_user_by_email(email: str) -> User:
    user = await User.get_or_none(email=email.strip().lower())
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No user with email {email}.", ["email"])
    return user


async def list_users(actor: User, role: Role | None = None) -> list[User]:
    users = policy.visible_users(actor).order_by("name", "id")
    if role is not None:
        users = users.filter(role=role)
    return await users


async def require_active_clerk(
    user_id: int, field: list[str], *, actor: User | None = None
) -> User:
    """Leads and opportunities go only to active clerks. Clerks (`actor`) learn no more than
    that the choice is wrong: the users they may not list stay unnamed."""
    user = await User.get_or_none(id=user_id)
    if actor is not None and not policy.is_manager(actor):
        if user is None or user.role != Role.CLERK or not user.active:
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
    """ACTIVE leads per user, in one GROUP BY query."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = (
        await Lead.filter(assignee_id__in=ids, closed_at=None)
        .group_by("assignee_id")
        .annotate(open_count=Count("id"))
        .values_list("assignee_id", "open_count")
    )
    counts = dict.fromkeys(ids, 0)
    counts.update({assignee_id: count for assignee_id, count in rows})
    return counts

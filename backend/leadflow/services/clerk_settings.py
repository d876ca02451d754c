"""A clerk's distribution settings: capacity (the most open leads they should hold; None: no
limit) and absences (inclusive company calendar days on which they get no new leads).

Managers and admins set both for any clerk; a clerk sets only their own absences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum

from tortoise.transactions import in_transaction

from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db.enums import Role
from leadflow.db.models import Absence, User
from leadflow.errors import DomainError, DomainErrors, ErrorCode

MAX_CAPACITY = 100_000
MAX_ABSENCES = 50
# An absence longer than a year is no absence; years outside this range are typing mistakes.
MAX_ABSENCE_DAYS = 366
FIRST_YEAR, LAST_YEAR = 2000, 2100


class Keep(Enum):
    """An omitted setting: left as it is (None clears the capacity)."""

    KEEP = "KEEP"


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True)
class Period:
    starts_on: date
    ends_on: date


async def update_clerk_settings(
    actor: Actor,
    user_id: int,
    capacity: int | Keep | None = KEEP,
    absences: Sequence[Period] | Keep = KEEP,
) -> User:
    """Change what is given; `absences` replaces the clerk's list. All or nothing."""
    user = await User.get_or_none(id=user_id)
    policy.require_may_change_clerk_settings(actor, user_id, capacity=capacity is not KEEP)
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such user.", ["userId"])
    if user.role != Role.CLERK:
        raise DomainError(
            ErrorCode.INVALID, f"{user.name} is not a clerk: only clerks get leads.", ["userId"]
        )
    if not isinstance(capacity, Keep):
        _check_capacity(capacity)
    periods = None if isinstance(absences, Keep) else _clean_absences(absences)
    async with in_transaction():
        if not isinstance(capacity, Keep):
            await User.filter(id=user.id).update(capacity=capacity)
        if periods is not None:
            await Absence.filter(user_id=user.id).delete()
            await Absence.bulk_create(
                [
                    Absence(user_id=user.id, starts_on=p.starts_on, ends_on=p.ends_on)
                    for p in periods
                ]
            )
    return await User.get(id=user.id)


def _check_capacity(capacity: int | None) -> None:
    if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
        raise DomainError(
            ErrorCode.INVALID,
            f"Capacity must be between 0 and {MAX_CAPACITY} (or empty for no limit).",
            ["capacity"],
        )


def _clean_absences(absences: Sequence[Period]) -> list[Period]:
    if len(absences) > MAX_ABSENCES:
        raise DomainError(
            ErrorCode.TOO_MANY, f"At most {MAX_ABSENCES} absences per clerk.", ["absences"]
        )
    errors = []
    for index, period in enumerate(absences):
        where = ["absences", str(index)]
        problem = _absence_problem(period)
        if problem:
            errors.append(DomainError(ErrorCode.INVALID, problem, [*where, problem_field(period)]))
    if errors:
        raise DomainErrors(errors)
    return sorted(absences, key=lambda p: (p.starts_on, p.ends_on))


def _absence_problem(period: Period) -> str:
    for day in (period.starts_on, period.ends_on):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            return f"Absences lie between the years {FIRST_YEAR} and {LAST_YEAR}."
    if period.starts_on > period.ends_on:
        return "An absence ends on or after the day it starts."
    if (period.ends_on - period.starts_on).days >= MAX_ABSENCE_DAYS:
        return f"An absence lasts at most {MAX_ABSENCE_DAYS} days."
    return ""


def problem_field(period: Period) -> str:
    return "from" if not FIRST_YEAR <= period.starts_on.year <= LAST_YEAR else "to"

"""Aging lists: the leads a manager should act on, NEW ones waiting to be distributed and
ACTIVE ones without activity, as querysets to page through."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from tortoise.queryset import QuerySet

from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.clock import now
from leadflow.db.enums import LeadStatus
from leadflow.db.lead_status import status_condition
from leadflow.db.models import Lead
from leadflow.errors import DomainError, ErrorCode

MIN_AGING_DAYS = 1
MAX_AGING_DAYS = 3650


class AgingKind(StrEnum):
    NEW = "NEW"
    ACTIVE_WITHOUT_FEEDBACK = "ACTIVE_WITHOUT_FEEDBACK"


def aging_leads(
    actor: Actor,
    kind: AgingKind,
    older_than_days: int,
    campaign_id: int | None = None,
    *,
    at: datetime | None = None,
) -> QuerySet[Lead]:
    """Leads a manager should act on, as a queryset to page through: NEW leads created more
    than N days ago (to distribute), or ACTIVE leads without activity for N days (to chase or
    reassign; see the package's definition of waiting). Managers see all, a clerk their own
    (so no NEW ones), partners are refused. `at` is the moment to count back from (now)."""
    policy.require_may_read_clerk_figures(actor)
    cutoff = (at or now()) - timedelta(days=_check_days(older_than_days))
    matching = policy.report_leads(actor)
    if campaign_id is not None:
        matching = matching.filter(campaign_id=campaign_id)
    if kind is AgingKind.NEW:
        return matching.filter(status_condition(LeadStatus.NEW), created_at__lt=cutoff)
    # "Last activity before the cutoff": assigned before it and no feedback since, which is
    # the lead's `waiting_since` (the later of the two) before it.
    return matching.filter(status_condition(LeadStatus.ACTIVE), waiting_since__lt=cutoff)


def aging_order(kind: AgingKind) -> str:
    """The column that puts an aging list's longest waiting lead first (ties by id): NEW leads
    wait since their creation, ACTIVE ones since their `waiting_since`."""
    return "created_at" if kind is AgingKind.NEW else "waiting_since"


def _check_days(days: int) -> int:
    if not MIN_AGING_DAYS <= days <= MAX_AGING_DAYS:
        raise DomainError(
            ErrorCode.INVALID,
            f"The number of days must be between {MIN_AGING_DAYS} and {MAX_AGING_DAYS} "
            f"(ten years), got {days}.",
            ["olderThanDays"],
        )
    return days

"""A lead's status (New / Active / Done): derived from its columns, never stored. The one
derivation in Python and the one condition in SQL, side by side so they cannot drift apart.
(Migration 0006's triggers spell it once more in SQL: migrations are frozen history.)"""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.functions import Count

from leadflow.db.enums import LeadStatus


def lead_status(closed_at: object | None, assignee_id: object | None) -> LeadStatus:
    """Closed wins, then whether a clerk is assigned. Only presence counts: a lead's columns,
    or whatever stands for them in a plan (the demo's stories)."""
    if closed_at is not None:
        return LeadStatus.DONE
    if assignee_id is not None:
        return LeadStatus.ACTIVE
    return LeadStatus.NEW


def status_condition(status: LeadStatus) -> Q:
    """The leads that have `status`, as a queryset filter (the same rule as `lead_status`)."""
    if status is LeadStatus.NEW:
        return Q(assignee_id=None, closed_at=None)
    if status is LeadStatus.ACTIVE:
        return Q(assignee_id__isnull=False, closed_at=None)
    return Q(closed_at__isnull=False)


def open_condition() -> Q:
    """The open leads, NEW or ACTIVE: those not DONE."""
    return Q(closed_at=None)


def count_when(condition: Q) -> Count:
    """Counts the rows meeting `condition` (in one aggregate query, or per GROUP BY group)."""
    # COUNT(CASE WHEN ... THEN id END): PostgreSQL cannot type the bare literals of
    # SUM(CASE WHEN ... THEN 1 ELSE 0 END) when they are sent as query parameters.
    return Count("id", _filter=condition)


def status_counts() -> dict[str, Count]:
    """Annotations `new`, `active` and `done`: the leads of each status."""
    return {status.value.lower(): count_when(status_condition(status)) for status in LeadStatus}

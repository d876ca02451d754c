"""The orders of the opportunity list (Verkaufschancen), in the lead list's keyset scheme
(`services.keyset`): blank values last, the id breaking ties, cursors that carry their order."""

from __future__ import annotations

from enum import StrEnum

from tortoise.expressions import Case, Q
from tortoise.queryset import QuerySet

from leadflow.db import sql
from leadflow.db.enums import OpportunityStage
from leadflow.db.models import Opportunity
from leadflow.services.keyset import Blank, Ordering, SortKey, SortKind


class OpportunityOrder(StrEnum):
    NEWEST = "NEWEST"
    OLDEST = "OLDEST"
    TITLE = "TITLE"
    OWNER = "OWNER"
    STAGE = "STAGE"
    VALUE = "VALUE"
    EXPECTED_CLOSE = "EXPECTED_CLOSE"


# Computed sort values the orders below name as their paths (see `opportunities_in_order`).
_STAGE_RANK = "stage_rank"
_VALUE_AMOUNT = "value_amount"

# Names start with OPPORTUNITIES_ so a lead list's cursor is no cursor of this list.
# VALUE: the highest value first (what matters most); EXPECTED_CLOSE: the soonest first (what
# needs attention next); STAGE: in pipeline order (OPEN to NEGOTIATION, then WON and LOST).
OPPORTUNITY_ORDERINGS: dict[OpportunityOrder, Ordering] = {
    OpportunityOrder.NEWEST: Ordering(
        "OPPORTUNITIES_NEWEST", (SortKey("created_at", SortKind.DATETIME, descending=True),)
    ),
    OpportunityOrder.OLDEST: Ordering(
        "OPPORTUNITIES_OLDEST", (SortKey("created_at", SortKind.DATETIME),)
    ),
    OpportunityOrder.TITLE: Ordering("OPPORTUNITIES_TITLE", (SortKey("title", SortKind.TEXT),)),
    OpportunityOrder.OWNER: Ordering(
        "OPPORTUNITIES_OWNER", (SortKey("owner__name", SortKind.TEXT),)
    ),
    OpportunityOrder.STAGE: Ordering("OPPORTUNITIES_STAGE", (SortKey(_STAGE_RANK, SortKind.RANK),)),
    OpportunityOrder.VALUE: Ordering(
        "OPPORTUNITIES_VALUE",
        (SortKey(_VALUE_AMOUNT, SortKind.DECIMAL, descending=True, blank=Blank.NULL),),
    ),
    OpportunityOrder.EXPECTED_CLOSE: Ordering(
        "OPPORTUNITIES_EXPECTED_CLOSE",
        (SortKey("expected_close_date", SortKind.DATE, blank=Blank.NULL),),
    ),
}


def opportunities_in_order(
    opportunities: QuerySet[Opportunity], order: OpportunityOrder
) -> tuple[QuerySet[Opportunity], Ordering]:
    """`opportunities` with the computed values `order` sorts by, and its ordering."""
    if order is OpportunityOrder.STAGE:
        return opportunities.annotate(**{_STAGE_RANK: _stage_rank()}), OPPORTUNITY_ORDERINGS[order]
    if order is OpportunityOrder.VALUE and sql.is_postgres():
        # PostgreSQL's numeric sorts as it is; the cast would only hide the column from its
        # NULL rank (the rank's CASE cannot name an annotation).
        return opportunities, _VALUE_BY_COLUMN
    if order is OpportunityOrder.VALUE:
        # SQLite puts NULL last when descending, so this key needs no rank there. The cast
        # reads back as a float, whose shortest text (two decimals, at most 14 digits) is the
        # amount again in the cursor.
        amount = sql.sortable_amount(Opportunity._meta.db_table, "expected_value")
        return opportunities.annotate(**{_VALUE_AMOUNT: amount}), OPPORTUNITY_ORDERINGS[order]
    return opportunities, OPPORTUNITY_ORDERINGS[order]


_VALUE_BY_COLUMN = Ordering(
    "OPPORTUNITIES_VALUE",
    (SortKey("expected_value", SortKind.DECIMAL, descending=True, blank=Blank.NULL),),
)


def _stage_rank() -> Case:
    """A stage's place in the pipeline (OpportunityStage's order)."""
    return sql.place_of_first_match([Q(stage=stage) for stage in OpportunityStage])

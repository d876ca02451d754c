"""The orders of the lead lists and the task list's counts per due state."""

from __future__ import annotations

import strawberry

from leadflow.services import lead_lists, opportunity_orders

LeadOrder = lead_lists.LeadOrder
TaskOrder = lead_lists.TaskOrder
OpportunityOrder = opportunity_orders.OpportunityOrder

strawberry.enum(
    LeadOrder,
    description="How a lead list is sorted; blank values (no assignee, no company, nothing "
    "scheduled, not waiting) always come last, ties by ID. NEWEST/OLDEST: by creation. "
    "LAST_NAME: the contact's last name, then first name. COMPANY: then last name. CAMPAIGN: "
    "the campaign's name. ASSIGNEE: the clerk's name. WAITING_LONGEST: the start of the "
    "current wait for the clerk (waitingSince), oldest first. NEXT_DUE: the next activity's "
    "due time, earliest first (overdue, today, upcoming), then the leads with nothing "
    "scheduled by how long they wait. Partners sort by NEWEST, OLDEST, CAMPAIGN and ASSIGNEE "
    "only (the others read what they may not).",
)
strawberry.enum(
    TaskOrder,
    description="How the task list is sorted, ties by ID. NEXT_DUE: overdue, then today, then "
    "upcoming by due time, then the leads with nothing scheduled, waiting longest first. "
    "WAITING_LONGEST: waiting longest first. NEWEST: the latest assignment first.",
)

strawberry.enum(
    OpportunityOrder,
    description="How the opportunity list is sorted; blank values always come last, ties by "
    "ID. NEWEST/OLDEST: by creation. TITLE: the title. OWNER: the owner's name. STAGE: in "
    "pipeline order (OPEN to NEGOTIATION, then WON, LOST). VALUE: the expected value, highest "
    "first. EXPECTED_CLOSE: the expected close date, soonest first.",
)


@strawberry.type(description="The viewer's ACTIVE leads per due state of their next activity.")
class MyTaskCounts:
    overdue: int = strawberry.field(description="Due before today.")
    today: int = strawberry.field(description="Due today (the viewer's time zone).")
    upcoming: int = strawberry.field(description="Due after today.")
    none: int = strawberry.field(description="Nothing scheduled.")

    @classmethod
    def from_counts(cls, counts: lead_lists.TaskCounts) -> MyTaskCounts:
        return cls(
            overdue=counts.overdue, today=counts.today, upcoming=counts.upcoming, none=counts.none
        )

"""The Activity type: a planned next step on a lead or an opportunity.

Its subject (`lead` or `opportunity`) is filled in by whoever builds the node and already holds
that subject (Lead.activities passes the lead itself; api/types/lead.py's `load_activity_node`
loads it): the Lead and Opportunity types build activities, so this module names them only for
the type checker and the schema (strawberry.lazy), and never imports them at run time."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from leadflow.api.ids import encode_id
from leadflow.api.types.enums import ActivityKind
from leadflow.api.types.node import Node
from leadflow.api.types.user import UserNode
from leadflow.db import models

if TYPE_CHECKING:
    from leadflow.api.types.lead import LeadNode, OpportunityNode

_LEAD_MODULE = "leadflow.api.types.lead"


@strawberry.type(
    name="Activity",
    description="A planned next step (call, email, meeting, task) on a lead or an opportunity; "
    "open until it is done. Visible to whoever may see its lead or opportunity.",
)
class ActivityNode(Node):
    pk: strawberry.Private[int]
    kind: ActivityKind
    due_at: datetime = strawberry.field(description="When it is due.")
    note: str = strawberry.field(description="What to do, as planned.")
    assignee: UserNode = strawberry.field(description="Who is to do it.")
    lead: Annotated[LeadNode, strawberry.lazy(_LEAD_MODULE)] | None = strawberry.field(
        description="The lead it is planned on (null for an opportunity's activity)."
    )
    opportunity: Annotated[OpportunityNode, strawberry.lazy(_LEAD_MODULE)] | None = (
        strawberry.field(
            description="The opportunity it is planned on (null for a lead's activity)."
        )
    )
    created_by: UserNode = strawberry.field(description="Who planned it.")
    created_at: datetime
    done_at: datetime | None = strawberry.field(description="When it was done; null while open.")
    done_note: str | None = strawberry.field(
        description="What came of it, noted when it was done; null while open."
    )

    @classmethod
    def from_model(
        cls,
        activity: models.Activity,
        *,
        lead: LeadNode | None = None,
        opportunity: OpportunityNode | None = None,
    ) -> ActivityNode:
        """`activity` must come with its assignee and creator joined; `lead` or `opportunity`
        is its subject, as the viewer sees it."""
        done = activity.done_at is not None
        return cls(
            id=encode_id("Activity", activity.id),
            pk=activity.id,
            kind=activity.kind,
            due_at=activity.due_at,
            note=activity.note,
            assignee=UserNode.from_model(activity.assignee),
            lead=lead,
            opportunity=opportunity,
            created_by=UserNode.from_model(activity.created_by),
            created_at=activity.created_at,
            done_at=activity.done_at,
            done_note=activity.done_note if done else None,
        )

"""What happened to leads and opportunities: feedback entries and history events."""

from __future__ import annotations

from datetime import datetime

import strawberry

from leadflow.api.types.activity import ActivityNode
from leadflow.api.types.enums import (
    Channel,
    CloseReason,
    LeadEventKind,
    OpportunityEventKind,
    OpportunityStage,
    Outcome,
)
from leadflow.api.types.user import UserNode
from leadflow.db import models


@strawberry.type(name="Feedback", description="What a clerk noted after contacting the person.")
class FeedbackNode:
    id: strawberry.ID
    author: UserNode
    channel: Channel
    note: str
    created_at: datetime

    @classmethod
    def from_model(cls, feedback: models.Feedback) -> FeedbackNode:
        """`feedback` must come with its author joined."""
        return cls(
            id=strawberry.ID(str(feedback.id)),
            author=UserNode.from_model(feedback.author),
            channel=feedback.channel,
            note=feedback.note,
            created_at=feedback.created_at,
        )


@strawberry.type(description="One entry of a lead's history: who did what, when.")
class LeadEvent:
    kind: LeadEventKind
    at: datetime
    actor: UserNode | None = strawberry.field(description="Who did it; null for the system.")
    assignee: UserNode | None = strawberry.field(
        description="ASSIGNED/REASSIGNED: the new clerk; REOPENED: the clerk it went back to."
    )
    previous_assignee: UserNode | None = strawberry.field(
        description="REASSIGNED: the former clerk."
    )
    outcome: Outcome | None
    close_reason: CloseReason | None
    note: str = strawberry.field(
        description="The note given with it; ACTIVITY_SCHEDULED: the activity's note; "
        "ACTIVITY_COMPLETED: what came of it; ACTIVITY_RESCHEDULED: the due times, old -> new."
    )
    activity: ActivityNode | None = strawberry.field(
        description="ACTIVITY_*: the activity scheduled, rescheduled or completed (as it is now)."
    )

    @classmethod
    def from_model(cls, event: models.LeadEvent, activity: ActivityNode | None = None) -> LeadEvent:
        """`event` must come with its users joined; `activity` is its activity's node."""
        return cls(
            kind=event.kind,
            at=event.at,
            actor=UserNode.optional(event.actor),
            assignee=UserNode.optional(event.assignee),
            previous_assignee=UserNode.optional(event.previous_assignee),
            outcome=event.outcome,
            close_reason=event.close_reason,
            note=event.note,
            activity=activity,
        )


@strawberry.type(description="One entry of an opportunity's history.")
class OpportunityEvent:
    kind: OpportunityEventKind
    at: datetime
    actor: UserNode | None
    owner: UserNode | None = strawberry.field(description="CREATED/HANDED_OVER: the new owner.")
    previous_owner: UserNode | None = strawberry.field(description="HANDED_OVER: the former owner.")
    stage: OpportunityStage | None = strawberry.field(
        description="STAGE_CHANGED: the stage it moved to."
    )
    previous_stage: OpportunityStage | None = strawberry.field(
        description="STAGE_CHANGED: the stage it left."
    )
    note: str = strawberry.field(
        description="The note given with it; UPDATED: the changed values, old -> new; "
        "ACTIVITY_*: as on a lead's history."
    )
    activity: ActivityNode | None = strawberry.field(
        description="ACTIVITY_*: the activity scheduled, rescheduled or completed (as it is now)."
    )

    @classmethod
    def from_model(
        cls, event: models.OpportunityEvent, activity: ActivityNode | None = None
    ) -> OpportunityEvent:
        """`event` must come with its users joined; `activity` is its activity's node."""
        return cls(
            kind=event.kind,
            at=event.at,
            actor=UserNode.optional(event.actor),
            owner=UserNode.optional(event.owner),
            previous_owner=UserNode.optional(event.previous_owner),
            stage=event.stage,
            previous_stage=event.previous_stage,
            note=event.note,
            activity=activity,
        )

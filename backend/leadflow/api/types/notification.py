"""The Notification type: something the viewer should know (a lead assigned, taken away, an
opportunity handed over, a due activity, leads waiting). Only its recipient reads it.

Its lead, opportunity and activity go through the viewer's visibility at the time of reading,
not of writing: a lead taken away since is null, never leaked."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.ids import encode_id
from leadflow.api.loaders.notifications import NotificationLinks
from leadflow.api.loaders.notifications import for_request as links_for_request
from leadflow.api.types.activity import ActivityNode
from leadflow.api.types.connection import Connection
from leadflow.api.types.lead import (
    LeadNode,
    OpportunityNode,
)
from leadflow.api.types.node import Node
from leadflow.db import enums, models
from leadflow.services import notifications

NotificationKind = enums.NotificationKind
strawberry.enum(
    NotificationKind,
    description="What a notification announces: LEAD_ASSIGNED (leads given to you), "
    "LEAD_REASSIGNED_AWAY (a lead of yours went to someone else), OPPORTUNITY_HANDED_OVER "
    "(an opportunity handed over to you), ACTIVITY_DUE (a planned step is due), LEADS_WAITING "
    "(leads waiting longer than their campaign's limit), WEBHOOK_DISABLED (a webhook of yours was "
    "switched off: it answered 410 Gone or failed for three days).",
)


@strawberry.type(
    name="Notification",
    description="Something the viewer should know; only its recipient reads it. The message is "
    "written in German (the product's language) when the notification is created.",
)
class NotificationNode(Node):
    pk: strawberry.Private[int]
    lead_pk: strawberry.Private[int | None]
    opportunity_pk: strawberry.Private[int | None]
    activity_pk: strawberry.Private[int | None]
    kind: NotificationKind
    message: str = strawberry.field(description='What happened, e.g. "5 neue Leads aus Messe".')
    created_at: datetime
    read_at: datetime | None = strawberry.field(
        description="When it was marked read; null: unread."
    )

    @strawberry.field(
        description="The lead it is about, when it is about one lead and the viewer may still "
        "see it (null after the lead was taken away)."
    )
    async def lead(self, info: Info[Context, None]) -> LeadNode | None:
        if self.lead_pk is None:
            return None
        # The request's lead loader: one query for a whole page of notifications.
        row = await info.context.loaders.lead.load(self.lead_pk)
        if row is None or not notifications.may_see_lead_row(info.context.require_viewer(), row):
            return None
        return LeadNode.from_values(row)

    @strawberry.field(description="The opportunity it is about, when the viewer may see it.")
    async def opportunity(self, info: Info[Context, None]) -> OpportunityNode | None:
        if self.opportunity_pk is None:
            return None
        opportunity = await _links(info).opportunity.load(self.opportunity_pk)
        return OpportunityNode.from_model(opportunity) if opportunity is not None else None

    @strawberry.field(description="The activity it is about, when the viewer may see it.")
    async def activity(self, info: Info[Context, None]) -> ActivityNode | None:
        if self.activity_pk is None:
            return None
        activity = await _links(info).activity.load(self.activity_pk)
        if activity is None:
            return None
        # Whoever sees an activity sees its subject (policy.activity_scope).
        if activity.lead_id is not None:
            row = await info.context.loaders.lead.load(activity.lead_id)
            lead = LeadNode.from_values(row) if row is not None else None
            return ActivityNode.from_model(activity, lead=lead)
        assert activity.opportunity_id is not None
        subject = await _links(info).opportunity.load(activity.opportunity_id)
        opportunity = OpportunityNode.from_model(subject) if subject is not None else None
        return ActivityNode.from_model(activity, opportunity=opportunity)

    @classmethod
    def from_model(cls, notification: models.Notification) -> NotificationNode:
        return cls(
            id=encode_id("Notification", notification.id),
            pk=notification.id,
            lead_pk=notification.lead_id,
            opportunity_pk=notification.opportunity_id,
            activity_pk=notification.activity_id,
            kind=notification.kind,
            message=notification.message,
            created_at=notification.created_at,
            read_at=notification.read_at,
        )


NotificationConnection = Connection[NotificationNode]


def _links(info: Info[Context, None]) -> NotificationLinks:
    return links_for_request(info.context.loaders, info.context.require_viewer())

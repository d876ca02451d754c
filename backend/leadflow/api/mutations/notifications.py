"""Notification mutations: mark the viewer's own notifications read."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.errors import UserError
from leadflow.api.ids import decode_ids
from leadflow.api.inputs.notifications import MarkNotificationsReadInput
from leadflow.api.mutations.payload import Payload, payload_mutation
from leadflow.api.types.notification import NotificationNode
from leadflow.services import notifications


@strawberry.type
class MarkNotificationsReadPayload(Payload):
    notifications: list[NotificationNode] | None = strawberry.field(
        description="The notifications named (with all: the ones marked, newest first, at "
        "most 100)."
    )
    unread_notification_count: int | None = strawberry.field(
        description="The viewer's unread notifications after the change."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NotificationMutations:
    @payload_mutation(
        description="Mark notifications read: either ids (the viewer's own; a foreign or "
        "unknown one refuses the whole call, nothing changed) or all: true. A read one keeps "
        "its first readAt."
    )
    async def mark_notifications_read(
        self, info: Info[Context, None], input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        actor = info.context.require_writer()
        ids = None if input.ids is None else decode_ids(input.ids, "Notification", "ids")
        marked = await notifications.mark_read(actor, ids, bool(input.all))
        return MarkNotificationsReadPayload(
            notifications=[NotificationNode.from_model(row) for row in marked],
            unread_notification_count=await notifications.unread_count(actor),
        )

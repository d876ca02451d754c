"""The viewer's own notification settings (e-mail on or off)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.errors import UserError
from leadflow.api.mutations.payload import Payload, payload_mutation
from leadflow.api.types.user import UserNode
from leadflow.services import notification_settings


@strawberry.input
class UpdateNotificationSettingsInput:
    email_notifications: bool = strawberry.field(
        description="Whether the viewer's notifications also come by e-mail (when the server "
        "sends e-mail at all)."
    )


@strawberry.type
class UpdateNotificationSettingsPayload(Payload):
    user: UserNode | None = strawberry.field(description="The viewer, as stored now.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NotificationSettingsMutations:
    @payload_mutation(description="Set the viewer's own notification settings.")
    async def update_notification_settings(
        self, info: Info[Context, None], input: UpdateNotificationSettingsInput
    ) -> UpdateNotificationSettingsPayload:
        actor = info.context.require_writer()
        user = await notification_settings.update_notification_settings(
            actor, email_notifications=input.email_notifications
        )
        return UpdateNotificationSettingsPayload(user=UserNode.from_model(user))

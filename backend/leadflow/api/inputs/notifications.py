"""Inputs about notifications."""

from __future__ import annotations

import strawberry


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The viewer's own notifications to mark read."
    )
    all: bool | None = strawberry.field(
        default=None, description="true: every unread notification of the viewer."
    )

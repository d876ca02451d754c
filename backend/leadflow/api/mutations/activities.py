"""Activity mutations: plan a next step, complete one (and plan the next), move one."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.errors import UserError
from leadflow.api.ids import decode_id
from leadflow.api.inputs.activities import (
    CompleteActivityInput,
    RescheduleActivityInput,
    ScheduleActivityInput,
)
from leadflow.api.mutations.payload import Payload, payload_mutation
from leadflow.api.types.activity import ActivityNode
from leadflow.api.types.lead import load_activity_node
from leadflow.services import activities


@strawberry.type
class ScheduleActivityPayload(Payload):
    activity: ActivityNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CompleteActivityPayload(Payload):
    activity: ActivityNode | None = strawberry.field(description="The completed activity.")
    next_activity: ActivityNode | None = strawberry.field(
        description="The next step, when one was given."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RescheduleActivityPayload(Payload):
    activity: ActivityNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ActivityMutations:
    @payload_mutation(
        description="Plan a next step on an open lead or opportunity (its clerk or a manager); "
        "it is in the history and decides the subject's dueState."
    )
    async def schedule_activity(
        self, info: Info[Context, None], input: ScheduleActivityInput
    ) -> ScheduleActivityPayload:
        actor = info.context.require_writer()
        activity = await activities.schedule_activity(
            actor,
            input.subject(),
            input.kind,
            input.due_at,
            input.note,
            input.assignee(),
            override_opt_out=input.override_opt_out,
        )
        return ScheduleActivityPayload(activity=await load_activity_node(activity.id))

    @payload_mutation(
        description="Mark an open activity done and, in the same go, plan the next step. Of two "
        "completions at the same moment one wins, the other gets CONFLICT."
    )
    async def complete_activity(
        self, info: Info[Context, None], input: CompleteActivityInput
    ) -> CompleteActivityPayload:
        actor = info.context.require_writer()
        done = await activities.complete_activity(
            actor,
            decode_id(input.activity_id, "Activity", ["activityId"]),
            input.note,
            input.next.parse() if input.next is not None else None,
        )
        following = done.next_activity
        return CompleteActivityPayload(
            activity=await load_activity_node(done.activity.id),
            next_activity=await load_activity_node(following.id) if following else None,
        )

    @payload_mutation(description="Move an open activity to another due time.")
    async def reschedule_activity(
        self, info: Info[Context, None], input: RescheduleActivityInput
    ) -> RescheduleActivityPayload:
        actor = info.context.require_writer()
        activity = await activities.reschedule_activity(
            actor, decode_id(input.activity_id, "Activity", ["activityId"]), input.due_at
        )
        return RescheduleActivityPayload(activity=await load_activity_node(activity.id))

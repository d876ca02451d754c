"""Inputs about activities (follow-ups): scheduling, completing with the next step, moving."""

from __future__ import annotations

from datetime import datetime

import strawberry

from leadflow.api.ids import decode_optional_id, parse_global_id
from leadflow.api.types.enums import ActivityKind
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import activities

_DUE = (
    "When it is due, with its offset (e.g. 2026-12-07T09:00:00+01:00): a time without one is "
    "refused."
)
_SUBJECTS = {
    "Lead": activities.SubjectKind.LEAD,
    "Opportunity": activities.SubjectKind.OPPORTUNITY,
}


@strawberry.input(description="A next step to plan along with completing an activity.")
class NextStepInput:
    kind: ActivityKind
    due_at: datetime = strawberry.field(description=_DUE)
    note: str | None = None

    def parse(self) -> activities.PlannedStep:
        return activities.PlannedStep(kind=self.kind, due_at=self.due_at, note=self.note)


@strawberry.input
class ScheduleActivityInput:
    subject_id: strawberry.ID = strawberry.field(description="A Lead or an Opportunity ID.")
    kind: ActivityKind
    due_at: datetime = strawberry.field(description=_DUE)
    note: str | None = None
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Who does it: defaults to the lead's clerk or the opportunity's owner "
        "(required on a NEW lead, which has no clerk yet).",
    )
    override_opt_out: bool = strawberry.field(
        default=False,
        description="A CALL or EMAIL for a contact who opted out is refused (OPTED_OUT) unless a "
        "manager or an admin overrides it with true; the override is written to the audit log.",
    )

    def subject(self) -> activities.SubjectRef:
        type_name, pk = parse_global_id(self.subject_id, ["subjectId"])
        kind = _SUBJECTS.get(type_name)
        if kind is None:
            raise DomainError(
                ErrorCode.INVALID,
                f"Expected a Lead or an Opportunity ID, got {type_name} ID.",
                ["subjectId"],
            )
        return activities.SubjectRef(kind=kind, id=pk)

    def assignee(self) -> int | None:
        return decode_optional_id(self.assignee_id, "User", ["assigneeId"])


@strawberry.input
class CompleteActivityInput:
    activity_id: strawberry.ID
    note: str | None = strawberry.field(default=None, description="What came of it.")
    next: NextStepInput | None = strawberry.field(
        default=None,
        description="The next step, planned in the same go (for the same lead or opportunity, "
        "and its clerk).",
    )


@strawberry.input
class RescheduleActivityInput:
    activity_id: strawberry.ID
    due_at: datetime = strawberry.field(description=_DUE)

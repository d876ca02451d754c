"""The live update types: what a subscription delivers (`api/subscriptions.py`)."""

from __future__ import annotations

from enum import Enum

import strawberry

from leadflow.api.ids import encode_id
from leadflow.api.types.lead import LeadNode
from leadflow.errors import DomainError, ErrorCode


@strawberry.enum(description="What happened to a lead of the viewer's own task list.")
class TaskEventKind(Enum):
    ASSIGNED = strawberry.enum_value("ASSIGNED", description="The lead came to the viewer.")
    REASSIGNED_AWAY = strawberry.enum_value(
        "REASSIGNED_AWAY",
        description="The lead went from the viewer to another clerk: only its `id` is "
        "readable now (the viewer may no longer see it).",
    )
    CLOSED = strawberry.enum_value("CLOSED", description="The lead was closed.")
    CHANGED = strawberry.enum_value(
        "CHANGED", description="Feedback, a reopen or another change of the lead."
    )


@strawberry.type(description="A change of the viewer's own task list.")
class TaskEvent:
    kind: TaskEventKind
    event_id: strawberry.ID = strawberry.field(
        description="The event's id: pass it as `taskEvents(lastEventId:)` to resume after it."
    )
    lead_pk: strawberry.Private[int]
    # The lead as read for the event (`api/subscriptions._visible_lead`); None: REASSIGNED_AWAY.
    node: strawberry.Private[LeadNode | None] = None

    @strawberry.field(
        description="The lead as a query would read it now. REASSIGNED_AWAY: only `id`; any "
        "other field is a NOT_FOUND error, as the lead query would answer."
    )
    def lead(self) -> LeadNode:
        if self.node is None:
            return IdOnlyLead(self.lead_pk)
        return self.node


class IdOnlyLead(LeadNode):
    """A lead the viewer no longer sees: its id and nothing else. A LeadNode to GraphQL (the
    field's type is `Lead!`), but every other field fails as the `lead` query would."""

    def __init__(self, pk: int) -> None:
        # Only these two of the dataclass's fields: the others are refused by __getattr__.
        object.__setattr__(self, "pk", pk)
        object.__setattr__(self, "id", encode_id("Lead", pk))

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            # Library probes (hasattr of private and dunder names) expect AttributeError.
            raise AttributeError(name)
        raise DomainError(ErrorCode.NOT_FOUND, f"Lead {self.pk} does not exist.", ["lead"])

"""The User type: names for everyone, details only for the viewers the policy lets see them."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.ids import encode_id
from leadflow.api.rows import ModelValues, Values
from leadflow.api.types.enums import Role
from leadflow.api.types.node import Node
from leadflow.auth import policy
from leadflow.db import enums, models
from leadflow.services import users

_DETAILS = (
    "Null unless the viewer may see this user's details: managers and admins see everyone's, "
    "everybody their own, clerks those of active clerks."
)


@strawberry.type(name="Absence", description="Days (inclusive) a clerk gets no new leads.")
class AbsenceNode:
    from_: date = strawberry.field(name="from", description="First day away.")
    to: date = strawberry.field(description="Last day away (inclusive).")

    @classmethod
    def from_model(cls, absence: models.Absence) -> AbsenceNode:
        return cls(from_=absence.starts_on, to=absence.ends_on)


@strawberry.type(
    name="User",
    description=(
        "Someone who works with Leadflow. Everyone sees the name of the users on what they may "
        "see; the other fields are null unless the viewer may see this user's details."
    ),
)
class UserNode(Node):
    pk: strawberry.Private[int]
    name: str = strawberry.field(description="Display name.")
    # The details, returned by the fields below only to viewers the policy lets see them. They
    # are decided on the User type, not per edge, so every edge that returns a user (assignee,
    # history, feedback, owners, reports, ...) follows the same rule; their resolvers run only
    # when a query selects them (lists of leads ask for names).
    stored_email: strawberry.Private[str]
    stored_role: strawberry.Private[enums.Role]
    stored_active: strawberry.Private[bool]

    def details_visible(self, info: Info[Context, None]) -> bool:
        viewer = info.context.require_viewer()
        return users.details_visible(viewer, self.pk, self.stored_role, self.stored_active)

    @strawberry.field(description="Login email. " + _DETAILS)
    def email(self, info: Info[Context, None]) -> str | None:
        return self.stored_email if self.details_visible(info) else None

    @strawberry.field(description=_DETAILS)
    def role(self, info: Info[Context, None]) -> Role | None:
        return self.stored_role if self.details_visible(info) else None

    @strawberry.field(description="Deactivated users cannot log in or get work. " + _DETAILS)
    def active(self, info: Info[Context, None]) -> bool | None:
        return self.stored_active if self.details_visible(info) else None

    @strawberry.field(
        description="Number of ACTIVE leads assigned to this user (their current load). " + _DETAILS
    )
    async def open_lead_count(self, info: Info[Context, None]) -> int | None:
        if not self.details_visible(info):
            return None
        return await info.context.loaders.open_lead_count.load(self.pk)

    @strawberry.field(
        description="Distribution: the most open leads this clerk should hold (null: no limit). "
        + _DETAILS
    )
    async def capacity(self, info: Info[Context, None]) -> int | None:
        if not self.details_visible(info):
            return None
        user = await info.context.loaders.user.load(self.pk)
        return user.capacity if user is not None else None

    @strawberry.field(
        description="Days on which this clerk gets no new leads. Empty unless the viewer is a "
        "manager, an admin or the user themself."
    )
    async def absences(self, info: Info[Context, None]) -> list[AbsenceNode]:
        if not policy.may_read_absences(info.context.require_viewer(), self.pk):
            return []
        found = await info.context.loaders.absences_by_user.load(self.pk)
        return [AbsenceNode.from_model(absence) for absence in found]

    @strawberry.field(
        description="Whether this user's notifications also come by e-mail (when the server "
        "sends e-mail at all). Null unless the viewer is the user themself or an admin."
    )
    async def email_notifications(self, info: Info[Context, None]) -> bool | None:
        viewer = info.context.require_viewer()
        if not policy.may_read_email_settings(viewer, self.pk):
            return None
        user = await info.context.loaders.user.load(self.pk)
        return user.email_notifications if user is not None else None

    @classmethod
    def from_model(cls, user: models.User) -> UserNode:
        return cls.from_values(ModelValues(user))

    @classmethod
    def from_values(cls, row: Values, prefix: str = "") -> UserNode:
        """A user out of a value row (`prefix` + column) or a model (`from_model`)."""
        pk = row[f"{prefix}id"]
        return cls(
            id=encode_id("User", pk),
            pk=pk,
            name=row[f"{prefix}name"],
            stored_email=row[f"{prefix}email"],
            stored_role=row[f"{prefix}role"],
            stored_active=row[f"{prefix}active"],
        )

    @classmethod
    def optional(cls, user: models.User | None) -> UserNode | None:
        """For edges that may have no user (the system did it)."""
        return cls.from_model(user) if user is not None else None

"""The Contact type: the person a lead or an opportunity is about."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.execution import READS_CONTEXT
from leadflow.api.ids import encode_id
from leadflow.api.rows import ModelValues, Values
from leadflow.api.types.node import Node
from leadflow.api.types.user import UserNode
from leadflow.db import models
from leadflow.services import contacts
from leadflow.services.privacy import export


def _email_as_read_in(contact: ContactNode, context: Context) -> str | None:
    viewer = context.require_viewer()
    return contacts.email_as_read_by(viewer, contact.stored_email, contact.email_key)


def _contact_email(root: ContactNode, info: Info[Context, None]) -> str | None:
    return _email_as_read_in(root, info.context)


@strawberry.type(
    name="ContactChange",
    description="One corrected field of a contact (updateContact): who changed it, when, and "
    "its value before and after.",
)
class ContactChangeNode:
    field: str = strawberry.field(
        description="The field as updateContact names it: firstName, lastName, company, email, "
        'phone, street, postalCode, city or country; or optedOut ("true"/"false") and '
        "optedOutNote, changed by setContactOptOut."
    )
    old_value: str | None = strawberry.field(description="Before; null: it was empty.")
    new_value: str | None = strawberry.field(description="After; null: it is empty now.")
    actor: UserNode = strawberry.field(description="Who corrected it.")
    at: datetime

    @classmethod
    def from_model(cls, change: models.ContactChange) -> ContactChangeNode:
        """`change` must come with its actor joined."""
        return cls(
            field=change.field,
            old_value=change.old_value,
            new_value=change.new_value,
            actor=UserNode.from_model(change.actor),
            at=change.at,
        )


@strawberry.type(name="Contact", description="A person a lead is about.")
class ContactNode(Node):
    pk: strawberry.Private[int]
    salutation: str
    first_name: str
    last_name: str
    company: str
    email: str | None = strawberry.field(
        resolver=_contact_email,
        # The same rule without a resolve info: every contact of a page reads it.
        metadata={READS_CONTEXT: _email_as_read_in},
        description=(
            "Email address as entered. Partners read it lower-cased (as contacts are "
            "recognised), the same whether the person is new or was known already."
        ),
    )
    stored_email: strawberry.Private[str | None]
    email_key: strawberry.Private[str | None]
    phone: str
    street: str
    postal_code: str
    city: str
    country: str
    created_at: datetime
    opted_out: bool = strawberry.field(
        description="The person objected to being contacted (consent, setContactOptOut): no new "
        "calls or e-mails on their leads and opportunities without a manager's override."
    )
    opted_out_at: datetime | None = strawberry.field(
        description="When the objection was recorded; null while not opted out."
    )
    opted_out_note: str | None = strawberry.field(
        description="The note of the last setContactOptOut: why the person objected, or "
        "(optedOut false) when and how they consented again; null: no note."
    )
    erased_at: datetime | None = strawberry.field(
        description="When an admin (or retention) erased the person's data (eraseContact): the "
        "contact is a tombstone since, its fields empty and the last name a marker, its leads "
        "and opportunities kept for the figures; null unless erased."
    )

    @strawberry.field(
        description="Whether the viewer may export this person's data (contactDataExport, GET "
        "/files/contacts/<id>/export.json): admins, and managers where the instance allows it."
    )
    def viewer_may_export(self, info: Info[Context, None]) -> bool:
        return export.may_export(info.context.require_viewer())

    @strawberry.field(
        description="Corrections of the contact's details, newest first. Whoever may see the "
        "contact may see them."
    )
    async def history(self, info: Info[Context, None]) -> list[ContactChangeNode]:
        changes = await info.context.loaders.history_by_contact.load(self.pk)
        return [ContactChangeNode.from_model(change) for change in changes]

    @classmethod
    def from_values(cls, row: Values, prefix: str = "") -> ContactNode:
        return cls(
            id=encode_id("Contact", row[f"{prefix}id"]),
            pk=row[f"{prefix}id"],
            salutation=row[f"{prefix}salutation"],
            first_name=row[f"{prefix}first_name"],
            last_name=row[f"{prefix}last_name"],
            company=row[f"{prefix}company"],
            stored_email=row[f"{prefix}email"],
            email_key=row[f"{prefix}email_key"],
            phone=row[f"{prefix}phone"],
            street=row[f"{prefix}street"],
            postal_code=row[f"{prefix}postal_code"],
            city=row[f"{prefix}city"],
            country=row[f"{prefix}country"],
            created_at=row[f"{prefix}created_at"],
            opted_out=row[f"{prefix}opted_out"],
            opted_out_at=row[f"{prefix}opted_out_at"],
            opted_out_note=row[f"{prefix}opted_out_note"] or None,
            erased_at=row[f"{prefix}erased_at"],
        )

    @classmethod
    def from_model(cls, contact: models.Contact) -> ContactNode:
        return cls.from_values(ModelValues(contact))

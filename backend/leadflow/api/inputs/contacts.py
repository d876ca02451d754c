"""Inputs about contacts: corrections of their details, consent, erasure."""

from __future__ import annotations

from typing import Any

import strawberry

from leadflow.services import contact_updates

_UNCHANGED = "Left out: unchanged."


def _kept_if_left_out(description: str = _UNCHANGED) -> Any:
    return strawberry.field(default=strawberry.UNSET, description=description)


@strawberry.input(
    description="A correction of a contact's details: only the given fields change, validated "
    "as at intake. The last name may not be emptied; an email or a phone must remain."
)
class UpdateContactInput:
    contact_id: strawberry.ID
    first_name: str | None = _kept_if_left_out()
    last_name: str | None = _kept_if_left_out("Left out: unchanged; it cannot be emptied.")
    company: str | None = _kept_if_left_out()
    email: str | None = _kept_if_left_out(
        "Left out: unchanged; null or empty: no email. Unique among contacts, in any letter case."
    )
    phone: str | None = _kept_if_left_out()
    street: str | None = _kept_if_left_out()
    postal_code: str | None = _kept_if_left_out()
    city: str | None = _kept_if_left_out()
    country: str | None = _kept_if_left_out()

    def parse(self) -> contact_updates.ContactCorrection:
        values = {column: getattr(self, column) for column in contact_updates.EDITABLE_FIELDS}
        given = {column: value for column, value in values.items() if value is not strawberry.UNSET}
        return contact_updates.ContactCorrection(given=frozenset(given), **given)


@strawberry.input(
    description="Record or lift a contact's objection to being contacted (consent). Setting it: "
    "whoever may correct the contact; lifting it (the person consented again): managers and "
    "admins. The same value again changes nothing."
)
class SetContactOptOutInput:
    contact_id: strawberry.ID
    opted_out: bool = strawberry.field(
        description="true: the person objected (no calls or e-mails); false: they consented again."
    )
    note: str | None = strawberry.field(
        default=None,
        description="Why they objected, or when and how they consented again (at most 2,000 "
        "characters); replaces the previous note.",
    )


@strawberry.input(
    description="Erase a person's data (DSGVO Art. 17; admins): their details and every free "
    "text about them are removed for good, their email and phone go onto the suppression list; "
    "leads, opportunities, outcomes, dates and clerks stay, so every figure stays."
)
class EraseContactInput:
    contact_id: strawberry.ID
    reason: str = strawberry.field(
        description="Why (the request, its date, how it came in; at most 500 characters): "
        "the audit log keeps it, without the person's data."
    )

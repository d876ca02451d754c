"""Contact mutations."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.errors import UserError
from leadflow.api.ids import decode_id
from leadflow.api.inputs.contacts import (
    EraseContactInput,
    SetContactOptOutInput,
    UpdateContactInput,
)
from leadflow.api.mutations.payload import Payload, payload_mutation
from leadflow.api.types.contact import ContactNode
from leadflow.services import consent, contact_updates
from leadflow.services.privacy import erasure


@strawberry.type
class UpdateContactPayload(Payload):
    contact: ContactNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SetContactOptOutPayload(Payload):
    contact: ContactNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EraseContactPayload(Payload):
    contact: ContactNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ContactMutations:
    @payload_mutation(
        description="Correct a contact's details (managers: any contact; clerks: the contacts of "
        "their open leads); only the given fields change, each change goes into the contact's "
        "history. Two corrections of different fields at the same moment both stay; of two of "
        "the same field the later wins, and the history has both."
    )
    async def update_contact(
        self, info: Info[Context, None], input: UpdateContactInput
    ) -> UpdateContactPayload:
        actor = info.context.require_writer()
        contact = await contact_updates.update_contact(
            actor, decode_id(input.contact_id, "Contact", ["contactId"]), input.parse()
        )
        return UpdateContactPayload(contact=ContactNode.from_model(contact))

    @payload_mutation(
        description="Record that a person objected to being contacted (optedOut true: whoever "
        "may correct the contact) or consented again (false: managers and admins). While "
        "opted out, no new CALL or EMAIL activity is planned on their leads and opportunities "
        "without a manager's override. The same value again changes nothing; each change goes "
        "into the contact's history."
    )
    async def set_contact_opt_out(
        self, info: Info[Context, None], input: SetContactOptOutInput
    ) -> SetContactOptOutPayload:
        actor = info.context.require_writer()
        contact = await consent.set_opt_out(
            actor,
            decode_id(input.contact_id, "Contact", ["contactId"]),
            input.opted_out,
            input.note,
        )
        return SetContactOptOutPayload(contact=ContactNode.from_model(contact))

    @payload_mutation(
        description="Erase a person's data (DSGVO Art. 17; admins) in one step: names, "
        'company, email, phone and address are emptied (the last name reads "[gelöscht]"), '
        "every free text about the person (notes, feedback, activity notes, opportunity "
        "titles, history, notifications, event and webhook logs, import rows and files) is "
        "removed, and their email and phone go onto the suppression list (intake, imports and "
        "partners get SUPPRESSED). Leads, opportunities, outcomes, reasons, dates and clerks "
        "stay, so every figure stays equal; open leads stay open. The audit log records who "
        "erased which contact and why. Erasing an erased contact changes nothing."
    )
    async def erase_contact(
        self, info: Info[Context, None], input: EraseContactInput
    ) -> EraseContactPayload:
        actor = info.context.require_writer()
        contact = await erasure.erase_contact(
            actor, decode_id(input.contact_id, "Contact", ["contactId"]), input.reason
        )
        return EraseContactPayload(contact=ContactNode.from_model(contact))

"""Contact mutations."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.errors import UserError
from leadflow.api.ids import decode_id
from leadflow.api.inputs.contacts import SetContactOptOutInput, UpdateContactInput
from leadflow.api.mutations.payload import Payload, payload_mutation
from leadflow.api.types.contact import ContactNode
from leadflow.services import consent, contact_updates


@strawberry.type
class UpdateContactPayload(Payload):
    contact: ContactNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SetContactOptOutPayload(Payload):
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

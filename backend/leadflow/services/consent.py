"""Consent (DSGVO): a contact who objected to being contacted (setContactOptOut). Recording the
objection is any editor's job (the clerk on the phone hears it); lifting it needs a manager,
since calling again rests on the person's new consent. Activities read the mark
(`activities._require_contact_reachable`): no new call or e-mail without a manager's override."""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor, actor_user
from leadflow.db.models import TEXT_MAX, Contact, ContactChange
from leadflow.errors import AccessDenied
from leadflow.services.contact_updates import announce_change, find_contact_to_edit
from leadflow.services.validation import clean_text

# The history's and the events' names of the consent fields (the API's names).
OPTED_OUT_FIELD = "optedOut"
NOTE_FIELD = "optedOutNote"


async def set_opt_out(
    actor: Actor, contact_id: int, opted_out: bool, note: str | None = None
) -> Contact:
    """Record (True) or lift (False) the contact's objection. Setting: whoever may correct the
    contact (`policy.contact_editor_scope`); lifting: managers and admins
    (`policy.require_may_lift_opt_out`). The value it has already changes nothing, not even
    the note (no second history row, no event). The note belongs to the change: why the
    person objected, or when and how they consented again; lifting clears the time.

    Concurrency: a compare-and-set on the value read, under the editor rule; of two calls at
    once one writes, the other finds the value already set and changes nothing."""
    contact = await find_contact_to_edit(actor, contact_id)
    user = actor_user(actor)
    if user is None:
        # The history names a person for every change; the system records no one's wish.
        raise AccessDenied("Only a user can record a contact's consent.")
    if not opted_out:
        policy.require_may_lift_opt_out(actor)
    cleaned_note = _clean_note(note)
    if contact.opted_out == opted_out:
        return contact
    async with in_transaction():
        # The contact's row lock first, the moment after it: a step planned meanwhile
        # (`activities._objection_overridden` holds the same lock) was stored before
        # `opted_out_at`, so the recorded time says from when the objection held.
        await _lock(contact.id)
        at = clock.now()
        guarded = Contact.filter(id=contact.id, opted_out=contact.opted_out, erased_at=None)
        written = (
            await policy.contact_editor_scope(actor)
            .apply(guarded)
            .update(
                opted_out=opted_out,
                opted_out_at=at if opted_out else None,
                opted_out_note=cleaned_note,
            )
        )
        if written == 1:
            await _record(contact, opted_out, cleaned_note, user.id, at)
            await _announce(contact.id)
    if written != 1:
        # Someone else set the same value meanwhile (a bool has no third state), the clerk
        # lost the lead, or the person was erased: reading through the editor rule again tells
        # which.
        return await find_contact_to_edit(actor, contact_id)
    return await Contact.get(id=contact.id)


async def _lock(contact_id: int) -> None:
    """FOR NO KEY UPDATE on PostgreSQL (the lock `activities` takes to store a call); SQLite
    serialises writers anyway."""
    await Contact.filter(id=contact_id).select_for_update(no_key=True).only("id").first()


def _clean_note(note: str | None) -> str:
    """Cleaned like the other notes, at most TEXT_MAX (2,000) characters: the column's size."""
    return clean_text(note, ["note"], max_length=TEXT_MAX)


async def _record(
    contact: Contact, opted_out: bool, note: str, actor_id: int, at: datetime
) -> None:
    """The contact's history: one row for the mark, one for the note when it changed."""
    changes = [
        ContactChange(
            contact_id=contact.id,
            field=OPTED_OUT_FIELD,
            old_value=_flag(contact.opted_out),
            new_value=_flag(opted_out),
            actor_id=actor_id,
            at=at,
        )
    ]
    if (contact.opted_out_note or None) != (note or None):
        changes.append(
            ContactChange(
                contact_id=contact.id,
                field=NOTE_FIELD,
                old_value=contact.opted_out_note or None,
                new_value=note or None,
                actor_id=actor_id,
                at=at,
            )
        )
    await ContactChange.bulk_create(changes)


def _flag(value: bool) -> str:
    return "true" if value else "false"


async def _announce(contact_id: int) -> None:
    """`contact.updated` naming the mark (webhooks, live views), and the open leads' clerks'
    lists refresh (the mark shows there)."""
    await announce_change(contact_id, [OPTED_OUT_FIELD])

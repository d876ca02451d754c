"""Correcting a contact's details (updateContact) and reading what was corrected: only the
given fields change, validated as at intake, one history row per changed field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor, actor_user
from leadflow.db.models import Contact, ContactChange, Lead
from leadflow.errors import AccessDenied, DomainError, ErrorCode
from leadflow.services import outbox
from leadflow.services.import_files import FIELD_LABELS
from leadflow.services.leads import LeadIntake, clean_intake
from leadflow.services.privacy.suppression import suppressed_fields, suppressed_message

# The contact columns updateContact may change, with the input's names (ContactChange.field):
# the intake's fields under the API's names, all but the salutation, which it does not offer.
EDITABLE_FIELDS: dict[str, str] = {
    column: name for column, name in FIELD_LABELS.items() if column != "salutation"
}
# Columns derived from an editable one: written with it, never recorded in the history.
_DERIVED = ("email_key", "phone_key")
# A guarded write fails only when another correction of the same fields committed in between;
# each retry reads that correction first, so more than a few in a row means a storm.
MAX_ATTEMPTS = 5
# At most this many open leads of one contact get a live LEAD_CHANGED per correction.
MAX_ANNOUNCED = 100


@dataclass(frozen=True, slots=True)
class ContactCorrection:
    """An edit: only the columns named in `given` change (a given None clears the value)."""

    given: frozenset[str]
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None


async def update_contact(actor: Actor, contact_id: int, correction: ContactCorrection) -> Contact:
    """Change the given fields of a contact (managers: any contact; a clerk: the contacts of
    their open leads), validated like an intake (the last name stays, an email or a phone stays,
    the email stays unique). Fields given with their current value change nothing; each field
    that does change gets one ContactChange with its old and new value.

    Concurrency: the write is a compare-and-set on the values read (and on the editor rule), so
    two corrections of different fields both survive (each writes only its own columns), and of
    two corrections of the same field the later one wins and records the earlier one's value as
    its old value (it fails the compare, reads again and retries). No row lock: SQLite has none,
    and the retry gives the same order on both databases."""
    unknown = correction.given - EDITABLE_FIELDS.keys()
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if not correction.given:
        raise DomainError(ErrorCode.REQUIRED, "Give at least one value to change.", ["input"])
    contact = await find_contact_to_edit(actor, contact_id)
    if actor_user(actor) is None:
        # The history names a person for every correction; the system corrects nobody's data.
        raise AccessDenied("Only a user can correct a contact.")
    for _attempt in range(MAX_ATTEMPTS):
        changed = _changed_columns(contact, correction)
        if not changed:
            return contact
        await _require_email_free(contact, changed)
        await _require_not_suppressed(contact, changed)
        if await _write_if_unchanged(actor, contact, changed):
            return await Contact.get(id=contact.id)
        # Read again through the editor rule: the clerk's lead may have been reassigned.
        contact = await find_contact_to_edit(actor, contact.id)
    raise DomainError(
        ErrorCode.CONFLICT,
        "Others are changing this contact at the same moment; reload it and try again.",
        ["contactId"],
    )


def _changed_columns(contact: Contact, correction: ContactCorrection) -> dict[str, str | None]:
    """The contact as corrected, cleaned like an intake (every problem at once, DomainErrors),
    reduced to the columns whose value differs from the stored one (with their derived keys)."""
    given = {column: getattr(correction, column) for column in correction.given}
    stored = {field.name: getattr(contact, field.name) for field in fields(LeadIntake)}
    cleaned = clean_intake(replace(LeadIntake(**stored), **given), [])
    changed = {
        column: cleaned[column]
        for column in correction.given
        if _stored_form(cleaned[column]) != _stored_form(getattr(contact, column))
    }
    if "email" in changed:
        changed["email_key"] = cleaned["email_key"]
    if "phone" in changed:
        changed["phone_key"] = cleaned["phone_key"]
    return changed


def _stored_form(value: str | None) -> str | None:
    """How a value compares and is recorded: an empty text is no value, like a missing email."""
    return value or None


async def _require_email_free(contact: Contact, changed: Mapping[str, str | None]) -> None:
    """Emails identify contacts (intake recognises a person by theirs): another contact's email,
    in any letter case, is refused. A clash committed after this check is refused by the unique
    index at the write (`_write_if_unchanged`)."""
    email_key = changed.get("email_key")
    if email_key and await Contact.filter(email_key=email_key).exclude(id=contact.id).exists():
        raise _email_taken()


async def _require_not_suppressed(contact: Contact, changed: Mapping[str, str | None]) -> None:
    """An erased person's email or phone on the suppression list is not stored again by a
    correction either (SUPPRESSED on the field). Only a new value is checked, by the list's
    rule: a new email; a new phone only when the contact has no email after the change (a
    shared switchboard number is no person, see `services/privacy/suppression.py`)."""
    email_key = changed.get("email_key", contact.email_key)
    checked = {
        "email_key": changed.get("email_key"),
        "phone_key": None if email_key else changed.get("phone_key"),
    }
    suppressed = await suppressed_fields([checked], lock=False)
    if suppressed:
        field_name = suppressed[0]
        raise DomainError(ErrorCode.SUPPRESSED, suppressed_message(field_name), [field_name])


def _email_taken() -> DomainError:
    return DomainError(
        ErrorCode.DUPLICATE, "Another contact already has this email address.", ["email"]
    )


async def _write_if_unchanged(
    actor: Actor, contact: Contact, changed: Mapping[str, str | None]
) -> bool:
    """Write the changed columns if they still hold the values read and the actor still may
    edit the contact, with their history; False (nothing written) when one of them changed."""
    read = {column: getattr(contact, column) for column in changed}
    at = clock.now()
    try:
        async with in_transaction():
            guarded = Contact.filter(id=contact.id, erased_at=None, **read)
            written = await policy.contact_editor_scope(actor).apply(guarded).update(**changed)
            if written != 1:
                return False
            await ContactChange.bulk_create(
                [
                    ContactChange(
                        contact_id=contact.id,
                        field=EDITABLE_FIELDS[column],
                        old_value=_stored_form(read[column]),
                        new_value=_stored_form(value),
                        actor=actor_user(actor),
                        at=at,
                    )
                    for column, value in changed.items()
                    if column not in _DERIVED
                ]
            )
            await announce_change(
                contact.id,
                [name for column, name in EDITABLE_FIELDS.items() if column in changed],
            )
    except IntegrityError:
        # The only unique column is email_key: a concurrent correction or intake took the email
        # between our check and our write.
        raise _email_taken() from None
    return True


async def announce_change(contact_id: int, field_names: list[str]) -> None:
    """One `contact.updated` per change, naming the changed fields (the API's names, as the
    history records them; no campaign and no lead: a contact spans campaigns), and the
    contact's open leads' clerks' lists refresh (they show its details)."""
    await outbox.publish(
        [
            outbox.Event(
                outbox.CONTACT_UPDATED,
                payload={"contactId": contact_id, "fields": field_names},
            )
        ]
    )
    await announce_to_open_leads(contact_id)


async def announce_to_open_leads(contact_id: int) -> None:
    """The contact's open leads show its details (task lists, lead pages): one LEAD_CHANGED
    each, for its clerk. Bounded: a contact has at most one open lead per campaign, and past
    `MAX_ANNOUNCED` the newest ones are told (a list shows the others on its next read)."""
    open_leads = (
        await Lead.filter(contact_id=contact_id, closed_at=None)
        .order_by("-id")
        .limit(MAX_ANNOUNCED)
        .values_list("id", "campaign_id", "assignee_id")
    )
    await outbox.publish(
        outbox.Event(
            outbox.LEAD_CHANGED,
            lead_id=lead_id,
            campaign_id=campaign_id,
            user_ids=[assignee_id] if assignee_id is not None else [],
            payload={"change": "contact", "contactId": contact_id},
        )
        for lead_id, campaign_id, assignee_id in open_leads
    )


async def find_contact_to_edit(actor: Actor, contact_id: int) -> Contact:
    """The contact through the editor rule (`policy.contact_editor_scope`): NOT_FOUND on
    contactId when it does not exist or the actor may not change it. After a failed
    compare-and-set it reads the contact as it is now. An erased contact (a tombstone,
    services/privacy/erasure.py) takes no corrections and no consent: INVALID_STATE; the writes
    guard on `erased_at IS NULL`, so an erasure committed after this read fails them too."""
    missing = DomainError(ErrorCode.NOT_FOUND, "This contact does not exist.", ["contactId"])
    contact = await policy.find_contact_to_edit(actor, contact_id, missing)
    if contact.erased_at is not None:
        raise DomainError(ErrorCode.INVALID_STATE, "The person's data was erased.", ["contactId"])
    return contact

"""Erasure (DSGVO Art. 17, eraseContact): a person's data is removed for good while every figure
stays. The contact row stays as a tombstone (its leads, opportunities, outcomes, reasons, dates
and clerks are what campaign, clerk and report figures count); its personal fields and every
free text about the person are blanked or replaced by a neutral marker in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db import sql
from leadflow.db.models import (
    Activity,
    Contact,
    ContactChange,
    Feedback,
    Lead,
    LeadEvent,
    Notification,
    NotificationEmail,
    Opportunity,
    OpportunityEvent,
)
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import audit, outbox
from leadflow.services.contact_updates import announce_to_open_leads
from leadflow.services.privacy import suppression, traces
from leadflow.services.privacy.traces import ErasedPerson
from leadflow.services.validation import clean_text

# What an erased contact's last name and its opportunities' titles read (both are required
# columns, and lists and pages show them): no person, but visibly a tombstone.
ERASED_NAME = traces.ERASED_MARK
# The message of a notification about an erased person's lead, opportunity or activity.
ERASED_MESSAGE = "Personendaten gelöscht"
REASON_MAX = 500
# The contact's personal columns whose values, current and from its correction history (under
# their ContactChange.field names), the traces are searched for (`ErasedPerson`); the country
# alone names no one, the salutation neither.
PERSONAL_COLUMNS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "company": "company",
    "email": "email",
    "phone": "phone",
    "street": "street",
    "postal_code": "postalCode",
    "city": "city",
}
# The history rows whose values are kept: the consent flag ("true"/"false") names no one, and
# the web app reads it to say whether the objection was recorded or lifted.
KEPT_HISTORY_FIELDS = ("optedOut",)


async def erase_contact(
    actor: Actor,
    contact_id: int,
    reason: str,
    *,
    suppress: bool = True,
    purge_search: bool = True,
) -> Contact:
    """Erase the person behind a contact (admins and the system actor, checked by
    `policy.require_may_erase_contact`). Every email and phone they had (the correction
    history's too) goes onto the suppression list (keyed hashes); the contact's personal
    fields are emptied (the last name becomes `ERASED_NAME`), it is marked opted out (no new
    call or e-mail) and erased; the free texts about the person in linked rows (close notes,
    feedback, activity notes, opportunity titles, lead and opportunity history notes, the
    correction history, notifications) and the traces elsewhere (outbox, webhook deliveries,
    audit details, import rows and files: `traces.scrub`) are removed. Ids, outcomes,
    reasons, dates, stages, amounts and clerks stay, so every figure stays equal. Open leads
    stay open: the team closes them.

    `suppress=False` (retention: a prospect whose time ran out objected to nothing, and a
    keyed hash kept forever would cut against storage limitation) leaves the suppression
    list alone; everything else is the same.

    SQLite: the search index's segments still hold the erased values' trigrams until FTS5
    merges them; the erasure rewrites the index (`sql.purge_contact_search`, about 1.5 s per
    100,000 contacts). `purge_search=False` leaves that to the caller, which purges once after
    many erasures (retention, per page).

    The audit log records who erased which contact and why (`reason`: required, at most 500
    characters, the person's values in it replaced), never the person's data. Runs inside
    the caller's transaction when there is one (retention erases inside its own).

    An erased contact is returned unchanged (no second audit entry, no second event).
    Concurrency: the contact's row lock, then a compare-and-set on `erased_at IS NULL`: of two
    erasures at once one erases, the other finds it erased (SQLite serialises writers)."""
    policy.require_may_erase_contact(actor)
    cleaned_reason = clean_text(reason, ["reason"], max_length=REASON_MAX, required=True)
    async with in_transaction():
        contact = await _locked(contact_id)
        if contact.erased_at is not None:
            return contact
        person = await person_of(contact)
        if suppress:
            # Every email and phone the contact ever had (an address corrected away would
            # bring the person back otherwise), read before the history's values are emptied.
            await suppression.suppress(contact.id, person.email_keys, person.phone_keys)
        if not await _blank_contact(contact):
            # Erased meanwhile: only on a database whose row lock does not hold (the lock makes
            # the second erasure read `erased_at`). Its suppression entries exist already.
            return await Contact.get(id=contact.id)
        await _blank_linked_texts(person)
        await traces.scrub(person)
        await _announce(contact.id)
        # The reason is an admin's words and may well name the person ("Anna Schmidt rief an").
        reason_told = traces.replace_values(cleaned_reason, person.matched_values())
        await audit.record(
            audit.AuditAction.CONTACT_ERASED,
            actor=actor,
            detail=f"contact {contact.id}: {reason_told}",
        )
        if purge_search:
            await sql.purge_contact_search()
    return await Contact.get(id=contact.id)


async def _locked(contact_id: int) -> Contact:
    """The contact under its row lock (FOR NO KEY UPDATE, as consent and activities take it),
    so a correction, an objection or a planned call waits for the erasure; NOT_FOUND on
    contactId when it does not exist."""
    contact = await Contact.filter(id=contact_id).select_for_update(no_key=True).first()
    if contact is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This contact does not exist.", ["contactId"])
    return contact


async def person_of(contact: Contact) -> ErasedPerson:
    """Who the contact is, as the erasure searches for them (and the export describes them):
    the contact's rows, and its values, the current ones and every old and new value of its
    correction history. The erasure reads it under the contact's lock, before blanking, so no
    correction adds a value meanwhile."""
    lead_ids = _ids(await Lead.filter(contact_id=contact.id).values_list("id", flat=True))
    opportunity_ids = _ids(
        await Opportunity.filter(contact_id=contact.id).values_list("id", flat=True)
    )
    known: dict[str, list[str]] = {
        name: [str(getattr(contact, column) or "")] for column, name in PERSONAL_COLUMNS.items()
    }
    history = await ContactChange.filter(
        contact_id=contact.id, field__in=list(PERSONAL_COLUMNS.values())
    ).values_list("field", "old_value", "new_value")
    for field, old_value, new_value in history:
        known[str(field)] += [str(old_value or ""), str(new_value or "")]
    firsts = _distinct(known["firstName"])
    lasts = _distinct(known["lastName"])
    return ErasedPerson(
        contact_id=contact.id,
        lead_ids=lead_ids,
        opportunity_ids=opportunity_ids,
        first_names=firsts,
        last_names=lasts,
        companies=_distinct(known["company"]),
        emails=_distinct(known["email"]),
        phones=_distinct(known["phone"]),
        address=_distinct(known["street"] + known["postalCode"] + known["city"]),
        name_pairs=_name_pairs(
            lasts, firsts, without_first=any(not first.strip() for first in known["firstName"])
        ),
    )


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    """The non-empty values, stripped, each once, in their order."""
    return tuple(dict.fromkeys(value.strip() for value in values if value.strip()))


def _name_pairs(
    lasts: tuple[str, ...], firsts: tuple[str, ...], *, without_first: bool
) -> frozenset[tuple[str, str]]:
    """(last, first) pairs, case-folded, the person may have been known by: each last name with
    each first name (the history corrects them one at a time), and with "" when the contact had
    no first name at some time."""
    first_names = [first.casefold() for first in firsts] + ([""] if without_first else [])
    return frozenset((last.casefold(), first) for last in lasts for first in first_names)


async def _blank_contact(contact: Contact) -> bool:
    """Empty the personal fields, guarded by `erased_at IS NULL`; False when already erased.
    The erasure holds as an objection from now on unless one was recorded before (its time
    kept: from when the person objected)."""
    at = clock.now()
    written = await Contact.filter(id=contact.id, erased_at=None).update(
        salutation="",
        first_name="",
        last_name=ERASED_NAME,
        company="",
        email=None,
        email_key=None,
        phone="",
        phone_key="",
        street="",
        postal_code="",
        city="",
        country="",
        opted_out=True,
        opted_out_at=contact.opted_out_at if contact.opted_out else at,
        opted_out_note="",
        erased_at=at,
    )
    return written == 1


async def _blank_linked_texts(person: ErasedPerson) -> None:
    """The free texts about the person in rows linked to the contact, one UPDATE per column
    set; what figures count (ids, outcomes, reasons, dates, clerks, stages, amounts) stays."""
    await (
        ContactChange.filter(contact_id=person.contact_id)
        .exclude(field__in=KEPT_HISTORY_FIELDS)
        .update(old_value=None, new_value=None)
    )
    lead_ids = list(person.lead_ids)
    opportunity_ids = list(person.opportunity_ids)
    # An empty id list matches nothing (Tortoise writes 1=0): a contact without opportunities.
    await Lead.filter(id__in=lead_ids).update(close_note="")
    await Feedback.filter(lead_id__in=lead_ids).update(note="")
    await LeadEvent.filter(lead_id__in=lead_ids).update(note="")
    await Opportunity.filter(id__in=opportunity_ids).update(title=ERASED_NAME)
    await OpportunityEvent.filter(opportunity_id__in=opportunity_ids).update(note="")
    subjects = Q(lead_id__in=lead_ids) | Q(opportunity_id__in=opportunity_ids)
    activity_ids = list(_ids(await Activity.filter(subjects).values_list("id", flat=True)))
    await Activity.filter(id__in=activity_ids).update(note="", done_note="")
    about_person = subjects | Q(activity_id__in=activity_ids)
    notification_ids = list(
        _ids(await Notification.filter(about_person).values_list("id", flat=True))
    )
    await Notification.filter(id__in=notification_ids).update(message=ERASED_MESSAGE)
    await NotificationEmail.filter(notification_id__in=notification_ids).update(last_error="")


async def _announce(contact_id: int) -> None:
    """`contact.erased` (webhooks; its payload only the id) for the open leads' clerks, and
    their open leads' LEAD_CHANGED, so the lists showing the person refresh to the tombstone."""
    clerk_ids = _ids(
        await Lead.filter(
            contact_id=contact_id, closed_at=None, assignee_id__not_isnull=True
        ).values_list("assignee_id", flat=True)
    )
    await outbox.publish(
        [
            outbox.Event(
                outbox.CONTACT_ERASED,
                user_ids=clerk_ids,
                payload={"contactId": contact_id},
            )
        ]
    )
    await announce_to_open_leads(contact_id)


def _ids(values: Iterable[Any]) -> tuple[int, ...]:
    """A flat values_list as sorted distinct ints (Tortoise types flat lists as tuples)."""
    return tuple(sorted({int(value) for value in values}))

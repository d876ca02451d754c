"""The bulk-intake engine under `createLeads` and file imports: cleaned intakes in, contacts
recognised or created and leads created or reused, a few statements per batch. It runs inside
the caller's transaction; the use cases (leads.create_leads, imports) check permissions first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.queryset import QuerySet

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor, actor_user
from leadflow.db.enums import LeadEventKind
from leadflow.db.lead_status import open_condition
from leadflow.db.models import Campaign, Contact, Lead, LeadEvent
from leadflow.db.sql import insert_rows, next_ids
from leadflow.services import outbox
from leadflow.services.distribution import distribute_new_leads


@dataclass(frozen=True, slots=True)
class StoredIntake:
    """What became of one intake: its lead, and whether lead and contact are new."""

    lead: Lead
    lead_created: bool
    contact_reused: bool


async def store_intakes(
    actor: Actor,
    campaign: Campaign,
    contacts: Sequence[dict[str, str | None]],
    lead_import_id: int | None = None,
) -> list[StoredIntake]:
    """Store cleaned intakes; run inside the caller's transaction. A known contact (same email,
    or without email the same phone and name) is reused, and an open lead for it in this
    campaign is returned instead of a second one. A system actor (the command line) is stored
    as no author; `lead_import_id` is the import the new leads came from (their source).

    Rows are inserted in bulk (one statement per table and 1,000 rows: `db.sql.insert_rows`,
    not an INSERT per row) with ids taken beforehand, so that leads can point at their new
    contacts without a round trip per row."""
    known = await ContactMatcher.load(contacts)
    stored_before = set(known.contact_ids())
    open_leads = await _open_leads_by_contact(actor, campaign, list(stored_before))
    await _create_contacts(contacts, known)
    lead_contacts = [known.require(details) for details in contacts]
    waiting = list(dict.fromkeys(c.id for c in lead_contacts if c.id not in open_leads))
    new_lead_ids = await _create_leads(actor, campaign, waiting, lead_import_id)
    # A campaign with automatic distribution hands its new leads out in this transaction.
    await distribute_new_leads(campaign, sorted(new_lead_ids))
    if new_lead_ids:
        fresh = await Lead.filter(id__in=new_lead_ids)
        open_leads.update({lead.contact_id: lead for lead in fresh})
    results: list[StoredIntake] = []
    claimed: set[int] = set()
    for contact in lead_contacts:
        lead = open_leads[contact.id]
        created = lead.id in new_lead_ids and contact.id not in claimed
        claimed.add(contact.id)
        results.append(StoredIntake(lead, created, contact_reused=contact.id in stored_before))
    return results


async def _create_contacts(
    contacts: Sequence[dict[str, str | None]], known: ContactMatcher
) -> None:
    """One new contact per person the matcher does not know (repeats in the batch are one)."""
    new: dict[tuple[str, ...], dict[str, str | None]] = {}
    for details in contacts:
        if known.find(details) is None:
            new.setdefault(ContactMatcher.identity(details), details)
    if not new:
        return
    ids = await next_ids(Contact, len(new))
    created_at = clock.now()
    created = [
        Contact(id=i, created_at=created_at, **details)
        for i, details in zip(ids, new.values(), strict=True)
    ]
    await insert_rows(Contact, created)
    for contact in created:
        known.add(contact)


async def _create_leads(
    actor: Actor, campaign: Campaign, contact_ids: list[int], lead_import_id: int | None
) -> set[int]:
    if not contact_ids:
        return set()
    author = actor_user(actor)
    actor_id = author.id if author else None
    ids = await next_ids(Lead, len(contact_ids))
    created_at = clock.now()
    await insert_rows(
        Lead,
        [
            {
                "id": i,
                "contact_id": contact_id,
                "campaign_id": campaign.id,
                "created_by_id": actor_id,
                "lead_import_id": lead_import_id,
                "created_at": created_at,
            }
            for i, contact_id in zip(ids, contact_ids, strict=True)
        ],
    )
    await insert_rows(
        LeadEvent,
        [
            {"lead_id": i, "kind": LeadEventKind.CREATED, "actor_id": actor_id, "at": created_at}
            for i in ids
        ],
    )
    # NEW leads are nobody's task yet: no user_ids (managers' counts follow the campaign).
    await outbox.publish(
        outbox.Event(
            outbox.LEAD_CREATED,
            lead_id=i,
            campaign_id=campaign.id,
            payload={"leadId": i, "campaignId": campaign.id},
        )
        for i in ids
    )
    return set(ids)


class ContactMatcher:
    """Recognises known contacts: by email (unique), and a contact without email by its phone
    digits together with its name, since a shared switchboard number alone is no person."""

    def __init__(self, contacts: list[Contact]) -> None:
        self._by_email: dict[str, Contact] = {}
        self._by_phone: dict[tuple[str, str, str], Contact] = {}
        for contact in contacts:
            self.add(contact)

    @classmethod
    async def load(
        cls, intakes: Sequence[dict[str, str | None]], *, lock: bool = True
    ) -> ContactMatcher:
        emails = {details["email_key"] for details in intakes if details["email_key"]}
        phones = {
            details["phone_key"]
            for details in intakes
            if not details["email_key"] and details["phone_key"]
        }
        found: list[Contact] = []
        if emails:
            # Locking the known contacts orders concurrent intakes for the same person on
            # PostgreSQL, so a resent batch finds the open lead the first one created.
            by_email = Contact.filter(email_key__in=emails).order_by("id")
            found += await (by_email.select_for_update() if lock else by_email)
        if phones:
            found += await Contact.filter(phone_key__in=phones, email_key=None).order_by("id")
        return cls(found)

    @staticmethod
    def identity(details: dict[str, str | None]) -> tuple[str, ...]:
        """Who an intake is, as far as recognising them again goes."""
        if details["email_key"]:
            return ("email", details["email_key"])
        return (
            "phone",
            *_phone_identity(details["phone_key"], details["last_name"], details["first_name"]),
        )

    def find(self, details: dict[str, str | None]) -> Contact | None:
        if details["email_key"]:
            return self._by_email.get(details["email_key"])
        if details["phone_key"]:
            return self._by_phone.get(
                _phone_identity(details["phone_key"], details["last_name"], details["first_name"])
            )
        return None

    def add(self, contact: Contact) -> None:
        if contact.email_key:
            self._by_email[contact.email_key] = contact
        elif contact.phone_key:
            identity = _phone_identity(contact.phone_key, contact.last_name, contact.first_name)
            self._by_phone.setdefault(identity, contact)

    def require(self, details: dict[str, str | None]) -> Contact:
        contact = self.find(details)
        if contact is None:
            raise LookupError("the contact was to be created first")
        return contact

    def contact_ids(self) -> list[int]:
        return [c.id for c in (*self._by_email.values(), *self._by_phone.values())]


def _phone_identity(
    key: str | None, last_name: str | None, first_name: str | None
) -> tuple[str, str, str]:
    return (key or "", (last_name or "").casefold(), (first_name or "").casefold())


def open_leads(campaign_id: int, contact_ids: Sequence[int]) -> QuerySet[Lead]:
    """The contacts' open leads in the campaign: what an intake returns instead of a new lead
    (and what an import's preview counts as a duplicate)."""
    return Lead.filter(open_condition(), campaign_id=campaign_id, contact_id__in=contact_ids)


async def _open_leads_by_contact(
    actor: Actor, campaign: Campaign, contact_ids: list[int]
) -> dict[int, Lead]:
    """Open leads an intake may return instead of creating new ones. A partner only gets its
    own back: another source's lead (its status, its clerk) is none of the partner's business,
    so the partner's lead is added and the clerk closes one of them as DUPLICATE."""
    if not contact_ids:
        return {}
    leads = open_leads(campaign.id, contact_ids)
    partner = actor_user(actor)
    if partner is not None and policy.is_partner(partner):
        leads = leads.filter(created_by_id=partner.id)
    return {lead.contact_id: lead for lead in await leads}

"""The suppression list (DSGVO Art. 17): keyed hashes of erased people's email and phone, so
that intake, imports and partners cannot store the same person again until an admin lifts it.

Who counts as "the same person": an intake is suppressed when its email matches an entry, or,
when it has no email, when its phone matches one. A phone alone does not suppress an intake
that brings a different email: a shared switchboard number is no person (as
`bulk_intake.ContactMatcher` recognises contacts), and a colleague of the erased person at the
same company number must still be enterable. The erased person's email, where they had one,
keeps them out under any phone; without an email the phone is all we can recognise them by.

The values are never stored: only HMAC-SHA256 digests with the server's suppression key
(LEADFLOW_SUPPRESSION_KEY, or a key generated once and shared by the instances through the
database), so a copy of the list alone cannot be turned back into numbers by trying them all."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Collection, Mapping, Sequence

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db.enums import SuppressionKind
from leadflow.db.models import EMAIL_MAX, SHORT_MAX, Contact, ServerSecret, Suppression
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import audit
from leadflow.services.privacy import config
from leadflow.services.privacy.traces import replace_values
from leadflow.services.validation import clean_email, clean_text, phone_key

log = logging.getLogger("leadflow.privacy")

# The ServerSecret row of the generated key.
KEY_NAME = "suppression_key"
# The intake fields (API names) a suppressed intake is reported on.
EMAIL_FIELD = "email"
PHONE_FIELD = "phone"
# Why a suppression was lifted (the audit entry's detail): like an erasure's reason.
LIFT_REASON_MAX = 500
# The user error of a suppressed intake, row or correction (never naming the value).
SUPPRESSED_MESSAGE = (
    "This person's data was erased at their request; they can only be entered again after "
    "an admin lifts the suppression (liftSuppression)."
)

# The generated key once it is known to be committed (read without inserting it ourselves).
_cached_key: str | None = None
# Keys this process inserted: until another read shows them committed they are not cached,
# since the caller's transaction they were inserted in may still roll back (and another
# instance then generates its own).
_inserted_keys: set[str] = set()
_warned = False


async def suppression_key() -> str:
    """The configured key, else the instances' shared generated one (created by whichever
    instance needs it first: insert ignoring a conflict, then read back, so the first writer
    wins on both databases). May run inside the caller's transaction."""
    configured = config.current().suppression_key
    if configured:
        return configured
    global _cached_key
    if _cached_key is not None:
        return _cached_key
    stored = await ServerSecret.filter(name=KEY_NAME).values_list("value", flat=True)
    if not stored:
        generated = secrets.token_hex(32)
        _inserted_keys.add(generated)
        await ServerSecret.bulk_create(
            [ServerSecret(name=KEY_NAME, value=generated)], ignore_conflicts=True
        )
        stored = await ServerSecret.filter(name=KEY_NAME).values_list("value", flat=True)
    key = str(stored[0])
    _warn_once()
    if key not in _inserted_keys:
        _cached_key = key
    return key


def forget_cached_key() -> None:
    """Drop the per-process copy of the generated key (tests: a second "instance")."""
    global _cached_key, _warned
    _cached_key = None
    _inserted_keys.clear()
    _warned = False


def _warn_once() -> None:
    global _warned
    if not _warned:
        _warned = True
        log.warning(
            "The suppression list's key is generated and stored in the database; set "
            "LEADFLOW_SUPPRESSION_KEY in production, so that a copy of the database alone "
            "cannot test guessed emails and phone numbers against it."
        )


def normalised(kind: SuppressionKind, value: str) -> str:
    """How a value is compared: an email lower-cased (the contacts' email_key, as intake stores
    it), a phone as its digits (`validation.phone_key`: "+49 511 123" is "+49511123")."""
    if kind is SuppressionKind.EMAIL:
        return value.strip().lower()
    return phone_key(value)


def digest(key: str, kind: SuppressionKind, value: str) -> str:
    """HMAC-SHA256 (hex) of the normalised value under `key`: a pure function of both."""
    message = normalised(kind, value).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


async def suppress_contact(contact: Contact) -> None:
    """Put the contact's current email and phone on the list (`suppress`)."""
    await suppress(contact.id, [contact.email_key or ""], [contact.phone_key or ""])


async def suppress(
    contact_id: int, email_keys: Collection[str], phone_keys: Collection[str]
) -> None:
    """Put an erased contact's emails and phones on the list: the erasure passes every value
    the contact ever had (its correction history too), so that an email corrected before the
    erasure cannot bring the person back. Runs inside the caller's transaction (the
    erasure's), before the values are removed. Empty keys (and phones without digits) are
    skipped; an entry that exists already (another erased contact with the same switchboard
    number) is kept as it is."""
    values = {(SuppressionKind.EMAIL, email) for email in email_keys if email.strip()}
    values |= {(SuppressionKind.PHONE, phone) for phone in phone_keys if phone_key(phone)}
    if not values:
        return
    key = await suppression_key()
    digests = {(kind, digest(key, kind, value)) for kind, value in values}
    entries = [
        Suppression(kind=kind, digest=value, contact_id=contact_id)
        for kind, value in sorted(digests)
    ]
    await Suppression.bulk_create(entries, ignore_conflicts=True)


async def suppressed_fields(
    intakes: Sequence[Mapping[str, str | None]], *, lock: bool = True
) -> dict[int, str]:
    """Which of the cleaned intakes (with `email_key` and `phone_key`, as
    `leads.clean_intake` makes them) are suppressed, by their index, and on which field
    ("email" or "phone"); one query for the whole batch. The rule is the module's: the email
    when there is one, else the phone.

    `lock` (inside the storing transaction): the known contacts with those emails (and, for
    intakes without email, those phones) are locked first, as `bulk_intake` locks them to
    reuse them. An erasure of one of them holds its row
    lock until it commits, so the check waits for it and then sees its entries (PostgreSQL
    reads each statement's own snapshot); without this the intake would find the blanked
    tombstone no longer matching and store the person as a new contact. A dry run passes
    False. SQLite serialises writers anyway."""
    if lock:
        await _lock_known_contacts(intakes)
    key = await suppression_key()
    checked: dict[int, tuple[SuppressionKind, str]] = {}
    for index, intake in enumerate(intakes):
        email, phone = intake.get("email_key"), intake.get("phone_key")
        if email:
            checked[index] = (SuppressionKind.EMAIL, digest(key, SuppressionKind.EMAIL, email))
        elif phone and phone_key(phone):
            checked[index] = (SuppressionKind.PHONE, digest(key, SuppressionKind.PHONE, phone))
    if not checked:
        return {}
    found = await _existing(set(checked.values()))
    return {
        index: EMAIL_FIELD if kind is SuppressionKind.EMAIL else PHONE_FIELD
        for index, (kind, value) in checked.items()
        if (kind, value) in found
    }


async def _lock_known_contacts(intakes: Sequence[Mapping[str, str | None]]) -> None:
    """Lock, in one query in id order (as `bulk_intake.ContactMatcher` takes its locks: no
    deadlock), the contacts an erasure of this person would hold: those with an intake's
    email, and for an intake without email, every contact with its phone (whatever its email:
    the erased person may have had one, and their phone entry suppresses phone-only intakes)."""
    emails = {intake["email_key"] for intake in intakes if intake.get("email_key")}
    phones = {
        intake["phone_key"]
        for intake in intakes
        if not intake.get("email_key") and intake.get("phone_key")
    }
    known = [Q(email_key__in=emails)] if emails else []
    known += [Q(phone_key__in=phones)] if phones else []
    if known:
        await (
            Contact.filter(Q(*known, join_type="OR")).order_by("id").select_for_update().only("id")
        )


async def _existing(
    entries: set[tuple[SuppressionKind, str]],
) -> set[tuple[SuppressionKind, str]]:
    conditions = []
    for kind in SuppressionKind:
        digests = [value for entry_kind, value in entries if entry_kind is kind]
        if digests:
            conditions.append(Q(kind=kind, digest__in=digests))
    rows = await Suppression.filter(Q(*conditions, join_type="OR")).values_list("kind", "digest")
    return {(SuppressionKind(kind), str(value)) for kind, value in rows}


# ---------------------------------------------------------------------------------------------
# Lifting


async def lift_suppression(actor: Actor, email: str | None, phone: str | None, reason: str) -> int:
    """An erased person consented again: their entries matching the given email and/or phone
    leave the list (admins, `policy.require_may_lift_suppression`); returns how many did, 0
    being a normal answer (the value was never suppressed, or lifted already). Exactly the
    given values are lifted: a person erased with an email and a phone who may come back
    without an email needs both given. The phone is compared as its digits, so "+49 511 123"
    lifts what was erased as "+49 (511) 12-3", but not "0511 123".

    The audit log records who lifted how many entries and why, never the email or the phone
    (the reason has them replaced: an admin may well write them there). Two admins lifting
    the same person at once: one deletes the rows, the other deletes none (0)."""
    policy.require_may_lift_suppression(actor)
    values = _values_to_lift(email, phone)
    cleaned_reason = clean_text(reason, ["reason"], max_length=LIFT_REASON_MAX, required=True)
    key = await suppression_key()
    conditions = [Q(kind=kind, digest=digest(key, kind, value)) for kind, value in values]
    async with in_transaction():
        lifted = await Suppression.filter(Q(*conditions, join_type="OR")).delete()
        told = replace_values(cleaned_reason, tuple(value for _, value in values))
        await audit.record(
            audit.AuditAction.SUPPRESSION_LIFTED,
            actor=actor,
            detail=f"{_entries(lifted)} lifted ({_kinds(values)}): {told}",
        )
    return lifted


def _values_to_lift(email: str | None, phone: str | None) -> list[tuple[SuppressionKind, str]]:
    """The cleaned email and phone given (at least one: else REQUIRED on email)."""
    values: list[tuple[SuppressionKind, str]] = []
    cleaned_email = clean_email(email, [EMAIL_FIELD], max_length=EMAIL_MAX)
    if cleaned_email:
        values.append((SuppressionKind.EMAIL, cleaned_email))
    cleaned_phone = clean_text(phone, [PHONE_FIELD], max_length=SHORT_MAX)
    if cleaned_phone and not phone_key(cleaned_phone):
        raise DomainError(ErrorCode.INVALID, "This phone number has no digits.", [PHONE_FIELD])
    if cleaned_phone:
        values.append((SuppressionKind.PHONE, cleaned_phone))
    if not values:
        raise DomainError(
            ErrorCode.REQUIRED, "Give the email or the phone (or both) to lift.", [EMAIL_FIELD]
        )
    return values


def _entries(count: int) -> str:
    return f"{count} suppression entr{'y' if count == 1 else 'ies'}"


def _kinds(values: list[tuple[SuppressionKind, str]]) -> str:
    return " and ".join(kind.value.lower() for kind, _ in values)

"""The suppression list (DSGVO Art. 17): keyed hashes of erased people's email and phone, so
that intake, imports and partners cannot store the same person again until an admin lifts it.

Who counts as "the same person": an intake is suppressed when its email matches an entry, or,
when it has no email, when its phone matches one. A phone alone does not suppress an intake
that brings a different email: a shared switchboard number is no person (as
`bulk_intake.ContactMatcher` recognises contacts), and a colleague of the erased person at the
same company number must still be enterable. The erased person's email, where they had one,
keeps them out under any phone; without an email the phone is all we can recognise them by.
So an intake without email at an erased person's number is refused even when it is someone
else at the same switchboard: the phone entry stays as it is, on purpose. Over-suppressing
errs in favour of the erased person (storing them again breaks their erasure; refusing a
colleague costs one more field), and the refusal says how to go on: enter the colleague's
email address (then only the email is checked), or an admin lifts the suppression.

The values are never stored: only HMAC-SHA256 digests with the server's suppression key
(LEADFLOW_SUPPRESSION_KEY, or a key generated once and shared by the instances through the
database), so a copy of the list alone cannot be turned back into numbers by trying them all.
New entries are made with the current key; checks and lifts look under every key that may have
made entries: the configured key and, if one was stored before it was set, the generated key.
A configured key's fingerprint is stored at its first use, so that changing it later (which
would silently let the people erased until then back) is an ERROR in the log."""

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

# The ServerSecret rows of the generated key and of the configured key's fingerprint.
KEY_NAME = "suppression_key"
FINGERPRINT_NAME = "suppression_key_fingerprint"
# What the fingerprint is the HMAC of (under the configured key): says nothing of the key.
FINGERPRINT_MESSAGE = b"leadflow suppression key"
# The intake fields (API names) a suppressed intake is reported on.
EMAIL_FIELD = "email"
PHONE_FIELD = "phone"
# Why a suppression was lifted (the audit entry's detail): like an erasure's reason.
LIFT_REASON_MAX = 500
# The user error of a suppressed intake, row or correction (never naming the value): on the
# email, and on a phone (which may be a switchboard: someone else can still be entered).
SUPPRESSED_MESSAGE = (
    "This person's data was erased at their request; they can only be entered again after "
    "an admin lifts the suppression (liftSuppression)."
)
SUPPRESSED_PHONE_MESSAGE = (
    "This phone number belongs to a person whose data was erased at their request; if this "
    "is someone else, enter their email address, or an admin lifts the suppression "
    "(liftSuppression)."
)

# The generated key once it is known to be committed (read without inserting it ourselves).
_cached_key: str | None = None
# Keys this process inserted: until another read shows them committed they are not cached,
# since the caller's transaction they were inserted in may still roll back (and another
# instance then generates its own).
_inserted_keys: set[str] = set()
_warned = False
# The configured key whose stored fingerprint this process has checked (read committed, as
# the generated key: a fingerprint this process inserted is read again until then).
_fingerprint_checked_for: str | None = None
_inserted_fingerprints: set[str] = set()
_key_change_reported = False


async def suppression_key() -> str:
    """The key new entries are made with: the configured key, else the instances' shared
    generated one (created by whichever instance needs it first: insert ignoring a conflict,
    then read back, so the first writer wins on both databases). May run inside the caller's
    transaction."""
    configured = config.current().suppression_key
    if configured:
        await _check_fingerprint(configured)
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


async def lookup_keys() -> list[str]:
    """Every key entries may have been made with, the current one first: with a configured
    key also the generated one, if one was stored before the key was set. Its entries stay
    valid: setting LEADFLOW_SUPPRESSION_KEY later, as the startup warning asks, must not
    silently let the people erased until then back."""
    current = await suppression_key()
    if not config.current().suppression_key:
        return [current]
    generated = await _stored_generated_key()
    return [current] if generated is None or generated == current else [current, generated]


async def _stored_generated_key() -> str | None:
    """The generated key if one exists (never creating one)."""
    global _cached_key
    if _cached_key is not None:
        return _cached_key
    stored = await ServerSecret.filter(name=KEY_NAME).values_list("value", flat=True)
    if not stored:
        return None
    key = str(stored[0])
    if key not in _inserted_keys:
        _cached_key = key
    return key


def fingerprint(key: str) -> str:
    """What is stored of the configured key, to recognise that it changed: HMAC(key, a fixed
    text), which tells nothing about the key."""
    return hmac.new(key.encode(), FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()


async def _check_fingerprint(key: str) -> None:
    """The first use of a configured key stores its fingerprint. Another key later, while
    entries exist, means those made with the old key no longer match (nothing can tell which
    key made an entry, and only the generated key is kept to look under): an ERROR in the log,
    once per process, asking to set the old key back. Without entries the new key simply
    takes the old one's place. Once checked, a process does not read it again."""
    global _fingerprint_checked_for
    if key == _fingerprint_checked_for:
        return
    mine = fingerprint(key)
    stored = await ServerSecret.filter(name=FINGERPRINT_NAME).values_list("value", flat=True)
    if not stored:
        _inserted_fingerprints.add(mine)
        await ServerSecret.bulk_create(
            [ServerSecret(name=FINGERPRINT_NAME, value=mine)], ignore_conflicts=True
        )
    elif str(stored[0]) == mine:
        if mine not in _inserted_fingerprints:
            _fingerprint_checked_for = key
    elif await Suppression.exists():
        _report_key_change()
        _fingerprint_checked_for = key
    else:
        _inserted_fingerprints.add(mine)
        await ServerSecret.filter(name=FINGERPRINT_NAME).update(value=mine)


def _report_key_change() -> None:
    global _key_change_reported
    if not _key_change_reported:
        _key_change_reported = True
        log.error(
            "LEADFLOW_SUPPRESSION_KEY changed: entries made with the old key no longer match; "
            "set it back"
        )


def forget_cached_key() -> None:
    """Drop the per-process copies of the keys and what was checked and reported (tests: a
    second "instance")."""
    global _cached_key, _warned, _fingerprint_checked_for, _key_change_reported
    _cached_key = None
    _inserted_keys.clear()
    _warned = False
    _fingerprint_checked_for = None
    _inserted_fingerprints.clear()
    _key_change_reported = False


def _warn_once() -> None:
    global _warned
    if not _warned:
        _warned = True
        log.warning(
            "The suppression list's key is generated and stored in the database, so a copy of "
            "the database alone can test guessed emails and phone numbers against the list; "
            "set LEADFLOW_SUPPRESSION_KEY in production (the generated key stays valid for "
            "the entries made with it)."
        )


def suppressed_message(field_name: str) -> str:
    """The SUPPRESSED message of a match on the field ("email" or "phone")."""
    return SUPPRESSED_PHONE_MESSAGE if field_name == PHONE_FIELD else SUPPRESSED_MESSAGE


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
    keys = await lookup_keys()
    checked: dict[int, tuple[SuppressionKind, set[str]]] = {}
    for index, intake in enumerate(intakes):
        email, phone = intake.get("email_key"), intake.get("phone_key")
        if email:
            checked[index] = (SuppressionKind.EMAIL, _digests(keys, SuppressionKind.EMAIL, email))
        elif phone and phone_key(phone):
            checked[index] = (SuppressionKind.PHONE, _digests(keys, SuppressionKind.PHONE, phone))
    if not checked:
        return {}
    found = await _existing(
        {(kind, value) for kind, values in checked.values() for value in values}
    )
    return {
        index: EMAIL_FIELD if kind is SuppressionKind.EMAIL else PHONE_FIELD
        for index, (kind, values) in checked.items()
        if any((kind, value) in found for value in values)
    }


def _digests(keys: Sequence[str], kind: SuppressionKind, value: str) -> set[str]:
    """The value's digests under every key an entry of it may have been made with."""
    return {digest(key, kind, value) for key in keys}


async def _lock_known_contacts(intakes: Sequence[Mapping[str, str | None]]) -> None:
    """Lock, in one query in id order (as `bulk_intake.ContactMatcher` takes its locks: no
    deadlock), the contacts an erasure of this person would hold: those with an intake's
    email, and for an intake without email, every contact with its phone (whatever its email:
    the erased person may have had one, and their phone entry suppresses phone-only intakes)."""
    # Values longer than a contact's column (a rejected row's) match no contact: left out, as
    # the filter would refuse them.
    emails = {
        email
        for intake in intakes
        if (email := intake.get("email_key")) and len(email) <= EMAIL_MAX
    }
    phones = {
        phone
        for intake in intakes
        if not intake.get("email_key") and (phone := intake.get("phone_key"))
        if len(phone) <= SHORT_MAX
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
    keys = await lookup_keys()
    conditions = [
        Q(kind=kind, digest__in=sorted(_digests(keys, kind, value))) for kind, value in values
    ]
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

"""The traces of an erased person outside the rows linked to their contact: the event outbox,
the webhook delivery log, the audit log, failed logins and the imports (rejected rows, the
stored file of a running import, an import's failure and file name). `erasure.py` blanks the
contact and the rows hanging on it, then calls `scrub` inside the same transaction.

Matching is by value, not by id, where no id links a row to the person (the audit log, import
rows), and only as a whole word ("Ali" is not in "Alina" or "Invalid"): a value shorter than
`MIN_MATCHED` characters (a postal code "1") would hit everything, so it is not matched. The
audit log is about everyone, so there only the identifying values are matched (emails, phones,
full names, companies: `ErasedPerson.identifying_values`). An import row is the person's by the
rule the suppression list and the contact matcher recognise a person by (`_is_persons_row`):
a namesake or a colleague at the same switchboard number is someone else.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from leadflow.db.enums import ImportIssueKind
from leadflow.db.models import (
    AuditEntry,
    IdempotencyKey,
    ImportIssue,
    ImportSource,
    LeadImport,
    LoginFailure,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
)
from leadflow.db.sql import json_text
from leadflow.errors import DomainError
from leadflow.global_ids import encode_id
from leadflow.services.csv_cells import restore
from leadflow.services.import_files import MAX_FIELD_CHARS, map_columns
from leadflow.services.validation import EMAIL_PATTERN, phone_key
from leadflow.services.webhooks import payloads

# What stands where a value was (the audit log, an import's failure, a rejected row's message).
ERASED_MARK = "[gelöscht]"
MIN_MATCHED = 3
# A phone is matched in the audit log only from this many digits on: a short number of its
# own ("112") is more likely an id than the person's phone.
MIN_PHONE_DIGITS = 6
# Keys of event payloads and webhook bodies that hold ids, times and names of things, never a
# person's words: kept even if a value happens to occur in them (an id's base64, say).
# The enum values among them ("DONE", "ACTIVE") would otherwise be hit by a short name ("Don").
_KEPT_KEYS = frozenset(
    {"id", "type", "timestamp", "topic", "fields", "change", "kind", "status", "outcome"}
    | {"closeReason", "stage", "previousStage", "channel"}
)


@dataclass(frozen=True, slots=True)
class ErasedPerson:
    """Who is erased: their rows by id, and what they were called by, to find them by. Every
    value is one the contact has or had (its correction history too: a value from before a
    correction names the person just as well), non-empty, distinct."""

    contact_id: int
    lead_ids: tuple[int, ...]
    opportunity_ids: tuple[int, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    companies: tuple[str, ...]
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    # Street, postal code and city (NOT the country alone: it names no one).
    address: tuple[str, ...]
    # (last name, first name) as the person was known at some time, case-folded; the first
    # name may be "" (a contact without one). What a row without an email is matched by,
    # together with the phone (as `bulk_intake.ContactMatcher` recognises a contact).
    name_pairs: frozenset[tuple[str, str]]

    @property
    def values(self) -> tuple[str, ...]:
        """Every personal value: names, companies, emails, phones, address."""
        every = (
            *self.first_names,
            *self.last_names,
            *self.companies,
            *self.emails,
            *self.phones,
            *self.address,
        )
        return tuple(dict.fromkeys(value for value in every if value.strip()))

    @property
    def email_keys(self) -> tuple[str, ...]:
        """The emails as intake compares them (lower-cased, the contacts' `email_key`)."""
        return tuple(dict.fromkeys(email.strip().lower() for email in self.emails if email))

    @property
    def phone_keys(self) -> tuple[str, ...]:
        """The phones as intake compares them (their digits, `validation.phone_key`)."""
        keys = (phone_key(phone) for phone in self.phones)
        return tuple(dict.fromkeys(key for key in keys if key))

    def matched_values(self) -> tuple[str, ...]:
        """The values searched for in texts about the person (their own rows' payloads, an
        import's failure, the erasure's reason): every value, as a whole word."""
        return _longest_first([*self.values, *self.email_keys, *self.phone_keys])

    def identifying_values(self) -> tuple[str, ...]:
        """The values searched for in the audit log, which is about everyone: only what
        identifies the person (their emails, phones also as a number of their own, full names
        "first last" and "last, first", companies), never a first name, a last name, a city or
        a postal code alone, which other people's entries share (a clerk "Ali" in the
        entry "Ali Schulz created")."""
        # A phone of fewer digits ("112", an extension "4711") is more likely an id or a
        # count in someone else's entry than the person's number.
        phones = [
            phone for phone in self.phones if len(phone_key(phone).lstrip("+")) >= MIN_PHONE_DIGITS
        ]
        keys = [phone_key(phone) for phone in phones]
        full_names = [
            name
            for last in self.last_names
            for first in self.first_names
            for name in (f"{first} {last}", f"{last}, {first}")
        ]
        return _longest_first(
            [
                *self.emails,
                *self.email_keys,
                *phones,
                *keys,
                *(key.lstrip("+") for key in keys),
                *full_names,
                *self.companies,
            ]
        )


def _longest_first(candidates: list[str]) -> tuple[str, ...]:
    """Each value once (case-insensitively), at least `MIN_MATCHED` long, longest first (so
    that "Anna Schmidt GmbH" is replaced whole before "Anna Schmidt")."""
    distinct = {value.strip().casefold(): value.strip() for value in candidates}
    kept = [value for key, value in distinct.items() if len(key) >= MIN_MATCHED]
    return tuple(sorted(kept, key=len, reverse=True))


async def scrub(person: ErasedPerson) -> None:
    """Remove the person's values from every trace outside their own rows. Runs inside the
    caller's transaction (the erasure's), so the person is gone everywhere or nowhere."""
    values = person.matched_values()
    await _scrub_outbox(person, values)
    await _scrub_webhook_deliveries(person, values)
    await _scrub_audit_log(person.identifying_values())
    await _scrub_login_failures(person)
    await scrub_imports(person, values)
    await _scrub_idempotency_responses(values)


def replace_values(text: str, values: tuple[str, ...]) -> str:
    """`text` with every occurrence of `values` as a whole word (any case) replaced by the
    erased mark; give `values` longest first (`ErasedPerson.matched_values` does), so that a
    longer value wins over one it contains."""
    if not values or not text:
        return text
    return _whole_words(values).sub(ERASED_MARK, text)


def _mentioning(column: str, values: tuple[str, ...]) -> Q:
    """Rows whose `column` contains any of `values`, in any case: the candidates, which the
    replacement in Python then decides on. `values` must not be empty (an OR of nothing
    would match every row)."""
    assert values, "no values to look for"
    return Q(*(Q(**{f"{column}__icontains": value}) for value in values), join_type=Q.OR)


def contains_value(text: str, values: tuple[str, ...]) -> bool:
    """Whether `text` holds one of `values` as a whole word (any case)."""
    return bool(values) and _whole_words(values).search(text) is not None


def _whole_words(values: tuple[str, ...]) -> re.Pattern[str]:
    """Any of `values`, not touching a word character (letter, digit, "_") on either side:
    "Ali" matches in "Ali Yilmaz" and "(Ali)", not in "Alina" or "Invalid"; "+49 511 123" not
    in "+49 511 1234"."""
    alternatives = "|".join(re.escape(value) for value in values)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


# --- The event outbox ------------------------------------------------------------------------


async def _scrub_outbox(person: ErasedPerson, values: tuple[str, ...]) -> None:
    """Events about the person keep their topic and ids (the live readers and the webhook
    fan-out still go by them); a payload entry that carries one of the values is dropped.
    Today's publishers write ids, enum values and field names only: this is the guard for
    one that would not."""
    about = Q(lead_id__in=person.lead_ids) if person.lead_ids else Q(id=-1)
    if person.opportunity_ids:
        about |= Q(opportunity_id__in=person.opportunity_ids)
    about |= Q(topic__startswith="contact.")
    events = await OutboxEvent.filter(about).only("id", "lead_id", "opportunity_id", "payload")
    for event in events:
        if not _is_about(event, person):
            continue
        cleaned = _without_values(event.payload, values)
        if cleaned != event.payload:
            await OutboxEvent.filter(id=event.id).update(payload=cleaned)


def _is_about(event: OutboxEvent, person: ErasedPerson) -> bool:
    if event.lead_id in person.lead_ids or event.opportunity_id in person.opportunity_ids:
        return True
    return event.payload.get("contactId") == person.contact_id


def _without_values(document: dict[str, object], values: tuple[str, ...]) -> dict[str, object]:
    """`document` without the entries whose value carries one of `values` (nested objects
    are cleaned the same way); the kept keys stay as they are."""
    cleaned: dict[str, object] = {}
    for key, value in document.items():
        if key in _KEPT_KEYS or key.endswith(("Id", "At")):
            cleaned[key] = value
        elif isinstance(value, dict):
            cleaned[key] = _without_values(value, values)
        elif not contains_value(json.dumps(value, ensure_ascii=False), values):
            cleaned[key] = value
    return cleaned


# --- The webhook delivery log ----------------------------------------------------------------


async def _scrub_webhook_deliveries(person: ErasedPerson, values: tuple[str, ...]) -> None:
    """Deliveries about the person: the body stays the same JSON (type, id, timestamp, the
    objects' ids) without any entry carrying a value, so a PENDING one still goes out (it is
    signed when sent, from the stored body) and carries nothing personal; the attempts'
    errors (which may quote a receiver's answer) are emptied."""
    deliveries = await _deliveries_about(person)
    for delivery_id, body in deliveries:
        cleaned = _cleaned_body(body, values)
        if cleaned != body:
            await WebhookDelivery.filter(id=delivery_id).update(body=cleaned)
    if deliveries:
        await (
            WebhookAttempt.filter(delivery_id__in=[delivery_id for delivery_id, _ in deliveries])
            .exclude(error="")
            .update(error="")
        )


async def _deliveries_about(person: ErasedPerson) -> list[tuple[int, str]]:
    """(id, body) of the deliveries of the person's leads (their `lead_id`), opportunities and
    contact events (their body's `data.id`; `icontains` only narrows: "Contact:8" is a prefix
    of "Contact:80" in base64 as well, the parsed id decides)."""
    object_ids = {encode_id("Contact", person.contact_id)}
    object_ids |= {encode_id("Opportunity", pk) for pk in person.opportunity_ids}
    named = Q(lead_id__in=person.lead_ids) if person.lead_ids else Q(id=-1)
    for object_id in object_ids:
        named |= Q(body__contains=object_id)
    rows = await WebhookDelivery.filter(named).values_list("id", "lead_id", "body")
    return [
        (int(delivery_id), str(body))
        for delivery_id, lead_id, body in rows
        if lead_id in person.lead_ids or payloads.data_id_of(str(body)) in object_ids
    ]


def _cleaned_body(body: str, values: tuple[str, ...]) -> str:
    try:
        document = json.loads(body)
    except ValueError:
        # Not ours (every body is built by payloads.py): nothing of it can be kept safely.
        return json.dumps({"data": {}}, separators=(",", ":"))
    if not isinstance(document, dict):
        return body
    cleaned = _without_values(document, values)
    if cleaned == document:
        return body  # the very bytes as built, not a re-serialisation
    return json.dumps(cleaned, separators=(",", ":"))


# --- The audit log ---------------------------------------------------------------------------


async def _scrub_audit_log(values: tuple[str, ...]) -> None:
    """Entries whose detail names one of the person's identifying values (a failed login with
    their email, a refusal quoting a search): the values are replaced by the erased mark, the
    rest of the entry (who, what, when, from where) stays, and other people's entries stay
    byte for byte. Candidates are found by the database (substrings), the replacement is done
    here (whole words, case-insensitively, longest value first)."""
    if not values:
        return
    entries = await AuditEntry.filter(_mentioning("detail", values)).only("id", "detail")
    changed = []
    for entry in entries:
        detail = replace_values(entry.detail, values)
        if detail != entry.detail:
            entry.detail = detail
            changed.append(entry)
    if changed:
        await AuditEntry.bulk_update(changed, fields=["detail"])


async def _scrub_login_failures(person: ErasedPerson) -> None:
    """Failed logins with the person's email (anyone may type it into the login form): the
    email becomes the erased mark; the rows stay until pruned, so the address's count of
    failures (the throttle) is unchanged."""
    if person.email_keys:
        await LoginFailure.filter(email__in=person.email_keys).update(email=ERASED_MARK)


# --- Imports ---------------------------------------------------------------------------------


async def scrub_imports(person: ErasedPerson, values: tuple[str, ...]) -> None:
    await _scrub_rejected_rows(person, values)
    await _scrub_import_files(person)
    await _scrub_import_failures(values)


@dataclass(frozen=True, slots=True)
class _RowShape:
    """Where an import's rows hold what a person is recognised by (column index, or None when
    it is not known: the file has no such column, or its header cannot be mapped any more,
    the explicit mapping being gone with the finished import's stored file)."""

    email: int | None
    phone: int | None
    last_name: int | None
    first_name: int | None

    @classmethod
    def of(cls, header: list[str], mapping: dict[str, str]) -> _RowShape:
        try:
            columns, _ = map_columns(tuple(header), mapping)
        except DomainError:
            return cls(None, None, None, None)
        by_field = {field: index for index, field in columns.items()}
        return cls(
            by_field.get("email"),
            by_field.get("phone"),
            by_field.get("last_name"),
            by_field.get("first_name"),
        )


def _is_persons_row(cells: list[str], shape: _RowShape, person: ErasedPerson) -> bool:
    """Whether a file row is the person's, by the rule the suppression list and the contact
    matcher recognise a person by: its email (any case) is one of theirs; or it has no valid
    email, and its phone's digits (`validation.phone_key`) and its last and first name are
    theirs. A colleague at the same switchboard number, or a namesake, is someone else. A
    column whose place is not known is looked for in every cell."""
    emails = [
        email for email in _cells(cells, shape.email, fold=str.lower) if EMAIL_PATTERN.match(email)
    ]
    if emails:
        return any(email in person.email_keys for email in emails)
    phones = {phone_key(cell) for cell in _cells(cells, shape.phone)}
    if not phones & set(person.phone_keys):
        return False
    lasts = set(_cells(cells, shape.last_name, fold=str.casefold)) - {""}
    firsts = set(_cells(cells, shape.first_name, fold=str.casefold))
    if shape.first_name is None:
        firsts.add("")  # a person without a first name, in a file whose names are not placed
    return any((last, first) in person.name_pairs for last in lasts for first in firsts)


def _cells(
    cells: list[str], index: int | None, *, fold: Callable[[str], str] = str.strip
) -> list[str]:
    """The cell at `index` (stripped and folded; "" past the row's end), or every cell when
    the column's place is not known."""
    if index is None:
        return [fold(cell.strip()) for cell in cells]
    return [fold(cells[index].strip()) if index < len(cells) else ""]


async def _scrub_rejected_rows(person: ErasedPerson, values: tuple[str, ...]) -> None:
    """The person's rejected rows (`persons_rejected_rows`; the rejected-rows file is written
    from them) keep their row number, field and code; their values are emptied, and their
    message too (the erased mark) when it quotes one of the values or of the row's cells (a
    mistyped email is theirs as well)."""
    changed = await persons_rejected_rows(person)
    for issue in changed:
        row_values = tuple(v for v in issue.values if len(v.strip()) >= MIN_MATCHED)
        if contains_value(issue.message, values + row_values):
            issue.message = ERASED_MARK
        issue.values = []
    if changed:
        await ImportIssue.bulk_update(
            changed, fields=["values", "message"], batch_size=_ISSUE_BATCH
        )


async def persons_rejected_rows(person: ErasedPerson) -> list[ImportIssue]:
    """The person's rejected import rows, values intact (`_is_persons_row`): the erasure
    empties them, the export (Art. 15) lists them. Stored JSON cannot be searched alike on
    both databases through the ORM, so every rejected row with values is read, `_ISSUE_BATCH`
    at a time, with the headers and mappings of each batch's new imports in two statements:
    about 3 statements per 1,000 rejected rows in the database, however many are theirs."""
    found: list[ImportIssue] = []
    shapes: dict[int, _RowShape] = {}
    candidates = _rows_mentioning(person)
    after = 0
    while True:
        batch = list(
            await candidates.filter(id__gt=after)
            .order_by("id")
            .limit(_ISSUE_BATCH)
            .only("id", "lead_import_id", "row_number", "field", "code", "message", "values")
        )
        with_values = [issue for issue in batch if issue.values]
        new_imports = {issue.lead_import_id for issue in with_values} - shapes.keys()
        shapes.update(await _shapes_of(new_imports))
        found += [
            issue
            for issue in with_values
            if _is_persons_row(list(issue.values), shapes[issue.lead_import_id], person)
        ]
        if len(batch) < _ISSUE_BATCH:
            return found
        after = batch[-1].id


_ISSUE_BATCH = 1_000


def _rows_mentioning(person: ErasedPerson) -> QuerySet[ImportIssue]:
    """The rejected rows that may be the person's, narrowed in the database: every row of
    theirs holds one of their emails or one of their last names (`_is_persons_row`), so its
    stored values' text holds an ASCII part of one (JSON on SQLite escapes the rest); the
    rule itself is then applied in Python. Without an ASCII part to look for (a name in
    another script), every rejected row is read."""
    rejected = ImportIssue.filter(kind=ImportIssueKind.REJECTED)
    needles = [_ascii_part(value) for value in (*person.email_keys, *person.last_names)]
    if not needles or not all(needles):
        return rejected
    mentioning = Q(*(Q(values_text__icontains=needle) for needle in needles), join_type="OR")
    return rejected.annotate(values_text=json_text("values")).filter(mentioning)


def _ascii_part(value: str) -> str:
    """The longest run of characters JSON stores as they are on both databases (printable
    ASCII but the quote and the backslash), "" when there is none."""
    runs = re.findall(r"[ !#-\[\]-~]+", value.strip())
    return max(runs, key=len, default="")


async def _shapes_of(lead_import_ids: set[int]) -> dict[int, _RowShape]:
    """The row shapes of these imports (their header, and the mapping of a web import's
    stored file while it runs): two statements, whatever their number."""
    if not lead_import_ids:
        return {}
    headers = await LeadImport.filter(id__in=lead_import_ids).values_list("id", "header")
    mappings = dict(
        await ImportSource.filter(lead_import_id__in=lead_import_ids).values_list(
            "lead_import_id", "mapping"
        )
    )
    return {
        int(pk): _RowShape.of(list(header or []), dict(mappings.get(pk) or {}))
        for pk, header in headers
    }


async def _scrub_import_files(person: ErasedPerson) -> None:
    """The stored file of each unfinished web import (kept for a resume on another instance):
    the cells of the person's rows are blanked in place, the row count unchanged (a resume
    goes on after the last committed row number). The import's digest becomes the new
    file's, which the resume computes from it (records.start_or_resume goes by the digest)."""
    sources = await ImportSource.all().only("id", "lead_import_id", "content", "mapping")
    for source in sources:
        lead_import = await LeadImport.get(id=source.lead_import_id).only("id", "separator")
        content = _blanked_file(bytes(source.content), lead_import.separator, source, person)
        if content is None:
            continue
        await ImportSource.filter(id=source.id).update(content=content)
        await LeadImport.filter(id=lead_import.id).update(
            file_digest=hashlib.sha256(content).hexdigest()
        )


def _blanked_file(
    content: bytes, separator: str, source: ImportSource, person: ErasedPerson
) -> bytes | None:
    """The file with the person's rows' cells emptied, in its encoding and separator; None
    when no row is theirs (the file stays byte for byte)."""
    encoding = _encoding(content)
    if encoding is None:
        return None
    csv.field_size_limit(MAX_FIELD_CHARS)
    text = content.decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    if not rows:
        return None
    header = [restore(cell).strip() for cell in rows[0]]
    shape = _RowShape.of(header, dict(source.mapping))
    blanked = False
    for number, cells in enumerate(rows[1:], start=1):
        if _is_persons_row([restore(cell) for cell in cells], shape, person):
            rows[number] = ["" for _ in cells]
            blanked = True
    if not blanked:
        return None
    target = io.StringIO(newline="")
    line_end = "\r\n" if "\r\n" in text else "\n"
    csv.writer(target, delimiter=separator, lineterminator=line_end).writerows(rows)
    return target.getvalue().encode(encoding)


def _encoding(content: bytes) -> str | None:
    """As import_files reads a file: a BOM decides, else UTF-8, else Windows-1252."""
    if content.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        try:
            content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


async def _scrub_import_failures(values: tuple[str, ...]) -> None:
    """An import's failure reason may quote a row ("... at row 7: 'anna@...'"), and its file
    may be named after the person ("Anna Schmidt.csv"): the values become the erased mark."""
    if not values:
        return
    mentions = _mentioning("failure", values) | _mentioning("file_name", values)
    for lead_import in await LeadImport.filter(mentions).only("id", "failure", "file_name"):
        failure = replace_values(lead_import.failure, values)
        file_name = replace_values(lead_import.file_name, values)
        if (failure, file_name) != (lead_import.failure, lead_import.file_name):
            await LeadImport.filter(id=lead_import.id).update(failure=failure, file_name=file_name)


# --- Stored mutation responses (issue 16) ----------------------------------------------------


async def _scrub_idempotency_responses(values: tuple[str, ...]) -> None:
    """Responses kept for replaying a retried mutation (services/idempotency.py, a day at most)
    that name the person: every value becomes the erased mark in the JSON's texts, ids, times
    and enum values kept (`_KEPT_KEYS`). A response lists many people (createLeads); a
    namesake's first name there is blanked too: a replay shows less, never the person."""
    if not values:
        return
    rows = await IdempotencyKey.filter(_mentioning("response", values)).only("id", "response")
    for row in rows:
        try:
            document = json.loads(row.response)
        except ValueError:
            continue  # not stored by us: nothing else writes the table
        cleaned = _replaced_in(document, values)
        if cleaned != document:
            text = json.dumps(cleaned, ensure_ascii=False, separators=(",", ":"))
            await IdempotencyKey.filter(id=row.id).update(response=text)


def _replaced_in(document: object, values: tuple[str, ...], key: str = "") -> object:
    if isinstance(document, dict):
        return {name: _replaced_in(value, values, name) for name, value in document.items()}
    if isinstance(document, list):
        return [_replaced_in(value, values, key) for value in document]
    if isinstance(document, str) and not (key in _KEPT_KEYS or key.endswith(("Id", "At"))):
        return replace_values(document, values)
    return document

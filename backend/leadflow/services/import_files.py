"""Reading lead files: encoding, separator and the mapping of header names to contact fields.

Pure file handling, no database: the import service (services/imports/) feeds the rows this
module yields through the same validation as `createLeads`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from leadflow.errors import DomainError, ErrorCode
from leadflow.services.csv_cells import restore

# The contact fields a column can fill, with the header names (German and English, as Excel
# users and scanner exports write them) that map to each. Compared after `_header_key`.
CONTACT_FIELDS: dict[str, tuple[str, ...]] = {
    "salutation": ("anrede", "salutation", "title", "titel"),
    "first_name": ("vorname", "firstname", "givenname", "forename"),
    "last_name": ("nachname", "lastname", "surname", "familyname", "familienname", "zuname"),
    "company": ("firma", "company", "unternehmen", "organisation", "organization", "companyname"),
    "email": ("email", "emailadresse", "emailaddress", "mail", "mailadresse"),
    "phone": ("telefon", "phone", "tel", "telefonnummer", "phonenumber", "telephone"),
    "street": ("strasse", "street", "adresse", "address", "streetaddress", "anschrift"),
    "postal_code": ("plz", "postleitzahl", "postalcode", "zip", "zipcode", "postcode"),
    "city": ("ort", "stadt", "city", "town", "wohnort"),
    "country": ("land", "country", "staat"),
}
# The API's names of the fields, used in error reports so a row's errors read like createLeads'.
FIELD_LABELS = {
    "salutation": "salutation",
    "first_name": "firstName",
    "last_name": "lastName",
    "company": "company",
    "email": "email",
    "phone": "phone",
    "street": "street",
    "postal_code": "postalCode",
    "city": "city",
    "country": "country",
}
_ALIASES = {alias: field for field, aliases in CONTACT_FIELDS.items() for alias in aliases}
# The columns a rejected-rows file adds after the file's own (services/imports/
# `write_rejected_rows`): the row's number and its reasons, Row and Error or Zeile and Fehler.
# Ignored without a word when a fixed file is imported again, unless mapped explicitly.
_REJECTS_KEYS = frozenset(("row", "zeile", "error", "fehler"))
# Header names that tell a file's language (compared after `_header_key`); names both languages
# use ("E-Mail", "Tel", "Organisation") tell nothing.
_HEADER_WORDS = {
    "de": frozenset(
        (
            *("anrede", "titel", "vorname", "nachname", "familienname", "zuname", "firma"),
            *("unternehmen", "emailadresse", "mailadresse", "telefon", "telefonnummer"),
            *("strasse", "adresse", "anschrift", "plz", "postleitzahl", "ort", "stadt"),
            *("wohnort", "land", "staat", "zeile", "fehler"),
        )
    ),
    "en": frozenset(
        (
            *("salutation", "title", "firstname", "givenname", "forename", "lastname"),
            *("surname", "familyname", "company", "companyname", "organization"),
            *("emailaddress", "phone", "phonenumber", "telephone", "street", "address"),
            *("streetaddress", "postalcode", "zip", "zipcode", "postcode", "city", "town"),
            *("country", "row", "error"),
        )
    ),
}
SEPARATORS = (";", ",", "\t")
# A header line longer than this is not a lead file (and reading further would be unbounded).
MAX_HEADER_BYTES = 64 * 1024
MAX_FIELD_CHARS = 100_000
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class FileLayout:
    """How a file is to be read: found once, before any row is imported."""

    encoding: str
    separator: str
    header: tuple[str, ...]
    # Column index -> contact field, for the columns that are imported.
    columns: dict[int, str]
    unknown_columns: tuple[str, ...]
    digest: str
    estimated_rows: int


@dataclass(frozen=True, slots=True)
class FileRow:
    """One data row: its number as a spreadsheet shows it (the header is row 1) and the raw
    values by header position."""

    number: int
    values: tuple[str, ...]


def inspect_file(path: Path, mapping: Mapping[str, str] | None = None) -> FileLayout:
    """Find encoding, separator and columns; refuse a file that cannot be imported with a
    clear reason. `mapping` maps header names to contact fields (or to "" to ignore a
    column) where the automatic mapping is not wanted."""
    digest, encoding, line_count = _scan(path)
    header_line = _first_line(path, encoding)
    separator = _separator(header_line)
    cells = next(csv.reader([header_line], delimiter=separator))
    header = tuple(restore(cell).strip() for cell in cells)
    columns, unknown = map_columns(header, mapping or {})
    return FileLayout(
        encoding=encoding,
        separator=separator,
        header=header,
        columns=columns,
        unknown_columns=unknown,
        digest=digest,
        estimated_rows=max(line_count - 1, 0),
    )


def read_rows(path: Path, layout: FileLayout) -> Iterator[FileRow]:
    """The data rows, streamed: only one row is in memory at a time. The apostrophes our own
    files put before formula starts (`csv_cells`) are removed: a rejected-rows file or an
    export imports again to the values it was written from."""
    csv.field_size_limit(MAX_FIELD_CHARS)
    with path.open(encoding=layout.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=layout.separator)
        next(reader, None)  # the header
        for number, values in enumerate(reader, start=2):
            yield FileRow(number=number, values=tuple(restore(value) for value in values))


def preview_rows(path: Path, layout: FileLayout, count: int) -> list[FileRow]:
    """The first `count` data rows, as read, for a preview before importing."""
    rows: list[FileRow] = []
    for row in read_rows(path, layout):
        if len(rows) == count:
            break
        rows.append(row)
    return rows


def map_columns(
    header: tuple[str, ...], mapping: Mapping[str, str]
) -> tuple[dict[int, str], tuple[str, ...]]:
    """Column index -> contact field. Unknown names are returned, never guessed (the columns a
    rejected-rows file adds are not unknown: they are left out silently)."""
    explicit = {_header_key(name): _field_name(field) for name, field in mapping.items()}
    columns: dict[int, str] = {}
    unknown: list[str] = []
    for index, name in enumerate(header):
        key = _header_key(name)
        field = explicit[key] if key in explicit else _ALIASES.get(key)
        if field:
            columns[index] = field
        elif key not in explicit and name and key not in _REJECTS_KEYS:
            unknown.append(name)
    _require_usable_columns(header, columns)
    return columns, tuple(unknown)


def header_language(header: Iterable[str]) -> str | None:
    """The language a file's header is written in ("de" or "en"), by the known column names
    of each; None when neither has more (no known name, or as many of each)."""
    keys = [_header_key(name) for name in header]
    counts = {
        language: sum(key in words for key in keys) for language, words in _HEADER_WORDS.items()
    }
    if counts["de"] == counts["en"]:
        return None
    return "de" if counts["de"] > counts["en"] else "en"


def is_rejects_column(name: str) -> bool:
    """Whether a header name is one of the columns a rejected-rows file adds (Row/Zeile,
    Error/Fehler)."""
    return _header_key(name) in _REJECTS_KEYS


def _field_name(name: str) -> str:
    """A mapping's target, as the API names it ("firstName") or as the command line does
    ("first_name"); "" ignores the column."""
    name = name.strip()
    if not name or name in CONTACT_FIELDS:
        return name
    by_label = {label.casefold(): field for field, label in FIELD_LABELS.items()}
    if name.casefold() in by_label:
        return by_label[name.casefold()]
    raise DomainError(
        ErrorCode.INVALID,
        f"{name!r} is not a contact field; use one of {', '.join(FIELD_LABELS.values())}.",
        ["mapping"],
    )


def _require_usable_columns(header: tuple[str, ...], columns: dict[int, str]) -> None:
    seen: dict[str, int] = {}
    for index, field in columns.items():
        if field in seen:
            raise DomainError(
                ErrorCode.INVALID,
                f"Columns {header[seen[field]]!r} and {header[index]!r} both map to "
                f"{FIELD_LABELS[field]}; remove one or map it explicitly.",
                ["header"],
            )
        seen[field] = index
    if "last_name" not in seen:
        raise DomainError(
            ErrorCode.REQUIRED,
            "The file has no column for the last name (Nachname / Last name).",
            ["header"],
        )
    if "email" not in seen and "phone" not in seen:
        raise DomainError(
            ErrorCode.REQUIRED,
            "The file has neither an email (E-Mail) nor a phone (Telefon) column: "
            "a lead needs one to be contacted.",
            ["header"],
        )


def _header_key(name: str) -> str:
    """'E-Mail', 'e_mail ', 'Straße' and 'STRASSE' compare alike."""
    folded = name.strip().lstrip("\ufeff").casefold().replace("ß", "ss")
    return re.sub(r"[\s_\-./]+", "", folded)


def _scan(path: Path) -> tuple[str, str, int]:
    """One pass over the bytes: digest, line count, and whether the text is UTF-8 (a BOM
    decides at once); otherwise Windows-1252, which Excel writes on German Windows."""
    digest = hashlib.sha256()
    lines = 0
    utf8 = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    with path.open("rb") as handle:
        first = handle.read(_CHUNK)
        if not first.strip():
            raise DomainError(ErrorCode.REQUIRED, "The file is empty.", ["file"])
        bom_encoding = _bom_encoding(first)
        chunk = first
        while chunk:
            digest.update(chunk)
            lines += chunk.count(b"\n")
            if is_utf8 and bom_encoding is None:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
            chunk = handle.read(_CHUNK)
    if bom_encoding:
        return digest.hexdigest(), bom_encoding, lines
    if is_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    if is_utf8:
        return digest.hexdigest(), "utf-8", lines
    _require_cp1252(path)
    return digest.hexdigest(), "cp1252", lines


def _bom_encoding(start: bytes) -> str | None:
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _require_cp1252(path: Path) -> None:
    decoder = codecs.getincrementaldecoder("cp1252")()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                raise DomainError(
                    ErrorCode.INVALID,
                    "The file is neither UTF-8 nor Windows-1252 text; save it from Excel as "
                    "'CSV UTF-8'.",
                    ["file"],
                ) from None


def _first_line(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, newline="") as handle:
        line = handle.readline(MAX_HEADER_BYTES)
    if not line.endswith(("\n", "\r")) and len(line) >= MAX_HEADER_BYTES:
        raise DomainError(ErrorCode.TOO_LONG, "The header line is too long.", ["file"])
    line = line.rstrip("\r\n")
    if not line.strip():
        raise DomainError(ErrorCode.REQUIRED, "The first line must name the columns.", ["file"])
    return line


def _separator(header_line: str) -> str:
    """The separator that splits the header into the most columns (outside quotes)."""
    counts = {
        separator: len(next(csv.reader([header_line], delimiter=separator)))
        for separator in SEPARATORS
    }
    best = max(SEPARATORS, key=lambda separator: counts[separator])
    if counts[best] < 2:
        raise DomainError(
            ErrorCode.INVALID,
            "The header has a single column: separate columns with ';' or ','.",
            ["file"],
        )
    return best

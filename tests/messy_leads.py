"""A messy lead file as trade-fair scanners and Excel write it, with the exact report its import
must give, kept from the generator's own bookkeeping (never computed by the import code).

    variant = FileVariant(separator=";", encoding="cp1252", language="de")
    expected = write_messy_leads(path, rows=10_000, seed=7, variant=variant)

Each row is made to be one thing (a new contact, a duplicate of an earlier row, a row rejected
for a known reason, an empty row), and the generator notes what it made. Identities are kept
unique by construction (a running number in every email and phone-only phone), so a row is a
duplicate only when the generator copied it on purpose. Values never contain line breaks:
row N of the report is line N of the file, the header being row 1.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

SEPARATORS = (";", ",")
# "utf-8-sig" is UTF-8 with a byte order mark, as Excel's "CSV UTF-8" writes it; "cp1252" is
# what Excel writes on a German Windows.
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
LANGUAGES = ("de", "en")

# Contact field -> German header, English header, and the field's name as the import reports
# it (in mapped columns and in the reasons of rejected rows).
COLUMNS: dict[str, tuple[str, str, str]] = {
    "first_name": ("Vorname", "First name", "firstName"),
    "last_name": ("Nachname", "Last name", "lastName"),
    "company": ("Firma", "Company", "company"),
    "email": ("E-Mail", "Email", "email"),
    "phone": ("Telefon", "Phone", "phone"),
    "street": ("Straße", "Street", "street"),
    "postal_code": ("PLZ", "Postal code", "postalCode"),
    "city": ("Ort", "City", "city"),
    "country": ("Land", "Country", "country"),
}
# Columns the import does not know: the scanner's time stamp and the booth staff's note.
SCANNED_AT = "scanned_at"
NOTE = "note"
UNKNOWN_COLUMNS = {SCANNED_AT: ("Gescannt am", "Scanned at"), NOTE: ("Notiz", "Note")}
CONTACT_FIELDS = tuple(COLUMNS)

# Every value can be written in Windows-1252 (the writer fails loudly otherwise).
FIRST_NAMES = (
    "Anna", "Jürgen", "Björn", "Özlem", "Sören", "Käthe", "Zoë", "René", "François", "Lukas",
    "Mia", "Jonas", "Léa", "Ines", "Hans-Peter", "Anna-Lena", "Ümit", "Åsa",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Schäfer", "Groß", "Weiß", "Köhler", "Jäger", "Krüger", "Böhm", "Öztürk",
    "Straßburger", "Dürr", "Lefèvre", "García", "Schmidt", "Meyer", "von Bülow", "O'Neill",
    "Nuñez", "Åström", "Fuß",
)  # fmt: skip
COMPANIES = (
    "Müller & Söhne GmbH", "Schmidt, Meyer & Co. KG", 'Bäckerei "Zum Korn"', "Weiß; Partner",
    '"Die Grünen Gärtner" e.V.', "Nordlicht AG", "Groß- und Außenhandel Jäger", "Café Crème",
    "Öko-Strom, Süd", "", "", "Élan S.à r.l.", "Krüger IT-Service", "Fa. Dürr; Zweigstelle Nord",
)  # fmt: skip
# Values without separators or quotes, for rows written by hand without quoting.
PLAIN_COMPANIES = ("Nordlicht AG", "Krüger IT-Service", "Café Crème", "Hansa Logistik")
STREETS = (
    "Hauptstraße 12", "Königsallee 5a", "Am Mühlbach 3", "Schloßstraße 7", "Rue de l'Église 4",
    "Lindenweg 1, Hinterhaus", "Marktplatz 2; 3. OG", "", "Bahnhofstr. 101",
)  # fmt: skip
PLAIN_STREETS = ("Hauptstraße 12", "Am Mühlbach 3", "Rue de l'Église 4", "")
CITIES = ("München", "Köln", "Düsseldorf", "Lübeck", "Nürnberg", "Görlitz", "Zürich", "Wien", "")
COUNTRIES = {
    "de": ("Deutschland", "Österreich", "Schweiz", "DE", ""),
    "en": ("Germany", "Austria", "Switzerland", "DE", ""),
}
NOTES = (
    "Rückruf erwünscht", 'Interesse an "Premium"', "Katalog; Preisliste", "Rabatt 10 %, Angebot",
    "Preise in € gewünscht", "", "", "", "Kam mit Hrn. Groß \u2013 Stand B12",
)  # fmt: skip
PLAIN_NOTES = ("Rückruf erwünscht", "Preise in € gewünscht", "")
DOMAINS = ("example.de", "example.com", "beispiel.de", "müller-söhne.de", "example.org")
BAD_EMAILS = (
    "{local}(at){domain}", "{local}@example", "{local} @{domain}", "{local}@@{domain}",
    "@{domain}", "{local}.{domain}", "{local}@{domain}; vertrieb@{domain}", "Tel. 0171 2345678",
    "{local}@{domain} (privat)",
)  # fmt: skip
# What a scanner writes for a missing number: no digits, so no way to call.
NO_PHONES = ("", "  ", "n/a", "-", "k.A.", "+")
TOO_LONG_POSTAL_CODES = ("D-10115 Berlin, Postfach 12 34", "Postfach 10 01 23, 80331 München")
AREA_CODES = ("30", "40", "89", "221", "211", "171", "151", "3581")

# What each row is made to be, with its share per 1,000 rows.
KIND_WEIGHTS = {
    "new_with_email": 765,
    "new_phone_only": 50,
    "exact_duplicate": 30,
    "email_case_duplicate": 30,
    "phone_only_repeat": 25,
    "bad_email": 25,
    "missing_last_name": 20,
    "bad_email_and_no_last_name": 5,
    "no_email_no_phone": 15,
    "postal_code_too_long": 5,
    "unquoted_separator": 5,
    "empty": 20,
    "rejected_again": 5,
}
KINDS, WEIGHTS = tuple(KIND_WEIGHTS), tuple(KIND_WEIGHTS.values())

Identity = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FileVariant:
    separator: str
    encoding: str
    language: str

    @property
    def label(self) -> str:
        separator = {";": "semicolon", ",": "comma"}[self.separator]
        return f"{separator}-{self.encoding}-{self.language}"


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row the import must reject: its values as read, and why: the field of each error
    ("" when the row itself is malformed) with the error's code."""

    values: tuple[str, ...]
    reasons: dict[str, str]

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(self.reasons)


@dataclass(slots=True)
class ExpectedImport:
    """What importing the file into an empty database must report, row by row."""

    variant: FileVariant
    header: tuple[str, ...]
    # Header name -> the contact field it fills (as the import names it).
    mapped_columns: dict[str, str]
    unknown_columns: tuple[str, ...]
    rows_read: int = 0
    # Row -> the contact the row creates, as stored (CONTACT_FIELDS, trimmed; email None if
    # empty). In row order, which is the order the contacts are created in.
    created: dict[int, tuple[str | None, ...]] = field(default_factory=dict)
    # Row -> the row that first named the same contact.
    duplicate_of: dict[int, int] = field(default_factory=dict)
    rejected: dict[int, RejectedRow] = field(default_factory=dict)
    empty: set[int] = field(default_factory=set)

    @property
    def leads_created(self) -> int:
        return len(self.created)

    @property
    def column_indexes(self) -> dict[str, int]:
        """Contact field -> its column in the file."""
        api_names = {api_name: name for name, (_, _, api_name) in COLUMNS.items()}
        return {
            api_names[api_name]: self.header.index(header)
            for header, api_name in self.mapped_columns.items()
        }

    @property
    def rejected_rows(self) -> set[int]:
        return set(self.rejected)

    @property
    def counts(self) -> dict[str, int]:
        """The report's counts, named like the import's; no contact is known beforehand."""
        return {
            "rows_processed": self.rows_read,
            "leads_created": len(self.created),
            "contacts_reused": 0,
            "duplicates_skipped": len(self.duplicate_of),
            "rows_rejected": len(self.rejected),
            "empty_rows": len(self.empty),
        }


@dataclass(frozen=True, slots=True)
class _Line:
    """One data line: its cells, and whether they are written as they are (without quoting,
    so that a separator inside a value splits it, as a careless export does)."""

    cells: tuple[str, ...]
    unquoted: bool = False

    def values_as_read(self, separator: str) -> tuple[str, ...]:
        if not self.unquoted:
            return self.cells
        return tuple(separator.join(self.cells).split(separator)) if self.cells else ()


@dataclass(slots=True)
class _Person:
    """A contact as one row names it: field -> cell value (untrimmed)."""

    cells: dict[str, str]
    # A contact without email: the digits of its number (always written with a "+"), which
    # identify it together with its name.
    phone_digits: str = ""

    def identity(self) -> Identity:
        email = self.cells.get("email", "").strip()
        if email:
            return ("email", email.lower())
        return (
            "phone",
            f"+{self.phone_digits}",
            self.cells["last_name"].strip().casefold(),
            self.cells.get("first_name", "").strip().casefold(),
        )

    def stored(self) -> tuple[str | None, ...]:
        values = [self.cells.get(name, "").strip() for name in CONTACT_FIELDS]
        email_index = CONTACT_FIELDS.index("email")
        values[email_index] = values[email_index] or None
        return tuple(values)


class _Generator:
    """Makes the rows one at a time and keeps the books on what each must become."""

    def __init__(self, rng: random.Random, variant: FileVariant, expected: ExpectedImport):
        self.rng = rng
        self.variant = variant
        self.expected = expected
        self.order = _column_order(expected)
        self.serial = 0
        self.first_row_of: dict[Identity, int] = {}
        self.created_lines: list[tuple[_Line, Identity]] = []
        self.email_people: list[tuple[_Person, Identity]] = []
        self.phone_people: list[tuple[_Person, Identity]] = []
        self.rejected_lines: list[tuple[_Line, dict[str, str]]] = []
        self.makers = {
            "new_with_email": self._new_with_email,
            "new_phone_only": self._new_phone_only,
            "exact_duplicate": self._exact_duplicate,
            "email_case_duplicate": self._email_case_duplicate,
            "phone_only_repeat": self._phone_only_repeat,
            "bad_email": self._bad_email,
            "missing_last_name": self._missing_last_name,
            "bad_email_and_no_last_name": self._bad_email_and_no_last_name,
            "no_email_no_phone": self._no_email_no_phone,
            "postal_code_too_long": self._postal_code_too_long,
            "unquoted_separator": self._unquoted_separator,
            "empty": self._empty,
            "rejected_again": self._rejected_again,
        }

    # --- Rows -----------------------------------------------------------------------------

    def line(self, row: int) -> _Line:
        kind = self.rng.choices(KINDS, weights=WEIGHTS)[0]
        return self.makers[kind](row)

    def _new_with_email(self, row: int) -> _Line:
        return self._created(row, self._person())

    def _new_phone_only(self, row: int) -> _Line:
        return self._created(row, self._phone_only_person())

    def _exact_duplicate(self, row: int) -> _Line:
        if not self.created_lines:
            return self._new_with_email(row)
        line, identity = self.rng.choice(self.created_lines)
        return self._duplicate(row, line, identity)

    def _email_case_duplicate(self, row: int) -> _Line:
        if not self.email_people:
            return self._new_with_email(row)
        person, identity = self.rng.choice(self.email_people)
        cells = {**person.cells, "email": person.cells["email"].swapcase()}
        return self._duplicate(row, self._line_of(cells), identity)

    def _phone_only_repeat(self, row: int) -> _Line:
        """The same number and name, written differently (or not): the same contact."""
        if not self.phone_people:
            return self._new_phone_only(row)
        person, identity = self.rng.choice(self.phone_people)
        cells = dict(person.cells)
        if self.rng.random() < 0.6:
            recase = self.rng.choice((str.upper, str.lower, str.swapcase))
            cells["last_name"] = recase(cells["last_name"])
            cells["first_name"] = recase(cells.get("first_name", ""))
            cells["phone"] = _phone_format(self.rng, person.phone_digits)
        return self._duplicate(row, self._line_of(cells), identity)

    def _bad_email(self, row: int) -> _Line:
        person = self._person()
        person.cells["email"] = self._bad_email_value(person)
        return self._rejected(row, self._line_of(person.cells), {"email": "INVALID"})

    def _missing_last_name(self, row: int) -> _Line:
        person = self._person()
        person.cells["last_name"] = self.rng.choice(("", "  "))
        return self._rejected(row, self._line_of(person.cells), {"lastName": "REQUIRED"})

    def _bad_email_and_no_last_name(self, row: int) -> _Line:
        person = self._person()
        person.cells["email"] = self._bad_email_value(person)
        person.cells["last_name"] = ""
        reasons = {"lastName": "REQUIRED", "email": "INVALID"}
        return self._rejected(row, self._line_of(person.cells), reasons)

    def _no_email_no_phone(self, row: int) -> _Line:
        person = self._person()
        person.cells["email"] = self.rng.choice(("", " "))
        person.cells["phone"] = self.rng.choice(NO_PHONES)
        # Neither email nor phone: reported on the email, as createLeads does.
        return self._rejected(row, self._line_of(person.cells), {"email": "REQUIRED"})

    def _postal_code_too_long(self, row: int) -> _Line:
        person = self._person()
        person.cells["postal_code"] = self.rng.choice(TOO_LONG_POSTAL_CODES)
        return self._rejected(row, self._line_of(person.cells), {"postalCode": "TOO_LONG"})

    def _unquoted_separator(self, row: int) -> _Line:
        """A separator inside an unquoted value: one field too many."""
        person = self._person(plain=True)
        person.cells["company"] = f"{self.rng.choice(PLAIN_COMPANIES)}{self.variant.separator} Nord"
        line = _Line(self._cells(person.cells), unquoted=True)
        return self._rejected(row, line, {"": "TOO_MANY_FIELDS"})

    def _empty(self, row: int) -> _Line:
        """A blank line, a line of separators, or one of separators and spaces."""
        width = len(self.order)
        blanks = tuple(self.rng.choice(("", " ", "  ")) for _ in range(width))
        self.expected.empty.add(row)
        return _Line(self.rng.choice(((), ("",) * width, blanks)))

    def _rejected_again(self, row: int) -> _Line:
        if not self.rejected_lines:
            return self._bad_email(row)
        line, reasons = self.rng.choice(self.rejected_lines)
        return self._rejected(row, line, dict(reasons))

    # --- Bookkeeping ----------------------------------------------------------------------

    def _created(self, row: int, person: _Person) -> _Line:
        identity = person.identity()
        assert identity not in self.first_row_of, f"row {row}: {identity} is not new"
        line = self._line_of(person.cells, trim=self.rng.random() < 0.05)
        self.first_row_of[identity] = row
        self.expected.created[row] = person.stored()
        self.created_lines.append((line, identity))
        people = self.email_people if identity[0] == "email" else self.phone_people
        people.append((person, identity))
        return line

    def _duplicate(self, row: int, line: _Line, identity: Identity) -> _Line:
        self.expected.duplicate_of[row] = self.first_row_of[identity]
        return line

    def _rejected(self, row: int, line: _Line, reasons: dict[str, str]) -> _Line:
        rejected = RejectedRow(line.values_as_read(self.variant.separator), reasons)
        self.expected.rejected[row] = rejected
        self.rejected_lines.append((line, rejected.reasons))
        return line

    # --- Values ---------------------------------------------------------------------------

    def _person(self, *, plain: bool = False) -> _Person:
        """A new contact with a unique email (and maybe a phone)."""
        rng = self.rng
        self.serial += 1
        first = rng.choice(FIRST_NAMES) if rng.random() > 0.06 else ""
        last = rng.choice(LAST_NAMES)
        email = f"{_local_part(first, last)}.{self.serial}@{rng.choice(DOMAINS)}"
        style = rng.random()
        if style < 0.15:
            email = email.title()
        elif style < 0.2:
            email = f" {email}  "
        cells = {
            "first_name": first,
            "last_name": last if rng.random() > 0.05 else f" {last} ",
            "email": email,
            "phone": "" if rng.random() < 0.3 else _phone_format(rng, _phone_digits(rng)),
            **self._address_and_extras(plain=plain),
        }
        return _Person(cells)

    def _phone_only_person(self) -> _Person:
        """A new contact without email: a number of its own (unique by the running number)."""
        self.serial += 1
        digits = f"49{self.rng.choice(AREA_CODES)}{self.serial:07d}"
        cells = {
            "first_name": self.rng.choice(FIRST_NAMES),
            "last_name": self.rng.choice(LAST_NAMES),
            "email": "",
            "phone": _phone_format(self.rng, digits),
            **self._address_and_extras(plain=False),
        }
        return _Person(cells, phone_digits=digits)

    def _address_and_extras(self, *, plain: bool) -> dict[str, str]:
        rng = self.rng
        german = self.variant.language == "de"
        day, month, minute = rng.randint(1, 28), rng.randint(1, 12), rng.randint(0, 599)
        stamp = f"2024-{month:02d}-{day:02d} {9 + minute // 60:02d}:{minute % 60:02d}"
        if german:
            stamp = f"{day:02d}.{month:02d}.2024 {9 + minute // 60:02d}:{minute % 60:02d}"
        return {
            "company": rng.choice(PLAIN_COMPANIES if plain else COMPANIES),
            "street": rng.choice(PLAIN_STREETS if plain else STREETS),
            "postal_code": "" if rng.random() < 0.1 else f"{rng.randint(1067, 99998):05d}",
            "city": rng.choice(CITIES),
            "country": rng.choice(COUNTRIES[self.variant.language]),
            SCANNED_AT: stamp,
            NOTE: rng.choice(PLAIN_NOTES if plain else NOTES),
        }

    def _bad_email_value(self, person: _Person) -> str:
        template = self.rng.choice(BAD_EMAILS)
        local = _local_part(person.cells["first_name"], person.cells["last_name"].strip())
        return template.format(local=local, domain=self.rng.choice(DOMAINS))

    def _cells(self, values: dict[str, str]) -> tuple[str, ...]:
        return tuple(values.get(column, "") for column in self.order)

    def _line_of(self, values: dict[str, str], *, trim: bool = False) -> _Line:
        cells = list(self._cells(values))
        while trim and cells and not cells[-1]:
            cells.pop()  # some scanners leave out trailing empty fields
        return _Line(tuple(cells))


def _column_order(expected: ExpectedImport) -> list[str]:
    """The field behind each header cell, in the header's order."""
    by_header = {}
    for name, (german, english, _) in COLUMNS.items():
        by_header[german if expected.variant.language == "de" else english] = name
    for name, (german, english) in UNKNOWN_COLUMNS.items():
        by_header[german if expected.variant.language == "de" else english] = name
    return [by_header[header] for header in expected.header]


def _header(rng: random.Random, language: str) -> tuple[tuple[str, ...], dict[str, str]]:
    pick = 0 if language == "de" else 1
    known = [(names[pick], names[2]) for names in COLUMNS.values()]
    rng.shuffle(known)  # scanners order their columns as they like
    scanned_at, note = (names[pick] for names in UNKNOWN_COLUMNS.values())
    header = (scanned_at, *(name for name, _ in known), note)
    return header, dict(known)


def _local_part(first: str, last: str) -> str:
    name = f"{first}.{last}" if first else last
    folded = name.casefold().replace(" ", "").replace("'", "")
    for plain, umlaut in (("ae", "ä"), ("oe", "ö"), ("ue", "ü"), ("ss", "ß")):
        folded = folded.replace(umlaut, plain)
    ascii_only = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return ascii_only or "info"


def _phone_digits(rng: random.Random) -> str:
    return f"49{rng.choice(AREA_CODES)}{rng.randint(1_000_000, 9_999_999)}"


def _phone_format(rng: random.Random, digits: str) -> str:
    """The number in one of the ways people write it; always with the leading "+"."""
    country, rest = digits[:2], digits[2:]
    area, number = rest[:-7], rest[-7:]
    return rng.choice(
        (
            f"+{country} {area} {number}",
            f"+{country} ({area}) {number[:3]}-{number[3:]}",
            f"+{country}{area} {number[:2]} {number[2:]}",
            f"+{country}-{area}-{number}",
        )
    )


def choose_variant(rng: random.Random) -> FileVariant:
    return FileVariant(rng.choice(SEPARATORS), rng.choice(ENCODINGS), rng.choice(LANGUAGES))


def write_messy_leads(
    path: Path, rows: int = 10_000, seed: int = 1, variant: FileVariant | None = None
) -> ExpectedImport:
    """Write `rows` data rows to `path` and return what their import must report. Without a
    variant, separator, encoding and header language are chosen by the seed."""
    rng = random.Random(seed)
    variant = variant or choose_variant(rng)
    header, mapped = _header(rng, variant.language)
    expected = ExpectedImport(
        variant=variant,
        header=header,
        mapped_columns=mapped,
        unknown_columns=(header[0], header[-1]),
        rows_read=rows,
    )
    generator = _Generator(rng, variant, expected)
    with path.open("w", encoding=variant.encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=variant.separator, lineterminator="\r\n")
        writer.writerow(header)
        for row in range(2, rows + 2):
            line = generator.line(row)
            if line.unquoted:
                handle.write(variant.separator.join(line.cells) + "\r\n")
            elif not line.cells:
                handle.write("\r\n")
            else:
                writer.writerow(line.cells)
    return expected

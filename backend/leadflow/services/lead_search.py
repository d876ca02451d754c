"""The lead search: which contacts a search text matches, and the query that finds them through
the search indexes (migration 0019) on both databases.

The rule (also in the GraphQL descriptions of `LeadFilter.search` and `TaskFilter.search`):

- The text is split into words at white space; every word must match (AND).
- A word matches a contact when it is part of the first name, last name, company or email,
  letter case ignored character by character ("müller" finds "MÜLLER"; "strasse" does not
  find "Straße"). `%`, `_` and `\\` are plain characters. Partners search the email only:
  names and companies are what others stored about a contact, and substring matches would let
  a partner guess them letter by letter.
- Words that look like a phone number (digits and `+ ( ) - / .` or an en or em dash, at least
  one digit) next to each other form one phone fragment: "0511 123-4" is the digits 05111234;
  a word of separators only between two of them belongs to it ("0511 / 1234567"), elsewhere
  it is a word like any other. A fragment of three
  or more digits also matches a contact whose phone's digits (`contacts.phone_key`, see
  `validation.phone_key`) hold it (not for partners: a phone is no less personal than a
  name). A fragment written with a leading 0 (a German area code) also matches the number's
  international form: "0511 123" finds "+49 511 123..." and "0049 511 123..."; one written
  internationally ("+49 511", "0049 511") matches numbers that start with it in either
  international form, and for +49 also "0511...". The fragment's words still match as words:
  "2024" finds "Messe 2024 GmbH", "123" finds "max123@example.com".
- Words shorter than three characters match by the same rule but no trigram index can find
  them: they narrow what the longer words found, and a search of short words only reads every
  contact (correct, slower: about what every search cost before the indexes).

Query: the contacts are found first (PostgreSQL: GIN trigram indexes on the exact expressions
compared here; SQLite: the FTS5 trigram table narrows, then the same comparisons decide), and
the leads through `leads.contact_id IN (those contacts)`, for the page and its count alike.
The NEW tab on PostgreSQL, for words (no phone fragment, not a partner), instead compares each
word with the lead's copy of its contact's four columns (`leads.search_text`, migration 0023,
kept by triggers), through a trigram index over the NEW leads: a broad word then reads only
its matching NEW leads, not every lead of its many contacts.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db import sql
from leadflow.db.models import Contact, Lead

# The columns a word is compared with; partners compare with the email only.
TEXT_COLUMNS = ("first_name", "last_name", "company", "email_key")
PARTNER_TEXT_COLUMNS = ("email_key",)
# A trigram index finds only what has at least one trigram.
INDEXED_LENGTH = 3
# Numbers in national form ("0511 ...") are German ones: the app's users are.
HOME_COUNTRY_CODE = "49"

# Separators within a phone number as people write it: - / . ( ), the en and em dashes.
_SEPARATORS = "()\\-/.\u2013\u2014"
_PHONE_WORD = re.compile(rf"\+?[0-9{_SEPARATORS}]*[0-9][0-9{_SEPARATORS}]*")
# A separator standing alone between two phone words ("0511 / 1234567") belongs to the number.
_SEPARATOR_WORD = re.compile(rf"[{_SEPARATORS}]+")


@dataclass(frozen=True, slots=True)
class SearchTerm:
    """Words that must all match as text, or (when `phone` holds digits) a phone fragment."""

    words: tuple[str, ...]
    phone: PhoneFragment | None = None


@dataclass(frozen=True, slots=True)
class PhoneFragment:
    """How a phone key may hold the fragment: as a substring (`contained`) or at its start
    (`prefixes`)."""

    contained: tuple[str, ...]
    prefixes: tuple[str, ...]


def search_terms(search: str) -> list[SearchTerm]:
    """The search text as terms that must all match (see the module's rule)."""
    terms: list[SearchTerm] = []
    group: list[str] = []
    words = search.split()
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if (
            group
            and _SEPARATOR_WORD.fullmatch(word)
            and _PHONE_WORD.fullmatch(following)
            and not following.startswith("+")
        ):
            group.append(word)
            continue
        if _PHONE_WORD.fullmatch(word):
            if group and word.startswith("+"):
                terms.append(_phone_term(group))
                group = []
            group.append(word)
            continue
        if group:
            terms.append(_phone_term(group))
            group = []
        terms.append(SearchTerm((word,)))
    if group:
        terms.append(_phone_term(group))
    return terms


def phone_fragment(text: str) -> PhoneFragment | None:
    """The phone keys a fragment as typed matches, or None below three digits."""
    international = text.startswith("+") or re.sub(r"\D", "", text).startswith("00")
    if international:
        text = text.replace("(0)", "")  # "+49 (0) 511": the trunk 0 is not dialled from abroad
    digits = re.sub(r"\D", "", text)
    if len(digits) < INDEXED_LENGTH:
        return None
    if international:
        number = digits if text.startswith("+") else digits[2:]
        prefixes = [f"+{number}", f"00{number}"]
        if number.startswith(HOME_COUNTRY_CODE) and len(number) > len(HOME_COUNTRY_CODE):
            prefixes.append(f"0{number[len(HOME_COUNTRY_CODE) :]}")
        return PhoneFragment(contained=(), prefixes=tuple(prefixes))
    if digits.startswith("0"):
        national = digits[1:]
        return PhoneFragment(
            contained=(digits,),
            prefixes=(f"+{HOME_COUNTRY_CODE}{national}", f"00{HOME_COUNTRY_CODE}{national}"),
        )
    return PhoneFragment(contained=(digits,), prefixes=())


def matching_contacts(actor: Actor, search: str) -> QuerySet[Contact]:
    """The contacts the (cleaned) search text matches for the actor; every contact when the
    text has no words. On SQLite narrowed by the FTS5 index first."""
    terms = search_terms(search)
    contacts = Contact.all()
    partner = policy.is_partner(actor)
    for term in terms:
        contacts = contacts.filter(_term_condition(term, partner))
    if terms and not sql.is_postgres():
        index_query = _index_query(terms, partner)
        if index_query:
            contacts = contacts.filter(id__in=sql.contact_search_ids(index_query))
    return contacts


def matching_leads(
    actor: Actor, leads: QuerySet[Lead], search: str, *, new_only: bool = False
) -> QuerySet[Lead]:
    """`leads` narrowed to those of the contacts the search text matches (unchanged without
    words). `new_only`: the caller keeps only NEW leads (the NEW tab), which PostgreSQL can
    search by the leads' own copy of their contact's text."""
    if not search.split():
        return leads
    if new_only and _by_lead_text(search_terms(search), policy.is_partner(actor)):
        # Migration 0023: the NEW leads' trigram index finds the matching NEW leads, for the
        # page and its count, without reading every lead of every matching contact (a broad
        # word: "müller" matches 1 % of the contacts, and most of their leads are not NEW).
        matching = sql.with_lead_search_text(leads)
        for term in search_terms(search):
            for word in term.words:
                matching = matching.filter(**{f"{sql.LEAD_SEARCH_TEXT}__icontains": word})
        return matching
    # A subquery instead of a join keeps the lead rows unduplicated and the aggregates
    # (counts per tab) free of Tortoise's implicit GROUP BY for joined annotations.
    contacts = matching_contacts(actor, search).values("id")
    if not _indexed(search_terms(search), policy.is_partner(actor)):
        # Short words only: the contacts are read whole anyway, and such a word matches many
        # of them; the planner may walk the list's order and stop at the page (PostgreSQL).
        return leads.filter(contact_id__in=Subquery(contacts))
    # The contacts first (their indexes), then their leads by `leads.contact_id`, for the page
    # and its count alike (`driving_ids`).
    return leads.filter(contact_id__in=sql.driving_ids(contacts))


def _by_lead_text(terms: list[SearchTerm], partner: bool) -> bool:
    """Whether the leads' copy of their contact's text (PostgreSQL, migration 0023) answers the
    search through its index: words only (a phone fragment compares the contacts' phone keys;
    partners search the email alone), one of them long enough for a trigram."""
    if not sql.is_postgres() or partner:
        return False
    return all(term.phone is None for term in terms) and _indexed(terms, partner)


def _indexed(terms: list[SearchTerm], partner: bool) -> bool:
    """Whether an index finds the contacts: a term of which every way to match holds a word
    of three or more characters (a phone fragment always does)."""
    return any(_term_index_query(term, partner) for term in terms)


# --- The comparisons (both databases) --------------------------------------------------------


def _phone_term(words: list[str]) -> SearchTerm:
    return SearchTerm(tuple(words), phone_fragment("".join(words)))


def _columns(partner: bool) -> tuple[str, ...]:
    return PARTNER_TEXT_COLUMNS if partner else TEXT_COLUMNS


def _term_condition(term: SearchTerm, partner: bool) -> Q:
    # Spelled as migration 0019's PostgreSQL indexes hold them: `icontains` is
    # UPPER(CAST(col AS VARCHAR)) LIKE UPPER('%word%'), `contains`/`startswith` on the phone key
    # CAST(phone_key AS VARCHAR) LIKE '...'; Tortoise escapes `%`, `_` and `\`.
    columns = _columns(partner)
    text = Q(
        *(
            Q(*(Q(**{f"{column}__icontains": word}) for column in columns), join_type=Q.OR)
            for word in term.words
        )
    )
    if term.phone is None or partner:
        return text
    phone = [Q(phone_key__contains=digits) for digits in term.phone.contained]
    phone += [Q(phone_key__startswith=prefix) for prefix in term.phone.prefixes]
    return Q(text, *phone, join_type=Q.OR)


# --- SQLite: the FTS5 query that narrows the contacts ----------------------------------------
# It must find every contact the comparisons above accept (it may find more): a phrase of three
# or more characters finds each text holding it, letter case folded per character. FTS5 folds
# by its own (older) Unicode table, and for some characters not as the comparisons' UPPER
# does (db/sqlite_engine.py): the dotless i (U+0131) and "I" are both "I" to UPPER, but FTS5
# folds "I" to "i" and keeps the dotless i. Such a character is written as each character of
# its letter (FTS5 folds each its way), or, past `FTS5_VARIANTS` phrases, left out.
# What it cannot narrow (a short word) it leaves out.

# Characters whose letter (their UPPER, one character) FTS5's trigram tokenizer (SQLite 3.40)
# folds to more than one value: every character of those letters. Computed from SQLite by
# tests/services/test_lead_search.py::test_the_fts5_folding_exceptions_are_known.
FTS5_UNFOLDED_RANGES = (
    (0x49, 0x49),
    (0x69, 0x69),
    (0x131, 0x131),
    (0x25C, 0x25C),
    (0x261, 0x261),
    (0x26A, 0x26A),
    (0x26C, 0x26C),
    (0x282, 0x282),
    (0x287, 0x287),
    (0x29D, 0x29E),
    (0x37F, 0x37F),
    (0x3F3, 0x3F3),
    (0x412, 0x412),
    (0x414, 0x414),
    (0x41E, 0x41E),
    (0x421, 0x422),
    (0x42A, 0x42A),
    (0x432, 0x432),
    (0x434, 0x434),
    (0x43E, 0x43E),
    (0x441, 0x442),
    (0x44A, 0x44A),
    (0x462, 0x463),
    (0x528, 0x52F),
    (0x10D0, 0x10FA),
    (0x10FD, 0x10FF),
    (0x13A0, 0x13F5),
    (0x13F8, 0x13FD),
    (0x1C80, 0x1C88),
    (0x1C90, 0x1CBA),
    (0x1CBD, 0x1CBF),
    (0x1D8E, 0x1D8E),
    (0x2C2F, 0x2C2F),
    (0x2C5F, 0x2C5F),
    (0xA64A, 0xA64B),
    (0xA698, 0xA69B),
    (0xA794, 0xA794),
    (0xA796, 0xA79F),
    (0xA7AB, 0xA7AE),
    (0xA7B0, 0xA7CA),
    (0xA7D0, 0xA7D1),
    (0xA7D6, 0xA7D9),
    (0xA7F5, 0xA7F6),
    (0xAB53, 0xAB53),
    (0xAB70, 0xABBF),
    (0x104B0, 0x104D3),
    (0x104D8, 0x104FB),
    (0x10570, 0x1057A),
    (0x1057C, 0x1058A),
    (0x1058C, 0x10592),
    (0x10594, 0x10595),
    (0x10597, 0x105A1),
    (0x105A3, 0x105B1),
    (0x105B3, 0x105B9),
    (0x105BB, 0x105BC),
    (0x10C80, 0x10CB2),
    (0x10CC0, 0x10CF2),
    (0x118A0, 0x118DF),
    (0x16E40, 0x16E7F),
    (0x1E900, 0x1E943),
)
FTS5_UNFOLDED = re.compile(
    "[" + "".join(f"{chr(first)}-{chr(last)}" for first, last in FTS5_UNFOLDED_RANGES) + "]"
)
FTS5_VARIANTS = 16


def _index_query(terms: list[SearchTerm], partner: bool) -> str:
    narrowing = [query for term in terms if (query := _term_index_query(term, partner, True))]
    return " AND ".join(narrowing)


def _term_index_query(term: SearchTerm, partner: bool, fts5: bool = False) -> str | None:
    columns = "{" + " ".join(_columns(partner)) + "}"
    long_words = [word for word in term.words if len(word) >= INDEXED_LENGTH]
    if fts5:
        words = [f"{columns}: {query}" for word in long_words if (query := _fts5_word(word))]
    else:
        words = [f"{columns}: {_phrase(word)}" for word in long_words]
    if not words:
        return None  # the words alone may match without an indexed word: no narrowing
    text = " AND ".join(words)
    if term.phone is None or partner:
        return f"({text})"
    keys = [*term.phone.contained, *term.phone.prefixes]
    if any(len(key) < INDEXED_LENGTH for key in keys):
        return None
    phones = " OR ".join(f"phone_key: {_phrase(key)}" for key in keys)
    return f"(({text}) OR {phones})"


def _phrase(text: str) -> str:
    """An FTS5 string: any characters but the double quote, which is doubled."""
    return '"' + text.replace('"', '""') + '"'


def _fold_alike() -> dict[str, tuple[str, ...]]:
    """Each character of `FTS5_UNFOLDED`: how to spell its letter (the characters with the
    same one-character UPPER) in an FTS5 phrase."""
    letters: dict[str, list[str]] = {}
    for first, last in FTS5_UNFOLDED_RANGES:
        for code in range(first, last + 1):
            letters.setdefault(_upper(chr(code)), []).append(chr(code))
    # FTS5 folds ASCII as lower() does: "I" is spelled "i" already.
    spellings = {
        letter: tuple(
            char
            for char in alike
            if not (char.isascii() and char.isupper() and char.lower() in alike)
        )
        for letter, alike in letters.items()
    }
    return {char: spellings[letter] for letter, alike in letters.items() for char in alike}


def _upper(char: str) -> str:
    upper = char.upper()
    return upper if len(upper) == 1 else char


def _fts5_word(word: str) -> str | None:
    """The FTS5 query finding each text that holds `word` as the comparisons fold it: a phrase,
    the phrases of its spellings, or the phrases of its parts between unfolded characters;
    None when no part is long enough to narrow."""
    alike = [_FOLD_ALIKE.get(char, (char,)) for char in word]
    count = 1
    for chars in alike:
        count *= len(chars)
    if count <= FTS5_VARIANTS:
        spellings = ["".join(chars) for chars in itertools.product(*alike)]
        return "(" + " OR ".join(_phrase(spelling) for spelling in spellings) + ")"
    parts = [part for part in FTS5_UNFOLDED.split(word) if len(part) >= INDEXED_LENGTH]
    if not parts:
        return None
    return "(" + " AND ".join(_phrase(part) for part in parts) + ")"


_FOLD_ALIKE = _fold_alike()

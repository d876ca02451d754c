"""The lead search: which contacts a search text matches, and the query that finds them through
the search indexes (migration 0019) on both databases.

The rule (also in the GraphQL descriptions of `LeadFilter.search` and `TaskFilter.search`):

- The text is split into words at white space; every word must match (AND).
- A word matches a contact when it is part of the first name, last name, company or email,
  letter case ignored character by character ("müller" finds "MÜLLER"; "strasse" does not
  find "Straße"). `%`, `_` and `\\` are plain characters. Partners search the email only:
  names and companies are what others stored about a contact, and substring matches would let
  a partner guess them letter by letter.
- Words that look like a phone number (digits and `+ ( ) - / .`, at least one digit) next to
  each other form one phone fragment: "0511 123-4" is the digits 05111234. A fragment of three
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
"""

from __future__ import annotations

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

_PHONE_WORD = re.compile(r"\+?[0-9()\-/.]*[0-9][0-9()\-/.]*")


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
    for word in search.split():
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


def matching_leads(actor: Actor, leads: QuerySet[Lead], search: str) -> QuerySet[Lead]:
    """`leads` narrowed to those of the contacts the search text matches (unchanged without
    words)."""
    if not search.split():
        return leads
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
# or more characters finds each text holding it, letter case folded per character as the
# comparisons fold it. What it cannot narrow (a short word) it leaves out.


def _index_query(terms: list[SearchTerm], partner: bool) -> str:
    narrowing = [query for term in terms if (query := _term_index_query(term, partner))]
    return " AND ".join(narrowing)


def _term_index_query(term: SearchTerm, partner: bool) -> str | None:
    columns = "{" + " ".join(_columns(partner)) + "}"
    words = [f"{columns}: {_phrase(word)}" for word in term.words if len(word) >= INDEXED_LENGTH]
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

"""The lead search (services/lead_search.py) on both databases: what a word matches (names,
company, email, phone digits in their spellings), partners' limits, special characters and
letter case, with status filters and counts, and after corrections and erasures (SQLite's FTS5
index follows by triggers). The same data gives the same results on SQLite and PostgreSQL:
each case's expected set is written once and checked on both, and a brute-force reading of the
rule over every contact agrees with the database for many searches."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import sys
from dataclasses import dataclass
from typing import Any

import asyncpg
from tortoise import connections
from tortoise.transactions import in_transaction

from leadflow.db.enums import LeadStatus
from leadflow.db.models import Contact, Lead
from leadflow.services import accounts, campaigns, lead_search, leads
from leadflow.services.contact_updates import ContactCorrection, update_contact
from leadflow.services.lead_lists import (
    LeadFilter,
    TaskFilter,
    filtered_leads,
    lead_counts,
    my_tasks,
)
from leadflow.services.leads import LeadIntake
from leadflow.services.privacy.erasure import erase_contact
from tests.helpers import Actors

PEOPLE = {
    "anna": LeadIntake(
        first_name="Anna",
        last_name="MÜLLER",
        company="Bäckerei Groß",
        email="Anna.Mueller@Example.com",
        phone="+49 511 1234567",
    ),
    "bernd": LeadIntake(
        first_name="Bernd",
        last_name="Müller-Lüdenscheidt",
        company="50%_Rabatt GmbH",
        email="bernd@rabatt.example",
        phone="0511 7654321",
    ),
    "carla": LeadIntake(
        first_name="Carla",
        last_name="O'Brien",
        company="Acme",
        email="c_o@acme.example",
        phone="0049 30 9876543",
    ),
    "dora": LeadIntake(
        first_name="Dora",
        last_name="Schmidt",
        company="Messe 2024 GmbH",
        email="dora123@example.com",
        phone="(030) 555-12 34",
    ),
    "ernst": LeadIntake(first_name="Ernst", last_name="Strauß", email="ernst@example.com"),
    "fritz": LeadIntake(first_name="Fritz", last_name="Li", phone="+44 20 7946 0958"),
    "hermann": LeadIntake(first_name="Hermann", last_name="Hesse", email="hh@hesse.example"),
    "ilkay": LeadIntake(
        first_name="Ilkay", last_name="Ayd\u0131n", company="Istanbullu", phone="+90 212 555 0199"
    ),
}


@dataclass
class World:
    lead_ids: dict[str, int]  # person: their lead
    contact_ids: dict[str, int]

    def names(self, lead_ids: list[int]) -> set[str]:
        by_lead = {lead_id: name for name, lead_id in self.lead_ids.items()}
        return {by_lead[lead_id] for lead_id in lead_ids}


async def _world(actors: Actors) -> World:
    manager = actors.manager.user
    campaign = await campaigns.create_campaign(manager, "Suche")
    created = await leads.create_leads(manager, campaign.id, list(PEOPLE.values()))
    return World(
        lead_ids={name: lead.id for name, lead in zip(PEOPLE, created, strict=True)},
        contact_ids={name: lead.contact_id for name, lead in zip(PEOPLE, created, strict=True)},
    )


async def _found(actors: Actors, world: World, search: str, **conditions: object) -> set[str]:
    lead_filter = LeadFilter(search=search, **conditions)  # type: ignore[arg-type]
    matching = filtered_leads(actors.manager.user, lead_filter)
    ids = list(await matching.values_list("id", flat=True))
    assert await matching.count() == len(ids)  # totalCount reads the same leads
    return world.names(ids)


# What each search finds, on either database.
CASES: dict[str, set[str]] = {
    # Name parts, letter case ignored character by character.
    "müller": {"anna", "bernd"},
    "MÜLLER": {"anna", "bernd"},
    "Müller": {"anna", "bernd"},
    "lüdenscheidt": {"bernd"},
    "anna müller": {"anna"},
    "müller bernd": {"bernd"},
    "strauß": {"ernst"},
    "STRAUß": {"ernst"},
    "strauss": set(),  # ß is no "ss": PostgreSQL's UPPER keeps ß as one character
    # ... and so does SQLite's (character by character, db/sqlite_engine.py), short words too.
    "ß": {"anna", "ernst"},
    "ss": {"dora", "hermann"},
    "SS": {"dora", "hermann"},
    "ße": set(),
    "oß": {"anna"},
    # The dotless i is "I" to UPPER on both databases (FTS5 folds it apart: still found).
    "\u0131stanbul": {"ilkay"},
    "\u0131lkay": {"ilkay"},
    "aydin": {"ilkay"},
    "AYDIN": {"ilkay"},
    "ayd\u0131n istanbullu": {"ilkay"},
    # Company and email fragments.
    "bäckerei": {"anna"},
    "groß": {"anna"},
    "rabatt": {"bernd"},
    "mueller@": {"anna"},
    "ANNA.MUELLER@EXAMPLE": {"anna"},
    "example.com": {"anna", "dora", "ernst"},
    # Special characters are plain characters.
    "%": {"bernd"},
    "50%": {"bernd"},
    "%_": {"bernd"},
    "_": {"bernd", "carla"},
    "c_o": {"carla"},
    "o'brien": {"carla"},
    '"': set(),
    "\\": set(),
    "a%b": set(),
    # Phones by digits, in their spellings.
    "0511 1234": {"anna"},  # stored as +49 511 1234567
    "0511 123 4567": {"anna"},
    "0511/1234567": {"anna"},
    "0511 / 1234567": {"anna"},  # a separator standing alone belongs to the number
    "0511 - 1234567": {"anna"},
    "0511\u20131234567": {"anna"},  # en dash
    "0511 \u2013 1234567": {"anna"},
    "0511 — 123 45 67": {"anna"},  # em dash
    "(0511) / 123-4567": {"anna"},
    "0511 - müller": {"bernd"},  # "-" stays a word (no phone word follows): Müller-L...
    "(0511) 1234-567": {"anna"},
    "+49 511 1234": {"anna"},
    "+49 (0) 511 1234": {"anna"},
    "0049 511 1234": {"anna"},
    "511 1234": {"anna"},
    "1234567": {"anna"},
    "0511 765": {"bernd"},  # stored as 0511 7654321
    "+49 511 765": {"bernd"},
    "0049511765": {"bernd"},
    "030 9876": {"carla"},  # stored as 0049 30 9876543
    "+49 30 9876543": {"carla"},
    "030 555 12": {"dora"},  # stored as (030) 555-12 34
    "5551234": {"dora"},
    "+44 20 7946": {"fritz"},
    "0044 20 7946": {"fritz"},
    "020 7946": set(),  # a national form is a German one
    "0511": {"anna", "bernd"},
    "123": {"anna", "dora"},  # Anna's phone, Dora's email
    "2024": {"dora"},  # looks like a phone fragment, found as a word
    "12": {"dora"},  # two digits: a word (dora123), no phone search
    "+49": set(),  # two digits
    "0511 müller": {"anna", "bernd"},
    "0511 schmidt": set(),
    # Short words: found, without a trigram index.
    "li": {"fritz"},
    "Fr": {"fritz"},
    "d": {"bernd", "dora", "ilkay"},
    # A word lies in one column: not across first and last name (PostgreSQL's NEW tab compares
    # the columns joined in one text, migration 0023).
    "annamüller": set(),
    "annaMÜLLER": set(),
}


async def test_what_a_search_finds(actors: Actors) -> None:
    world = await _world(actors)
    found = {search: await _found(actors, world, search) for search in CASES}
    assert found == CASES


async def test_the_new_tab_finds_what_the_search_finds(actors: Actors) -> None:
    """Every lead of the world is NEW: the NEW tab (PostgreSQL: the leads' copy of their
    contact's text, migration 0023, for words) finds what each search finds."""
    world = await _world(actors)
    found = {search: await _found(actors, world, search, status=LeadStatus.NEW) for search in CASES}
    assert found == CASES


def _upper(text: str) -> str:
    """Character by character, as the databases fold ("ß" stays, Python's upper gives "SS")."""
    return "".join(char.upper() if len(char.upper()) == 1 else char for char in text)


def _rule(contact: Contact, search: str, partner: bool) -> bool:
    """The module's rule read once more, in Python, for one contact."""
    columns = ["email_key"] if partner else ["first_name", "last_name", "company", "email_key"]
    texts = [_upper(getattr(contact, column) or "") for column in columns]
    phone = contact.phone_key or ""
    for term in lead_search.search_terms(search):
        as_text = all(any(_upper(word) in text for text in texts) for word in term.words)
        fragment = None if partner else term.phone
        as_phone = fragment is not None and (
            any(digits in phone for digits in fragment.contained)
            or any(phone.startswith(prefix) for prefix in fragment.prefixes)
        )
        if not (as_text or as_phone):
            return False
    return True


async def test_the_database_finds_what_the_rule_says(actors: Actors) -> None:
    """Every contact is checked by the rule in Python; the indexes (SQLite's FTS5 narrowing,
    PostgreSQL's trigram indexes) must neither lose nor add one."""
    await _world(actors)
    contacts = await Contact.all()
    searches = _searches()
    for partner in (False, True):
        actor = actors.partner.user if partner else actors.manager.user
        for search in searches:
            found = set(
                await lead_search.matching_contacts(actor, search).values_list("id", flat=True)
            )
            expected = {contact.id for contact in contacts if _rule(contact, search, partner)}
            assert found == expected, (search, partner)


def _searches() -> list[str]:
    words = {word for case in CASES for word in case.split()}
    return sorted(set(CASES) | words | {"x", "üll", "ÜLL", "rich", "@", "0", "00", "+"})


async def test_the_new_tab_finds_what_the_rule_says(actors: Actors) -> None:
    """The rule in Python over every contact, against the NEW tab's leads (on PostgreSQL read
    through the NEW leads' own text and its index), with a lead renamed and one erased."""
    world = await _world(actors)
    correction = ContactCorrection(given=frozenset({"first_name"}), first_name="Annegret")
    await update_contact(actors.manager.user, world.contact_ids["anna"], correction)
    await erase_contact(actors.admin.user, world.contact_ids["carla"], "Anfrage per Post")
    contacts = await Contact.all()
    person = {contact_id: name for name, contact_id in world.contact_ids.items()}
    for search in [*_searches(), "annegret", "carla", "brien", "acme"]:
        found = await _found(actors, world, search, status=LeadStatus.NEW)
        expected = {person[c.id] for c in contacts if _rule(c, search, partner=False)}
        assert found == expected, search


async def test_partners_search_their_leads_by_email_only(actors: Actors) -> None:
    await _world(actors)
    partner = actors.partner.user
    campaign = await campaigns.create_campaign(actors.manager.user, "Partnerkampagne")
    await accounts.link_partner(actors.admin.user, partner, [campaign.id])
    [own] = await leads.create_leads(
        partner,
        campaign.id,
        [
            LeadIntake(
                first_name="Paula",
                last_name="Partnerkind",
                email="pk@partner.example",
                phone="0511 999888",
            )
        ],
    )

    async def partner_finds(search: str) -> list[int]:
        found = []
        for status in (None, LeadStatus.NEW):  # the NEW tab compares no name either
            matching = filtered_leads(partner, LeadFilter(search=search, status=status))
            ids = list(await matching.values_list("id", flat=True))
            assert await matching.count() == len(ids)
            found.append(ids)
        assert found[0] == found[1], search  # the partner's one lead is NEW
        return found[0]

    assert await partner_finds("pk@partner") == [own.id]
    assert await partner_finds("PARTNER.EXAMPLE") == [own.id]
    # Not by name, company or phone, and never another's lead.
    for search in ("partnerkind", "paula", "0511 999", "999888", "müller", "example.com"):
        assert await partner_finds(search) == [], search
    # A manager finds the partner's lead by its phone.
    manager_found = filtered_leads(actors.manager.user, LeadFilter(search="0511 999"))
    assert list(await manager_found.values_list("id", flat=True)) == [own.id]


async def test_search_with_status_filters_and_counts(actors: Actors) -> None:
    world = await _world(actors)
    manager, clerk = actors.manager.user, actors.clerk_a.user
    await leads.assign_leads(manager, [world.lead_ids["anna"]], clerk.id)

    assert await _found(actors, world, "müller", status=LeadStatus.NEW) == {"bernd"}
    assert await _found(actors, world, "müller", status=LeadStatus.ACTIVE) == {"anna"}
    assert await _found(actors, world, "müller", status=LeadStatus.DONE) == set()
    assert await _found(actors, world, "0511", status=LeadStatus.ACTIVE) == {"anna"}
    counts = await lead_counts(manager, LeadFilter(search="müller"))
    assert (counts.new, counts.active, counts.done) == (1, 1, 0)
    # A clerk's task list searches the same way.
    tasks = my_tasks(clerk, TaskFilter(search="+49 511 1234"))
    assert list(await tasks.values_list("id", flat=True)) == [world.lead_ids["anna"]]
    assert await tasks.count() == 1
    assert await my_tasks(clerk, TaskFilter(search="bernd")).count() == 0


async def test_a_corrected_contact_is_found_by_its_new_values_only(actors: Actors) -> None:
    world = await _world(actors)
    correction = ContactCorrection(
        given=frozenset({"last_name", "company", "phone"}),
        last_name="Meier",
        company="Neue Firma",
        phone="0170 1112223",
    )
    await update_contact(actors.manager.user, world.contact_ids["anna"], correction)

    assert await _found(actors, world, "müller") == {"bernd"}
    assert await _found(actors, world, "bäckerei") == set()
    assert await _found(actors, world, "0511 1234") == set()
    assert await _found(actors, world, "meier") == {"anna"}
    assert await _found(actors, world, "neue firma") == {"anna"}
    assert await _found(actors, world, "0170 111") == {"anna"}
    assert await _found(actors, world, "+49 170 1112") == {"anna"}
    assert await _found(actors, world, "mueller@") == {"anna"}  # the email stayed


async def test_the_new_tab_follows_a_correction_in_the_same_transaction(actors: Actors) -> None:
    """The leads' copy of their contact's text (PostgreSQL, migration 0023) is rewritten by the
    correction's own statement: a search later in the same transaction sees the new name."""
    world = await _world(actors)
    correction = ContactCorrection(
        given=frozenset({"last_name", "company"}), last_name="Zander", company="Neue Firma"
    )
    async with in_transaction():
        await update_contact(actors.manager.user, world.contact_ids["anna"], correction)
        for status in (None, LeadStatus.NEW):
            assert await _found(actors, world, "zander", status=status) == {"anna"}
            assert await _found(actors, world, "müller", status=status) == {"bernd"}
            assert await _found(actors, world, "bäckerei", status=status) == set()
            assert await _found(actors, world, "neue firma", status=status) == {"anna"}
            assert await _found(actors, world, "mueller@", status=status) == {"anna"}


async def test_the_new_tab_follows_leads_and_contacts_written_in_sql(
    actors: Actors, backend: str
) -> None:
    """Triggers keep the leads' copy (PostgreSQL), not the services: a contact updated, a lead
    moved to another contact and a lead inserted, in plain SQL."""
    world = await _world(actors)
    client = connections.get("default")

    def sql(statement: str) -> str:
        return statement if backend == "postgres" else re.sub(r"\$\d+", "?", statement)

    await client.execute_query(
        sql("UPDATE contacts SET email_key = $1 WHERE id = $2"),
        ["qz@zeppelin.example", world.contact_ids["dora"]],
    )
    await client.execute_query(
        sql("UPDATE leads SET contact_id = $1 WHERE id = $2"),
        [world.contact_ids["anna"], world.lead_ids["hermann"]],
    )
    lead = await Lead.get(id=world.lead_ids["hermann"])
    await Lead.create(
        contact_id=world.contact_ids["ernst"],
        campaign_id=lead.campaign_id,
        created_at=lead.created_at,
    )

    async def contacts_found(search: str) -> list[int]:
        matching = filtered_leads(
            actors.manager.user, LeadFilter(search=search, status=LeadStatus.NEW)
        )
        contact_ids = list(await matching.values_list("contact_id", flat=True))
        assert await matching.count() == len(contact_ids)
        return sorted(contact_ids)

    assert await contacts_found("zeppelin") == [world.contact_ids["dora"]]
    assert await contacts_found("dora123") == []
    assert await contacts_found("hesse") == []
    anna = world.contact_ids["anna"]
    assert await contacts_found("bäckerei") == [anna, anna]
    ernst = world.contact_ids["ernst"]
    assert await contacts_found("strauß") == [ernst, ernst]


async def test_an_erased_contact_is_found_by_nothing_it_held(actors: Actors, backend: str) -> None:
    world = await _world(actors)
    await erase_contact(actors.admin.user, world.contact_ids["anna"], "Anfrage per Telefon")

    held = ("anna", "müller", "bäckerei", "mueller@", "0511 1234", "1234567")
    for search in held:
        for status in (None, LeadStatus.NEW):
            assert "anna" not in await _found(actors, world, search, status=status), search
    assert await _found(actors, world, "müller") == {"bernd"}
    assert await _found(actors, world, "müller", status=LeadStatus.NEW) == {"bernd"}
    if backend == "postgres":
        # Nor does the leads' copy of the contact's text (migration 0023) hold any of it.
        rows = await connections.get("default").execute_query_dict(
            "SELECT search_text FROM leads WHERE contact_id = $1", [world.contact_ids["anna"]]
        )
        [text] = [row["search_text"].upper() for row in rows]
        assert not [value for value in ("ANNA", "MÜLLER", "BÄCKEREI", "MUELLER") if value in text]


async def test_an_erasure_leaves_no_trigram_in_the_sqlite_index(
    actors: Actors, backend: str
) -> None:
    """FTS5 keeps a changed row's old trigrams in its segments until they are merged; an
    erasure purges them (`sql.purge_contact_search`): the shadow table's blobs no longer hold
    the erased values' trigrams. (PostgreSQL: nothing to check here, its GIN entries go with
    the row versions at VACUUM.)"""
    if backend != "sqlite":
        return
    world = await _world(actors)
    value = "Qxzvjk Wyqpf"  # trigrams no other contact has

    client = connections.get("default")

    async def stored() -> set[str]:
        rows = await client.execute_query_dict("SELECT block FROM contact_search_data")
        blobs = b"".join(bytes(row["block"]) for row in rows if row["block"] is not None)
        folded = value.lower()
        trigrams = {folded[start : start + 3] for start in range(len(folded) - 2)}
        return {trigram for trigram in trigrams if trigram.encode() in blobs}

    correction = ContactCorrection(given=frozenset({"company"}), company=value)
    await update_contact(actors.manager.user, world.contact_ids["dora"], correction)
    assert await stored()  # the check can see them
    await erase_contact(actors.admin.user, world.contact_ids["dora"], "Anfrage per Post")
    assert await stored() == set()
    assert await _found(actors, world, "qxzvjk") == set()
    assert await _found(actors, world, "müller") == {"anna", "bernd"}  # the rest is still found
    await client.execute_query(
        "INSERT INTO contact_search (contact_search, rank) VALUES ('integrity-check', 1)"
    )


async def test_contacts_written_in_sql_are_found(actors: Actors, backend: str) -> None:
    """The SQLite index follows every write to `contacts` (triggers), not only the services':
    an INSERT, an UPDATE and a DELETE in plain SQL."""
    world = await _world(actors)
    client = connections.get("default")
    company, contact = ("$1", "$2") if backend == "postgres" else ("?", "?")
    await client.execute_query(
        f"UPDATE contacts SET company = {company} WHERE id = {contact}",
        ["Zeppelin Werke", world.contact_ids["dora"]],
    )
    assert await _found(actors, world, "zeppelin") == {"dora"}
    assert await _found(actors, world, "messe 2024") == set()
    lead_id = world.lead_ids.pop("dora")
    await Lead.filter(id=lead_id).delete()
    await Contact.filter(id=world.contact_ids["dora"]).delete()
    assert await Contact.filter(company="Zeppelin Werke").count() == 0
    found = await lead_search.matching_contacts(actors.manager.user, "zeppelin").count()
    assert found == 0


async def _plan(backend: str, queryset: Any) -> str:
    """EXPLAIN of a queryset's statement, with its parameters."""
    queryset._choose_db_if_not_chosen()  # as QuerySet.sql() does, keeping the parameters
    queryset._make_query()
    query, values = queryset.query.get_parameterized_sql()
    if backend == "postgres":
        async with in_transaction() as connection:  # one connection for both statements
            # An almost empty table: without this the planner rightly reads it whole.
            await connection.execute_script("SET LOCAL enable_seqscan = off")
            rows = await connection.execute_query_dict(f"EXPLAIN {query}", values)
        return "\n".join(row["QUERY PLAN"] for row in rows)
    client = connections.get("default")
    rows = await client.execute_query_dict(f"EXPLAIN QUERY PLAN {query}", values)
    return "\n".join(row["detail"] for row in rows)


async def test_the_search_reads_its_indexes(actors: Actors, backend: str) -> None:
    """The contacts through the trigram indexes (PostgreSQL) or the FTS5 table (SQLite), for a
    name and for a phone fragment; on PostgreSQL the page's leads then through their
    contact_id index (the search drives, `sql.driving_ids`), not by walking the list's order."""
    await _world(actors)
    manager = actors.manager.user
    indexes = {"müller": "contacts_search_last_name", "0511 1234": "contacts_search_phone_key"}
    for search, index in indexes.items():
        plan = await _plan(backend, lead_search.matching_contacts(manager, search).values("id"))
        if backend == "postgres":
            assert index in plan and "Seq Scan" not in plan, plan
        else:
            assert re.search(r"contact_search VIRTUAL TABLE INDEX \d+:M", plan), plan
        page = filtered_leads(manager, LeadFilter(search=search)).order_by("-created_at", "-id")
        plan = await _plan(backend, page.limit(51).values("id"))
        if backend == "postgres":
            assert "idx_leads_contact_054f32" in plan and index in plan, plan
    # The NEW tab's words: the NEW leads' own text (migration 0023), no contact read (which
    # index, this almost empty table cannot tell: tests/db/test_query_plans.py checks it at
    # 200,000 leads); a phone fragment still finds the contacts first.
    if backend != "postgres":
        return
    for search, reads_contacts in (("müller", False), ("0511 1234", True)):
        matching = filtered_leads(manager, LeadFilter(search=search, status=LeadStatus.NEW))
        page = matching.order_by("-created_at", "-id").limit(51).values("id")
        for query in (page, matching.count()):
            plan = await _plan(backend, query)
            assert ("contacts_search_phone_key" in plan) == reads_contacts, plan
            assert ("on contacts" in plan) == reads_contacts, plan


async def test_a_lead_inserted_while_its_contact_is_renamed_takes_the_new_name(
    actors: Actors, backend: str, database_url: str
) -> None:
    """Two connections (PostgreSQL): a lead inserted for a contact that another transaction
    renames at the same time, in either order. The lead's copy of the contact's text
    (migration 0023) reads the contact FOR SHARE, so one of them waits for the other and the
    lead ends with the name that was committed last; without the lock it kept the old one."""
    if backend != "postgres":
        return
    world = await _world(actors)
    lead = await Lead.get(id=world.lead_ids["dora"])
    contact = world.contact_ids["dora"]
    dsn = database_url.replace("postgres://", "postgresql://", 1)
    inserting, renaming = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    insert = (
        "INSERT INTO leads (contact_id, campaign_id, created_at, close_note) "
        "VALUES ($1, $2, now(), '') RETURNING id"
    )
    rename = "UPDATE contacts SET last_name = $1 WHERE id = $2"
    try:
        for name, lead_first in (("Erstmann", True), ("Zweitmann", False)):
            await inserting.execute("BEGIN")
            await renaming.execute("BEGIN")
            if lead_first:
                lead_id = await inserting.fetchval(insert, contact, lead.campaign_id)
                renamed = asyncio.ensure_future(renaming.execute(rename, name, contact))
                await asyncio.sleep(0.3)
                assert not renamed.done()  # waits for the lead's transaction
                await inserting.execute("COMMIT")
                await renamed
                await renaming.execute("COMMIT")
            else:
                await renaming.execute(rename, name, contact)
                inserted = asyncio.ensure_future(
                    inserting.fetchval(insert, contact, lead.campaign_id)
                )
                await asyncio.sleep(0.3)
                assert not inserted.done()  # waits for the renaming transaction
                await renaming.execute("COMMIT")
                lead_id = await inserted
                await inserting.execute("COMMIT")
            text = await inserting.fetchval("SELECT search_text FROM leads WHERE id = $1", lead_id)
            assert name in text.split("\n"), (name, text)
    finally:
        await inserting.close()
        await renaming.close()
    # The search reads it: dora's lead and the two inserted ones.
    renamed = LeadFilter(search="zweitmann", status=LeadStatus.NEW)
    assert await filtered_leads(actors.manager.user, renamed).count() == 3


def test_the_fts5_folding_exceptions_are_known() -> None:
    """SQLite's FTS5 narrowing must not lose a contact the comparisons accept: every character
    whose letter (one-character UPPER, as db/sqlite_engine.py folds) FTS5's trigram tokenizer
    folds to more than one value must be in `lead_search.FTS5_UNFOLDED` (which spells it every
    way). Read from the SQLite library in use: each cased character indexed once, its folded
    form read back through fts5vocab."""
    letters: dict[str, set[str]] = {}
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if 0xD800 <= code < 0xE000 or (char.upper() == char and char.lower() == char):
            continue
        letters.setdefault(lead_search._upper(char), {lead_search._upper(char)}).add(char)
    chars = sorted({char for alike in letters.values() for char in alike})
    database = sqlite3.connect(":memory:")
    database.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
    database.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    rows = [(index, "ab" + char) for index, char in enumerate(chars)]
    database.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", rows)
    folded = {chars[row]: term[2:] for term, row in database.execute("SELECT term, doc FROM v")}
    database.close()
    apart = {
        char
        for alike in letters.values()
        if len({folded[other] for other in alike}) > 1
        for char in alike
    }
    assert "\u0131" in apart  # the dotless i: "I" to UPPER, kept apart from "i" by FTS5
    assert not {char for char in apart if not lead_search.FTS5_UNFOLDED.fullmatch(char)}
    # Each spelling list holds a character of every folded form of its letter.
    for char in apart:
        spelled = {folded[other] for other in lead_search._FOLD_ALIKE[char]}
        assert spelled == {folded[other] for other in letters[lead_search._upper(char)]}

"""The data of bench/scale.py and bench/load.py: a scratch PostgreSQL database with N leads.

Migrated through `leadflow.db.lifecycle.migrate`; people and campaigns made through the
services (a manager with an API token, a second manager, 12 clerks, 20 campaigns); then the
contacts, leads and open activities bulk-loaded with COPY into the migrated tables, so every
trigger the migrations installed (report rollups, counters, search keys) runs on them as on any
other write; then VACUUM ANALYZE.

The leads (N = 1,000,000 by default in bench/scale.py):
- created evenly over the last 365 days (ids in creation order);
- 30 % NEW, 40 % ACTIVE, 30 % DONE, younger leads more often NEW and older ones more often DONE
  (the status follows the lead's age plus noise, so every tab has leads of every month);
- ACTIVE leads spread over 12 clerks with 8,000 to 80,000 open leads each at 1M (scaled with
  N), one of them (clerk07, "the measured clerk") with 20,000; 45 % of open leads have an open
  activity (a call), due between 30 days ago and 60 days ahead, and `next_due_at` to match;
- DONE leads closed by their clerk 1 hour to 30 days after assignment, 30 % successful;
- 20 campaigns of different sizes;
- one contact per lead: German first and last names (Müller about 1 %, a long tail of rarer
  ones, umlauts, double names), 60 % with a company, 85 % with an email (umlauts transliterated,
  private and company domains), 95 % with a phone in the spellings people type ("+49 511
  1234567", "0511 1234567", "0511/123456", "+49 (0)511 123456-0", mobile numbers).
"""

from __future__ import annotations

import bisect
import itertools
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from leadflow.auth.actors import OPERATOR
from leadflow.auth.tokens import issue_token
from leadflow.db.enums import ActivityKind, CloseReason, Outcome, Role
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import Campaign, User
from leadflow.services.users import create_user
from leadflow.services.validation import phone_key
from leads_page import admin_execute, asyncpg_dsn

SEED = 20261207
NEW_SHARE, ACTIVE_SHARE = 0.30, 0.40  # the rest is DONE
SCHEDULED_SHARE = 0.45  # open leads with an open activity
SUCCESS_SHARE = 0.30
# Open leads per clerk at 1,000,000 leads (400,000 ACTIVE); scaled with the number of leads.
# The eighth (clerk07) is the measured clerk of myTasks.
CLERK_OPEN = (80_000, 64_000, 52_000, 44_000, 37_000, 31_000, 26_000, 20_000, 16_000, 13_000,
              9_000, 8_000)  # fmt: skip
MEASURED_CLERK = 7
MANAGER_EMAIL = "manager@scale.example"
SECOND_MANAGER_EMAIL = "manager2@scale.example"

CAMPAIGNS = (
    "Messe Hannover 2026", "Newsletter Frühjahr", "Partner Nord", "Website Kontaktformular",
    "Hausmesse Oktober", "Kaltakquise Handwerk", "Empfehlungen", "Solar Förderung",
    "Wärmepumpe Herbst", "Google Ads Q1", "Google Ads Q2", "LinkedIn Kampagne",
    "Infoabend Hildesheim", "Gewerbe Bestand", "Rückrufaktion", "Messe Leipzig",
    "Mailing Süd", "Vertriebspartner West", "Bestandskunden Upgrade", "Landingpage Speicher",
)  # fmt: skip
CAMPAIGN_WEIGHTS = (14, 10, 8, 8, 7, 6, 6, 5, 5, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 1)

FIRST_NAMES = (
    "Anna", "Maria", "Laura", "Julia", "Sarah", "Lisa", "Katharina", "Sabine", "Petra", "Monika",
    "Ursula", "Claudia", "Susanne", "Andrea", "Birgit", "Jana", "Lea", "Sophie", "Marie", "Hannah",
    "Emma", "Mia", "Lena", "Jürgen", "Thomas", "Michael", "Andreas", "Stefan", "Frank", "Peter",
    "Klaus", "Wolfgang", "Uwe", "Dirk", "Jörg", "Matthias", "Christian", "Markus", "Sebastian",
    "Tobias", "Jan", "Lukas", "Felix", "Jonas", "Maik", "Sven", "Björn", "Günter", "Horst",
    "Dieter", "Karl-Heinz", "Hans-Peter", "Ömer", "Mehmet", "Aleksandra", "Zoë", "René", "André",
)  # fmt: skip
# The commonest German surnames with their weight in per mille of all people (Müller ~1 %);
# the rest of the people get a name from COMMON_TAIL or a composed rarer one.
TOP_LAST_NAMES = {
    "Müller": 10.0, "Schmidt": 7.7, "Schneider": 4.5, "Fischer": 4.2, "Weber": 3.8,
    "Meyer": 3.6, "Wagner": 3.2, "Becker": 3.0, "Schulz": 3.0, "Hoffmann": 2.9, "Schäfer": 2.4,
    "Koch": 2.3, "Bauer": 2.3, "Richter": 2.2, "Klein": 2.2, "Wolf": 2.1, "Schröder": 2.0,
    "Neumann": 2.0, "Schwarz": 1.9, "Zimmermann": 1.9, "Braun": 1.8, "Krüger": 1.8,
    "Hofmann": 1.8, "Hartmann": 1.7, "Lange": 1.7, "Schmitt": 1.7, "Werner": 1.6,
    "Schmitz": 1.6, "Krause": 1.6, "Meier": 1.5, "Lehmann": 1.5, "Schmid": 1.5, "Schulze": 1.4,
    "Maier": 1.4, "Köhler": 1.3, "Herrmann": 1.3, "König": 1.3, "Walter": 1.2, "Mayer": 1.2,
    "Huber": 1.2, "Kaiser": 1.2, "Fuchs": 1.1, "Peters": 1.1, "Lang": 1.1, "Scholz": 1.1,
    "Möller": 1.0, "Weiß": 1.0, "Jung": 1.0, "Hahn": 1.0, "Schubert": 1.0, "Vogel": 0.9,
    "Friedrich": 0.9, "Keller": 0.9, "Günther": 0.9, "Frank": 0.9, "Berger": 0.9, "Winkler": 0.8,
    "Roth": 0.8, "Beck": 0.8, "Lorenz": 0.8, "Baumann": 0.8, "Franke": 0.8, "Albrecht": 0.8,
    "Schuster": 0.7, "Simon": 0.7, "Ludwig": 0.7, "Böhm": 0.7, "Winter": 0.7, "Kraus": 0.7,
    "Martin": 0.7, "Schumacher": 0.7, "Krämer": 0.7, "Vogt": 0.6, "Stein": 0.6, "Jäger": 0.6,
    "Otto": 0.6, "Sommer": 0.6, "Groß": 0.6, "Seidel": 0.6, "Heinrich": 0.6, "Brandt": 0.6,
    "Haas": 0.6, "Schreiber": 0.6, "Graf": 0.6, "Schulte": 0.5, "Dietrich": 0.5, "Ziegler": 0.5,
    "Kuhn": 0.5, "Kühn": 0.5, "Pohl": 0.5, "Engel": 0.5, "Horn": 0.5, "Busch": 0.5,
    "Bergmann": 0.5, "Thomas": 0.5, "Voigt": 0.5, "Sauer": 0.5, "Arnold": 0.5, "Wolff": 0.5,
    "Pfeiffer": 0.5, "Yılmaz": 0.4, "Kaya": 0.3, "Nowak": 0.3, "Nguyen": 0.3,  # noqa: RUF001
}  # fmt: skip
NAME_STEMS = ("Brink", "Hessel", "Lind", "Wester", "Oster", "Hagen", "Rosen", "Linden", "Eck",
              "Kirch", "Mühl", "Stein", "Wald", "Feld", "Berg", "Brück", "Hol", "Dör", "Kämp",
              "Rott", "Sandt", "Tegt", "Wies", "Heid", "Lüd", "Bött", "Grün", "Ahl", "Oel",
              "Nieder", "Ober", "Fried", "Haber", "Lütt", "Quast", "Rein", "Sieg", "Thiel",
              "Uhl", "Vahl")  # fmt: skip
NAME_ENDINGS = ("mann", "er", "ke", "meier", "hoff", "hausen", "berg", "kamp", "rich", "ner",
                "ling", "brink", "wede", "horst", "huber", "lein", "stedt", "bach", "kötter",
                "feld", "beck", "hagen", "s", "ert", "inger")  # fmt: skip
COMPANY_KINDS = ("GmbH", "GmbH & Co. KG", "KG", "AG", "e.K.", "UG (haftungsbeschränkt)", "OHG")
TRADES = ("Haustechnik", "Bau", "Elektro", "Dachdeckerei", "Steuerberatung", "Immobilien",
          "Logistik", "Metallbau", "Gartenbau", "Autohaus", "Bäckerei", "Sanitär", "Holzbau",
          "Spedition", "Zahntechnik", "Versicherungsmakler", "Malerbetrieb")  # fmt: skip
CITIES = (("Hannover", "30159", "511", 8), ("Berlin", "10115", "30", 10), ("Hamburg", "20095",
          "40", 7), ("München", "80331", "89", 7), ("Köln", "50667", "221", 5), ("Frankfurt am "
          "Main", "60311", "69", 5), ("Stuttgart", "70173", "711", 4), ("Düsseldorf", "40213",
          "211", 3), ("Dortmund", "44135", "231", 3), ("Essen", "45127", "201", 3), ("Bremen",
          "28195", "421", 3), ("Leipzig", "04109", "341", 3), ("Dresden", "01067", "351", 2),
          ("Nürnberg", "90402", "911", 2), ("Hildesheim", "31134", "5121", 2), ("Braunschweig",
          "38100", "531", 2), ("Celle", "29221", "5141", 1), ("Göttingen", "37073", "551", 1),
          ("Osnabrück", "49074", "541", 1), ("Lüneburg", "21335", "4131", 1))  # fmt: skip
MOBILE_PREFIXES = ("151", "152", "157", "160", "162", "170", "171", "172", "173", "175", "176",
                   "177", "178", "179")  # fmt: skip
FREEMAIL = ("gmx.de", "web.de", "t-online.de", "gmail.com", "outlook.de", "posteo.de",
            "freenet.de", "yahoo.de", "icloud.com", "mail.de")  # fmt: skip
TRANSLITERATION = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i", "ë": "e", "é": "e",  # noqa: RUF001
     " ": "", "&": "", ".": "", "(": "", ")": ""}
)  # fmt: skip

CONTACT_COLUMNS = (
    "id", "salutation", "first_name", "last_name", "company", "email", "email_key", "phone",
    "phone_key", "street", "postal_code", "city", "country", "created_at",
)  # fmt: skip
LEAD_COLUMNS = (
    "id", "contact_id", "campaign_id", "assignee_id", "assigned_at", "first_assigned_at",
    "waiting_since", "next_due_at", "assignment_reason", "outcome", "close_reason", "close_note",
    "closed_at", "closed_by_id", "created_by_id", "created_at",
)  # fmt: skip
ACTIVITY_COLUMNS = (
    "kind", "due_at", "note", "assignee_id", "lead_id", "created_by_id", "created_at",
    "done_note",
)  # fmt: skip
UNSUCCESSFUL_REASONS = tuple(reason for reason in CloseReason)
NEW, ACTIVE, DONE = 0, 1, 2


@dataclass(frozen=True)
class People:
    manager_id: int
    second_manager_id: int
    clerk_ids: list[int]
    campaign_ids: list[int]

    @property
    def measured_clerk_id(self) -> int:
        return self.clerk_ids[MEASURED_CLERK]


@dataclass(frozen=True)
class Loaded:
    url: str
    people: People
    leads: int
    open_by_clerk: dict[int, int]
    seconds: float


# --- The database -----------------------------------------------------------------------------


@asynccontextmanager
async def scratch_database(admin_url: str, prefix: str, keep: bool) -> AsyncIterator[str]:
    """A new database on the server of `admin_url`, dropped afterwards (also on Ctrl-C or
    SIGTERM) unless `keep`."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    await admin_execute(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        if not keep:
            await admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def create_people(url: str) -> People:
    """Through the services, as in production."""
    async with database(url):
        manager = await create_user(OPERATOR, MANAGER_EMAIL, "Mara Manager", Role.MANAGER)
        second = await create_user(OPERATOR, SECOND_MANAGER_EMAIL, "Moritz Manager", Role.MANAGER)
        clerks = [
            await create_user(OPERATOR, f"clerk{n:02d}@scale.example", f"Clerk {n:02d}", Role.CLERK)
            for n in range(len(CLERK_OPEN))
        ]
        campaigns = [await Campaign.create(name=name) for name in CAMPAIGNS]
    return People(manager.id, second.id, [c.id for c in clerks], [c.id for c in campaigns])


async def people_of(url: str) -> People:
    """The people of a database this module loaded earlier (`--keep`)."""
    async with database(url):
        manager = await User.get(email=MANAGER_EMAIL)
        second = await User.get(email=SECOND_MANAGER_EMAIL)
        clerks = await User.filter(email__endswith="@scale.example", role=Role.CLERK).order_by(
            "email"
        )
        campaigns = await Campaign.filter(name__in=CAMPAIGNS).order_by("id")
    return People(manager.id, second.id, [c.id for c in clerks], [c.id for c in campaigns])


async def tokens_for(url: str, user_ids: list[int]) -> dict[int, str]:
    """A fresh API token per user (the secret is shown once)."""
    async with database(url):
        secrets = {}
        for user in await User.filter(id__in=user_ids):
            _, secrets[user.id] = await issue_token(user, name="bench")
    return secrets


# --- The rows ---------------------------------------------------------------------------------


def statuses(total: int, rng: random.Random) -> bytearray:
    """Each lead's status by index: the youngest (plus noise) NEW, the oldest DONE."""
    scores = [index / total + rng.gauss(0, 0.12) for index in range(total)]
    youngest_first = sorted(range(total), key=scores.__getitem__, reverse=True)
    status = bytearray(total)
    new_end, active_end = round(total * NEW_SHARE), round(total * (NEW_SHARE + ACTIVE_SHARE))
    for rank, index in enumerate(youngest_first):
        status[index] = NEW if rank < new_end else ACTIVE if rank < active_end else DONE
    return status


def open_per_clerk(total: int, clerk_ids: list[int]) -> dict[int, int]:
    """CLERK_OPEN scaled to the ACTIVE leads of `total` (exact sum)."""
    active = round(total * (NEW_SHARE + ACTIVE_SHARE)) - round(total * NEW_SHARE)
    scaled = [count * active // sum(CLERK_OPEN) for count in CLERK_OPEN]
    scaled[0] += active - sum(scaled)
    return dict(zip(clerk_ids, scaled, strict=True))


_TOP_NAMES = list(TOP_LAST_NAMES)
_TOP_CUMULATIVE = list(itertools.accumulate(TOP_LAST_NAMES.values()))
_CITY_CUMULATIVE = list(itertools.accumulate(city[3] for city in CITIES))
_CAMPAIGN_CUMULATIVE = list(itertools.accumulate(CAMPAIGN_WEIGHTS))


def _last_name(rng: random.Random) -> str:
    roll = rng.random() * 1000
    if roll < _TOP_CUMULATIVE[-1]:
        name = _TOP_NAMES[bisect.bisect_right(_TOP_CUMULATIVE, roll)]
    else:
        name = rng.choice(NAME_STEMS) + rng.choice(NAME_ENDINGS)
    if rng.random() < 0.02:  # double names
        name = f"{name}-{rng.choice(list(TOP_LAST_NAMES))}"
    return name


def _phone(rng: random.Random, area: str) -> str:
    if rng.random() < 0.35:
        prefix, number = rng.choice(MOBILE_PREFIXES), f"{rng.randrange(1_000_000, 99_999_999)}"
    else:
        prefix, number = area, f"{rng.randrange(10_000, 9_999_999)}"
    spelling = rng.random()
    if spelling < 0.35:
        return f"+49 {prefix} {number}"
    if spelling < 0.65:
        return f"0{prefix} {number}"
    if spelling < 0.78:
        return f"0{prefix}/{number}"
    if spelling < 0.88:
        return f"+49 (0){prefix} {number[:-1]}-{number[-1]}"
    if spelling < 0.95:
        return f"+49{prefix}{number}"
    return f"0{prefix}-{number[:3]} {number[3:]}"


def _slug(text: str) -> str:
    return text.lower().translate(TRANSLITERATION).replace("-", "")


def contact_rows(total: int, now: datetime, seed: int = SEED) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    used_emails: set[str] = set()
    start = now - timedelta(days=365)
    for pk in range(1, total + 1):
        first, last = rng.choice(FIRST_NAMES), _last_name(rng)
        city, postal, area, _ = rng.choices(CITIES, cum_weights=_CITY_CUMULATIVE)[0]
        company = ""
        if rng.random() < 0.6:
            company = (
                f"{last} {rng.choice(TRADES)} {rng.choice(COMPANY_KINDS)}"
                if rng.random() < 0.5
                else f"{rng.choice(TRADES)} {city} {rng.choice(COMPANY_KINDS)}"
            )
        email = None
        if rng.random() < 0.85:
            given, family = _slug(first), _slug(last)
            local = rng.choice(
                (f"{given}.{family}", f"{given[0]}.{family}", f"{given}{family}",
                 f"{family}.{given}", f"{given}.{family}")
            )  # fmt: skip
            domain = (
                f"{_slug(company.split(' ')[0])}-{_slug(city)}.de"
                if company and rng.random() < 0.5
                else rng.choice(FREEMAIL)
            )
            candidate = f"{local}@{domain}"
            while candidate.lower() in used_emails:
                candidate = f"{local}{rng.randrange(1, 9999)}@{domain}"
            used_emails.add(candidate.lower())
            email = candidate if rng.random() < 0.8 else candidate.capitalize()
        phone = _phone(rng, area) if rng.random() < 0.95 else ""
        created = start + timedelta(seconds=(pk - 1) * 365 * 86_400 / total)
        yield (
            pk, rng.choice(("Frau", "Herr", "")), first, last, company, email,
            email.lower() if email else None, phone, phone_key(phone),
            f"{rng.choice(('Haupt', 'Bahnhof', 'Garten', 'Linden', 'Schul'))}straße "
            f"{rng.randrange(1, 120)}", postal, city, "DE", created,
        )  # fmt: skip


@dataclass
class LeadPlan:
    total: int
    people: People
    now: datetime
    status: bytearray
    open_by_clerk: dict[int, int]
    activities: list[tuple[Any, ...]]


def lead_rows(plan: LeadPlan, seed: int = SEED) -> Iterator[tuple[Any, ...]]:
    """The leads; the open activities of the scheduled ones go to `plan.activities`."""
    rng = random.Random(seed + 1)
    people, now = plan.people, plan.now
    slots = [clerk for clerk, count in plan.open_by_clerk.items() for _ in range(count)]
    rng.shuffle(slots)
    open_slots = iter(slots)
    clerk_cumulative = list(itertools.accumulate(plan.open_by_clerk.values()))
    start = now - timedelta(days=365)
    for pk in range(1, plan.total + 1):
        created = start + timedelta(seconds=(pk - 1) * 365 * 86_400 / plan.total)
        campaign = rng.choices(people.campaign_ids, cum_weights=_CAMPAIGN_CUMULATIVE)[0]
        status = plan.status[pk - 1]
        assignee = assigned = waiting = due = closed = outcome = reason = None
        if status != NEW:
            assignee = (
                next(open_slots)
                if status == ACTIVE
                else rng.choices(people.clerk_ids, cum_weights=clerk_cumulative)[0]
            )
            assigned = min(created + timedelta(hours=rng.uniform(0.5, 72)), now)
            waiting = min(assigned + timedelta(hours=rng.uniform(0, 24 * 7)), now)
        if status == ACTIVE and rng.random() < SCHEDULED_SHARE:
            due = now + timedelta(hours=rng.uniform(-24 * 30, 24 * 60))
            plan.activities.append(
                (
                    ActivityKind.CALL.value,
                    due,
                    "Rückruf vereinbart",
                    assignee,
                    pk,
                    people.manager_id,
                    assigned,
                    "",
                )
            )
        if status == DONE:
            closed = min(assigned + timedelta(hours=rng.uniform(1, 24 * 30)), now)  # type: ignore[operator]
            waiting = None
            if rng.random() < SUCCESS_SHARE:
                outcome = Outcome.SUCCESSFUL.value
            else:
                outcome, reason = Outcome.UNSUCCESSFUL.value, rng.choice(UNSUCCESSFUL_REASONS).value
        yield (
            pk, pk, campaign, assignee, assigned, assigned, waiting, due,
            "manuell" if assignee else None, outcome, reason, "", closed,
            assignee if closed else None, None, created,
        )  # fmt: skip


# --- Loading ----------------------------------------------------------------------------------


async def load(url: str, total: int, progress: Any = print) -> Loaded:
    """Migrate `url` (an empty database), create the people, COPY `total` leads in."""
    started = perf_counter()
    await migrate(url)
    people = await create_people(url)
    now = datetime.now(UTC)
    rng = random.Random(SEED + 2)
    plan = LeadPlan(
        total, people, now, statuses(total, rng), open_per_clerk(total, people.clerk_ids), []
    )
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        progress(f"COPY {total:,} contacts…")
        await connection.copy_records_to_table(
            "contacts", records=contact_rows(total, now), columns=list(CONTACT_COLUMNS)
        )
        progress(f"COPY {total:,} leads (the migrations' triggers run)…")
        await connection.copy_records_to_table(
            "leads", records=lead_rows(plan), columns=list(LEAD_COLUMNS)
        )
        progress(f"COPY {len(plan.activities):,} open activities…")
        await connection.copy_records_to_table(
            "activities", records=plan.activities, columns=list(ACTIVITY_COLUMNS)
        )
        for table in ("contacts", "leads", "activities"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        progress("VACUUM ANALYZE…")
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return Loaded(url, people, total, plan.open_by_clerk, perf_counter() - started)


async def loaded(url: str) -> Loaded:
    """A database loaded by an earlier run (`--keep`)."""
    people = await people_of(url)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        total = await connection.fetchval("SELECT count(*) FROM leads")
        rows = await connection.fetch(
            "SELECT assignee_id, count(*) FROM leads WHERE closed_at IS NULL "
            "AND assignee_id IS NOT NULL GROUP BY assignee_id"
        )
    finally:
        await connection.close()
    return Loaded(url, people, total, {row[0]: row[1] for row in rows}, 0.0)

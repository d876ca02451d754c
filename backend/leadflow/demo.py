"""A realistic demo for an empty database: a manager, clerks, campaigns, leads in every state."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from leadflow.auth.tokens import issue_token
from leadflow.db.enums import Channel, CloseReason, Outcome, Role
from leadflow.db.models import User
from leadflow.services import campaigns, leads
from leadflow.services.users import create_user

DEMO_PASSWORD = "leadflow-demo"
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Eva",
    "Felix",
    "Greta",
    "Hannes",
    "Ida",
    "Jonas",
    "Katrin",
    "Lukas",
    "Marie",
    "Nils",
    "Olga",
    "Paul",
    "Rosa",
    "Stefan",
    "Tina",
    "Uwe",
]
LAST_NAMES = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Braun",
]
COMPANIES = [
    "Bäckerei Sonnenschein",
    "Autohaus Nord",
    "Kanzlei Berger",
    "Hotel Seeblick",
    "Metallbau Krause GmbH",
    "Praxis Dr. Lang",
    "Gärtnerei Grün",
    "IT-Service Ost",
    "Brauerei Hopfen & Malz",
    "Tischlerei Holzwurm",
    "",
]
CITIES = [
    ("10115", "Berlin"),
    ("20095", "Hamburg"),
    ("80331", "München"),
    ("50667", "Köln"),
    ("60311", "Frankfurt am Main"),
    ("70173", "Stuttgart"),
    ("04109", "Leipzig"),
]
CAMPAIGNS = [
    (
        "Frühjahrsmesse 2026",
        "Kontakte vom Messestand in Hannover",
        date(2026, 3, 2),
        date(2026, 3, 6),
    ),
    (
        "Newsletter Herbst",
        "Anmeldungen über das Formular im Herbst-Newsletter",
        date(2026, 9, 1),
        None,
    ),
    ("Webinar Energiesparen", "Teilnehmer des Webinars", date(2026, 10, 15), date(2026, 10, 15)),
]
FEEDBACK_NOTES = [
    "Rückruf vereinbart",
    "Interesse an einem Angebot",
    "Bittet um Unterlagen per Post",
    "Nicht erreicht, Mailbox",
    "Termin vor Ort nächste Woche",
]


async def seed_demo(say: Callable[[str], None]) -> None:
    if await User.exists():
        say(
            "Demo: the database has data already, nothing added. Demo users (password "
            f"{DEMO_PASSWORD!r}): manager@demo.leadflow, clerk1..3@demo.leadflow. New API token: "
            ".venv/bin/leadflow tokens create manager@demo.leadflow"
        )
        return
    rng = random.Random(20261127)
    manager = await create_user(
        "manager@demo.leadflow", "Maria Manager", Role.MANAGER, DEMO_PASSWORD
    )
    await create_user("admin@demo.leadflow", "Arne Admin", Role.ADMIN, DEMO_PASSWORD)
    clerks = [
        await create_user(f"clerk{n}@demo.leadflow", name, Role.CLERK, DEMO_PASSWORD)
        for n, name in enumerate(["Sven Sachbearbeiter", "Petra Pohl", "Kemal Kaya"], start=1)
    ]
    for name, description, starts_on, ends_on in CAMPAIGNS:
        campaign = await campaigns.create_campaign(manager, name, description, starts_on, ends_on)
        created = await leads.create_leads(manager, campaign.id, [_intake(rng) for _ in range(100)])
        await _work_leads(rng, manager, clerks, [lead.id for lead in created])
    say(f"Demo data created. Logins (password {DEMO_PASSWORD!r}):")
    for user in [manager, *clerks]:
        _, secret = await issue_token(user, name="demo")
        say(f"  {user.role.value.lower():8} {user.email:24} API token: {secret}")


def _intake(rng: random.Random) -> leads.LeadIntake:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    postal_code, city = rng.choice(CITIES)
    number = rng.randrange(10_000, 99_999)
    return leads.LeadIntake(
        salutation=rng.choice(["Frau", "Herr", ""]),
        first_name=first,
        last_name=last,
        company=rng.choice(COMPANIES),
        email=f"{first}.{last}.{number}@example.com".lower(),
        phone=f"+49 30 {number}",
        street=f"Hauptstraße {rng.randrange(1, 120)}",
        postal_code=postal_code,
        city=city,
        country="Deutschland",
    )


async def _work_leads(
    rng: random.Random, manager: User, clerks: list[User], lead_ids: list[int]
) -> None:
    """Leave about a third new, a third active (some with feedback) and a third done."""
    to_assign = lead_ids[: len(lead_ids) * 2 // 3]
    for index, clerk in enumerate(clerks):
        batch = to_assign[index :: len(clerks)]
        if batch:
            await leads.assign_leads(manager, batch, clerk.id)
    clerk_by_lead = {lead_id: clerks[i % len(clerks)] for i, lead_id in enumerate(to_assign)}
    for position, lead_id in enumerate(to_assign):
        clerk = clerk_by_lead[lead_id]
        if position % 2 == 0 or rng.random() < 0.3:
            await leads.record_feedback(
                clerk, lead_id, rng.choice(list(Channel)), rng.choice(FEEDBACK_NOTES)
            )
        if position % 2 == 0:
            if rng.random() < 0.4:
                await leads.close_lead(clerk, lead_id, Outcome.SUCCESSFUL)
            else:
                await leads.close_lead(
                    clerk, lead_id, Outcome.UNSUCCESSFUL, rng.choice(list(CloseReason))
                )

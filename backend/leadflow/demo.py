"""A realistic demo for an empty database: a manager, clerks, campaigns, leads in every state,
worked over the past eight weeks. The story is played through the services, each step at its
moment on the clock (`leadflow.clock`), so every timestamp and derived column is the services'
own."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import IntEnum

from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth.actors import DEMO
from leadflow.auth.tokens import issue_token
from leadflow.db.enums import ActivityKind, Channel, CloseReason, LeadStatus, Outcome, Role
from leadflow.db.lead_status import lead_status
from leadflow.db.models import Campaign, Lead, User
from leadflow.services import activities, campaigns, leads
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
LEADS_PER_CAMPAIGN = 100
FEEDBACK_NOTES = [
    "Rückruf vereinbart",
    "Interesse an einem Angebot",
    "Bittet um Unterlagen per Post",
    "Nicht erreicht, Mailbox",
    "Termin vor Ort nächste Woche",
]

# Who the leads are and how they end is drawn from PEOPLE_SEED, when things happened from
# TIMING_SEED: the timing can change without changing a single lead or its final state. Every
# moment is an offset from the time the demo is made: the same offsets on every run.
PEOPLE_SEED = 20261127
TIMING_SEED = 56
# Times below are ages: days before the story's end, a few minutes before the demo is made (so
# that "now" in the browser is always after the story).
STORY_DAYS = 56
STORY_END_MINUTES = 15
# The fair's contacts were typed in in batches (age, share): most in the first weeks, the last
# box of business cards two days ago.
FAIR_BATCHES = ((52.6, 4), (49.3, 3), (45.8, 3), (38.4, 2.5), (31.2, 2), (24.7, 2), (17.3, 2),
                (9.6, 1.5), (2.4, 2))  # fmt: skip
NEWSLETTER_MAILINGS = (33.0, 5.0)
WEBINAR_AGE = 38.0
# The manager distributes most new leads within a week; some are overlooked for longer.
OVERLOOKED_SHARE = 0.4
OVERLOOKED_AGE = 7.5
# Most active leads were assigned or answered within the last week; the others wait longer.
QUIET_SHARE = 0.25
QUIET_AGE = 7.5
HOUR = 1 / 24


@dataclass(frozen=True, slots=True)
class _Story:
    """What happens to one demo lead; drawn before anything is stored."""

    campaign: int  # index into CAMPAIGNS
    intake: leads.LeadIntake
    clerk: int | None = None  # index into the clerks; None: the lead stays NEW
    feedback: tuple[Channel, str] | None = None
    close: tuple[Outcome, CloseReason | None] | None = None

    @property
    def status(self) -> LeadStatus:
        return lead_status(self.close, self.clerk)


@dataclass(frozen=True, slots=True)
class _Moments:
    """When a story's steps happened; each one after the one before."""

    created: datetime
    assigned: datetime | None = None
    feedback: datetime | None = None
    closed: datetime | None = None


class _Step(IntEnum):
    """The steps of a story, in the order they happen to a lead (also at the same moment)."""

    ARRIVE = 0
    ASSIGN = 1
    ANSWER = 2
    CLOSE = 3


async def seed_demo(say: Callable[[str], None]) -> None:
    # Any data at all (users, or campaigns and leads from an import) means a real database:
    # the demo is never mixed into it.
    if await User.exists() or await Campaign.exists() or await Lead.exists():
        if await User.exists(email="manager@demo.leadflow"):
            say(
                "Demo: the demo is there already, nothing added. Demo users (password "
                f"{DEMO_PASSWORD!r}): manager@demo.leadflow, clerk1..3@demo.leadflow. New API "
                "token: .venv/bin/leadflow tokens create manager@demo.leadflow"
            )
        else:
            say("Demo: the database has data already, so no demo data was added.")
        return
    stories = _draw_stories(random.Random(PEOPLE_SEED))
    moments = _schedule(random.Random(TIMING_SEED), stories, clock.now())
    first_arrivals = [
        min(moments[i].created for i, story in enumerate(stories) if story.campaign == campaign)
        for campaign in range(len(CAMPAIGNS))
    ]
    # One transaction: the demo is there whole or not at all (and SQLite commits once).
    async with in_transaction():
        # The accounts were made a few days before the first lead came in.
        with clock.frozen_at(min(first_arrivals) - timedelta(days=3)):
            manager, clerks = await _create_users()
        campaign_ids = await _create_campaigns(manager, first_arrivals)
        await _play(manager, clerks, campaign_ids, stories, _timeline(moments))
        # The tokens are made now: they are printed for use today.
        tokens = [(user, (await issue_token(user, name="demo"))[1]) for user in [manager, *clerks]]
    say(f"Demo data created. Logins (password {DEMO_PASSWORD!r}):")
    for user, secret in tokens:
        say(f"  {user.role.value.lower():8} {user.email:24} API token: {secret}")


async def _create_users() -> tuple[User, list[User]]:
    """The manager and the clerks (and an admin nobody acts as in the story)."""
    manager = await create_user(
        DEMO, "manager@demo.leadflow", "Maria Manager", Role.MANAGER, DEMO_PASSWORD
    )
    await create_user(DEMO, "admin@demo.leadflow", "Arne Admin", Role.ADMIN, DEMO_PASSWORD)
    clerks = [
        await create_user(DEMO, f"clerk{n}@demo.leadflow", name, Role.CLERK, DEMO_PASSWORD)
        for n, name in enumerate(["Sven Sachbearbeiter", "Petra Pohl", "Kemal Kaya"], start=1)
    ]
    return manager, clerks


async def _create_campaigns(manager: User, first_arrivals: list[datetime]) -> list[int]:
    """Each campaign set up the day before its first lead came in."""
    campaign_ids = []
    for (name, description, starts_on, ends_on), first_arrival in zip(
        CAMPAIGNS, first_arrivals, strict=True
    ):
        with clock.frozen_at(first_arrival - timedelta(days=1)):
            campaign = await campaigns.create_campaign(
                manager, name, description, starts_on, ends_on
            )
        campaign_ids.append(campaign.id)
    return campaign_ids


# ---------------------------------------------------------------------------------------------
# Who the leads are and how they end


def _draw_stories(rng: random.Random) -> list[_Story]:
    """Per campaign 100 leads: about a third stay new, a third active (some with feedback) and a
    third done. The draws come in the order the demo has always made them, so the people and
    their outcomes stay the same."""
    stories: list[_Story] = []
    for campaign in range(len(CAMPAIGNS)):
        intakes = [_intake(rng) for _ in range(LEADS_PER_CAMPAIGN)]
        worked = len(intakes) * 2 // 3
        for position, intake in enumerate(intakes):
            if position >= worked:
                stories.append(_Story(campaign, intake))
                continue
            feedback: tuple[Channel, str] | None = None
            close: tuple[Outcome, CloseReason | None] | None = None
            if position % 2 == 0 or rng.random() < 0.3:
                feedback = (rng.choice(list(Channel)), rng.choice(FEEDBACK_NOTES))
            if position % 2 == 0:
                if rng.random() < 0.4:
                    close = (Outcome.SUCCESSFUL, None)
                else:
                    close = (Outcome.UNSUCCESSFUL, rng.choice(list(CloseReason)))
            stories.append(_Story(campaign, intake, position % 3, feedback, close))
    return stories


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


# ---------------------------------------------------------------------------------------------
# When it happened


def _schedule(rng: random.Random, stories: Sequence[_Story], now: datetime) -> list[_Moments]:
    """The moments of every story, within the STORY_DAYS before `now`.

    Each campaign's leads arrive in its own rhythm (`_campaign_age`). Done leads were closed
    steadily over the weeks, each assigned, answered and closed within days of its arrival.
    Most active leads were assigned or answered in the last week, a quarter longer ago (the
    aging list); they had waited days, some weeks, to be distributed. Most new leads arrived
    in the last week, some were overlooked for weeks."""
    end = now - timedelta(minutes=STORY_END_MINUTES)
    moments: list[_Moments] = []
    for story in stories:
        if story.status is LeadStatus.NEW:
            ages = [_new_age(rng, story.campaign)]
        elif story.status is LeadStatus.ACTIVE:
            ages = _active_ages(rng, story)
        else:
            ages = _done_ages(rng, story)
        created, *worked = [end - timedelta(days=age) for age in ages]
        assigned = worked.pop(0) if worked else None
        feedback = worked.pop(0) if story.feedback is not None else None
        closed = worked.pop(0) if story.close is not None else None
        moments.append(_Moments(created, assigned, feedback, closed))
    return moments


def _new_age(rng: random.Random, campaign: int) -> float:
    if rng.random() < OVERLOOKED_SHARE:
        return _arrival_age(rng, campaign, OVERLOOKED_AGE, STORY_DAYS)
    return _arrival_age(rng, campaign, 0, OVERLOOKED_AGE)


def _active_ages(rng: random.Random, story: _Story) -> list[float]:
    """Created, assigned and (with feedback) answered: the last of them is when the wait began."""
    opened = _opening_age(story.campaign)
    if rng.random() < QUIET_SHARE:
        waiting = rng.uniform(QUIET_AGE, min(30.0, opened - 2))
    else:
        waiting = rng.uniform(2 * HOUR, QUIET_AGE - 0.7)
    assigned = waiting
    if story.feedback is not None:
        assigned = min(waiting + _days(rng, 40, 1, 14 * 24), opened - 0.2)
    # Distributed days, some weeks after it came in.
    earliest = min(assigned + _days(rng, 48, 2, 14 * 24), opened - 0.1)
    created = _arrival_age(rng, story.campaign, earliest, min(assigned + 21, opened))
    if story.feedback is None:
        return [created, assigned]
    return [created, assigned, waiting]


def _done_ages(rng: random.Random, story: _Story) -> list[float]:
    """Created, assigned, answered and closed. Closes come steadily over the whole story; the
    lead was distributed within a day or so, answered a day later, closed days after that."""
    opened = _opening_age(story.campaign)
    closed = rng.uniform(2 * HOUR, opened - 1)
    steps = [_days(rng, 14, 0.5, 120)]
    if story.feedback is not None:
        steps.append(_days(rng, 30, 1, 400))
    steps.append(_days(rng, 80, 1, 400))
    # When the campaign's rhythm brought a lead about that long before the close; the steps
    # keep their proportions within the time between.
    span = sum(steps)
    latest_arrival = min(closed + 2 * span, opened)
    created = _arrival_age(
        rng, story.campaign, min(closed + span / 2, latest_arrival), latest_arrival
    )
    scale = (created - closed) / span
    ages = [created]
    for step in steps[:-1]:
        ages.append(ages[-1] - step * scale)
    return [*ages, closed]


def _days(rng: random.Random, median_hours: float, low_hours: float, high_hours: float) -> float:
    """A duration around its median, often shorter, sometimes much longer (log-normal)."""
    hours = rng.lognormvariate(math.log(median_hours), 0.8)
    return min(max(hours, low_hours), high_hours) * HOUR


def _opening_age(campaign: int) -> float:
    """The age of a campaign's earliest possible lead."""
    if campaign == 0:
        return max(age for age, _ in FAIR_BATCHES)
    if campaign == 2:
        return WEBINAR_AGE
    return STORY_DAYS


def _arrival_age(rng: random.Random, campaign: int, low: float, high: float) -> float:
    """When a lead of the campaign arrived, between the ages `low` and `high`."""
    for _ in range(100):
        age = _campaign_age(rng, campaign)
        if low <= age <= high:
            return age
    return rng.uniform(low, high)


def _campaign_age(rng: random.Random, campaign: int) -> float:
    pick = rng.random()
    if campaign == 0:
        # The fair's contacts, typed in a batch at a time, in sessions of an hour or two.
        batch = rng.choices([age for age, _ in FAIR_BATCHES], [n for _, n in FAIR_BATCHES])[0]
        age = batch - rng.uniform(0, 2) * HOUR
    elif campaign == 1:
        # Newsletter sign-ups: steady, a few more each week as the list grows, and a wave
        # after the latest mailing.
        if pick < 0.55:
            age = rng.uniform(0, STORY_DAYS)
        elif pick < 0.8:
            age = rng.triangular(0, STORY_DAYS, 0)
        else:
            age = rng.choice(NEWSLETTER_MAILINGS) - rng.expovariate(1 / 1.5)
    elif pick < 0.4:
        # The webinar's participants, on the day after it.
        age = WEBINAR_AGE - rng.uniform(0, 1)
    elif pick < 0.75:
        # People who watched the recording, fewer each day.
        age = WEBINAR_AGE - 1 - rng.expovariate(1 / 6)
    else:
        age = rng.uniform(0, WEBINAR_AGE - 1)
    return min(max(age, 2 * HOUR), STORY_DAYS)


# ---------------------------------------------------------------------------------------------
# Through the services, in the story's order


def _timeline(moments: Sequence[_Moments]) -> list[tuple[datetime, _Step, int]]:
    """Every step of every story (moment, step, story index), in the order they happened; so
    leads, events, feedback and opportunities are numbered in time order too."""
    timeline = []
    for index, moment in enumerate(moments):
        steps = (
            (_Step.ARRIVE, moment.created),
            (_Step.ASSIGN, moment.assigned),
            (_Step.ANSWER, moment.feedback),
            (_Step.CLOSE, moment.closed),
        )
        timeline += [(when, step, index) for step, when in steps if when is not None]
    return sorted(timeline)


async def _plan_call_back(clerk: User, lead_id: int, answered: datetime, index: int) -> None:
    """After feedback on a lead that stays open the clerk plans the call back, one to seven
    days on: by today some of these are overdue, some due today, some still ahead, so the
    worklist shows every section."""
    await activities.schedule_activity(
        clerk,
        activities.SubjectRef(activities.SubjectKind.LEAD, lead_id),
        ActivityKind.CALL,
        answered + timedelta(days=1 + index % 7),
        "Rückruf wie vereinbart",
    )


async def _play(
    manager: User,
    clerks: list[User],
    campaign_ids: list[int],
    stories: list[_Story],
    timeline: list[tuple[datetime, _Step, int]],
) -> None:
    """Each step through the service a user would call, on the clock at its moment. Leads
    arrive one at a time, as forms add them; the manager distributes them one by one."""
    lead_ids: dict[int, int] = {}
    for moment, step, index in timeline:
        story = stories[index]
        with clock.frozen_at(moment):
            if step is _Step.ARRIVE:
                campaign_id = campaign_ids[story.campaign]
                [lead] = await leads.create_leads(manager, campaign_id, [story.intake])
                lead_ids[index] = lead.id
                continue
            assert story.clerk is not None
            clerk, lead_id = clerks[story.clerk], lead_ids[index]
            if step is _Step.ASSIGN:
                await leads.assign_leads(manager, [lead_id], clerk.id)
            elif step is _Step.ANSWER:
                assert story.feedback is not None
                await leads.record_feedback(clerk, lead_id, *story.feedback)
                if story.close is None:
                    await _plan_call_back(clerk, lead_id, moment, index)
            else:
                assert story.close is not None
                await leads.close_lead(clerk, lead_id, *story.close)

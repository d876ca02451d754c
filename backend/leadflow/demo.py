"""A realistic demo for an empty database: a manager, clerks, campaigns, leads in every state,
worked over the past eight weeks."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.transactions import in_transaction

from leadflow.auth.tokens import issue_token
from leadflow.db.enums import Channel, CloseReason, LeadEventKind, LeadStatus, Outcome, Role
from leadflow.db.models import (
    Campaign,
    Contact,
    Feedback,
    Lead,
    LeadEvent,
    Opportunity,
    OpportunityEvent,
    User,
)
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
        if self.close is not None:
            return LeadStatus.DONE
        if self.clerk is not None:
            return LeadStatus.ACTIVE
        return LeadStatus.NEW


@dataclass(frozen=True, slots=True)
class _Moments:
    """When a story's steps happened; each one after the one before."""

    created: datetime
    assigned: datetime | None = None
    feedback: datetime | None = None
    closed: datetime | None = None

    @property
    def waiting_since(self) -> datetime | None:
        """The later of the assignment and the feedback (see services.reports, "waiting")."""
        if self.assigned is None:
            return None
        return max(self.assigned, self.feedback) if self.feedback else self.assigned


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
    moments = _schedule(random.Random(TIMING_SEED), stories, leads.now())
    # One transaction: the demo is there whole or not at all (and SQLite commits once).
    async with in_transaction():
        manager, admin, clerks = await _create_users()
        campaign_ids = [
            (await campaigns.create_campaign(manager, name, description, starts_on, ends_on)).id
            for name, description, starts_on, ends_on in CAMPAIGNS
        ]
        created = await _create_leads(manager, campaign_ids, stories, moments)
        worked = await _work_leads(manager, clerks, stories, moments, created)
        await _backdate([manager, admin, *clerks], campaign_ids, stories, moments, created, *worked)
        tokens = [(user, (await issue_token(user, name="demo"))[1]) for user in [manager, *clerks]]
    say(f"Demo data created. Logins (password {DEMO_PASSWORD!r}):")
    for user, secret in tokens:
        say(f"  {user.role.value.lower():8} {user.email:24} API token: {secret}")


async def _create_users() -> tuple[User, User, list[User]]:
    manager = await create_user(
        "manager@demo.leadflow", "Maria Manager", Role.MANAGER, DEMO_PASSWORD
    )
    admin = await create_user("admin@demo.leadflow", "Arne Admin", Role.ADMIN, DEMO_PASSWORD)
    clerks = [
        await create_user(f"clerk{n}@demo.leadflow", name, Role.CLERK, DEMO_PASSWORD)
        for n, name in enumerate(["Sven Sachbearbeiter", "Petra Pohl", "Kemal Kaya"], start=1)
    ]
    return manager, admin, clerks


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
            feedback = close = None
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


async def _create_leads(
    manager: User, campaign_ids: list[int], stories: list[_Story], moments: list[_Moments]
) -> list[Lead]:
    """The leads in the order they arrived (so their ids follow their age), one call per run
    of arrivals for the same campaign, as imports and forms would add them."""
    order = sorted(range(len(stories)), key=lambda index: moments[index].created)
    created: list[Lead | None] = [None] * len(stories)
    run: list[int] = []
    for position, index in enumerate(order):
        run.append(index)
        following = order[position + 1] if position + 1 < len(order) else None
        if following is not None and stories[following].campaign == stories[index].campaign:
            continue
        campaign_id = campaign_ids[stories[index].campaign]
        stored = await leads.create_leads(manager, campaign_id, [stories[i].intake for i in run])
        for story_index, lead in zip(run, stored, strict=True):
            created[story_index] = lead
        run = []
    assert all(lead is not None for lead in created)
    return [lead for lead in created if lead is not None]


async def _work_leads(
    manager: User,
    clerks: list[User],
    stories: list[_Story],
    moments: list[_Moments],
    created: list[Lead],
) -> tuple[dict[int, int], dict[int, int]]:
    """Assign (a call per clerk), then give feedback and close in the order the story has
    them, so that feedback and opportunities are numbered in time order too. Returns the
    feedback ids and the opportunity ids by story index."""
    for clerk_index, clerk in enumerate(clerks):
        batch = [created[i].id for i, story in enumerate(stories) if story.clerk == clerk_index]
        if batch:
            await leads.assign_leads(manager, batch, clerk.id)
    feedback_ids: dict[int, int] = {}
    for index in _in_order(moments, lambda moment: moment.feedback):
        story = stories[index]
        assert story.feedback is not None and story.clerk is not None
        channel, note = story.feedback
        entry, _ = await leads.record_feedback(
            clerks[story.clerk], created[index].id, channel, note
        )
        feedback_ids[index] = entry.id
    opportunity_ids: dict[int, int] = {}
    for index in _in_order(moments, lambda moment: moment.closed):
        story = stories[index]
        assert story.close is not None and story.clerk is not None
        outcome, reason = story.close
        result = await leads.close_lead(clerks[story.clerk], created[index].id, outcome, reason)
        if result.opportunity is not None:
            opportunity_ids[index] = result.opportunity.id
    return feedback_ids, opportunity_ids


def _in_order(moments: list[_Moments], step: Callable[[_Moments], datetime | None]) -> list[int]:
    """The indexes of the stories that have the step, in the order the steps happened."""
    when = {index: step(moment) for index, moment in enumerate(moments)}
    happened = {index: moment for index, moment in when.items() if moment is not None}
    return sorted(happened, key=happened.__getitem__)


# ---------------------------------------------------------------------------------------------
# Back-dating


async def _backdate(
    users: list[User],
    campaign_ids: list[int],
    stories: list[_Story],
    moments: list[_Moments],
    created: list[Lead],
    feedback_ids: dict[int, int],
    opportunity_ids: dict[int, int],
) -> None:
    """Move every stored moment to the story's time with plain UPDATEs, keeping what the
    services maintain consistent: the firsts on the lead match its events and feedback, the
    wait starts at the later of assignment and feedback (services.reports, definitions)."""
    for index, lead in enumerate(created):
        await _backdate_lead(lead, moments[index])
        if index in feedback_ids:
            await Feedback.filter(id=feedback_ids[index]).update(created_at=moments[index].feedback)
        if index in opportunity_ids:
            closed = moments[index].closed
            await Opportunity.filter(id=opportunity_ids[index]).update(created_at=closed)
            await OpportunityEvent.filter(opportunity_id=opportunity_ids[index]).update(at=closed)
    first_arrivals = [
        min(moments[i].created for i, story in enumerate(stories) if story.campaign == c)
        for c in range(len(campaign_ids))
    ]
    for campaign_id, first_arrival in zip(campaign_ids, first_arrivals, strict=True):
        # Set up the day before its first lead came in.
        await Campaign.filter(id=campaign_id).update(created_at=first_arrival - timedelta(days=1))
    accounts_made = min(first_arrivals) - timedelta(days=3)
    await User.filter(id__in=[user.id for user in users]).update(created_at=accounts_made)


async def _backdate_lead(lead: Lead, moments: _Moments) -> None:
    await Lead.filter(id=lead.id).update(
        created_at=moments.created,
        first_assigned_at=moments.assigned,
        assigned_at=moments.assigned,
        waiting_since=moments.waiting_since,
        first_feedback_at=moments.feedback,
        closed_at=moments.closed,
    )
    await Contact.filter(id=lead.contact_id).update(created_at=moments.created)
    events = LeadEvent.filter(lead_id=lead.id)
    await events.filter(kind=LeadEventKind.CREATED).update(at=moments.created)
    if moments.assigned is not None:
        await events.filter(kind=LeadEventKind.ASSIGNED).update(at=moments.assigned)
    if moments.feedback is not None:
        await events.filter(kind=LeadEventKind.FEEDBACK_RECORDED).update(at=moments.feedback)
    if moments.closed is not None:
        await events.filter(
            kind__in=[LeadEventKind.CLOSED, LeadEventKind.OPPORTUNITY_CREATED]
        ).update(at=moments.closed)

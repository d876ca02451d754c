"""Retention (services/privacy/retention.py) over a prepared database with leads closed at known
dates, on both databases with a frozen clock: exactly the contacts whose every lead closed
unsuccessful longer ago than its campaign's limit (else the setting), with no opportunity, are
listed by the dry run and erased by the run, each once (also by two rounds at once); a lead
reopened or added while a round erases keeps its person."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from leadflow import clock, jobs
from leadflow.api.ids import encode_id
from leadflow.auth.actors import Actor
from leadflow.db.enums import CloseReason, Outcome
from leadflow.db.models import AuditEntry, Campaign, Contact, Lead, Opportunity, Suppression
from leadflow.services.audit import AuditAction
from leadflow.services.privacy import config, erasure, retention
from leadflow.settings import Settings
from tests.helpers import Actors, mutate, mutate_ok

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SETTING_DAYS = 30


@pytest.fixture
def retention_setting() -> Iterator[None]:
    config.configure(Settings(retention_days_unsuccessful=SETTING_DAYS))
    yield
    config.configure(Settings())


async def person(name: str) -> Contact:
    email = f"{name.lower()}@example.com"
    return await Contact.create(
        last_name=name, company=f"{name} GmbH", email=email, email_key=email, phone="+49 30 1234"
    )


async def lead(
    contact: Contact, campaign: Campaign, closed_days_ago: float | None, outcome: Outcome
) -> Lead:
    """A lead of `contact`, closed with `outcome` that many days before T0 (None: open)."""
    created = await Lead.create(campaign=campaign, contact=contact)
    if closed_days_ago is not None:
        await Lead.filter(id=created.id).update(
            closed_at=T0 - timedelta(days=closed_days_ago),
            outcome=outcome,
            close_reason=CloseReason.NOT_INTERESTED if outcome is Outcome.UNSUCCESSFUL else None,
        )
    return await Lead.get(id=created.id)


async def lost(contact: Contact, campaign: Campaign, days_ago: float) -> Lead:
    return await lead(contact, campaign, days_ago, Outcome.UNSUCCESSFUL)


class Prepared:
    """The prepared database: which contact is due under the setting of 30 days."""

    def __init__(self) -> None:
        self.due: list[Contact] = []
        self.kept: list[Contact] = []


async def prepare(actors: Actors) -> Prepared:
    messe = await Campaign.create(name="Messe Süd")  # the setting: 30 days
    short = await Campaign.create(name="Kurz", retention_days=10)
    long = await Campaign.create(name="Lang", retention_days=400)
    prepared = Prepared()

    old = await person("Alt")  # due: lost 31 days ago
    await lost(old, messe, 31)
    prepared.due.append(old)

    still_open = await person("Offen")  # an open lead keeps the person
    await lost(still_open, messe, 60)
    await lead(still_open, messe, None, Outcome.UNSUCCESSFUL)
    prepared.kept.append(still_open)

    won = await person("Gewonnen")  # a successful lead keeps the person
    await lost(won, messe, 60)
    await lead(won, messe, 60, Outcome.SUCCESSFUL)
    prepared.kept.append(won)

    with_opportunity = await person("Chance")  # an opportunity keeps the person
    lost_lead = await lost(with_opportunity, messe, 60)
    await Opportunity.create(
        title="Chance", contact=with_opportunity, lead=lost_lead, owner=actors.clerk_a.user
    )
    prepared.kept.append(with_opportunity)

    recent = await person("Frisch")  # closed one day too recently; exactly 30 days: not older
    await lost(recent, messe, SETTING_DAYS - 1)
    await lost(recent, messe, SETTING_DAYS)
    prepared.kept.append(recent)

    shorter = await person("Kurzfrist")  # the campaign's 10 days, shorter than the setting
    await lost(shorter, short, 11)
    prepared.due.append(shorter)

    longer = await person("Langfrist")  # the campaign's 400 days, longer than the setting
    await lost(longer, long, 60)
    prepared.kept.append(longer)

    both = await person("Beide")  # two campaigns, each lead past its own limit
    await lost(both, short, 11)
    await lost(both, messe, 31)
    prepared.due.append(both)

    one_not = await person("Teils")  # past the short limit, not yet past the setting
    await lost(one_not, short, 11)
    await lost(one_not, messe, 20)
    prepared.kept.append(one_not)

    prepared.kept.append(await person("Ohne"))  # no lead at all

    erased = await person("Schon")  # erased already: not again
    await lost(erased, messe, 90)
    await Contact.filter(id=erased.id).update(erased_at=T0 - timedelta(days=1))
    prepared.kept.append(erased)
    return prepared


def ids(contacts: list[Contact]) -> list[int]:
    return sorted(contact.id for contact in contacts)


async def round_at(moment: datetime, *, dry_run: bool) -> retention.RetentionReport:
    with clock.frozen_at(moment):
        return await retention.run(dry_run=dry_run)


async def erased_ids() -> list[int]:
    return sorted(await Contact.filter(erased_at__not_isnull=True).values_list("id", flat=True))


async def erasure_audit() -> list[str]:
    return list(
        await AuditEntry.filter(action=AuditAction.CONTACT_ERASED)
        .order_by("id")
        .values_list("detail", flat=True)
    )


async def test_the_dry_run_lists_exactly_the_due_contacts_and_erases_nothing(
    actors: Actors, retention_setting: None
):
    prepared = await prepare(actors)
    already = await erased_ids()

    report = await round_at(T0, dry_run=True)

    assert report.ran and report.dry_run
    assert [due.contact_id for due in report.contacts] == ids(prepared.due)
    old, shorter, both = report.contacts
    assert (old.leads, old.latest_close, old.retention_days, old.campaigns) == (
        1,
        T0 - timedelta(days=31),
        30,
        ("Messe Süd",),
    )
    assert (shorter.leads, shorter.retention_days, shorter.campaigns) == (1, 10, ("Kurz",))
    # The latest close and the longest limit of its two campaigns.
    assert (both.leads, both.latest_close, both.retention_days, both.campaigns) == (
        2,
        T0 - timedelta(days=11),
        30,
        ("Kurz", "Messe Süd"),
    )
    assert await erased_ids() == already
    assert await Contact.filter(last_name="Alt", email="alt@example.com").count() == 1
    assert await erasure_audit() == []
    assert await Suppression.all().count() == 0


async def test_the_run_erases_exactly_the_due_contacts_once(
    actors: Actors, retention_setting: None
):
    prepared = await prepare(actors)
    kept_before = {
        contact.id: (contact.last_name, contact.email, contact.erased_at)
        for contact in await Contact.filter(id__in=ids(prepared.kept))
    }

    report = await round_at(T0, dry_run=False)

    due_ids = ids(prepared.due)
    assert report.ran and not report.dry_run
    assert [due.contact_id for due in report.contacts] == due_ids
    assert report.kept == 0
    assert sorted(await Contact.filter(erased_at=T0).values_list("id", flat=True)) == due_ids
    for contact in await Contact.filter(id__in=due_ids):
        assert (contact.last_name, contact.email, contact.company) == ("[gelöscht]", None, "")
    kept_after = {
        contact.id: (contact.last_name, contact.email, contact.erased_at)
        for contact in await Contact.filter(id__in=ids(prepared.kept))
    }
    assert kept_after == kept_before
    # The leads stay (every figure stays): only the person is gone.
    assert await Lead.filter(contact_id__in=due_ids).count() == 4
    audit = await erasure_audit()
    assert len(audit) == 3
    for contact_id, detail in zip(due_ids, audit, strict=True):
        assert detail.startswith(f"contact {contact_id}: Aufbewahrungsfrist abgelaufen (")
        assert detail.endswith("(by system:retention)")
    assert "(10 Tage)" in audit[1] and "(30 Tage)" in audit[2]

    again = await round_at(T0 + timedelta(hours=1), dry_run=False)

    assert again.ran and again.contacts == [] and again.kept == 0
    assert len(await erasure_audit()) == 3


async def test_two_rounds_at_once_erase_each_contact_once(actors: Actors, retention_setting: None):
    prepared = await prepare(actors)
    extra = []
    for number in range(6):
        contact = await person(f"Mehr{number}")
        await lost(contact, await Campaign.get(name="Messe Süd"), 45)
        extra.append(contact)

    with clock.frozen_at(T0):
        rounds = await asyncio.gather(*(retention.run(dry_run=False) for _ in range(3)))

    expected = ids(prepared.due + extra)
    erased = sorted(due.contact_id for result in rounds for due in result.contacts)
    assert erased == expected
    assert any(result.ran for result in rounds)
    audit = await erasure_audit()
    assert sorted(int(detail.split()[1].rstrip(":")) for detail in audit) == expected


async def test_the_batches_go_on_until_the_backlog_is_done(
    actors: Actors, retention_setting: None, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    prepared = await prepare(actors)

    listed = await round_at(T0, dry_run=True)
    limited = await round_at(T0, dry_run=True)
    with clock.frozen_at(T0):
        first_two = await retention.run(dry_run=False, limit=2)
    rest = await round_at(T0, dry_run=False)

    assert [due.contact_id for due in listed.contacts] == ids(prepared.due)
    assert [due.contact_id for due in limited.contacts] == ids(prepared.due)
    assert [due.contact_id for due in first_two.contacts] == ids(prepared.due)[:2]
    assert [due.contact_id for due in rest.contacts] == ids(prepared.due)[2:]


async def test_the_scheduled_job_erases_the_due_contacts(actors: Actors, retention_setting: None):
    prepared = await prepare(actors)
    settings = Settings(
        retention_days_unsuccessful=SETTING_DAYS,
        prune_interval_seconds=0.05,
        import_watchdog_seconds=0,
        reminder_interval_seconds=0,
        webhook_poll_seconds=0,
    )
    expected = sorted([*await erased_ids(), *ids(prepared.due)])

    # The job's task starts inside the frozen moment, so its rounds run at T0. BackgroundWork
    # configures the privacy settings; the fixture resets them afterwards.
    with clock.frozen_at(T0):
        work = jobs.BackgroundWork(settings)
        async with work.running():
            async with asyncio.timeout(30):
                while await erased_ids() != expected:
                    await asyncio.sleep(0.05)

    assert len(await erasure_audit()) == 3


async def test_without_the_setting_only_campaigns_with_a_retention_count(actors: Actors):
    config.configure(Settings())  # LEADFLOW_RETENTION_DAYS_UNSUCCESSFUL off
    messe = await Campaign.create(name="Messe Süd")
    short = await Campaign.create(name="Kurz", retention_days=10)
    unlimited = await person("Unbegrenzt")
    await lost(unlimited, messe, 5000)
    limited = await person("Begrenzt")
    await lost(limited, short, 11)
    mixed = await person("Gemischt")  # one lead under no limit keeps the person
    await lost(mixed, short, 11)
    await lost(mixed, messe, 5000)

    report = await round_at(T0, dry_run=False)

    assert [due.contact_id for due in report.contacts] == [limited.id]
    assert await erased_ids() == [limited.id]


async def test_nothing_happens_when_no_retention_is_set(actors: Actors):
    config.configure(Settings())
    messe = await Campaign.create(name="Messe Süd")
    await lost(await person("Alt"), messe, 5000)

    listed = await round_at(T0, dry_run=True)
    report = await round_at(T0, dry_run=False)

    assert (listed.contacts, report.contacts) == ([], [])
    assert await erased_ids() == []


async def test_a_lead_reopened_while_the_round_runs_keeps_its_person(
    actors: Actors, retention_setting: None
):
    messe = await Campaign.create(name="Messe Süd")
    contact = await person("Alt")
    closed = await lost(contact, messe, 31)
    reopening = asyncio.Event()
    release = asyncio.Event()

    async def reopen() -> None:
        # A manager's reopen in progress: the lead's row is written, not yet committed.
        async with in_transaction():
            await Lead.filter(id=closed.id).update(closed_at=None, outcome=None, close_reason=None)
            reopening.set()
            await release.wait()

    async def release_later() -> None:
        await reopening.wait()
        # Long enough for the round to list the contact and wait for the lead's lock.
        await asyncio.sleep(0.5)
        release.set()

    with clock.frozen_at(T0):
        reopened = asyncio.ensure_future(reopen())
        await reopening.wait()
        report, *_ = await asyncio.gather(retention.run(dry_run=False), release_later(), reopened)

    assert report.contacts == []
    assert await erased_ids() == []
    assert (await Contact.get(id=contact.id)).email == "alt@example.com"


async def test_a_lead_added_while_the_round_runs_keeps_its_person(
    actors: Actors, retention_setting: None
):
    messe = await Campaign.create(name="Messe Süd")
    contact = await person("Alt")
    await lost(contact, messe, 31)
    adding = asyncio.Event()
    release = asyncio.Event()

    async def add_lead() -> None:
        # The next trade fair's import finds the person again: a new open lead, not committed.
        async with in_transaction():
            await Lead.create(campaign=messe, contact=contact)
            adding.set()
            await release.wait()

    async def release_later() -> None:
        await adding.wait()
        await asyncio.sleep(0.5)
        release.set()

    with clock.frozen_at(T0):
        added = asyncio.ensure_future(add_lead())
        await adding.wait()
        report, *_ = await asyncio.gather(retention.run(dry_run=False), release_later(), added)

    assert report.contacts == []
    assert await erased_ids() == []
    assert await Lead.filter(contact_id=contact.id).count() == 2


CREATE_LEADS_SELECTION = "leads { id contact { id } }"


async def _intake(client, actors: Actors, campaign_id: str, email: str) -> dict:
    return await mutate(
        client,
        actors.manager,
        "createLeads",
        {"campaignId": campaign_id, "leads": [{"lastName": "Quast", "email": email}]},
        CREATE_LEADS_SELECTION,
    )


async def test_retention_does_not_suppress_but_an_erasure_does(
    client, actors: Actors, retention_setting: None
):
    """Review B: a prospect who did not buy made no objection, so the retention's erasure puts
    nothing on the suppression list (and keeps no keyed hash of them for good); the same
    person coming again is stored as a new contact. An admin's eraseContact suppresses."""
    messe = await Campaign.create(name="Messe Süd")
    campaign_id = encode_id("Campaign", messe.id)
    stored: dict[str, int] = {}
    for email in ("lost@example.com", "erased@example.com"):
        assert (await _intake(client, actors, campaign_id, email))["userErrors"] == []
        stored[email] = (await Contact.get(email=email)).id
        await Lead.filter(contact_id=stored[email]).update(
            closed_at=T0 - timedelta(days=40),
            outcome=Outcome.UNSUCCESSFUL,
            close_reason=CloseReason.UNREACHABLE,
        )
    await mutate_ok(
        client,
        actors.admin,
        "eraseContact",
        {"contactId": encode_id("Contact", stored["erased@example.com"]), "reason": "Anruf"},
    )

    report = await round_at(T0, dry_run=False)

    assert [due.contact_id for due in report.contacts] == [stored["lost@example.com"]]
    assert await erased_ids() == sorted(stored.values())
    assert await Suppression.filter(contact_id=stored["lost@example.com"]).count() == 0
    assert await Suppression.filter(contact_id=stored["erased@example.com"]).count() == 1
    again = await _intake(client, actors, campaign_id, "LOST@example.com")
    assert again["userErrors"] == []
    [new_contact] = await Contact.filter(last_name="Quast", erased_at=None)
    assert new_contact.id not in stored.values()
    assert [lead["contact"]["id"] for lead in again["leads"]] == [
        encode_id("Contact", new_contact.id)
    ]
    refused = await _intake(client, actors, campaign_id, "erased@example.com")
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("SUPPRESSED", ["leads", "0", "email"])
    ]


def _failing_for(contact_id: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Let the erasure of `contact_id` raise inside its transaction (after it has written), as
    a broken row or a database error would; every other erasure runs for real. Returns the
    ids the round tried."""
    real = erasure.erase_contact
    tried: list[int] = []

    async def erase(actor: Actor, erased_id: int, reason: str, **options: bool) -> Contact:
        tried.append(erased_id)
        contact = await real(actor, erased_id, reason, **options)
        if erased_id == contact_id:
            raise RuntimeError("a broken contact")
        return contact

    monkeypatch.setattr(erasure, "erase_contact", erase)
    return tried


async def test_a_contact_whose_erasure_fails_is_skipped_and_tried_again(
    actors: Actors, retention_setting: None, monkeypatch: pytest.MonkeyPatch
):
    """Review B: one failing contact rolled its whole batch back, every round, for good. Now
    each contact has its own transaction: the failing one is rolled back (nothing of it
    erased), logged and skipped, the others are erased, and the next round tries it again."""
    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    prepared = await prepare(actors)
    due = ids(prepared.due)
    tried = _failing_for(due[0], monkeypatch)

    report = await round_at(T0, dry_run=False)

    assert tried == due
    assert report.ran and report.failed == {due[0]: "RuntimeError: a broken contact"}
    assert [d.contact_id for d in report.contacts] == due[1:]
    assert await erased_ids() == sorted([*await _erased_before(prepared), *due[1:]])
    assert (await Contact.get(id=due[0])).email == "alt@example.com"
    assert len(await erasure_audit()) == 2

    monkeypatch.undo()
    retry = await round_at(T0 + timedelta(hours=1), dry_run=False)

    assert [d.contact_id for d in retry.contacts] == [due[0]] and retry.failed == {}
    assert (await Contact.get(id=due[0])).erased_at == T0 + timedelta(hours=1)


async def _erased_before(prepared: Prepared) -> list[int]:
    return [c.id for c in prepared.kept if (await Contact.get(id=c.id)).erased_at is not None]


async def test_a_round_ends_between_two_contacts_when_the_app_stops(
    actors: Actors, retention_setting: None
):
    prepared = await prepare(actors)
    due = ids(prepared.due)
    asked: list[bool] = []

    def stopping() -> bool:
        # The shutdown begins while the first contact is erased.
        asked.append(True)
        return len(asked) > 1

    with clock.frozen_at(T0):
        report = await retention.run(dry_run=False, stopping=stopping)

    assert report.stopped and report.ran
    assert [d.contact_id for d in report.contacts] == due[:1]
    assert len(asked) == 2
    rest = await round_at(T0, dry_run=False)
    assert [d.contact_id for d in rest.contacts] == due[1:]


async def test_the_reason_says_one_day_in_the_singular(actors: Actors):
    short = await Campaign.create(name="Kurz", retention_days=1)
    contact = await person("Eintag")
    await lost(contact, short, 2)

    report = await round_at(T0, dry_run=False)

    assert [d.contact_id for d in report.contacts] == [contact.id]
    assert await erasure_audit() == [
        f"contact {contact.id}: Aufbewahrungsfrist abgelaufen (1 Tag) (by system:retention)"
    ]


async def test_another_instance_taking_over_mid_round_leaves_the_erased_in_the_report(
    actors: Actors, retention_setting: None, backend: str, monkeypatch: pytest.MonkeyPatch
):
    """Another instance takes the job lock after this round's first erasure committed: the
    round stops there (ran False) and its report still lists the contact it erased (the
    command prints it). Each contact's transaction takes the transaction-scoped lock anew, so
    the other instance gets it between two contacts."""
    if backend != "postgres":
        pytest.skip("instances are told apart by PostgreSQL's advisory lock")
    prepared = await prepare(actors)
    due = ids(prepared.due)
    real_lock = retention.try_job_lock
    take = asyncio.Event()
    holding = asyncio.Event()
    release = asyncio.Event()
    calls: list[int] = []

    async def other_instance() -> None:
        # Started outside the round, so its transaction is a connection of its own.
        await take.wait()
        async with in_transaction():
            assert await real_lock(retention.JOB_LOCK_KEY)
            holding.set()
            await release.wait()

    async def lock(key: int) -> bool:
        if calls:
            # The second contact: the first one's transaction has committed, the other
            # instance takes the lock now.
            take.set()
            await asyncio.wait_for(holding.wait(), 10)
        calls.append(key)
        return await real_lock(key)

    other = asyncio.ensure_future(other_instance())
    monkeypatch.setattr(retention, "try_job_lock", lock)
    try:
        report = await round_at(T0, dry_run=False)
    finally:
        take.set()
        release.set()
        await other

    assert not report.ran
    assert [d.contact_id for d in report.contacts] == due[:1]
    assert await erased_ids() == sorted([*await _erased_before(prepared), due[0]])

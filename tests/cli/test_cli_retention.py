"""`leadflow retention run [--dry-run]` against an SQLite file: the dry run lists the due
contacts (number, leads, last close, limit, campaigns; no personal data) and erases nothing;
the run erases exactly them and says how many; a second run finds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadflow.db.enums import CloseReason, Outcome
from leadflow.db.models import AuditEntry, Campaign, Contact, Lead
from leadflow.services.audit import AuditAction
from tests.cli.runner import run_with_database, succeeded

SETTING = {"LEADFLOW_RETENTION_DAYS_UNSUCCESSFUL": "30"}
# The command reads the real clock: the closes are placed relative to it, well clear of the
# limits so that the seconds the test takes do not matter.
NOW = datetime.now(UTC)


async def _lost(contact: Contact, campaign: Campaign, days_ago: int) -> None:
    lead = await Lead.create(campaign=campaign, contact=contact)
    await Lead.filter(id=lead.id).update(
        closed_at=NOW - timedelta(days=days_ago),
        outcome=Outcome.UNSUCCESSFUL,
        close_reason=CloseReason.UNREACHABLE,
    )


async def _seed() -> dict[str, int]:
    messe = await Campaign.create(name="Messe Süd")
    short = await Campaign.create(name="Kurz", retention_days=10)
    contacts: dict[str, int] = {}
    for name, leads in {
        "Alt": [(messe, 45)],
        "Beide": [(short, 12), (messe, 40)],
        "Frisch": [(messe, 20)],
        "Offen": [(messe, 60)],
    }.items():
        contact = await Contact.create(last_name=name, email=f"{name.lower()}@example.com")
        for campaign, days_ago in leads:
            await _lost(contact, campaign, days_ago)
        contacts[name] = contact.id
    await Lead.create(campaign=messe, contact_id=contacts["Offen"])
    return contacts


async def _state() -> tuple[list[str], int]:
    names = await Contact.all().order_by("id").values_list("last_name", flat=True)
    erasures = await AuditEntry.filter(action=AuditAction.CONTACT_ERASED).count()
    return [str(name) for name in names], erasures


def day(days_ago: int) -> str:
    return f"{NOW - timedelta(days=days_ago):%Y-%m-%d}"


def test_the_dry_run_lists_and_the_run_erases(cli):
    url = cli.env["LEADFLOW_DATABASE_URL"]
    ids = run_with_database(url, _seed)

    listed = succeeded(cli("retention", "run", "--dry-run", **SETTING))

    expected = [
        f"contact #{ids['Alt']}\t1 lead\tlast closed {day(45)}\t30 days\tMesse Süd",
        f"contact #{ids['Beide']}\t2 leads\tlast closed {day(12)}\t30 days\tKurz, Messe Süd",
    ]
    assert listed.splitlines() == [*expected, "2 contacts would be erased"]
    assert run_with_database(url, _state) == (["Alt", "Beide", "Frisch", "Offen"], 0)

    erased = succeeded(cli("retention", "run", **SETTING))

    assert erased.splitlines() == [*expected, "2 contacts erased"]
    assert run_with_database(url, _state) == (["[gelöscht]", "[gelöscht]", "Frisch", "Offen"], 2)
    assert succeeded(cli("retention", "run", **SETTING)).splitlines() == ["0 contacts erased"]


def test_without_any_retention_nothing_is_erased(cli):
    url = cli.env["LEADFLOW_DATABASE_URL"]
    run_with_database(url, _seed)
    # Without the setting only the campaign "Kurz" has a limit, and every contact with a lead
    # there has another lead under no limit.
    assert succeeded(cli("retention", "run")).splitlines() == ["0 contacts erased"]
    assert run_with_database(url, _state) == (["Alt", "Beide", "Frisch", "Offen"], 0)


async def _seed_one_day() -> int:
    daily = await Campaign.create(name="Täglich", retention_days=1)
    contact = await Contact.create(last_name="Eintag", email="eintag@example.com")
    await _lost(contact, daily, 3)
    return contact.id


def test_one_day_is_said_in_the_singular(cli):
    url = cli.env["LEADFLOW_DATABASE_URL"]
    contact_id = run_with_database(url, _seed_one_day)

    erased = succeeded(cli("retention", "run"))

    assert erased.splitlines() == [
        f"contact #{contact_id}\t1 lead\tlast closed {day(3)}\t1 day\tTäglich",
        "1 contact erased",
    ]

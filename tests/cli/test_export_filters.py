"""`leadflow export` with the lead list's filter options: every option narrows the file as the
same filter narrows the list (to stdout or a file, with the feedback column), and a bad option
value is one line naming the option, nothing written."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from leadflow.db.enums import Channel, CloseReason, Outcome, Role
from leadflow.db.models import Lead, User
from leadflow.services import campaigns, leads
from leadflow.services.due import Today
from leadflow.services.leads import LeadIntake
from tests.cli.runner import failed_with, run_with_database, succeeded


async def _seed() -> None:
    """anna NEW (Messe); ben ACTIVE with Clara, overdue, one feedback (Messe); carl DONE
    unreachable by Clara (Web); dora DONE successful by Bruno (Web)."""
    manager = await User.create(email="boss@example.com", name="Bea Boss", role=Role.MANAGER)
    clara = await User.create(email="clara@example.com", name="Clara Clerk", role=Role.CLERK)
    bruno = await User.create(email="bruno@example.com", name="Bruno Clerk", role=Role.CLERK)
    messe = await campaigns.create_campaign(manager, "Messe")
    web = await campaigns.create_campaign(manager, "Web")
    anna, ben = await leads.create_leads(
        manager,
        messe.id,
        [
            LeadIntake(last_name="Berg", first_name="Anna", company="Acme", phone="0221 1"),
            LeadIntake(last_name="Kurz", first_name="Ben", phone="0221 2"),
        ],
    )
    carl, dora = await leads.create_leads(
        manager,
        web.id,
        [
            LeadIntake(last_name="Acker", phone="0221 3"),
            LeadIntake(last_name="Dorn", company="Acme", phone="0221 4"),
        ],
    )
    created = datetime(2026, 11, 1, 9, tzinfo=UTC)
    for day, lead in enumerate((anna, ben, carl, dora)):
        await Lead.filter(id=lead.id).update(created_at=created + timedelta(days=7 * day))
    await leads.assign_leads(manager, [ben.id, carl.id], clara.id)
    await leads.assign_leads(manager, [dora.id], bruno.id)
    await leads.record_feedback(clara, ben.id, Channel.PHONE, "=1+1 Rückruf")
    await leads.close_lead(clara, carl.id, Outcome.UNSUCCESSFUL, CloseReason.UNREACHABLE)
    await leads.close_lead(bruno, dora.id, Outcome.SUCCESSFUL)
    await Lead.filter(id=ben.id).update(next_due_at=Today.in_zone().starts - timedelta(hours=1))


def seeded(cli) -> None:
    run_with_database(cli.env["LEADFLOW_DATABASE_URL"], _seed)


def names(cli, *options: str) -> list[str]:
    out = succeeded(cli("export", *options))
    return [row["Last name"] for row in csv.DictReader(io.StringIO(out))]


def test_each_option_narrows_the_export(cli):
    seeded(cli)
    assert names(cli) == ["Berg", "Kurz", "Acker", "Dorn"]
    cases = [
        (["--campaign", "Web"], ["Acker", "Dorn"]),
        (["--status", "neu,aktiv"], ["Berg", "Kurz"]),
        (["--assignee", "Clara@Example.com"], ["Kurz", "Acker"]),
        (["--search", "acme"], ["Berg", "Dorn"]),
        (["--outcome", "erfolglos"], ["Acker"]),
        (["--reason", "UNREACHABLE"], ["Acker"]),
        (["--reason", "kein Interesse"], []),
        (["--created-after", "2026-11-08"], ["Kurz", "Acker", "Dorn"]),
        (["--created-before", "2026-11-08T09:00:00Z"], ["Berg"]),
        # Without an offset UTC, as in the lead list: --time-zone (for --due) does not move it.
        (["--created-after", "2026-11-08", "--time-zone", "Etc/GMT+12"], ["Kurz", "Acker", "Dorn"]),
        (["--created-before", "2026-11-08T09:00:00-01:00"], ["Berg", "Kurz"]),
        (["--due", "overdue"], ["Kurz"]),
        (["--due", "NONE"], ["Berg"]),
        (["--campaign", "Web", "--status", "DONE", "--outcome", "SUCCESSFUL"], ["Dorn"]),
        (["--order", "last_name"], ["Acker", "Berg", "Dorn", "Kurz"]),
        (["--order", "NEWEST", "--search", "acme"], ["Dorn", "Berg"]),
    ]
    for options, expected in cases:
        assert names(cli, *options) == expected, options


def test_the_file_has_the_feedback_column_and_reports_its_count(cli, tmp_path):
    seeded(cli)
    target = tmp_path / "aktiv.csv"
    result = cli("export", "--status", "ACTIVE", "--lang", "de", "-o", str(target))
    succeeded(result)
    assert f"1 leads written to {target}." in result.stderr
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    (row,) = csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";")
    assert row["Nachname"] == "Kurz"
    assert row["Rückmeldungen (UTC)"].endswith(" Telefon, Clara Clerk: =1+1 Rückruf")

    of_campaign = cli("export", "--campaign", "Messe", "-o", str(target))
    assert "2 leads of 'Messe' written to" in succeeded(of_campaign) + of_campaign.stderr


def test_a_bad_option_is_one_line_that_names_it(cli, tmp_path):
    seeded(cli)
    target = tmp_path / "never.csv"
    cases = [
        (["--status", "OPEN"], "NEW, ACTIVE or DONE"),
        (["--outcome", "MAYBE"], "SUCCESSFUL or UNSUCCESSFUL"),
        (["--reason", "BORED"], "NOT_INTERESTED"),
        (["--created-after", "last week"], "--created-after must be an ISO 8601"),
        (["--due", "SOON"], "OVERDUE, TODAY, UPCOMING or NONE"),
        (["--order", "FUNNIEST"], "WAITING_LONGEST"),
        (["--time-zone", "Mars/Olympus"], "Unknown time zone"),
        (["--campaign", "Nope"], "no campaign named 'Nope'"),
        (["--assignee", "nobody@example.com"], "No user with email"),
        (["--created-after", "2026-12-02", "--created-before", "2026-12-01"], "createdBefore"),
    ]
    for options, words in cases:
        failed_with(cli("export", *options, "-o", str(target)), words)
        assert not target.exists(), options

"""Due states' calendar and zones: "today" goes through the calendar on a day with a clock
change (23 and 25 hours in Berlin); a zone name is an IANA zone or a clear INVALID, also for a
directory of the zone database ("Europe"), wherever a zone is read (the Time-Zone header on
/graphql, the export's timeZone parameter; the CLI in tests/cli/test_time_zone_cli.py); a
moment beyond UTC's years 1 to 9999 is INVALID, not an OverflowError."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadflow.db.enums import DueState
from leadflow.errors import DomainError, ErrorCode
from leadflow.services.due import Today, time_zone_named
from leadflow.services.moments import utc_moment
from tests.helpers import Actor

BERLIN = ZoneInfo("Europe/Berlin")
# Directories of the zone database: ZoneInfo raises IsADirectoryError (an OSError) for them.
ZONE_DIRECTORIES = ["Europe", "Etc", "US", "America/Argentina"]


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("day", "hours", "late_today", "early_tomorrow"),
    [
        # Summer time starts: 2:00 becomes 3:00, the day has 23 hours.
        ("2026-03-29", 23, "2026-03-29T23:30", "2026-03-30T00:30"),
        # Summer time ends: 3:00 becomes 2:00 again, the day has 25 hours.
        ("2026-10-25", 25, "2026-10-25T23:30", "2026-10-26T00:30"),
    ],
)
def test_today_follows_the_calendar_on_a_clock_change_day(day, hours, late_today, early_tomorrow):
    today = Today.in_zone(BERLIN, local(f"{day}T12:00"))
    assert today.starts == local(f"{day}T00:00").astimezone(UTC)
    assert today.ends - today.starts == timedelta(hours=hours)
    # +24 h would end the 23-hour day at 1:00 next morning and the 25-hour one at 23:00.
    assert today.state_of(local(late_today)) is DueState.TODAY
    assert today.state_of(local(early_tomorrow)) is DueState.UPCOMING
    assert today.state_of(local(f"{day}T00:00") - timedelta(seconds=1)) is DueState.OVERDUE
    # Seen from the first and the last moment of that day, it is the same day.
    assert Today.in_zone(BERLIN, today.starts) == today
    assert Today.in_zone(BERLIN, today.ends - timedelta(microseconds=1)) == today


def test_a_closed_subject_has_no_due_state():
    today = Today.in_zone(BERLIN, local("2026-03-10T12:00"))
    overdue = local("2026-03-01T09:00")
    assert today.state_of(overdue) is DueState.OVERDUE
    assert today.state_of(overdue, is_open=False) is DueState.NONE
    assert today.state_of(None) is DueState.NONE


@pytest.mark.parametrize("name", [*ZONE_DIRECTORIES, "Mars/Olympus", "", "../etc/passwd", "UTC/"])
def test_a_name_that_is_no_zone_is_invalid(name):
    with pytest.raises(DomainError) as refused:
        time_zone_named(name)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, ("timeZone",))
    assert "IANA" in refused.value.message


def test_a_zone_is_found_by_its_name():
    assert time_zone_named(" Europe/Berlin ") == BERLIN
    assert time_zone_named("America/Argentina/Buenos_Aires").key.endswith("Buenos_Aires")


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "2026-12-07T09:00:00"]
)
def test_a_moment_beyond_utcs_calendar_or_without_offset_is_invalid(text):
    with pytest.raises(DomainError) as refused:
        utc_moment(datetime.fromisoformat(text), ["dueAt"])
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, ("dueAt",))


def test_a_moment_is_converted_to_utc():
    assert utc_moment(datetime.fromisoformat("2026-12-07T09:00:00+01:00"), ["at"]) == datetime(
        2026, 12, 7, 8, tzinfo=UTC
    )
    # The very ends still convert when UTC itself is within the range.
    assert utc_moment(datetime.fromisoformat("0001-01-01T00:30:00-01:00"), ["at"]).year == 1


# --- the entry points that read a zone over HTTP --------------------------------------------


def bearer(actor: Actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {actor.token}"}


@pytest.mark.parametrize("name", ZONE_DIRECTORIES)
async def test_a_zone_directory_in_the_graphql_header_is_a_400(client, actors, name):
    response = await client.post(
        "/graphql",
        json={"query": "{ myTaskCounts { overdue } }"},
        headers={**bearer(actors.clerk_a), "Time-Zone": name},
    )
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["message"].startswith("Time-Zone header: "), error
    assert name in error["message"], error


@pytest.mark.parametrize("name", ZONE_DIRECTORIES)
async def test_a_zone_directory_for_the_export_is_a_400_naming_it(client, actors, name):
    export = "/files/exports/leads.csv"
    by_parameter = await client.get(
        export, params={"timeZone": name}, headers=bearer(actors.manager)
    )
    assert by_parameter.status_code == 400, by_parameter.text
    assert by_parameter.json()["error"]["field"] == ["timeZone"]
    by_header = await client.get(export, headers={**bearer(actors.manager), "Time-Zone": name})
    assert by_header.status_code == 400, by_header.text
    assert by_header.json()["error"]["field"] == ["timeZone"]

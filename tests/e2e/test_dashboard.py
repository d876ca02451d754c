"""The dashboard in a real browser: figures per campaign and per clerk, the leads over time and
the aging lists match what was computed by hand; the filters live in the URL and change the
figures; an aging lead opens its detail page. A clerk sees the same page over their own leads.

The leads are made through the GraphQL API (assign, feedback, close as the clerks do it); then
their moments are moved into the past in the server's SQLite database, as the report tests do
with queryset updates (tests/reports_data.py), so that every duration and age is exact.
M is 00:00 UTC of the day the test starts (taken once, see `Clock`); T(d, h) is d days before M
plus h hours:

Messe Herbst 2026 (the 30 seeded leads, Kunde Nummer01 ... Nummer30):
  N01  created T(10,0), assigned to Clara T(10,2), feedback T(10,4), closed successful T(8,0)
  N02  created T(10,0), assigned to Clara T(10,1), feedback T(9,0); ACTIVE
  N03  created T(6,0), assigned to Clara T(6,3), no feedback; ACTIVE
  N04  created T(6,0), assigned to David T(6,1), feedback T(2,0),
       closed unsuccessful (Nicht erreichbar) T(1,0)
  N05-N10  created T(5,0); NEW
  N11-N30  created T(40,0); NEW (before the default period of 30 days)
Webinar Frühjahr:
  W1  created T(3,0), assigned to David T(3,5), closed successful T(2,0)
  W2  created T(3,0); NEW
"""

from __future__ import annotations

import base64
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    CLERK_CLARA,
    CLERK_DAVID,
    PASSWORD,
    Seeded,
    log_in,
    log_in_as_manager,
    screenshot,
)
from tests.e2e.test_lead_detail import assign
from tests.live_server import leadflow_cli

WEBINAR = "Webinar Frühjahr"
MESSE = "Messe Herbst 2026"


@dataclass(frozen=True)
class Clock:
    """The test's day, taken once when the test starts: `midnight` is M."""

    midnight: datetime

    @classmethod
    def start(cls) -> Clock:
        return cls(datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0))

    @property
    def today(self) -> date:
        return self.midnight.date()

    def at(self, days: int, hours: int = 0) -> datetime:
        return self.midnight - timedelta(days=days) + timedelta(hours=hours)

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def pin(self, page) -> None:
        """Show the page noon of this day: its "today" (the default period) is then the test's,
        even if midnight passes during the test or the browser's time zone is not UTC (but
        within 12 hours of it). The server counts the aging lists from its own clock; their
        figures here hold from M until 03:00 UTC of the next day (when N03 turns quiet for 7
        days), so a test that runs past midnight still agrees."""
        page.clock.set_fixed_time(self.midnight + timedelta(hours=12))


@pytest.fixture
def clock() -> Clock:
    return Clock.start()


def german(when: date) -> str:
    return f"{when:%d.%m.%Y}"


def pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def as_clerk(seeded: Seeded, token: str, query: str, **variables: object) -> dict:
    response = httpx.post(
        seeded.server.graphql_url,
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    body = response.json()
    assert "errors" not in body, body
    payload = next(iter(body["data"].values()))
    assert payload["userErrors"] == [], payload
    return payload


FEEDBACK = """mutation($input: RecordFeedbackInput!) {
  recordFeedback(input: $input) { feedback { note } userErrors { message } }
}"""
CLOSE = """mutation($input: CloseLeadInput!) {
  closeLead(input: $input) { lead { id } userErrors { message } }
}"""


def feedback(seeded: Seeded, token: str, lead_id: str) -> None:
    as_clerk(
        seeded, token, FEEDBACK, input={"leadId": lead_id, "channel": "PHONE", "note": "Rief an."}
    )


def close(seeded: Seeded, token: str, lead_id: str, reason: str | None = None) -> None:
    outcome = "UNSUCCESSFUL" if reason else "SUCCESSFUL"
    close_input = {"leadId": lead_id, "outcome": outcome, "reason": reason}
    as_clerk(seeded, token, CLOSE, input=close_input)


def stamp(moment: datetime) -> str:
    """As Tortoise stores a datetime in SQLite."""
    return moment.isoformat(sep=" ", timespec="microseconds")


def seed_dashboard(seeded: Seeded, tmp_path: Path, clock: Clock) -> dict[str, str]:
    """The leads of the module docstring; returns name -> global ID."""
    ids = {f"N{number:02d}": seeded.lead_ids[number - 1] for number in range(1, 31)}
    webinar = seeded.graphql(
        """mutation($input: CreateCampaignInput!) {
          createCampaign(input: $input) { campaign { id } userErrors { message } }
        }""",
        input={"name": WEBINAR},
    )["createCampaign"]["campaign"]["id"]
    created = seeded.graphql(
        """mutation($input: CreateLeadsInput!) {
          createLeads(input: $input) { leads { id } userErrors { message } }
        }""",
        input={
            "campaignId": webinar,
            "leads": [
                {"firstName": "Wera", "lastName": "Webinar", "email": "wera@example.com"},
                {"firstName": "Willi", "lastName": "Webinar", "email": "willi@example.com"},
            ],
        },
    )["createLeads"]["leads"]
    ids["W1"], ids["W2"] = created[0]["id"], created[1]["id"]
    ids["webinar"] = webinar

    assign(seeded, [ids["N01"], ids["N02"], ids["N03"]], CLERK_CLARA)
    assign(seeded, [ids["N04"], ids["W1"]], CLERK_DAVID)
    clara = leadflow_cli(tmp_path, "tokens", "create", CLERK_CLARA).strip().splitlines()[-1]
    david = leadflow_cli(tmp_path, "tokens", "create", CLERK_DAVID).strip().splitlines()[-1]
    feedback(seeded, clara, ids["N01"])
    feedback(seeded, clara, ids["N02"])
    feedback(seeded, david, ids["N04"])
    close(seeded, clara, ids["N01"])
    close(seeded, david, ids["N04"], "UNREACHABLE")
    close(seeded, david, ids["W1"])

    at = clock.at
    created_at = {
        "N01": at(10),
        "N02": at(10),
        "N03": at(6),
        "N04": at(6),
        "W1": at(3),
        "W2": at(3),
    }
    created_at |= {f"N{number:02d}": at(5) for number in range(5, 11)}
    created_at |= {f"N{number:02d}": at(40) for number in range(11, 31)}
    assigned_at = {
        "N01": at(10, 2), "N02": at(10, 1), "N03": at(6, 3), "N04": at(6, 1), "W1": at(3, 5),
    }  # fmt: skip
    feedback_at = {"N01": at(10, 4), "N02": at(9), "N04": at(2)}
    closed_at = {"N01": at(8), "N04": at(1), "W1": at(2)}
    with sqlite3.connect(tmp_path / "live.db", timeout=10) as database:
        for name, moment in created_at.items():
            lead = pk(ids[name])
            database.execute("UPDATE leads SET created_at = ? WHERE id = ?", (stamp(moment), lead))
            database.execute(
                "UPDATE lead_events SET at = ? WHERE lead_id = ? AND kind = 'CREATED'",
                (stamp(moment), lead),
            )
        for name, moment in assigned_at.items():
            lead = pk(ids[name])
            database.execute(
                "UPDATE leads SET assigned_at = ?, first_assigned_at = ?, waiting_since = ? "
                "WHERE id = ?",
                (stamp(moment), stamp(moment), stamp(moment), lead),
            )
            database.execute(
                "UPDATE lead_events SET at = ? WHERE lead_id = ? AND kind = 'ASSIGNED'",
                (stamp(moment), lead),
            )
        for name, moment in feedback_at.items():
            lead = pk(ids[name])
            database.execute(
                "UPDATE feedback SET created_at = ? WHERE lead_id = ?", (stamp(moment), lead)
            )
            # The wait starts at the later of the assignment and the latest feedback.
            waiting_since = max(moment, assigned_at[name])
            database.execute(
                "UPDATE leads SET first_feedback_at = ?, waiting_since = ? WHERE id = ?",
                (stamp(moment), stamp(waiting_since), lead),
            )
            database.execute(
                "UPDATE lead_events SET at = ? WHERE lead_id = ? AND kind = 'FEEDBACK_RECORDED'",
                (stamp(moment), lead),
            )
        for name, moment in closed_at.items():
            lead = pk(ids[name])
            database.execute("UPDATE leads SET closed_at = ? WHERE id = ?", (stamp(moment), lead))
            database.execute(
                "UPDATE lead_events SET at = ? WHERE lead_id = ? "
                "AND kind IN ('CLOSED', 'OPPORTUNITY_CREATED')",
                (stamp(moment), lead),
            )
    return ids


def cells(table, name: str):
    return table.get_by_role("row", name=re.compile(f"^{re.escape(name)}")).get_by_role("cell")


def open_series_table(page):
    section = page.get_by_role("region", name="Verlauf")
    summary = section.get_by_text("Zahlen als Tabelle")
    if section.locator("details").get_attribute("open") is None:
        summary.click()
    return section.get_by_test_id("series-table")


def expect_series_totals(page, created: int, successful: int, unsuccessful: int) -> None:
    total = open_series_table(page).locator("tfoot tr").get_by_role("cell")
    expect(total).to_have_text([str(created), str(successful), str(unsuccessful)])


def test_the_dashboard_shows_the_figures_computed_by_hand(
    page, seeded: Seeded, tmp_path: Path, clock: Clock
):
    ids = seed_dashboard(seeded, tmp_path, clock)
    day, today = clock.day, clock.today
    clock.pin(page)
    log_in_as_manager(page, seeded)
    expect(page).to_have_url(re.compile(r"/leads\?tab=new$"))
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Dashboard"
    ).click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    # The default period: the last 30 days, today included.
    expect(page.get_by_label("Von")).to_have_value(day(29).isoformat())
    expect(page.get_by_label("Bis")).to_have_value(today.isoformat())
    expect(page.get_by_test_id("dashboard-period")).to_have_text(
        f"{german(day(29))} bis {german(today)}: 30 Tage, je Tag"
    )

    # (a) Per campaign, over the leads created in the period; durations in words.
    campaigns = page.get_by_test_id("campaign-reports")
    # Leads, Neu, Aktiv, Erledigt, erfolgreich, erfolglos, Abschlussquote, then the medians:
    # to assignment (1 h, 1 h, 2 h, 3 h), to first feedback (2 h, 23 h, 95 h), to close (2, 5 d).
    expect(cells(campaigns, MESSE)).to_have_text(
        ["10", "6", "2", "2", "1", "1", re.compile(r"^50\s%$"),
         "1 Std. 30 Min.", "23 Std.", "3 Tage 12 Std."]
    )  # fmt: skip
    expect(cells(campaigns, WEBINAR)).to_have_text(
        ["2", "1", "0", "1", "1", "0", re.compile(r"^100\s%$"), "5 Std.", "—", "1 Tag"]
    )
    reasons = page.get_by_test_id("reason-table")
    expect(reasons.get_by_role("columnheader")).to_have_text(
        ["Kampagne", "Kein Interesse", "Nicht erreichbar", "Falsche Kontaktdaten",
         "Doppelt erfasst", "Sonstiger Grund"]
    )  # fmt: skip
    expect(cells(reasons, MESSE)).to_have_text(["0", "1", "0", "0", "0"])
    expect(cells(reasons, WEBINAR)).to_have_text(["0", "0", "0", "0", "0"])
    rate_chart = page.get_by_role("img", name=re.compile(f"^{MESSE}: 50"))
    expect(rate_chart).to_have_attribute("aria-label", re.compile(f"{WEBINAR}: 100"))
    expect(page.get_by_role("img", name=re.compile("1 Nicht erreichbar"))).to_be_visible()

    # (b) Per clerk: open now; closed and first feedback in the period.
    clerks = page.get_by_test_id("clerk-reports")
    # Offene Leads, Erledigt im Zeitraum, davon erfolgreich, Erfolgsquote, Median bis erste
    # Rückmeldung (Clara: 2 h and 23 h; David: 95 h), Wartet am längsten.
    expect(cells(clerks, "Clara Clerk")).to_have_text(
        [
            "2",
            "1",
            "1",
            re.compile(r"^100\s%$"),
            "12 Std. 30 Min.",
            # N02 waits since its feedback (shown in the browser's time zone).
            re.compile(r"^Kunde Nummer02 · seit \d\d\.\d\d\.\d{4}, \d\d:\d\d$"),
        ]
    )
    expect(cells(clerks, "David Clerk")).to_have_text(
        ["0", "2", "1", re.compile(r"^50\s%$"), "3 Tage 23 Std.", "—"]
    )
    expect(cells(clerks, "Clara Clerk").last.get_by_role("link")).to_have_attribute(
        "href", f"/leads/{ids['N02']}"
    )

    # (d) Waiting too long: NEW for more than 3 days, ACTIVE without feedback for 7.
    expect(page.get_by_test_id("aging-new-total")).to_have_text(
        "27 Leads (die 10 am längsten wartenden stehen hier)"
    )
    expect(page.get_by_test_id("aging-new").locator("tbody tr")).to_have_count(10)
    quiet = page.get_by_test_id("aging-quiet")
    expect(page.get_by_test_id("aging-quiet-total")).to_have_text("1 Lead")
    expect(quiet.locator("tbody tr").get_by_role("link")).to_have_text(["Kunde Nummer02"])
    distribute = page.get_by_role("link", name="Im Tab „Neu“ verteilen")
    expect(distribute).to_have_attribute("href", "/leads?tab=new")
    screenshot(page, "dashboard", full_page=True)

    # (c) Over time: a point per day, as a chart and as a table.
    expect(
        page.get_by_role("img", name="30 Tage: 12 angelegt, 2 erfolgreich, 1 erfolglos")
    ).to_be_visible()
    series = open_series_table(page)
    expect(series.locator("tbody tr")).to_have_count(30)
    expect(series.get_by_role("columnheader").first).to_have_text("Tag")
    expect(cells(series, german(day(5)))).to_have_text(["6", "0", "0"])
    expect(cells(series, german(day(10)))).to_have_text(["2", "0", "0"])
    expect(cells(series, german(day(8)))).to_have_text(["0", "1", "0"])
    expect(cells(series, german(day(1)))).to_have_text(["0", "0", "1"])
    expect_series_totals(page, 12, 2, 1)

    # The aging days are kept in the URL and change the lists.
    quiet_days = page.get_by_label("Ohne Rückmeldung seit mehr als (Tage)")
    quiet_days.fill("5")
    expect(page).to_have_url(re.compile(r"/dashboard\?quietDays=5$"))
    expect(quiet.locator("tbody tr").get_by_role("link")).to_have_text(
        ["Kunde Nummer02", "Kunde Nummer03"]
    )
    page.get_by_label("Neu seit mehr als (Tage)").fill("10")
    expect(page).to_have_url(re.compile(r"/dashboard\?newDays=10&quietDays=5$"))
    expect(page.get_by_test_id("aging-new-total")).to_have_text(
        "20 Leads (die 10 am längsten wartenden stehen hier)"
    )

    # One campaign: its figures only, in the URL.
    page.get_by_label("Kampagne", exact=True).select_option(label=WEBINAR)
    expect(page).to_have_url(re.compile(r"/dashboard\?campaign=[^&]+&newDays=10&quietDays=5$"))
    expect(campaigns.locator("tbody tr")).to_have_count(1)
    expect(cells(campaigns, WEBINAR).first).to_have_text("2")
    expect_series_totals(page, 2, 1, 0)
    expect(page.get_by_test_id("aging-new-total")).to_have_text("0 Leads")
    expect(page.get_by_test_id("aging-quiet-total")).to_have_text("0 Leads")
    expect(distribute).to_have_count(0)

    # A longer period, every campaign: the older leads count, and the points become weeks.
    page.get_by_label("Kampagne", exact=True).select_option(label="Alle Kampagnen")
    page.get_by_label("Von").fill(day(89).isoformat())
    expect(page).to_have_url(
        re.compile(
            rf"/dashboard\?from={day(89).isoformat()}&to={today.isoformat()}"
            r"&newDays=10&quietDays=5$"
        )
    )
    expect(page.get_by_test_id("dashboard-period")).to_contain_text("90 Tage, je Woche")
    expect(cells(campaigns, MESSE).first).to_have_text("30")
    expect(cells(campaigns, MESSE).nth(1)).to_have_text("26")
    expect(open_series_table(page).get_by_role("columnheader").first).to_have_text("Woche ab")
    expect_series_totals(page, 32, 2, 1)

    # Bookmarkable: a reload shows the same.
    page.reload()
    expect(page.get_by_label("Von")).to_have_value(day(89).isoformat())
    expect(cells(page.get_by_test_id("campaign-reports"), MESSE).first).to_have_text("30")
    expect(page.get_by_label("Ohne Rückmeldung seit mehr als (Tage)")).to_have_value("5")

    # The same figures in English.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Over time")).to_be_visible()
    expect(cells(page.get_by_test_id("campaign-reports"), MESSE).nth(6)).to_have_text("50%")
    expect(cells(page.get_by_test_id("campaign-reports"), MESSE).nth(7)).to_have_text("1 h 30 min")
    expect(cells(page.get_by_test_id("clerk-reports"), "David Clerk").nth(4)).to_have_text(
        "3 days 23 h"
    )
    expect(page.get_by_test_id("aging-quiet-total")).to_have_text("2 leads")
    page.get_by_role("button", name="Deutsch").click()

    # From the aging list to the lead, where the manager can reassign it.
    page.get_by_test_id("aging-quiet").get_by_role("link", name="Kunde Nummer02").click()
    expect(page).to_have_url(re.compile(re.escape(f"/leads/{ids['N02']}") + "$"))
    expect(page.get_by_role("heading", name=re.compile("Kunde Nummer02"))).to_be_visible()
    expect(page.get_by_role("heading", name="Neu zuweisen")).to_be_visible()


def test_a_clerk_sees_the_dashboard_of_their_own_leads(
    page, seeded: Seeded, tmp_path: Path, clock: Clock
):
    seed_dashboard(seeded, tmp_path, clock)
    clock.pin(page)
    log_in(page, seeded, CLERK_CLARA, PASSWORD)
    expect(page).to_have_url(re.compile(r"/tasks$"))
    page.get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_text("Sie sehen die Zahlen Ihrer eigenen Leads.")).to_be_visible()

    # Clara's leads: N01 (successful), N02 and N03 (active).
    campaigns = page.get_by_test_id("campaign-reports")
    expect(cells(campaigns, MESSE)).to_have_text(
        [
            "3",
            "0",
            "2",
            "1",
            "1",
            "0",
            re.compile(r"^100\s%$"),
            "2 Std.",
            "12 Std. 30 Min.",
            "2 Tage",
        ]
    )
    expect(cells(campaigns, WEBINAR)).to_have_text(
        ["0", "0", "0", "0", "0", "0", "—", "—", "—", "—"]
    )
    clerks = page.get_by_test_id("clerk-reports")
    expect(clerks.locator("tbody tr")).to_have_count(1)
    expect(cells(clerks, "Clara Clerk").first).to_have_text("2")
    expect_series_totals(page, 3, 1, 0)
    # No NEW list (clerks do not distribute); their own quiet leads.
    expect(page.get_by_test_id("aging-new-total")).to_have_count(0)
    expect(page.get_by_test_id("aging-quiet").get_by_role("link")).to_have_text(["Kunde Nummer02"])

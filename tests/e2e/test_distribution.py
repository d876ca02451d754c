"""Distribution in a real browser: clerk settings (capacity, absences), every NEW lead of the
overview's filter across its pages to three clerks with a preview that names the reasons, the
campaign's automatic distribution, a clerk's own absences."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import pytest
from playwright.sync_api import expect

from tests.conftest import BACKENDS, POSTGRES_URL
from tests.databases import asyncpg_dsn
from tests.e2e.axe import expect_no_violations
from tests.e2e.conftest import (
    BROWSER_USERS,
    CLERK_CLARA,
    LEAD_COUNT,
    PASSWORD,
    Seeded,
    _seed_leads,
    log_in,
    log_in_as_manager,
    screenshot,
)
from tests.live_server import live_server

CLERK_EVA = "eva.clerk@test.example"
PAGE_SIZE = 25  # frontend/src/screens/LeadsOverview.tsx
EVA_CAPACITY = 8

LEADS_BY_CLERK = """{
  leads(filter: {status: ACTIVE}, first: 100) {
    edges { node { contact { firstName lastName } assignee { name } assignmentReason } }
  }
}"""


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test's server (dropped after it). Plain asyncpg
    in a thread of its own: Playwright's sync API keeps an event loop running in this one, so
    the async database fixtures cannot run here."""
    assert POSTGRES_URL is not None
    name = f"leadflow_e2e_{uuid.uuid4().hex[:10]}"

    def admin(statement: str) -> None:
        async def run() -> None:
            connection = await asyncpg.connect(asyncpg_dsn(POSTGRES_URL))
            try:
                await connection.execute(statement)
            finally:
                await connection.close()

        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, run()).result()

    admin(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def seeded(request, tmp_path: Path) -> Iterator[Seeded]:
    """The browser tests' users and 30 NEW leads, and a third clerk, Eva; on each database
    (the distribution's locks and counts are per database)."""
    users = (*BROWSER_USERS, (CLERK_EVA, "Eva Clerk", "clerk", PASSWORD))
    with ExitStack() as stack:
        settings = {}
        if request.param == "postgres":
            settings["LEADFLOW_DATABASE_URL"] = stack.enter_context(fresh_postgres())
        server = stack.enter_context(live_server(tmp_path, users=users, **settings))
        yield _seed_leads(server)


def card(page, name: str):
    return page.get_by_test_id("clerk-card").filter(has=page.get_by_role("heading", name=name))


def active_leads(seeded: Seeded) -> dict[str, tuple[str, str]]:
    """Each ACTIVE lead's contact name -> (its clerk, the reason it has that clerk)."""
    edges = seeded.graphql(LEADS_BY_CLERK)["leads"]["edges"]
    return {
        f"{edge['node']['contact']['firstName']} {edge['node']['contact']['lastName']}": (
            edge["node"]["assignee"]["name"],
            edge["node"]["assignmentReason"],
        )
        for edge in edges
    }


def test_a_manager_distributes_every_match_across_pages_after_a_preview(page, seeded: Seeded):
    log_in_as_manager(page, seeded)
    expect(page.get_by_test_id("count-new")).to_have_text(str(LEAD_COUNT))

    # Clerk settings: Eva takes at most 8 open leads; Clara is away later this year.
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Bearbeiter"
    ).click()
    expect(page.get_by_role("heading", name="Bearbeiter", level=1)).to_be_visible()
    eva = card(page, "Eva Clerk")
    eva.get_by_label("Höchstens offene Leads").fill("-3")
    eva.get_by_role("button", name="Speichern").click()
    expect(eva.get_by_role("alert")).to_contain_text("ganze Zahl")
    eva.get_by_label("Höchstens offene Leads").fill(str(EVA_CAPACITY))
    eva.get_by_role("button", name="Speichern").click()
    expect(eva.get_by_role("status")).to_have_text("Gespeichert.")

    away_from = date.today() + timedelta(days=30)
    away_to = away_from + timedelta(days=4)
    clara = card(page, "Clara Clerk")
    clara.get_by_role("button", name="Abwesenheit hinzufügen").click()
    clara.get_by_label("Von").fill(away_to.isoformat())
    clara.get_by_label("Bis").fill(away_from.isoformat())
    clara.get_by_role("button", name="Speichern").click()
    expect(clara.get_by_role("alert")).to_contain_text("nicht nach dem letzten")
    clara.get_by_label("Von").fill(away_from.isoformat())
    clara.get_by_label("Bis").fill(away_to.isoformat())
    clara.get_by_role("button", name="Speichern").click()
    expect(clara.get_by_role("status")).to_have_text("Gespeichert.")

    # Stored, and shown after a reload.
    users = seeded.graphql("{ users(role: CLERK) { name capacity absences { from to } } }")
    by_name = {user["name"]: user for user in users["users"]}
    assert by_name["Eva Clerk"]["capacity"] == EVA_CAPACITY
    assert by_name["Clara Clerk"]["absences"] == [
        {"from": away_from.isoformat(), "to": away_to.isoformat()}
    ]
    assert by_name["David Clerk"]["capacity"] is None
    page.reload()
    expect(card(page, "Eva Clerk").get_by_label("Höchstens offene Leads")).to_have_value(
        str(EVA_CAPACITY)
    )
    expect(card(page, "Clara Clerk").get_by_label("Von")).to_have_value(away_from.isoformat())
    expect(card(page, "Clara Clerk").get_by_label("Bis")).to_have_value(away_to.isoformat())
    screenshot(page, "distribute-clerk-settings", full_page=True)

    # The whole page, then every match of the filter: the selection goes along to page 2.
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Leads").click()
    page.get_by_label("Alle auf dieser Seite auswählen").check()
    expect(page.get_by_test_id("selected-count")).to_have_text(f"{PAGE_SIZE} Leads ausgewählt")
    page.get_by_role("button", name=f"Alle {LEAD_COUNT} Treffer auswählen").click()
    selected_all = f"Alle {LEAD_COUNT} Treffer ausgewählt (nur neue Leads werden verteilt)"
    expect(page.get_by_test_id("selected-count")).to_have_text(selected_all)
    page.get_by_role("link", name="Nächste Seite").click()
    expect(page.get_by_text("Seite 2 von 2")).to_be_visible()
    expect(page.get_by_label("Kunde Nummer01 auswählen")).to_be_checked()
    expect(page.get_by_test_id("selected-count")).to_have_text(selected_all)

    page.get_by_role("button", name="An Bearbeiter verteilen").click()
    dialog = page.get_by_role("dialog", name="An Bearbeiter verteilen")
    several = dialog.get_by_role("checkbox", name=re.compile("Auf mehrere Bearbeiter"))
    expect(several).to_be_checked()
    expect(several).to_be_disabled()  # a filter's leads go only this way
    expect(dialog).to_contain_text(f"Alle {LEAD_COUNT} Treffer des Filters verteilen.")
    expect(dialog).to_contain_text("Nur neue Leads werden verteilt.")
    expect(dialog.get_by_text("0 offene Leads, höchstens 8")).to_be_visible()
    dialog.get_by_role("button", name="Vorschau").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "Bitte mindestens einen Sachbearbeiter auswählen."
    )
    for name in ("Clara Clerk", "David Clerk", "Eva Clerk"):
        dialog.get_by_role("checkbox", name=re.compile(name)).check()
    expect(dialog.get_by_role("radio", name="Gleichmäßig nach Auslastung")).to_be_checked()
    dialog.get_by_role("button", name="Vorschau").click()

    # The preview: 8 for Eva (her capacity), the rest evenly; every lead with its reason.
    expected = {"Clara Clerk": 11, "David Clerk": 11, "Eva Clerk": EVA_CAPACITY}
    expect(dialog.get_by_role("status")).to_contain_text(
        f"{LEAD_COUNT} Leads würden verteilt, 0 übersprungen."
    )
    expect(dialog.get_by_test_id("preview-clerk")).to_have_text(
        [f"{name}: {count} Leads" for name, count in expected.items()]
    )
    rows = dialog.get_by_test_id("preview-row")
    expect(rows).to_have_count(LEAD_COUNT)
    preview: dict[str, tuple[str, str]] = {}
    for row in rows.all():
        lead, clerk, reason = (cell.inner_text() for cell in row.get_by_role("cell").all())
        assert clerk in reason, (clerk, reason)  # the reason names the clerk and the load
        preview[lead] = (clerk, reason)
    assert Counter(clerk for clerk, _ in preview.values()) == expected
    expect(page.get_by_test_id("count-new")).to_have_text(str(LEAD_COUNT))  # nothing changed yet
    screenshot(page, "distribute-preview")
    expect_no_violations(page, "the distribute dialog with its preview")

    dialog.get_by_role("button", name="Verteilen").click()
    expect(dialog).to_have_count(0)
    notice = page.get_by_role("status").filter(has_text="verteilt")
    expect(notice).to_have_text(
        f"{LEAD_COUNT} Leads wurden verteilt: Clara Clerk 11, David Clerk 11, Eva Clerk 8."
    )
    expect(page.get_by_test_id("count-new")).to_have_text("0")
    expect(page.get_by_test_id("count-active")).to_have_text(str(LEAD_COUNT))
    screenshot(page, "distribute-done")

    # The preview was exactly what happened: each lead with the clerk and reason it showed.
    assert active_leads(seeded) == preview
    loads = seeded.graphql("{ users(role: CLERK) { name openLeadCount } }")["users"]
    assert {user["name"]: user["openLeadCount"] for user in loads} == expected

    # The lead page says why this clerk has the lead.
    clerk, reason = preview[f"Kunde Nummer{LEAD_COUNT:02d}"]
    page.goto(f"{seeded.url}/leads/{quote(seeded.lead_ids[-1])}")
    expect(page.get_by_test_id("lead-assignee")).to_have_text(clerk)
    expect(page.get_by_test_id("lead-assignment-reason")).to_contain_text(f"Warum: {reason}")


def test_a_selection_across_pages_goes_round_robin(page, seeded: Seeded):
    log_in_as_manager(page, seeded)
    page.get_by_label("Kunde Nummer30 auswählen").check()
    page.get_by_label("Kunde Nummer29 auswählen").check()
    page.get_by_role("link", name="Nächste Seite").click()
    page.get_by_label("Kunde Nummer01 auswählen").check()
    expect(page.get_by_test_id("selected-count")).to_have_text("3 Leads ausgewählt")
    page.get_by_role("link", name="Vorherige Seite").click()
    expect(page.get_by_label("Kunde Nummer30 auswählen")).to_be_checked()

    page.get_by_role("button", name="An Bearbeiter verteilen").click()
    dialog = page.get_by_role("dialog", name="An Bearbeiter verteilen")
    dialog.get_by_role("checkbox", name=re.compile("Auf mehrere Bearbeiter")).check()
    expect(dialog).to_contain_text("3 Leads auf die gewählten Bearbeiter aufteilen.")
    dialog.get_by_role("checkbox", name=re.compile("Clara Clerk")).check()
    dialog.get_by_role("checkbox", name=re.compile("David Clerk")).check()
    dialog.get_by_role("radio", name="Reihum").check()
    dialog.get_by_role("button", name="Vorschau").click()
    expect(dialog.get_by_test_id("preview-row")).to_have_count(3)
    # Changing the choice takes the preview away: it would no longer be true.
    dialog.get_by_role("radio", name="Gleichmäßig nach Auslastung").check()
    expect(dialog.get_by_test_id("preview-row")).to_have_count(0)
    dialog.get_by_role("radio", name="Reihum").check()
    dialog.get_by_role("button", name="Vorschau").click()
    rows = dialog.get_by_test_id("preview-row")
    expect(rows).to_have_count(3)
    counts = Counter(row.get_by_role("cell").nth(1).inner_text() for row in rows.all())

    # On a phone the dialog and its preview fit the width (the table scrolls in its own box).
    page.set_viewport_size({"width": 390, "height": 844})
    expect(dialog.get_by_role("button", name="Verteilen")).to_be_visible()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " document.querySelector('dialog').getBoundingClientRect().right]"
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[1], widths
    screenshot(page, "distribute-phone-preview")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert sorted(counts.values()) == [1, 2] and set(counts) == {"Clara Clerk", "David Clerk"}
    dialog.get_by_role("button", name="Verteilen").click()
    expect(page.get_by_role("status").filter(has_text="verteilt")).to_contain_text(
        "3 Leads wurden verteilt"
    )
    expect(page.get_by_test_id("selected-count")).to_have_text("0 Leads ausgewählt")
    expect(page.get_by_test_id("count-new")).to_have_text(str(LEAD_COUNT - 3))
    assert Counter(clerk for clerk, _ in active_leads(seeded).values()) == counts


def test_campaign_distribution_and_a_clerks_own_absences(page, new_page, seeded: Seeded):
    log_in_as_manager(page, seeded)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Kampagnen"
    ).click()
    campaign = page.get_by_role("region", name="Messe Herbst 2026")
    expect(campaign.get_by_test_id("distribution-summary")).to_have_text(
        "Neue Leads werden nicht automatisch verteilt."
    )
    campaign.get_by_role("button", name="Verteilung einstellen").click()
    campaign.get_by_role("checkbox", name=re.compile("Eva Clerk")).check()
    campaign.get_by_role("checkbox", name=re.compile("David Clerk")).check()
    campaign.get_by_label("Verfahren").select_option(label="Reihum")
    campaign.get_by_role("checkbox", name="Neue Leads automatisch verteilen").check()
    campaign.get_by_role("button", name="Speichern").click()
    expect(campaign.get_by_role("status")).to_have_text("Verteilung gespeichert.")
    expect(campaign.get_by_test_id("distribution-summary")).to_have_text(
        "Neue Leads werden automatisch an 2 Bearbeiter verteilt (Reihum)."
    )
    screenshot(page, "distribute-campaign")

    # A new lead of the campaign goes to one of them at once, with the reason.
    created = seeded.graphql(
        """mutation($input: CreateLeadsInput!) {
          createLeads(input: $input) {
            leads { status assignee { name } assignmentReason } userErrors { message }
          }
        }""",
        input={
            "campaignId": seeded.campaign_id,
            "leads": [{"firstName": "Neu", "lastName": "Automatisch", "email": "neu@example.com"}],
        },
    )["createLeads"]
    assert created["userErrors"] == []
    [lead] = created["leads"]
    assert lead["status"] == "ACTIVE"
    assert lead["assignee"]["name"] in {"Eva Clerk", "David Clerk"}
    assert lead["assignmentReason"]

    # A clerk enters their own absence; the manager sees it.
    clerk = new_page()
    log_in(clerk, seeded, CLERK_CLARA, PASSWORD)
    clerk.get_by_role("link", name="Meine Abwesenheiten").click()
    clerk.get_by_role("button", name="Abwesenheit hinzufügen").click()
    today = date.today()
    clerk.get_by_label("Von").fill(today.isoformat())
    clerk.get_by_label("Bis").fill((today + timedelta(days=2)).isoformat())
    clerk.get_by_role("button", name="Speichern").click()
    expect(clerk.get_by_role("status")).to_have_text("Gespeichert.")
    expect(clerk.get_by_label("Höchstens offene Leads")).to_have_count(0)  # managers' matter
    screenshot(clerk, "distribute-my-absences")

    page.goto(seeded.url + "/clerks")
    until = (today + timedelta(days=2)).strftime("%d.%m.")
    expect(card(page, "Clara Clerk")).to_contain_text(f"abwesend bis {until}")

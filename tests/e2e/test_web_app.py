"""The web app in a real browser against a real server: the seed's flow, in German and English."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import (
    CLERK_CLARA,
    CLERK_DAVID,
    LEAD_COUNT,
    PASSWORD,
    SECOND_MANAGER,
    Seeded,
    log_in,
    log_in_as_manager,
    screenshot,
)

PAGE_SIZE = 25  # frontend/src/screens/LeadsOverview.tsx


def count(page, tab: str):
    return page.get_by_test_id(f"count-{tab}")


def lead_rows(page):
    return page.locator("tbody tr")


def test_manager_distributes_and_the_clerk_finds_them_in_the_task_list(page, seeded: Seeded):
    page.goto(seeded.url + "/")
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    screenshot(page, "login")

    log_in_as_manager(page, seeded)
    expect(page).to_have_url(re.compile(r"/leads\?tab=new$"))
    expect(page.get_by_role("link", name=re.compile("^Neu"))).to_have_attribute(
        "aria-current", "page"
    )
    expect(count(page, "new")).to_have_text(str(LEAD_COUNT))
    expect(count(page, "active")).to_have_text("0")
    expect(lead_rows(page)).to_have_count(PAGE_SIZE)
    expect(page.get_by_text("Seite 1 von 2")).to_be_visible()
    distribute = page.get_by_role("button", name="An Bearbeiter verteilen")
    expect(distribute).to_be_disabled()

    # Two leads by hand, then the whole page at once.
    page.get_by_label("Kunde Nummer30 auswählen").check()
    page.get_by_label("Kunde Nummer29 auswählen").check()
    expect(page.get_by_text("2 Leads ausgewählt")).to_be_visible()
    page.get_by_label("Alle auf dieser Seite auswählen").check()
    expect(page.get_by_text(f"{PAGE_SIZE} Leads ausgewählt")).to_be_visible()
    screenshot(page, "leads-overview")

    distribute.click()
    dialog = page.get_by_role("dialog", name="An Bearbeiter verteilen")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Clara Clerk")).to_be_visible()
    expect(dialog.get_by_text("David Clerk")).to_be_visible()
    expect(dialog.get_by_text("0 offene Leads")).to_have_count(2)
    dialog.get_by_role("button", name="Verteilen").click()
    expect(dialog.get_by_role("alert")).to_have_text("Bitte einen Sachbearbeiter auswählen.")
    dialog.get_by_role("radio", name=re.compile("Clara Clerk")).check()
    screenshot(page, "assign-dialog")
    dialog.get_by_role("button", name="Verteilen").click()

    expect(page.get_by_role("status").filter(has_text="verteilt")).to_have_text(
        f"{PAGE_SIZE} Leads wurden an Clara Clerk verteilt."
    )
    expect(count(page, "new")).to_have_text(str(LEAD_COUNT - PAGE_SIZE))
    expect(count(page, "active")).to_have_text(str(PAGE_SIZE))
    expect(lead_rows(page)).to_have_count(LEAD_COUNT - PAGE_SIZE)
    screenshot(page, "leads-distributed")

    # The Aktiv tab shows who got them; its URL can be shared.
    page.get_by_role("link", name=re.compile("^Aktiv")).click()
    expect(page).to_have_url(re.compile(r"/leads\?tab=active$"))
    expect(lead_rows(page).first).to_contain_text("Clara Clerk")

    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()

    log_in(page, seeded, CLERK_CLARA, PASSWORD)
    expect(page).to_have_url(re.compile(r"/tasks$"))
    expect(page.get_by_role("heading", name="Meine Aufgaben")).to_be_visible()
    expect(page.get_by_test_id("tasks-total")).to_have_text(f"{PAGE_SIZE} offene Leads")
    expect(lead_rows(page)).to_have_count(PAGE_SIZE)
    expect(lead_rows(page).first.get_by_role("cell").last).to_have_text("gerade eben")
    # not offered to clerks (exact: "Offene Leads" and "Erledigte Leads" are their own views)
    expect(page.get_by_role("link", name="Leads", exact=True)).to_have_count(0)
    screenshot(page, "my-tasks")


def test_the_url_keeps_tab_and_page_across_a_reload(page, seeded: Seeded):
    log_in_as_manager(page, seeded)
    expect(lead_rows(page)).to_have_count(PAGE_SIZE)
    page.get_by_role("link", name="Nächste Seite").click()
    expect(page).to_have_url(re.compile(r"/leads\?tab=new&after="))
    expect(lead_rows(page)).to_have_count(LEAD_COUNT - PAGE_SIZE)
    expect(lead_rows(page).first).to_contain_text("Kunde Nummer05")

    page.reload()
    expect(page.get_by_text("Seite 2 von 2")).to_be_visible()
    expect(lead_rows(page).first).to_contain_text("Kunde Nummer05")

    page.go_back()
    expect(page.get_by_text("Seite 1 von 2")).to_be_visible()
    expect(lead_rows(page).first).to_contain_text("Kunde Nummer30")


def test_the_second_manager_to_distribute_a_lead_is_told_and_sees_the_fresh_list(
    new_page, seeded: Seeded
):
    first, second = new_page(), new_page()
    log_in_as_manager(first, seeded)
    log_in_as_manager(second, seeded, SECOND_MANAGER)
    for manager in (first, second):
        expect(count(manager, "new")).to_have_text(str(LEAD_COUNT))

    # Both pick Nummer30; the first manager also picks Nummer29.
    first.get_by_label("Kunde Nummer30 auswählen").check()
    first.get_by_label("Kunde Nummer29 auswählen").check()
    second.get_by_label("Kunde Nummer30 auswählen").check()

    second.get_by_role("button", name="An Bearbeiter verteilen").click()
    second.get_by_role("radio", name=re.compile("David Clerk")).check()
    second.get_by_role("dialog").get_by_role("button", name="Verteilen").click()
    expect(second.get_by_role("status").filter(has_text="verteilt")).to_have_text(
        "1 Lead wurde an David Clerk verteilt."
    )

    first.get_by_role("button", name="An Bearbeiter verteilen").click()
    first.get_by_role("radio", name=re.compile("Clara Clerk")).check()
    first.get_by_role("dialog").get_by_role("button", name="Verteilen").click()
    alert = first.get_by_role("alert")
    expect(alert).to_contain_text(
        "Jemand anderes war schneller: Kunde Nummer30 ist nicht mehr neu."
    )
    expect(alert).to_contain_text("Es wurde nichts verteilt")
    # Refreshed: Nummer30 is gone from Neu, Nummer29 is still there and still selected.
    expect(count(first, "new")).to_have_text(str(LEAD_COUNT - 1))
    expect(first.get_by_label("Kunde Nummer30 auswählen")).to_have_count(0)
    expect(first.get_by_label("Kunde Nummer29 auswählen")).to_be_checked()
    screenshot(first, "assign-conflict")

    # Nothing was assigned to Clara: all or nothing.
    users = seeded.graphql("{ users(role: CLERK) { email openLeadCount } }")["users"]
    loads = {user["email"]: user["openLeadCount"] for user in users}
    assert loads == {CLERK_CLARA: 0, CLERK_DAVID: 1}


def test_english_is_one_click_away_and_remembered(page, seeded: Seeded):
    page.goto(seeded.url + "/")
    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_label("Email").fill("nobody@test.example")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Email or password is wrong.")

    page.get_by_label("Email").fill(SECOND_MANAGER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name=re.compile("^New"))).to_be_visible()
    expect(page.get_by_role("button", name="Distribute to clerk")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Company")).to_be_visible()
    screenshot(page, "leads-overview-en")

    page.reload()
    expect(page.get_by_role("link", name=re.compile("^Done"))).to_be_visible()
    page.get_by_role("button", name="Auf Deutsch umschalten").click()
    expect(page.get_by_role("link", name=re.compile("^Erledigt"))).to_be_visible()


def test_a_clerk_is_not_offered_the_overview(page, seeded: Seeded):
    log_in(page, seeded, CLERK_DAVID, PASSWORD)
    expect(page).to_have_url(re.compile(r"/tasks$"))
    expect(page.get_by_text("Keine offenen Leads. Gut gemacht!")).to_be_visible()
    page.goto(seeded.url + "/leads?tab=new")
    expect(page).to_have_url(re.compile(r"/tasks$"))
    expect(page.get_by_role("button", name="An Bearbeiter verteilen")).to_have_count(0)

"""The lists a team works from, in a real browser: the clerk's worklist (Meine Aufgaben) with its
due sections and counts, filters, sortable columns and "Erledigte Leads"; the same list as cards
with a call button on a phone (390x844) without sideways scrolling; the manager's overview with
sortable columns, the clerk filter, the Erledigt tab's outcome, reason and closing date, and
"Filter zurücksetzen" on an empty list. Every filter and sort lives in the URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import expect_no_violations
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

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
OVERFLOW = """() => ({
  scrollWidth: document.scrollingElement.scrollWidth,
  innerWidth: window.innerWidth,
})"""

SCHEDULE = """mutation($input: ScheduleActivityInput!) {
  scheduleActivity(input: $input) { activity { id } userErrors { code message field } }
}"""
CLOSE = """mutation($input: CloseLeadInput!) {
  closeLead(input: $input) { lead { id } userErrors { message } }
}"""
CREATE_CAMPAIGN = """mutation($input: CreateCampaignInput!) {
  createCampaign(input: $input) { campaign { id } userErrors { message } }
}"""
CREATE_LEADS = """mutation($input: CreateLeadsInput!) {
  createLeads(input: $input) { leads { id } userErrors { message } }
}"""


@dataclass(frozen=True)
class World:
    seeded: Seeded
    ids: dict[str, str]  # "N01".."N30", "ERIKA" -> global ID


def schedule(seeded: Seeded, lead_id: str, kind: str, due: datetime, note: str) -> None:
    payload = seeded.graphql(
        SCHEDULE,
        input={"subjectId": lead_id, "kind": kind, "dueAt": due.isoformat(), "note": note},
    )["scheduleActivity"]
    assert payload["userErrors"] == [], payload


def close(seeded: Seeded, lead_id: str, reason: str | None = None) -> None:
    close_input = {
        "leadId": lead_id,
        "outcome": "UNSUCCESSFUL" if reason else "SUCCESSFUL",
        "reason": reason,
    }
    payload = seeded.graphql(CLOSE, input=close_input)["closeLead"]
    assert payload["userErrors"] == [], payload


def today_later(now: datetime) -> datetime:
    """A moment later today (UTC, the browsers' zone here): halfway to midnight."""
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return now + (midnight - now) / 2


@pytest.fixture
def world(seeded: Seeded) -> World:
    """Clara: N01 overdue (call), N02 due today (email), N03 planned in 3 days, N04..N06 and
    Erika Muster (Webinar Frühjahr, assigned last) with nothing planned; N07 closed erfolglos
    (Kein Interesse), N08 erfolgreich. David: N09 closed erfolglos (Nicht erreichbar), N10
    active. The rest is new."""
    ids = {f"N{number:02d}": lead_id for number, lead_id in enumerate(seeded.lead_ids, 1)}
    webinar = seeded.graphql(CREATE_CAMPAIGN, input={"name": "Webinar Frühjahr"})
    erika = {
        "firstName": "Erika",
        "lastName": "Muster",
        "company": "Zebra AG",
        "email": "erika@zebra.example",
        "phone": "+49 40 555 01",
    }
    created = seeded.graphql(
        CREATE_LEADS,
        input={"campaignId": webinar["createCampaign"]["campaign"]["id"], "leads": [erika]},
    )
    ids["ERIKA"] = created["createLeads"]["leads"][0]["id"]

    assign(seeded, [ids[f"N{number:02d}"] for number in range(1, 9)], CLERK_CLARA)
    assign(seeded, [ids["N09"], ids["N10"]], CLERK_DAVID)
    assign(seeded, [ids["ERIKA"]], CLERK_CLARA)

    now = datetime.now(UTC)
    schedule(seeded, ids["N01"], "CALL", now - timedelta(days=2), "Rückruf wegen Angebot")
    schedule(seeded, ids["N02"], "EMAIL", today_later(now), "Unterlagen schicken")
    schedule(seeded, ids["N03"], "MEETING", now + timedelta(days=3), "Vorführung")
    close(seeded, ids["N07"], "NOT_INTERESTED")
    close(seeded, ids["N08"])
    close(seeded, ids["N09"], "UNREACHABLE")
    return World(seeded, ids)


@pytest.fixture
def open_page(browser) -> Iterator:
    """Pages in fresh contexts (German, UTC like the dates the test plans) at a given size."""
    contexts = []

    def open_one(device: dict):
        context = browser.new_context(**device, locale="de-DE", timezone_id="UTC")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_one
    for context in contexts:
        context.close()


def rows(page):
    return page.locator("tbody tr")


def names_in_order(page) -> list[str]:
    return [text.strip() for text in rows(page).locator("td:first-child").all_inner_texts()]


def section(page, name: str):
    return page.get_by_role("navigation", name="Fälligkeit").get_by_role(
        "link", name=re.compile(f"^{name}")
    )


def header(page, name: str):
    return page.get_by_role("columnheader", name=re.compile(f"^{name}"))


def expect_no_sideways_scroll(page, screen: str) -> None:
    sizes = page.evaluate(OVERFLOW)
    assert sizes["innerWidth"] == 390, f"{screen} is zoomed out: {sizes}"
    assert sizes["scrollWidth"] <= sizes["innerWidth"], f"{screen} scrolls sideways: {sizes}"


def test_the_clerks_worklist_has_due_sections_filters_and_sortable_columns(open_page, world: World):
    page = open_page(DESKTOP)
    log_in(page, world.seeded, CLERK_CLARA, PASSWORD)
    expect(page).to_have_url(re.compile(r"/tasks$"))
    expect(page.get_by_test_id("tasks-total")).to_have_text("7 offene Leads")
    for due, count in (("all", 7), ("OVERDUE", 1), ("TODAY", 1), ("UPCOMING", 1), ("NONE", 4)):
        expect(page.get_by_test_id(f"due-count-{due}")).to_have_text(str(count))

    # Due first: overdue, today, planned, then the unplanned by how long they wait.
    expect(header(page, "Fällig")).to_have_attribute("aria-sort", "ascending")
    expect(rows(page)).to_have_count(7)
    assert names_in_order(page) == [
        "Kunde Nummer01",
        "Kunde Nummer02",
        "Kunde Nummer03",
        "Kunde Nummer04",
        "Kunde Nummer05",
        "Kunde Nummer06",
        "Erika Muster",
    ]
    first = rows(page).first
    expect(first).to_contain_text("Anruf: Rückruf wegen Angebot")
    expect(first.get_by_test_id("due")).to_contain_text("überfällig")
    expect(rows(page).nth(1).get_by_test_id("due")).to_contain_text("heute")
    expect(rows(page).nth(2).get_by_test_id("due")).to_contain_text("geplant")
    expect(rows(page).nth(3).get_by_test_id("due")).to_have_text("nichts geplant")
    expect(first.get_by_role("link", name="+49 30 123401")).to_have_attribute(
        "href", "tel:+4930123401"
    )
    screenshot(page, "my-tasks-worklist")
    expect_no_violations(page, "the worklist")

    # A section: only the overdue lead; the URL keeps it across a reload.
    section(page, "Überfällig").click()
    expect(page).to_have_url(re.compile(r"/tasks\?due=OVERDUE$"))
    expect(section(page, "Überfällig")).to_have_attribute("aria-current", "page")
    expect(rows(page)).to_have_count(1)
    page.reload()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Kunde Nummer01")
    section(page, "Nichts geplant").click()
    expect(rows(page)).to_have_count(4)

    # Campaign and search narrow it further; nothing left offers the way back.
    page.get_by_label("Kampagne", exact=True).select_option(label="Webinar Frühjahr")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Erika Muster")
    page.get_by_label("Suche").fill("Nummer")
    expect(page.get_by_text("Keine offenen Leads passen zu diesen Filtern.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"due=NONE.*campaign=.*q=Nummer"))
    expect_no_violations(page, "an empty worklist with 'Filter zurücksetzen'")
    page.get_by_role("link", name="Filter zurücksetzen").click()
    expect(page).to_have_url(re.compile(r"/tasks$"))
    expect(rows(page)).to_have_count(7)
    expect(page.get_by_label("Suche")).to_have_value("")

    # Back goes to the filtered list again.
    page.go_back()
    expect(page.get_by_text("Keine offenen Leads passen zu diesen Filtern.")).to_be_visible()
    expect(page.get_by_label("Suche")).to_have_value("Nummer")
    page.get_by_role("link", name="Filter zurücksetzen").click()

    # "Wartet seit": shortest wait first (Erika, assigned last), then longest first.
    header(page, "Wartet seit").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=NEWEST"))
    expect(header(page, "Wartet seit")).to_have_attribute("aria-sort", "ascending")
    expect(header(page, "Fällig")).not_to_have_attribute("aria-sort", re.compile("."))
    expect(rows(page).first).to_contain_text("Erika Muster")
    header(page, "Wartet seit").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=WAITING_LONGEST"))
    expect(header(page, "Wartet seit")).to_have_attribute("aria-sort", "descending")
    expect(rows(page).last).to_contain_text("Erika Muster")
    page.reload()
    expect(header(page, "Wartet seit")).to_have_attribute("aria-sort", "descending")

    # Erledigte Leads: her two closed leads with outcome, reason and closing date.
    page.get_by_role("link", name="Erledigte Leads").click()
    expect(page).to_have_url(re.compile(r"/tasks\?view=done$"))
    expect(page.get_by_test_id("done-total")).to_have_text("2 erledigte Leads")
    for column in ("Ergebnis", "Grund", "Abgeschlossen am"):
        expect(page.get_by_role("columnheader", name=column)).to_be_visible()
    lost = page.get_by_role("row", name=re.compile("Kunde Nummer07"))
    expect(lost.get_by_test_id("outcome")).to_have_text("erfolglos")
    expect(lost.get_by_test_id("reason")).to_have_text("Kein Interesse")
    expect(lost.get_by_test_id("closed-at")).to_contain_text(str(datetime.now(UTC).year))
    won = page.get_by_role("row", name=re.compile("Kunde Nummer08"))
    expect(won.get_by_test_id("outcome")).to_have_text("erfolgreich")
    expect(won.get_by_test_id("reason")).to_have_text("")
    page.get_by_label("Ergebnis").select_option(label="erfolgreich")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Kunde Nummer08")
    screenshot(page, "my-tasks-done")
    expect_no_violations(page, "Erledigte Leads")


def test_on_a_phone_the_worklist_is_cards_with_a_call_button(open_page, world: World):
    page = open_page(PHONE)
    log_in(page, world.seeded, CLERK_CLARA, PASSWORD)
    cards = page.get_by_test_id("task-cards").locator("li")
    expect(cards).to_have_count(7)
    expect(page.locator("table.task-table")).to_be_hidden()
    expect_no_sideways_scroll(page, "the worklist")

    first = cards.first
    expect(first).to_contain_text("Kunde Nummer01")
    expect(first).to_contain_text("überfällig")
    expect(first).to_contain_text("Anruf: Rückruf wegen Angebot")
    call = first.get_by_role("link", name="Anrufen: +49 30 123401")
    expect(call).to_have_attribute("href", "tel:+4930123401")
    box = call.bounding_box()
    assert box is not None and box["height"] >= 44, f"the call button is small: {box}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"the call button sticks out: {box}"
    screenshot(page, "phone-my-tasks")
    expect_no_violations(page, "the worklist's cards")

    # The sort is a select here (no column headers on a phone), and stays in the URL.
    page.get_by_label("Sortierung").select_option(label="Am längsten wartend zuerst")
    expect(page).to_have_url(re.compile(r"sort=WAITING_LONGEST"))
    expect(cards.last).to_contain_text("Erika Muster")
    section(page, "Heute").click()
    expect(cards).to_have_count(1)
    expect_no_sideways_scroll(page, "a section of the worklist")

    page.get_by_role("link", name="Erledigte Leads").click()
    expect(rows(page)).to_have_count(2)
    expect_no_sideways_scroll(page, "the done leads")


def test_the_overview_sorts_by_column_filters_by_clerk_and_shows_how_leads_ended(
    open_page, world: World
):
    page = open_page(DESKTOP)
    log_in_as_manager(page, world.seeded)
    expect(page.get_by_test_id("count-active")).to_have_text("8")
    page.get_by_role("link", name=re.compile("^Aktiv")).click()

    # Newest first by default ("Alter" ascending); a click on a header sorts by that column.
    expect(header(page, "Alter")).to_have_attribute("aria-sort", "ascending")
    expect(rows(page).first).to_contain_text("Erika Muster")

    # Aktiv shows when the next step is due; sorted by it, the overdue lead comes first.
    header(page, "Fällig").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"tab=active&sort=NEXT_DUE$"))
    expect(header(page, "Fällig")).to_have_attribute("aria-sort", "ascending")
    expect(rows(page).first).to_contain_text("Kunde Nummer01")
    expect(rows(page).first.get_by_test_id("due")).to_contain_text("überfällig")
    expect(rows(page).nth(1).get_by_test_id("due")).to_contain_text("heute")
    expect_no_violations(page, "the overview's Aktiv tab")

    # Filtered by due state: the overdue lead only, and the export has the same one.
    page.get_by_label("Fällig", exact=True).select_option(label="Überfällig")
    expect(page).to_have_url(re.compile(r"tab=active&due=OVERDUE&sort=NEXT_DUE$"))
    expect(rows(page)).to_have_count(1)
    expect(page.get_by_test_id("count-active")).to_have_text("8")  # counts: shared filters only
    href = page.get_by_role("link", name="Exportieren (CSV)").get_attribute("href") or ""
    assert "due=OVERDUE" in href and "timeZone=UTC" in href, href
    download = page.request.get(world.seeded.url + href)
    lines = [line for line in download.text().splitlines() if line.strip()]
    assert download.ok and len(lines) == 2 and "Nummer01" in lines[1], lines
    page.get_by_label("Fällig", exact=True).select_option(label="Alle")
    expect(rows(page)).to_have_count(8)

    header(page, "Firma").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"tab=active&sort=COMPANY$"))
    expect(header(page, "Firma")).to_have_attribute("aria-sort", "ascending")
    expect(rows(page).first).to_contain_text("Firma 01 GmbH")
    expect(rows(page).last).to_contain_text("Zebra AG")
    header(page, "Alter").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/leads\?tab=active$"))  # NEWEST is the default
    header(page, "Alter").get_by_role("link").click()
    expect(header(page, "Alter")).to_have_attribute("aria-sort", "descending")
    expect(rows(page).first).to_contain_text("Kunde Nummer01")

    # The clerk filter: David's leads only, counted in the tabs too; it survives a reload.
    page.get_by_label("Sachbearbeiter", exact=True).select_option(label="David Clerk")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Kunde Nummer10")
    expect(page.get_by_test_id("count-active")).to_have_text("1")
    expect(page.get_by_test_id("count-done")).to_have_text("1")
    expect(page.get_by_test_id("count-new")).to_have_text("0")
    page.reload()
    expect(page.get_by_label("Sachbearbeiter", exact=True)).to_have_value(
        world.seeded.clerk_ids[CLERK_DAVID]
    )
    expect(rows(page)).to_have_count(1)

    # Erledigt: outcome, reason and closing date; the clerk filter stays.
    page.get_by_role("link", name=re.compile("^Erledigt")).click()
    expect(page).to_have_url(re.compile(r"tab=done&assignee="))
    for column in ("Ergebnis", "Grund", "Abgeschlossen am"):
        expect(page.get_by_role("columnheader", name=column)).to_be_visible()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first.get_by_test_id("reason")).to_have_text("Nicht erreichbar")
    # "Exportieren" downloads exactly this list.
    export = page.get_by_role("link", name="Exportieren (CSV)")
    href = export.get_attribute("href") or ""
    assert href.startswith("/files/exports/leads.csv?"), href
    assert "status=DONE" in href and "assigneeId=" in href and "lang=de" in href, href
    download = page.request.get(world.seeded.url + href)
    assert download.ok, download.status
    lines = [line for line in download.text().splitlines() if line.strip()]
    assert len(lines) == 2 and "Kunde" in lines[1] and "Nummer09" in lines[1], lines
    page.get_by_label("Sachbearbeiter", exact=True).select_option(label="Alle Sachbearbeiter")
    expect(rows(page)).to_have_count(3)
    header(page, "Sachbearbeiter").get_by_role("link").click()
    expect(header(page, "Sachbearbeiter")).to_have_attribute("aria-sort", "ascending")
    expect(rows(page).last).to_contain_text("David Clerk")
    screenshot(page, "leads-overview-done")
    expect_no_violations(page, "the overview's Erledigt tab")

    page.get_by_label("Ergebnis").select_option(label="erfolglos")
    expect(rows(page)).to_have_count(2)
    expect(page.get_by_test_id("leads-found")).to_have_text("2 Leads gefunden")
    page.get_by_label("Grund", exact=True).select_option(label="Doppelt erfasst")
    expect(page.get_by_text("Keine Leads passen zu diesen Filtern.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"outcome=UNSUCCESSFUL&reason=DUPLICATE"))
    expect_no_violations(page, "an empty Erledigt tab with 'Filter zurücksetzen'")
    page.get_by_role("link", name="Filter zurücksetzen").click()
    expect(page).to_have_url(re.compile(r"/leads\?tab=done&sort=ASSIGNEE$"))
    expect(rows(page)).to_have_count(3)
    expect(page.get_by_label("Ergebnis")).to_have_value("")
    # The export is sorted as the list: by clerk, David's lead last.
    href = page.get_by_role("link", name="Exportieren (CSV)").get_attribute("href") or ""
    assert "orderBy=ASSIGNEE" in href, href
    download = page.request.get(world.seeded.url + href)
    lines = [line for line in download.text().splitlines() if line.strip()]
    assert download.ok and len(lines) == 4 and "Nummer09" in lines[-1], lines


def test_on_a_phone_the_overview_and_its_filters_fit(open_page, world: World):
    page = open_page(PHONE)
    log_in_as_manager(page, world.seeded)
    expect(page.get_by_test_id("count-new")).to_have_text("20")
    for tab, count in (("Neu", 20), ("Aktiv", 8), ("Erledigt", 3)):
        page.get_by_role("link", name=re.compile(f"^{tab}")).click()
        expect(rows(page)).to_have_count(count)
        expect_no_sideways_scroll(page, f"the overview's {tab} tab")
    expect(page.get_by_label("Grund", exact=True)).to_be_visible()
    page.get_by_label("Grund", exact=True).select_option(label="Doppelt erfasst")
    reset = page.get_by_role("link", name="Filter zurücksetzen")
    expect(reset).to_be_visible()
    expect_no_sideways_scroll(page, "an empty Erledigt tab")
    screenshot(page, "phone-leads-overview-empty")

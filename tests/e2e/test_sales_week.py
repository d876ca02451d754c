"""A sales team's week in German, in a real browser, as one story (issue 12, "Done when"):

Monday     Clara plans a follow-up on her lead with the quick pick "Morgen".
Tuesday    it is "heute" in Meine Aufgaben; she reaches the customer, completes the step and plans
           the next one in one go.
Wednesday  she closes a lead erfolgreich; its Verkaufschance goes through the stages to Gewonnen
           by the board's menu (the keyboard's way).
Thursday   she closes a lead by mistake; the manager reopens it ("Wieder öffnen") and it is back
           in her list.
Friday     the planned Termin is "heute"; she corrects a phone number and the change history
           shows it.

The server and the browsers share the week's clock: the server runs tests/fast_leadflow.py with
a moved clock (tests/moved_clock.py), the browsers a fixed Playwright clock, both set to 08:30
in Berlin each morning (the browsers run in Berlin and send it as their time zone). A day after
the last, the sessions of 12 hours have run out, so everyone logs in again each morning.
Every screen visited is audited by axe-core (WCAG A/AA) at 1280x800 and 390x844 and checked
for sideways scrolling at 390x844; the main steps are photographed as
docs/screenshots/week-*.png at 1280x800 and 390x844."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.e2e.axe import expect_no_violations
from tests.e2e.conftest import (
    BROWSER_USERS,
    CLERK_CLARA,
    PASSWORD,
    VIEWPORT,
    Seeded,
    _seed_leads,
    log_in_as_manager,
    screenshot,
)
from tests.e2e.test_lead_detail import assign
from tests.live_server import live_server
from tests.moved_clock import ENVIRONMENT_VARIABLE, move_to

BERLIN = ZoneInfo("Europe/Berlin")
PHONE = {"width": 390, "height": 844}
MORNING = time(8, 30)
WEEKDAYS = ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."]
# One long story of page loads: on a busy machine (CI, several suites at once) a page of the SPA
# has taken more than Playwright's 5 s to appear. Waits that succeed return at once anyway.
SLOW_MACHINE_TIMEOUT = 20_000
PLAYWRIGHT_EXPECT_TIMEOUT = 5_000  # Playwright's default, restored after the test


def next_monday(today: date) -> date:
    """The coming Monday (a week ahead on a Monday): the week is never in the past, so the
    browser's session cookies (real time) and the server's sessions (the week's time) agree."""
    return today + timedelta(days=7 - today.weekday())


def german_nine(day: date) -> tuple[str, str]:
    """The datetime-local value and the German words of 9:00 on `day`, as the SPA shows them."""
    return f"{day:%Y-%m-%d}T09:00", f"{WEEKDAYS[day.weekday()]}, {day:%d.%m.%Y}, 09:00"


@dataclass
class Week:
    seeded: Seeded
    clock_file: Path
    monday: date
    browser: object
    now: datetime  # the week's current moment, as the server and the browsers see it
    pages: list = field(default_factory=list)

    def day(self, weekday: int) -> date:
        return self.monday + timedelta(days=weekday)

    def morning(self, weekday: int) -> None:
        """08:30 in Berlin on the week's `weekday` (0 = Monday), for the server and every
        browser open now or later."""
        self.now = datetime.combine(self.day(weekday), MORNING, tzinfo=BERLIN)
        move_to(self.clock_file, self.now)
        for page in self.pages:
            page.clock.set_fixed_time(self.now)

    def open_page(self):
        """A person at their desk in Berlin, with a browser of their own (cookies, clock)."""
        context = self.browser.new_context(
            viewport=VIEWPORT, locale="de-DE", timezone_id="Europe/Berlin"
        )
        context.set_default_timeout(SLOW_MACHINE_TIMEOUT)
        page = context.new_page()
        page.clock.set_fixed_time(self.now)
        self.pages.append(page)
        return page


@pytest.fixture
def week(browser, tmp_path: Path) -> Iterator[Week]:
    """A live server whose clock starts on Monday morning of the coming week, with the browser
    users and a campaign of 30 new leads (seeded that Monday morning)."""
    clock_file = tmp_path / "clock"
    monday = next_monday(datetime.now(BERLIN).date())
    start = datetime.combine(monday, time(8, 0), tzinfo=BERLIN)
    move_to(clock_file, start)
    settings = {ENVIRONMENT_VARIABLE: str(clock_file)}
    with live_server(tmp_path, users=BROWSER_USERS, **settings) as server:
        the_week = Week(_seed_leads(server), clock_file, monday, browser, start)
        expect.set_options(timeout=SLOW_MACHINE_TIMEOUT)
        try:
            yield the_week
        finally:
            expect.set_options(timeout=PLAYWRIGHT_EXPECT_TIMEOUT)
            for page in the_week.pages:
                page.context.close()


def expect_no_sideways_scroll(page, screen: str) -> None:
    """At 390 px the page is no wider than the screen (waits a moment for late layout)."""
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    try:
        page.wait_for_function(fits, timeout=5_000)
    except PlaywrightTimeoutError:
        sizes = page.evaluate(
            "() => ({scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth})"
        )
        raise AssertionError(f"{screen} scrolls sideways at 390x844: {sizes}") from None


def look(page, screen: str, shot: str | None = None, *, full_page: bool = False) -> None:
    """The screen as it is now, on a phone too: no WCAG A/AA violation found by axe-core at
    either size, no sideways scrolling at 390x844; with `shot`, photographed as
    week-<shot>.png (desktop) and week-<shot>-phone.png."""
    expect_no_violations(page, screen)
    if shot:
        screenshot(page, f"week-{shot}", full_page=full_page)
    page.set_viewport_size(PHONE)
    try:
        expect_no_sideways_scroll(page, screen)
        expect_no_violations(page, f"{screen} at 390x844")
        if shot:
            screenshot(page, f"week-{shot}-phone", full_page=full_page)
    finally:
        page.set_viewport_size(VIEWPORT)


def log_in_again(page, week: Week) -> None:
    """The morning's login: the login screen shows, since yesterday's session ran out
    overnight by the server's clock (on Monday there was none)."""
    page.goto(week.seeded.url + "/")
    expect(page.get_by_label("E-Mail")).to_be_visible()
    look(page, "the login screen")
    page.get_by_label("E-Mail").fill(CLERK_CLARA)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(re.compile(r"/tasks$"))


def task_row(page, name: str):
    return page.locator("table.task-table tbody tr").filter(has=page.get_by_role("link", name=name))


def open_lead(page, name: str) -> None:
    task_row(page, name).get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=re.compile(name))).to_be_visible()


def worklist(page) -> None:
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Meine Aufgaben"
    ).click()
    expect(page).to_have_url(re.compile(r"/tasks$"))


def board_card(page, title: str):
    return page.get_by_test_id("board-card").filter(has=page.get_by_role("link", name=title))


def move_by_keyboard(page, title: str, stage: str) -> None:
    """The card's "Verschieben nach …" menu, the board's way without dragging: Enter on the
    menu's button, Enter on the stage."""
    card = board_card(page, title)
    card.get_by_role("button", name=re.compile("^Verschieben nach")).press("Enter")
    stages = card.get_by_role("list", name=f"„{title}“ verschieben nach")
    stages.get_by_role("button", name=stage, exact=True).press("Enter")


def close_lead(page, outcome: str, reason: str | None = None, **opportunity: str) -> None:
    """Abschließen on the lead page, confirmed."""
    close = page.get_by_role("region", name="Abschließen")
    close.get_by_role("radio", name=outcome).check()
    if reason:
        close.get_by_label("Grund").select_option(label=reason)
    if "title" in opportunity:
        close.get_by_label("Titel der Verkaufschance (optional)").fill(opportunity["title"])
        close.get_by_label("Erwarteter Wert in € (optional)").fill(opportunity["value"])
    close.get_by_role("button", name="Abschließen", exact=True).click()
    close.get_by_role("button", name="Ja, abschließen").click()
    expect(page.get_by_test_id("lead-status")).to_have_text(f"Erledigt · {outcome}")


def lead_steps(seeded: Seeded, lead_id: str) -> dict:
    return seeded.graphql(
        """query($id: ID!) { lead(id: $id) {
          status dueState nextActivity { kind dueAt note }
          activities { kind dueAt doneAt doneNote }
        } }""",
        id=lead_id,
    )["lead"]


def test_a_sales_week_in_german(week: Week):
    seeded = week.seeded
    ids = {f"N{number:02d}": lead_id for number, lead_id in enumerate(seeded.lead_ids, 1)}
    tuesday, friday = week.day(1), week.day(4)

    # ── Monday: at 8:00 the manager hands Clara five leads; she plans a call for tomorrow.
    assign(seeded, [ids[f"N{number:02d}"] for number in range(1, 6)], CLERK_CLARA)
    week.morning(0)
    clara = week.open_page()
    log_in_again(clara, week)
    expect(clara.get_by_test_id("tasks-total")).to_have_text("5 offene Leads")
    expect(clara.get_by_test_id("due-count-NONE")).to_have_text("5")
    expect(clara.get_by_test_id("due-count-TODAY")).to_have_text("0")
    look(clara, "Meine Aufgaben", "1-monday-tasks")

    open_lead(clara, "Kunde Nummer01")
    panel = clara.get_by_role("region", name="Nächster Schritt")
    plan = panel.get_by_role("form", name="Nächster Schritt planen")
    plan.get_by_label("Art").select_option(label="Anruf")
    plan.get_by_role("button", name="Morgen").click()
    tuesday_value, tuesday_words = german_nine(tuesday)
    expect(plan.get_by_label("Fällig am (Datum und Uhrzeit)")).to_have_value(tuesday_value)
    plan.get_by_label("Notiz (optional)").fill("Rückruf wegen Angebot")
    look(clara, "the lead page with the planning form", "1-monday-plan", full_page=True)
    plan.get_by_role("button", name="Planen").click()
    status = panel.get_by_role("status")
    expect(status).to_have_text(f"Nächster Schritt geplant: Anruf, {tuesday_words}.")
    expect(panel.get_by_test_id("next-step")).to_contain_text("geplant")
    steps = lead_steps(seeded, ids["N01"])
    assert steps["dueState"] == "UPCOMING", steps  # the manager's token: UTC, still Monday
    due_at = datetime.fromisoformat(steps["nextActivity"]["dueAt"])
    assert due_at == datetime.combine(tuesday, time(9), tzinfo=BERLIN), due_at

    worklist(clara)
    expect(task_row(clara, "Kunde Nummer01").get_by_test_id("due")).to_contain_text("geplant")
    expect(clara.get_by_test_id("due-count-UPCOMING")).to_have_text("1")

    # ── Tuesday: the call is "heute", first in her list; done, and the next step planned.
    week.morning(1)
    log_in_again(clara, week)
    expect(clara.get_by_test_id("due-count-TODAY")).to_have_text("1")
    expect(clara.get_by_test_id("due-count-UPCOMING")).to_have_text("0")
    first = clara.locator("table.task-table tbody tr").first
    expect(first).to_contain_text("Kunde Nummer01")
    expect(first.get_by_test_id("due")).to_contain_text("heute")
    expect(first).to_contain_text("Anruf: Rückruf wegen Angebot")
    # Waiting since Monday 8:00 by the browser's clock (Tuesday 8:30).
    expect(task_row(clara, "Kunde Nummer02")).to_contain_text("1 Tag")
    look(clara, "Meine Aufgaben with a step due today", "2-tuesday-heute")
    clara.set_viewport_size(PHONE)
    card = clara.get_by_test_id("task-cards").locator("li").first
    expect(card).to_contain_text("Kunde Nummer01")
    expect(card).to_contain_text("heute")
    clara.set_viewport_size(VIEWPORT)

    open_lead(clara, "Kunde Nummer01")
    current = panel.get_by_test_id("next-step")
    expect(current).to_contain_text("Anruf")
    expect(current).to_contain_text("heute")
    feedback = clara.get_by_role("region", name="Feedback erfassen")
    feedback.get_by_label("Kanal").select_option(label="Telefon")
    feedback.get_by_label("Notiz").fill("Kunde erreicht, möchte das Angebot vor Ort sehen.")
    feedback.get_by_role("button", name="Feedback speichern").click()
    complete = panel.get_by_role("form", name="Als erledigt markieren")
    complete.get_by_label("Ergebnis (optional)").fill("Angebot besprochen")
    expect(complete.get_by_label("Gleich den nächsten Schritt planen")).to_be_checked()
    complete.get_by_label("Art").select_option(label="Termin")
    complete.get_by_role("button", name="In 3 Tagen").click()
    friday_value, friday_words = german_nine(friday)
    expect(complete.get_by_label("Fällig am (Datum und Uhrzeit)")).to_have_value(friday_value)
    complete.get_by_label("Notiz (optional)").fill("Vorführung beim Kunden")
    look(clara, "the lead page completing a step", "2-tuesday-complete", full_page=True)
    complete.get_by_role("button", name="Erledigt speichern").click()
    expect(status).to_have_text(
        f"Der Schritt ist erledigt. Nächster Schritt: Termin, {friday_words}."
    )
    expect(current).to_contain_text("Termin")
    expect(current).to_contain_text("geplant")
    history = clara.get_by_test_id("history")
    expect(history).to_contain_text("Schritt erledigt: Anruf")
    expect(history).to_contain_text("Nächster Schritt geplant: Termin")
    steps = lead_steps(seeded, ids["N01"])
    assert [(step["kind"], step["doneNote"]) for step in steps["activities"]] == [
        ("MEETING", None),
        ("CALL", "Angebot besprochen"),
    ], steps
    done_at = datetime.fromisoformat(steps["activities"][1]["doneAt"]).astimezone(BERLIN)
    assert done_at.date() == tuesday, done_at  # the server's clock said Tuesday

    # ── Wednesday: a deal; its Verkaufschance goes through the stages by the card's menu.
    week.morning(2)
    log_in_again(clara, week)
    open_lead(clara, "Kunde Nummer03")
    close_lead(clara, "erfolgreich", title="Rahmenvertrag Firma 03", value="12.000")
    clara.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Verkaufschancen"
    ).click()
    expect(clara).to_have_url(re.compile(r"/opportunities$"))
    figures = {
        stage: clara.get_by_test_id(f"figures-{stage}")
        for stage in ("OPEN", "QUALIFIED", "PROPOSAL", "NEGOTIATION", "WON")
    }
    one_deal = re.compile(r"^1 Verkaufschance · 12\.000,00\s€$")
    expect(figures["OPEN"]).to_have_text(one_deal)
    look(clara, "the pipeline board")
    for stage, label in (
        ("QUALIFIED", "Qualifiziert"),
        ("PROPOSAL", "Angebot"),
        ("NEGOTIATION", "Verhandlung"),
    ):
        move_by_keyboard(clara, "Rahmenvertrag Firma 03", label)
        expect(clara.get_by_role("status").filter(has_text="steht jetzt")).to_have_text(
            f"„Rahmenvertrag Firma 03“ steht jetzt auf „{label}“."
        )
        expect(figures[stage]).to_have_text(one_deal)
    expect(figures["OPEN"]).to_have_text(re.compile(r"^0 Verkaufschancen"))
    move_by_keyboard(clara, "Rahmenvertrag Firma 03", "Gewonnen")
    won = clara.get_by_role("dialog", name="Als gewonnen markieren?")
    won.get_by_role("button", name="Ja, gewonnen").press("Enter")
    expect(figures["WON"]).to_have_text(one_deal)
    expect(figures["NEGOTIATION"]).to_have_text(re.compile(r"^0 Verkaufschancen"))
    look(clara, "the pipeline board after the win", "3-wednesday-won", full_page=True)
    board_card(clara, "Rahmenvertrag Firma 03").get_by_role(
        "link", name="Rahmenvertrag Firma 03"
    ).click()
    expect(clara.get_by_test_id("opportunity-stage")).to_have_text("Gewonnen")
    opportunity_history = clara.get_by_test_id("opportunity-history")
    for label in ("Qualifiziert", "Angebot", "Verhandlung", "Gewonnen"):
        # "Stand: Verhandlung" or "Stand: Angebot → Verhandlung"
        expect(opportunity_history).to_contain_text(re.compile(f"Stand: (\\S+ → )?{label}"))
    expect(opportunity_history).to_contain_text(f"{week.day(2):%d.%m.%Y}")  # Wednesday's
    look(clara, "the won Verkaufschance")

    # ── Thursday: a lead closed by mistake; the manager reopens it.
    week.morning(3)
    log_in_again(clara, week)
    open_lead(clara, "Kunde Nummer02")
    close_lead(clara, "erfolglos", "Kein Interesse")
    look(clara, "a done lead")

    manager = week.open_page()
    log_in_as_manager(manager, seeded)
    expect(manager).to_have_url(re.compile(r"/leads\?tab=new$"))
    manager.get_by_role("navigation", name="Status").get_by_role(
        "link", name=re.compile("^Erledigt")
    ).click()
    done = manager.get_by_role("row", name=re.compile("Kunde Nummer02"))
    expect(done.get_by_test_id("reason")).to_have_text("Kein Interesse")
    look(manager, "the overview's Erledigt tab")
    done.get_by_role("link", name="Kunde Nummer02").click()
    reopen = manager.get_by_role("region", name="Wieder öffnen")
    reopen.get_by_label("Grund (optional)").fill("Versehentlich geschlossen, Kunde hat Interesse.")
    reopen.get_by_role("button", name="Wieder öffnen").click()
    reopen.get_by_role("group", name="Wirklich wieder öffnen?").get_by_role(
        "button", name="Ja, wieder öffnen"
    ).click()
    expect(manager.get_by_role("status").filter(has_text="wieder geöffnet")).to_have_text(
        "Der Lead wurde wieder geöffnet und liegt wieder bei Clara Clerk."
    )
    expect(manager.get_by_test_id("lead-status")).to_have_text("Aktiv")
    expect(manager.get_by_test_id("history")).to_contain_text("Wieder geöffnet")
    look(manager, "the reopened lead", "4-thursday-reopened", full_page=True)
    assert lead_steps(seeded, ids["N02"])["status"] == "ACTIVE"

    worklist(clara)
    expect(task_row(clara, "Kunde Nummer02")).to_be_visible()
    expect(clara.get_by_test_id("tasks-total")).to_have_text("4 offene Leads")

    # ── Friday: Tuesday's Termin is due today; a wrong phone number is corrected.
    week.morning(4)
    log_in_again(clara, week)
    expect(clara.get_by_test_id("due-count-TODAY")).to_have_text("1")
    expect(task_row(clara, "Kunde Nummer01").get_by_test_id("due")).to_contain_text("heute")
    expect(task_row(clara, "Kunde Nummer01")).to_contain_text("Termin: Vorführung beim Kunden")
    open_lead(clara, "Kunde Nummer04")
    facts = clara.get_by_role("region", name="Kontakt")
    facts.get_by_role("button", name="Bearbeiten").click()
    form = facts.get_by_role("form", name="Kontakt bearbeiten")
    expect(form.get_by_label("Telefon")).to_have_value("+49 30 123404")
    form.get_by_label("Telefon").fill("+49 30 5550104")
    look(clara, "the contact form", "5-friday-contact-edit", full_page=True)
    form.get_by_role("button", name="Speichern").click()
    expect(facts.get_by_role("status")).to_have_text("Die Kontaktdaten wurden gespeichert.")
    expect(clara.get_by_role("link", name="+49 30 5550104")).to_have_attribute(
        "href", "tel:+49305550104"
    )
    changes = clara.get_by_test_id("contact-history")
    expect(changes).to_contain_text("Telefon: +49 30 123404 → +49 30 5550104")
    expect(changes).to_contain_text("von Clara Clerk")
    expect(changes).to_contain_text(f"{friday:%d.%m.%Y}")  # the server's clock said Friday
    look(clara, "the lead with its contact history", "5-friday-contact-history", full_page=True)

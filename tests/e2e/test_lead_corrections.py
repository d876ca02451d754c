"""Corrections and next steps on the lead page in a real browser (German UI): closing asks for
confirmation, a manager reopens a done lead, a clerk corrects contact data and sees the change
history, plans a follow-up with a quick pick and completes it planning the next one."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.axe import expect_no_violations
from tests.e2e.conftest import (
    CLERK_CLARA,
    PASSWORD,
    VIEWPORT,
    Seeded,
    log_in,
    log_in_as_manager,
    screenshot,
)
from tests.e2e.test_lead_detail import assign, lead_status


def open_lead(page, name: str) -> None:
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=re.compile(name))).to_be_visible()


def test_closing_asks_for_confirmation_and_a_manager_reopens_after_confirming(
    new_page, seeded: Seeded
):
    lead_id = seeded.lead_ids[0]  # Kunde Nummer01
    assign(seeded, [lead_id], CLERK_CLARA)
    clerk = new_page()
    log_in(clerk, seeded, CLERK_CLARA, PASSWORD)
    open_lead(clerk, "Kunde Nummer01")

    # Abschließen asks first; "Abbrechen" changes nothing and returns the focus.
    close = clerk.get_by_role("region", name="Abschließen")
    close.get_by_role("radio", name="erfolglos").check()
    submit = close.get_by_role("button", name="Abschließen", exact=True)
    submit.click()  # no reason: refused before asking, the focus on the reason
    reason = close.get_by_label("Grund")
    expect(reason).to_be_focused()
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(close.get_by_role("group", name="Wirklich abschließen?")).to_have_count(0)
    reason.select_option(label="Falsche Kontaktdaten")
    submit.click()
    confirm = close.get_by_role("group", name="Wirklich abschließen?")
    expect(confirm).to_contain_text("als erfolglos abgeschlossen (Falsche Kontaktdaten)")
    expect(confirm.get_by_role("button", name="Ja, abschließen")).to_be_focused()
    expect(submit).to_have_count(0)
    screenshot(clerk, "lead-close-confirm")
    expect_no_violations(clerk, "the lead page asking 'Wirklich abschließen?'")
    confirm.get_by_role("button", name="Abbrechen").click()
    expect(confirm).to_have_count(0)
    expect(submit).to_be_focused()
    assert lead_status(seeded, lead_id)["status"] == "ACTIVE"  # nothing sent

    # Confirmed: closed.
    submit.click()
    confirm.get_by_role("button", name="Ja, abschließen").click()
    expect(clerk.get_by_role("status").filter(has_text="abgeschlossen")).to_have_text(
        "Der Lead wurde als erfolglos abgeschlossen."
    )
    expect(clerk.get_by_test_id("lead-status")).to_have_text("Erledigt · erfolglos")
    # A clerk cannot reopen.
    expect(clerk.get_by_role("region", name="Wieder öffnen")).to_have_count(0)

    # The manager reopens it, after confirming, with a reason.
    manager = new_page()
    log_in_as_manager(manager, seeded)
    expect(manager.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    manager.goto(f"{seeded.url}/leads/{lead_id}")
    expect(manager.get_by_test_id("lead-status")).to_have_text("Erledigt · erfolglos")
    reopen = manager.get_by_role("region", name="Wieder öffnen")
    reopen.get_by_label("Grund (optional)").fill("Versehentlich geschlossen, Nummer stimmt doch.")
    reopen.get_by_role("button", name="Wieder öffnen").click()
    confirm = reopen.get_by_role("group", name="Wirklich wieder öffnen?")
    expect(confirm.get_by_role("button", name="Ja, wieder öffnen")).to_be_focused()
    assert lead_status(seeded, lead_id)["status"] == "DONE"
    screenshot(manager, "lead-reopen-confirm")
    expect_no_violations(manager, "a done lead asking 'Wirklich wieder öffnen?'")
    confirm.get_by_role("button", name="Ja, wieder öffnen").click()
    notice = manager.get_by_role("status").filter(has_text="wieder geöffnet")
    expect(notice).to_have_text("Der Lead wurde wieder geöffnet und liegt wieder bei Clara Clerk.")
    expect(notice).to_be_focused()
    expect(manager.get_by_test_id("lead-status")).to_have_text("Aktiv")
    expect(manager.get_by_test_id("lead-assignee")).to_have_text("Clara Clerk")
    history = manager.get_by_test_id("history")
    expect(history).to_contain_text("Wieder geöffnet")
    expect(history).to_contain_text("Versehentlich geschlossen, Nummer stimmt doch.")
    expect(manager.get_by_role("region", name="Wieder öffnen")).to_have_count(0)
    assert lead_status(seeded, lead_id)["status"] == "ACTIVE"

    # The clerk has it back in the task list.
    clerk.get_by_role("link", name="Meine Aufgaben").click()
    expect(clerk.get_by_role("link", name="Kunde Nummer01")).to_be_visible()


def test_a_clerk_corrects_a_phone_number_and_sees_the_change_history(page, seeded: Seeded):
    lead_id = seeded.lead_ids[1]  # Kunde Nummer02
    assign(seeded, [lead_id], CLERK_CLARA)
    log_in(page, seeded, CLERK_CLARA, PASSWORD)
    open_lead(page, "Kunde Nummer02")
    facts = page.get_by_role("region", name="Kontakt")
    expect(page.get_by_role("region", name="Änderungen")).to_have_count(0)

    # A bad email is refused next to the field, which gets the focus; nothing changes.
    facts.get_by_role("button", name="Bearbeiten").click()
    form = facts.get_by_role("form", name="Kontakt bearbeiten")
    expect(form.get_by_label("Vorname")).to_be_focused()
    expect(form.get_by_label("Nachname")).to_have_value("Nummer02")
    expect(form.get_by_label("Telefon")).to_have_value("+49 30 123402")
    email = form.get_by_label("E-Mail")
    email.fill("kunde02-at-example.com")
    form.get_by_role("button", name="Speichern").click()
    expect(page.locator("#contact-email-error")).to_have_text(
        "Bitte eine gültige E-Mail-Adresse eingeben."
    )
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    # Another contact's email is a duplicate.
    email.fill("KUNDE03@example.com")
    form.get_by_role("button", name="Speichern").click()
    expect(page.locator("#contact-email-error")).to_have_text(
        "Diese E-Mail-Adresse gehört schon zu einem anderen Kontakt."
    )
    expect_no_violations(page, "the contact form with a refused email")
    form.get_by_role("button", name="Abbrechen").click()
    expect(form).to_have_count(0)
    expect(facts.get_by_role("button", name="Bearbeiten")).to_be_focused()
    expect(page.get_by_role("link", name="kunde02@example.com")).to_be_visible()

    # The corrected phone number: saved, shown, and in the history with old and new value.
    facts.get_by_role("button", name="Bearbeiten").click()
    form.get_by_label("Telefon").fill("+49 30 5550102")
    form.get_by_label("Ort").fill("Berlin")
    screenshot(page, "lead-contact-edit", full_page=True)
    form.get_by_role("button", name="Speichern").click()
    expect(facts.get_by_role("status")).to_have_text("Die Kontaktdaten wurden gespeichert.")
    expect(facts.get_by_role("button", name="Bearbeiten")).to_be_focused()
    expect(page.get_by_role("link", name="+49 30 5550102")).to_have_attribute(
        "href", "tel:+49305550102"
    )
    expect(facts).to_contain_text("Berlin")
    changes = page.get_by_test_id("contact-history")
    expect(changes).to_contain_text("Telefon: +49 30 123402 → +49 30 5550102")
    expect(changes).to_contain_text("Ort: (leer) → Berlin")
    expect(changes).to_contain_text("von Clara Clerk")
    screenshot(page, "lead-contact-history", full_page=True)
    history = seeded.graphql(
        "query($id: ID!) { lead(id: $id) { contact { phone history { field oldValue newValue"
        " actor { name } } } } }",
        id=lead_id,
    )["lead"]["contact"]
    assert history["phone"] == "+49 30 5550102"
    assert sorted(
        (change["field"], change["oldValue"], change["newValue"]) for change in history["history"]
    ) == [
        ("city", None, "Berlin"),
        ("phone", "+49 30 123402", "+49 30 5550102"),
    ]

    # Saving without a change sends nothing.
    facts.get_by_role("button", name="Bearbeiten").click()
    form.get_by_role("button", name="Speichern").click()
    expect(facts.get_by_role("status")).to_have_text("Nichts geändert.")


def test_next_lead_walks_the_clerks_worklist_without_going_back(page, seeded: Seeded):
    # One assignment after the other: with nothing scheduled, NEXT_DUE lists the lead that
    # waits longest first, so the worklist is Nummer05, Nummer06, Nummer07, Nummer08.
    for number in [5, 6, 7, 8]:
        assign(seeded, [seeded.lead_ids[number - 1]], CLERK_CLARA)
    log_in(page, seeded, CLERK_CLARA, PASSWORD)
    expect(page.get_by_role("link", name="Kunde Nummer08")).to_be_visible()
    page.goto(f"{seeded.url}/leads/{seeded.lead_ids[4]}")
    expect(page.get_by_role("heading", name=re.compile("Kunde Nummer05"))).to_be_visible()

    next_lead = page.get_by_role("link", name=re.compile("^Nächster Lead"))
    expect(next_lead).to_have_text("Nächster Lead: Kunde Nummer06 →")
    next_lead.click()
    expect(page.get_by_role("heading", name=re.compile("Kunde Nummer06"))).to_be_visible()
    expect(next_lead).to_have_text("Nächster Lead: Kunde Nummer07 →")

    # Closing the lead takes it off the list: "Nächster Lead" goes on with the one after it.
    close = page.get_by_role("region", name="Abschließen")
    close.get_by_role("radio", name="erfolglos").check()
    close.get_by_label("Grund").select_option(label="Doppelt erfasst")
    close.get_by_role("button", name="Abschließen", exact=True).click()
    close.get_by_role("button", name="Ja, abschließen").click()
    expect(page.get_by_test_id("lead-status")).to_have_text("Erledigt · erfolglos")
    expect(next_lead).to_have_text("Nächster Lead: Kunde Nummer07 →")
    next_lead.click()
    expect(page.get_by_role("heading", name=re.compile("Kunde Nummer07"))).to_be_visible()
    expect(next_lead).to_have_text("Nächster Lead: Kunde Nummer08 →")
    next_lead.click()
    # After the last one, the top of the list again.
    expect(next_lead).to_have_text("Nächster Lead: Kunde Nummer05 →")
    page.get_by_role("link", name="Zurück").click()
    expect(page).to_have_url(re.compile(r"/tasks$"))

    # Opened from the list sorted "newest first" (08, 07, 05), the lead page walks that order.
    page.goto(f"{seeded.url}/tasks?sort=NEWEST")
    page.get_by_role("link", name="Kunde Nummer07").first.click()
    expect(page).to_have_url(re.compile(r"/leads/[^/?]+\?sort=NEWEST$"))
    expect(next_lead).to_have_text("Nächster Lead: Kunde Nummer05 →")
    next_lead.click()
    expect(page.get_by_role("heading", name=re.compile("Kunde Nummer05"))).to_be_visible()
    expect(next_lead).to_have_text("Nächster Lead: Kunde Nummer08 →")
    page.get_by_role("link", name="Zurück").click()
    expect(page).to_have_url(re.compile(r"/tasks\?sort=NEWEST$"))


BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."]


def berlin_nine(day: date) -> tuple[str, str]:
    """The datetime-local value and the German words for 9:00 on `day` in Berlin."""
    words = f"{WEEKDAYS[day.weekday()]}, {day:%d.%m.%Y}, 09:00"
    return f"{day:%Y-%m-%d}T09:00", words


def lead_steps(seeded: Seeded, lead_id: str) -> dict:
    return seeded.graphql(
        """query($id: ID!) { lead(id: $id) {
          dueState nextActivity { kind dueAt note }
          activities { kind dueAt note doneAt doneNote }
        } }""",
        id=lead_id,
    )["lead"]


def test_a_clerk_plans_a_follow_up_and_completes_it_planning_the_next(browser, seeded: Seeded):
    lead_id = seeded.lead_ids[9]  # Kunde Nummer10
    assign(seeded, [lead_id], CLERK_CLARA)
    # A browser in Berlin: the quick picks are 9:00 there, and it sends its zone to the server.
    context = browser.new_context(viewport=VIEWPORT, locale="de-DE", timezone_id="Europe/Berlin")
    context.set_default_timeout(20_000)
    page = context.new_page()
    today = datetime.now(BERLIN).date()
    log_in(page, seeded, CLERK_CLARA, PASSWORD)
    open_lead(page, "Kunde Nummer10")

    # Nothing planned: the panel is the planning form. "Morgen" is tomorrow 9:00 in Berlin.
    panel = page.get_by_role("region", name="Nächster Schritt")
    expect(panel.get_by_test_id("next-step-none")).to_have_text("Kein nächster Schritt geplant.")
    plan = panel.get_by_role("form", name="Nächster Schritt planen")
    plan.get_by_role("button", name="Planen").click()  # no date yet
    due = plan.get_by_label("Fällig am (Datum und Uhrzeit)")
    expect(page.locator("#plan-due-error")).to_have_text("Bitte Datum und Uhrzeit wählen.")
    expect(due).to_be_focused()
    plan.get_by_role("button", name="Morgen").click()
    tomorrow_value, tomorrow_words = berlin_nine(today + timedelta(days=1))
    expect(due).to_have_value(tomorrow_value)
    expect(plan.get_by_role("button", name="Morgen")).to_have_attribute("aria-pressed", "true")
    expect(plan.get_by_test_id("plan-due-shown")).to_have_text(tomorrow_words)
    plan.get_by_label("Art").select_option(label="Anruf")
    plan.get_by_label("Notiz (optional)").fill("Rückruf wegen Angebot")
    screenshot(page, "lead-next-step-plan", full_page=True)
    expect_no_violations(page, "the lead page planning the next step")
    plan.get_by_role("button", name="Planen").click()
    status = panel.get_by_role("status")
    expect(status).to_have_text(f"Nächster Schritt geplant: Anruf, {tomorrow_words}.")
    expect(status).to_be_focused()
    current = panel.get_by_test_id("next-step")
    expect(current).to_contain_text("Anruf")
    expect(current).to_contain_text("geplant")  # upcoming: tomorrow
    expect(current).to_contain_text("Rückruf wegen Angebot")
    expect(page.get_by_test_id("history")).to_contain_text("Nächster Schritt geplant: Anruf")
    steps = lead_steps(seeded, lead_id)
    assert steps["nextActivity"]["kind"] == "CALL"
    assert steps["nextActivity"]["note"] == "Rückruf wegen Angebot"
    due_at = datetime.fromisoformat(steps["nextActivity"]["dueAt"])
    assert due_at.astimezone(BERLIN).replace(tzinfo=None) == datetime.fromisoformat(tomorrow_value)

    # The call happened: saving feedback opens "Erledigt" with the next step, focused.
    feedback = page.get_by_role("region", name="Feedback erfassen")
    feedback.get_by_label("Notiz").fill("Kunde erreicht, möchte einen Termin.")
    feedback.get_by_role("button", name="Feedback speichern").click()
    complete = panel.get_by_role("form", name="Als erledigt markieren")
    result = complete.get_by_label("Ergebnis (optional)")
    expect(result).to_be_focused()
    result.fill("Angebot besprochen")
    expect(complete.get_by_label("Gleich den nächsten Schritt planen")).to_be_checked()
    complete.get_by_label("Art").select_option(label="Termin")
    complete.get_by_role("button", name="Nächste Woche").click()
    monday = today + timedelta(days=7 - today.weekday())
    monday_value, monday_words = berlin_nine(monday)
    expect(complete.get_by_label("Fällig am (Datum und Uhrzeit)")).to_have_value(monday_value)
    complete.get_by_label("Notiz (optional)").fill("Vor Ort, mit Einkauf")
    expect_no_violations(page, "the lead page completing a step")
    complete.get_by_role("button", name="Erledigt speichern").click()
    expect(status).to_have_text(
        f"Der Schritt ist erledigt. Nächster Schritt: Termin, {monday_words}."
    )
    expect(current).to_contain_text("Termin")
    expect(current).to_contain_text("Vor Ort, mit Einkauf")
    activities = page.get_by_test_id("activities")
    expect(activities.locator("li")).to_have_count(2)
    expect(activities.locator("li").first).to_contain_text("Termin")  # open first
    expect(activities.locator("li").first).to_contain_text("offen")
    expect(activities.locator("li").last).to_contain_text("Anruf")
    expect(activities.locator("li").last).to_contain_text("erledigt")
    expect(activities.locator("li").last).to_contain_text("Angebot besprochen")
    expect(page.get_by_test_id("history")).to_contain_text("Schritt erledigt: Anruf")
    expect(page.get_by_test_id("history")).to_contain_text("Nächster Schritt geplant: Termin")
    screenshot(page, "lead-next-step-done", full_page=True)
    steps = lead_steps(seeded, lead_id)
    assert steps["nextActivity"]["kind"] == "MEETING"
    assert [(step["kind"], step["doneNote"]) for step in steps["activities"]] == [
        ("MEETING", None),
        ("CALL", "Angebot besprochen"),
    ]

    # Verschieben: "Abbrechen" first returns the focus to the button; the same time again is
    # refused; then a time typed into the field, the day after that Monday at 14:30.
    panel.get_by_role("button", name="Verschieben").click()
    reschedule = panel.get_by_role("form", name="Verschieben")
    due = reschedule.get_by_label("Fällig am (Datum und Uhrzeit)")
    expect(due).to_have_value(monday_value)
    reschedule.get_by_role("button", name="Abbrechen").click()
    expect(panel.get_by_role("button", name="Verschieben")).to_be_focused()
    panel.get_by_role("button", name="Verschieben").click()
    reschedule.get_by_role("button", name="Verschieben").click()
    expect(page.locator("#reschedule-due-error")).to_have_text(
        "Der Schritt ist schon zu dieser Zeit fällig; bitte eine andere Zeit wählen."
    )
    tuesday = monday + timedelta(days=1)
    due.fill(f"{tuesday:%Y-%m-%d}T14:30")
    tuesday_words = f"Di., {tuesday:%d.%m.%Y}, 14:30"
    expect(reschedule.get_by_test_id("reschedule-due-shown")).to_have_text(tuesday_words)
    reschedule.get_by_role("button", name="Verschieben").click()
    expect(status).to_have_text(f"Verschoben auf {tuesday_words}.")
    expect(page.get_by_test_id("history")).to_contain_text(
        f"Nächster Schritt verschoben: Termin von Clara Clerk{monday_words} → {tuesday_words}"
    )
    next_due = datetime.fromisoformat(lead_steps(seeded, lead_id)["nextActivity"]["dueAt"])
    assert next_due.astimezone(BERLIN).replace(tzinfo=None) == datetime.fromisoformat(
        f"{tuesday:%Y-%m-%d}T14:30"
    )

    # The same page in English.
    page.get_by_role("button", name="Switch to English").click()
    panel = page.get_by_role("region", name="Next step")
    expect(panel.get_by_test_id("next-step")).to_contain_text("Meeting")
    expect(panel.get_by_role("button", name="Reschedule")).to_be_visible()
    expect(page.get_by_role("region", name="Steps")).to_contain_text("Call")
    expect(page.get_by_test_id("history")).to_contain_text("Next step rescheduled: Meeting")
    page.get_by_role("button", name="Auf Deutsch umschalten").click()
    context.close()


PHONE = {"width": 390, "height": 844}


def expect_no_sideways_scroll(page, what: str) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{what} scrolls sideways at 390 px: {widths}"


def test_the_lead_pages_new_forms_fit_a_phone(browser, seeded: Seeded):
    lead_id = seeded.lead_ids[11]  # Kunde Nummer12
    assign(seeded, [lead_id], CLERK_CLARA)
    context = browser.new_context(
        viewport=PHONE, locale="de-DE", is_mobile=True, has_touch=True, device_scale_factor=2
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    log_in(page, seeded, CLERK_CLARA, PASSWORD)
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()  # the session is set
    page.goto(f"{seeded.url}/leads/{lead_id}")
    expect(page.get_by_role("heading", name=re.compile("Kunde Nummer12"))).to_be_visible()
    plan = page.get_by_role("form", name="Nächster Schritt planen")
    expect_no_sideways_scroll(page, "the lead page with the planning form")
    plan.get_by_role("button", name="In 3 Tagen").click()
    plan.get_by_role("button", name="Planen").click()
    panel = page.get_by_role("region", name="Nächster Schritt")
    panel.get_by_role("button", name="Erledigt").click()
    expect(panel.get_by_role("form", name="Als erledigt markieren")).to_be_visible()
    expect_no_sideways_scroll(page, "the lead page completing a step")
    page.get_by_role("region", name="Kontakt").get_by_role("button", name="Bearbeiten").click()
    expect(page.get_by_role("form", name="Kontakt bearbeiten")).to_be_visible()
    expect_no_sideways_scroll(page, "the lead page editing the contact")
    close = page.get_by_role("region", name="Abschließen")
    close.get_by_role("radio", name="erfolgreich").check()
    close.get_by_role("button", name="Abschließen", exact=True).click()
    expect(close.get_by_role("button", name="Ja, abschließen")).to_be_visible()
    expect_no_sideways_scroll(page, "the lead page asking 'Wirklich abschließen?'")
    screenshot(page, "phone-lead-corrections", full_page=True)
    expect_no_violations(page, "the lead page on a phone with every form open")
    context.close()

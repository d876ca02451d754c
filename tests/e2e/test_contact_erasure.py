"""Data protection in a real browser (German UI): an admin downloads a person's data export and
erases the person through the dialog (reason, confirmation); the lead page, the clerk's task
list, the dashboard, the distribution preview, "Nächster Lead" and the bell then show
"Personendaten gelöscht" (or "Widerspruch") and none of the old values; a manager is offered
neither; the same person entered again is refused in German until an admin lifts the
suppression on the "Bearbeiter" page; only an admin sets a campaign's retention days, new or
existing. On both databases."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from playwright.sync_api import expect

from tests.conftest import BACKENDS
from tests.databases import asyncpg_dsn
from tests.e2e.axe import expect_no_violations
from tests.e2e.conftest import (
    BROWSER_USERS,
    CLERK_CLARA,
    PASSWORD,
    Seeded,
    _seed_leads,
    log_in,
    log_in_as_manager,
    screenshot,
)
from tests.e2e.test_distribution import fresh_postgres
from tests.e2e.test_lead_detail import assign
from tests.live_server import live_server

ADMIN = "anna.admin@test.example"
ADMIN_USER = (ADMIN, "Anna Admin", "admin", PASSWORD)
# Kunde Nummer01 as conftest._seed_leads stores the first lead's contact.
PERSON = {
    "lastName": "Nummer01",
    "company": "Firma 01 GmbH",
    "email": "kunde01@example.com",
    "phone": "+49 30 123401",
}
OTHER_PERSON_EMAIL = "kunde02@example.com"
REASON = "Anruf am 6.12.: die Person verlangt die Löschung ihrer Daten"
SUPPRESSED = (
    "Diese Person hat die Löschung ihrer Daten verlangt; sie kann erst wieder erfasst werden,"
    " wenn ein Admin die Sperre aufhebt. Eine andere Person unter derselben Telefonnummer"
    " (etwa einer Zentrale) lässt sich mit ihrer E-Mail-Adresse erfassen."
)
# The erased marker's description: neutral, since retention erases people who never asked.
ERASED_DESCRIPTION = "Die Personendaten dieses Kontakts wurden gelöscht (DSGVO Art. 17)"
RETENTION_HINT = (
    "Kontakte, deren Leads alle erfolglos abgeschlossen sind und die keine Verkaufschance haben,"
    " werden so viele Tage nach dem letzten Abschluss gelöscht. Leer: die Voreinstellung des"
    " Servers."
)


@pytest.fixture(params=BACKENDS)
def postgres_url(request) -> Iterator[str | None]:
    """The live server's own PostgreSQL database, or None for SQLite (tmp_path/live.db).
    The whole flow (export, dialog, erasure, every page after it) runs on both databases, whose
    erasure locks differ; the other screens run on SQLite only (`SQLITE_ONLY`): what they show
    is the same on both, and the API tests cover each database's side of them."""
    if request.param == "postgres":
        with fresh_postgres() as url:
            yield url
    else:
        yield None


@pytest.fixture
def seeded(postgres_url: str | None, tmp_path: Path) -> Iterator[Seeded]:
    """The browser tests' users and leads, and an admin; on both databases (the erasure locks
    and the suppression check differ between them)."""
    with ExitStack() as stack:
        settings = {}
        if postgres_url:
            settings["LEADFLOW_DATABASE_URL"] = postgres_url
        users = (*BROWSER_USERS, ADMIN_USER)
        server = stack.enter_context(live_server(tmp_path, users=users, **settings))
        yield _seed_leads(server)


# A browser test on PostgreSQL costs a database and a live server of its own (10-15 s).
SQLITE_ONLY = pytest.mark.parametrize("postgres_url", ["sqlite"], indirect=True)


def backdate_creation(postgres_url: str | None, tmp_path: Path, lead_id: str, days: int) -> None:
    """Make a lead `days` old (the aging lists count from its created_at, by the server's
    clock); in the live server's own database, since no API changes the past."""
    pk = int(base64.b64decode(lead_id).decode().split(":")[1])
    moment = datetime.now(UTC) - timedelta(days=days)
    if postgres_url is None:
        with sqlite3.connect(tmp_path / "live.db", timeout=10) as database:
            # As Tortoise stores a datetime in SQLite.
            stamp = moment.isoformat(sep=" ", timespec="microseconds")
            database.execute("UPDATE leads SET created_at = ? WHERE id = ?", (stamp, pk))
        return

    async def run() -> None:
        connection = await asyncpg.connect(asyncpg_dsn(postgres_url))
        try:
            await connection.execute("UPDATE leads SET created_at = $1 WHERE id = $2", moment, pk)
        finally:
            await connection.close()

    # Playwright's sync API keeps an event loop running in this thread.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, run()).result()


def contact_of(seeded: Seeded, lead_id: str) -> dict:
    return seeded.graphql(
        """query($id: ID!) { lead(id: $id) {
          status assignee { email }
          contact { firstName lastName company email phone optedOut erasedAt }
        } }""",
        id=lead_id,
    )["lead"]


def leads_with_the_email(seeded: Seeded) -> int:
    return seeded.graphql(
        "query($search: String!) { leads(filter: { search: $search }) { totalCount } }",
        search=PERSON["email"],
    )["leads"]["totalCount"]


def expect_none_of_the_person(page) -> None:
    main = page.locator("main")
    for value in PERSON.values():
        expect(main).not_to_contain_text(value)


def erase_through_the_dialog(admin, seeded: Seeded, lead_id: str) -> None:
    admin.goto(f"{seeded.url}/leads/{lead_id}")
    facts = admin.get_by_role("region", name="Kontakt")
    facts.get_by_role("button", name="Personendaten löschen").click()
    dialog = admin.get_by_role("dialog", name="Personendaten löschen")
    dialog.get_by_label("Grund").fill(REASON)
    dialog.get_by_role("button", name="Endgültig löschen").click()
    expect(admin.get_by_role("status").filter(has_text="gelöscht")).to_have_text(
        "Die Personendaten wurden gelöscht."
    )


def test_an_admin_exports_then_erases_a_person_and_every_page_shows_the_marker(
    new_page, seeded: Seeded
):
    lead_id = seeded.lead_ids[0]  # Kunde Nummer01
    assign(seeded, [lead_id], CLERK_CLARA)

    # A manager is offered neither the export nor the erasure.
    manager = new_page()
    log_in_as_manager(manager, seeded)
    expect(manager.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    manager.goto(f"{seeded.url}/leads/{lead_id}")
    facts = manager.get_by_role("region", name="Kontakt")
    expect(facts).to_contain_text(PERSON["email"])
    expect(facts.get_by_role("button", name="Personendaten löschen")).to_have_count(0)
    expect(facts.get_by_role("link", name="Auskunft exportieren")).to_have_count(0)

    admin = new_page()
    log_in(admin, seeded, ADMIN, PASSWORD)
    expect(admin.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    admin.goto(f"{seeded.url}/leads/{lead_id}")
    facts = admin.get_by_role("region", name="Kontakt")
    expect(facts).to_contain_text(PERSON["phone"])

    # The export before the erasure: a JSON file with the person's values and no one else's.
    with admin.expect_download() as download:
        facts.get_by_role("link", name="Auskunft exportieren").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    json.loads(exported)
    for value in PERSON.values():
        assert value in exported, (value, exported)
    assert OTHER_PERSON_EMAIL not in exported

    # The dialog names what goes and what stays, and that it cannot be undone.
    opener = facts.get_by_role("button", name="Personendaten löschen")
    opener.click()
    dialog = admin.get_by_role("dialog", name="Personendaten löschen")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Grund")).to_be_focused()
    expect(dialog.get_by_test_id("erasure-removes")).to_have_text(
        "Entfernt werden: Name, Firma, E-Mail, Telefon, Adresse, alle Notizen und Freitexte"
        " zur Person."
    )
    expect(dialog.get_by_test_id("erasure-keeps")).to_have_text(
        "Es bleiben: Leads, Ergebnisse, Gründe, Daten und Bearbeiter, die Verkaufschancen mit"
        " Phase und Betrag, damit alle Zahlen stimmen."
    )
    expect(dialog).to_contain_text("Das kann nicht rückgängig gemacht werden.")
    # Esc cancels, and the focus goes back to the button.
    admin.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()
    assert contact_of(seeded, lead_id)["contact"]["erasedAt"] is None

    # No reason: refused on the spot, nothing erased.
    opener.click()
    dialog.get_by_role("button", name="Endgültig löschen").click()
    reason = dialog.get_by_label("Grund")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_focused()
    expect(dialog).to_contain_text("Bitte den Grund der Löschung angeben.")
    expect_no_violations(admin, "the erasure dialog with its refusal")
    screenshot(admin, "contact-erasure-dialog")
    assert contact_of(seeded, lead_id)["contact"]["erasedAt"] is None

    reason.fill(REASON)
    dialog.get_by_role("button", name="Endgültig löschen").click()
    expect(admin.get_by_role("status").filter(has_text="gelöscht")).to_have_text(
        "Die Personendaten wurden gelöscht."
    )
    expect(dialog).to_have_count(0)
    expect(facts.get_by_test_id("erased-badge")).to_contain_text("Personendaten gelöscht")
    expect(facts.get_by_test_id("opt-out-badge")).to_have_count(0)
    expect(facts.get_by_test_id("erased-at")).to_contain_text("Gelöscht am")
    expect(facts.get_by_role("button", name="Personendaten löschen")).to_have_count(0)
    expect(facts.get_by_role("button", name="Bearbeiten")).to_have_count(0)
    expect(facts.get_by_role("button", name="Widerspruch aufheben")).to_have_count(0)
    # The lead stays, with its clerk.
    expect(admin.get_by_test_id("lead-assignee")).to_have_text("Clara Clerk")
    expect_none_of_the_person(admin)
    expect_no_violations(admin, "the lead page of an erased person")
    screenshot(admin, "lead-contact-erased", full_page=True)
    stored = contact_of(seeded, lead_id)
    assert stored["status"] == "ACTIVE", stored
    assert stored["assignee"] == {"email": CLERK_CLARA}, stored
    assert stored["contact"]["erasedAt"], stored
    assert stored["contact"]["optedOut"] is True, stored
    assert stored["contact"]["email"] in ("", None), stored

    # The clerk's task list: the lead is still hers, marked, without the old values.
    clerk = new_page()
    log_in(clerk, seeded, CLERK_CLARA, PASSWORD)
    marked = clerk.get_by_role("row").filter(has=clerk.get_by_test_id("erased-badge"))
    expect(marked).to_have_count(1)
    expect(marked.get_by_test_id("erased-badge")).to_have_text(
        f"Personendaten gelöscht: {ERASED_DESCRIPTION}"
    )
    expect(marked.get_by_test_id("opt-out-badge")).to_have_count(0)
    expect_none_of_the_person(clerk)

    # The manager's lead list marks the person too.
    manager.goto(f"{seeded.url}/leads?tab=active")
    expect(
        manager.get_by_role("row").filter(has=manager.get_by_test_id("erased-badge"))
    ).to_have_count(1)
    expect_none_of_the_person(manager)


OPT_OUT = """mutation($input: SetContactOptOutInput!) {
  setContactOptOut(input: $input) { userErrors { code message } }
}"""


@SQLITE_ONLY
def test_every_list_of_leads_marks_the_erased_and_the_objecting_person(
    new_page, seeded: Seeded, postgres_url: str | None, tmp_path: Path
):
    """Review B: the dashboard's clerk and aging panels, the distribution preview, "Nächster
    Lead" and the bell showed the name without its marker."""
    erased, objecting, erased_new = seeded.lead_ids[:3]  # Kunde Nummer01, 02, 03
    # One by one, so that each lead has a notification of its own for Clara.
    assign(seeded, [erased], CLERK_CLARA)
    assign(seeded, [objecting], CLERK_CLARA)
    contact_id = seeded.graphql(
        "query($id: ID!) { lead(id: $id) { contact { id } } }", id=objecting
    )["lead"]["contact"]["id"]
    refused = seeded.graphql(
        OPT_OUT, input={"contactId": contact_id, "optedOut": True, "note": "Anruf"}
    )["setContactOptOut"]["userErrors"]
    assert refused == [], refused
    backdate_creation(postgres_url, tmp_path, erased_new, days=10)
    admin = new_page()
    log_in(admin, seeded, ADMIN, PASSWORD)
    expect(admin.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    erase_through_the_dialog(admin, seeded, erased)
    erase_through_the_dialog(admin, seeded, erased_new)

    manager = new_page()
    log_in_as_manager(manager, seeded)
    expect(manager.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    # The dashboard: Clara's longest waiting lead (Nummer01, erased) and the new lead waiting
    # for a clerk (Nummer03, erased), each with the marker.
    manager.goto(seeded.url + "/dashboard")
    clara = (
        manager.get_by_test_id("clerk-reports").get_by_role("row").filter(has_text="Clara Clerk")
    )
    expect(clara.get_by_test_id("erased-badge")).to_have_text(
        f"Personendaten gelöscht: {ERASED_DESCRIPTION}"
    )
    aging = manager.get_by_test_id("aging-new").locator("tbody tr")
    expect(aging).to_have_count(1)
    expect(aging.get_by_test_id("erased-badge")).to_have_count(1)
    expect_none_of_the_person(manager)
    expect_no_violations(manager, "the dashboard with the erased person's marker")

    # The distribution preview names the erased new lead with its marker.
    manager.goto(seeded.url + "/leads")
    manager.get_by_role("link", name="Nächste Seite").click()
    row = manager.get_by_role("row").filter(has=manager.get_by_test_id("erased-badge"))
    expect(row).to_have_count(1)
    row.get_by_role("checkbox").check()
    manager.get_by_role("link", name="Vorherige Seite").click()
    manager.get_by_label("Kunde Nummer30 auswählen").check()
    expect(manager.get_by_test_id("selected-count")).to_have_text("2 Leads ausgewählt")
    manager.get_by_role("button", name="An Bearbeiter verteilen").click()
    dialog = manager.get_by_role("dialog", name="An Bearbeiter verteilen")
    dialog.get_by_role("checkbox", name=re.compile("Auf mehrere Bearbeiter")).check()
    dialog.get_by_role("checkbox", name=re.compile("Clara Clerk")).check()
    dialog.get_by_role("checkbox", name=re.compile("David Clerk")).check()
    dialog.get_by_role("button", name="Vorschau").click()
    rows = dialog.get_by_test_id("preview-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has=manager.get_by_test_id("erased-badge"))).to_have_count(1)
    expect(rows.filter(has_text="Kunde Nummer30").get_by_test_id("erased-badge")).to_have_count(0)
    expect_no_violations(manager, "the distribution preview with the erased person's marker")

    # Clara: from the objecting person's lead, "Nächster Lead" is the erased one, marked; and
    # her bell marks the objecting person's notification (the erased one's says it already).
    clerk = new_page()
    log_in(clerk, seeded, CLERK_CLARA, PASSWORD)
    expect(clerk.get_by_test_id("bell")).to_be_visible()  # logged in
    clerk.goto(f"{seeded.url}/leads/{objecting}")
    next_lead = clerk.locator(".next-lead")
    expect(next_lead.get_by_role("link", name=re.compile("^Nächster Lead"))).to_be_visible()
    expect(next_lead.get_by_test_id("erased-badge")).to_have_count(1)
    clerk.get_by_test_id("bell").click()
    bell = clerk.get_by_test_id("bell-list")
    notifications = bell.get_by_role("listitem")
    expect(notifications).to_have_count(2)
    expect(
        notifications.filter(has_text="Neuer Lead: Firma 02 GmbH").get_by_test_id("opt-out-badge")
    ).to_have_count(1)
    erased_one = notifications.filter(has_text="Personendaten gelöscht")
    expect(erased_one).to_have_count(1)
    expect(erased_one.get_by_test_id("erased-badge")).to_have_count(0)
    expect(bell).not_to_contain_text(PERSON["lastName"])
    expect_no_violations(clerk, "the bell with the objecting person's marker")


@SQLITE_ONLY
def test_the_person_entered_again_is_refused_until_an_admin_lifts_the_suppression(
    new_page, seeded: Seeded, tmp_path: Path
):
    admin = new_page()
    log_in(admin, seeded, ADMIN, PASSWORD)
    expect(admin.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    erase_through_the_dialog(admin, seeded, seeded.lead_ids[0])

    # A manager enters the same person again: refused in German, nothing stored.
    manager = new_page()
    log_in_as_manager(manager, seeded)
    expect(manager.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    manager.goto(seeded.url + "/campaigns")
    files = manager.get_by_role("region", name="Messe Herbst 2026")
    files.get_by_role("button", name="Lead hinzufügen").click()
    form = files.get_by_role("form", name="Lead hinzufügen: Messe Herbst 2026")
    form.get_by_label("Vorname").fill("Kunde")
    form.get_by_label("Nachname").fill("Nummer01")
    form.get_by_label("E-Mail").fill(PERSON["email"])
    form.get_by_label("Telefon").fill(PERSON["phone"])
    form.get_by_role("button", name="Lead anlegen").click()
    expect(form).to_contain_text(SUPPRESSED)
    expect(form.get_by_label("E-Mail")).to_have_attribute("aria-invalid", "true")
    assert leads_with_the_email(seeded) == 0

    # The trade-fair file brings the person again: the preview rejects the row in German.
    fair = tmp_path / "messe.csv"
    fair.write_text(
        "Vorname;Nachname;E-Mail;Telefon\r\n"
        f"Kunde;Nummer01;{PERSON['email']};{PERSON['phone']}\r\n"
        "Neue;Person;neue.person@example.com;\r\n",
        encoding="utf-8",
    )
    files.get_by_label("Datei hochladen (CSV)").set_input_files(fair)
    expect(files.get_by_role("heading", name="Vorschau")).to_be_visible()
    issues = files.get_by_test_id("import-issues").locator("tbody tr")
    expect(issues).to_have_count(1)
    expect(issues.get_by_role("cell")).to_have_text(
        [
            "2",
            "abgelehnt",
            "E-Mail",
            "Diese Person hat die Löschung ihrer Daten verlangt (Sperrliste): Die Zeile wurde"
            " nicht übernommen. Eine andere Person unter derselben Telefonnummer lässt sich mit"
            " ihrer E-Mail-Adresse erfassen.",
        ]
    )
    expect(files.get_by_test_id("dry-run-import")).to_have_text("1")
    expect(files.get_by_test_id("dry-run-rejected")).to_have_text("1")

    # The admin lifts it on the "Bearbeiter" page (the manager has no such form there).
    admin.get_by_role("link", name="Bearbeiter").click()
    suppression = admin.get_by_role("region", name="Sperrliste")
    lift = suppression.get_by_role("button", name="Sperre aufheben")
    lift.click()
    expect(suppression.get_by_label("E-Mail")).to_have_attribute("aria-invalid", "true")
    expect(suppression).to_contain_text(
        "Bitte eine E-Mail-Adresse oder eine Telefonnummer angeben."
    )
    expect(suppression).to_contain_text("Bitte den Grund angeben")
    expect_no_violations(admin, "the suppression list form with its refusals")
    suppression.get_by_label("E-Mail").fill(PERSON["email"])
    suppression.get_by_label("Telefon").fill(PERSON["phone"])
    suppression.get_by_label("Grund").fill("Einwilligung erneut erteilt am 7.12. per E-Mail")
    lift.click()
    expect(suppression.get_by_test_id("suppression-lifted")).to_have_text("2 Einträge aufgehoben.")
    screenshot(admin, "suppression-list-lifted", full_page=True)
    manager.get_by_role("link", name="Bearbeiter").click()
    expect(manager.get_by_role("heading", name="Bearbeiter", level=1)).to_be_visible()
    expect(manager.get_by_role("region", name="Sperrliste")).to_have_count(0)

    # Now the person can be entered again.
    manager.goto(seeded.url + "/campaigns")
    files.get_by_role("button", name="Lead hinzufügen").click()
    form.get_by_label("Nachname").fill("Nummer01")
    form.get_by_label("E-Mail").fill(PERSON["email"])
    form.get_by_role("button", name="Lead anlegen").click()
    expect(files.get_by_role("status")).to_contain_text("Der Lead Nummer01 wurde angelegt.")
    assert leads_with_the_email(seeded) == 1


@SQLITE_ONLY
def test_only_an_admin_sets_a_campaigns_retention_days(new_page, seeded: Seeded):
    # A manager's new-campaign form has no retention (the server refuses it from managers), and
    # creating a campaign still works: the form leaves retentionDays out.
    manager = new_page()
    log_in_as_manager(manager, seeded)
    expect(manager.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    manager.goto(seeded.url + "/campaigns")
    manager.get_by_role("button", name="Neue Kampagne …").click()
    form = manager.get_by_role("region", name="Neue Kampagne")
    form.get_by_label("Name").fill("Messe Frühjahr 2027")
    expect(form.get_by_label("Aufbewahrung (Tage)")).to_have_count(0)
    form.get_by_role("button", name="Kampagne anlegen").click()
    expect(manager.get_by_role("status").filter(has_text="angelegt")).to_have_text(
        "Die Kampagne „Messe Frühjahr 2027“ wurde angelegt."
    )
    # Each campaign's card tells the manager its retention, without a way to change it.
    fair = manager.get_by_role("region", name="Messe Herbst 2026")
    expect(fair.get_by_test_id("retention-summary")).to_have_text(
        "Aufbewahrung: die Voreinstellung des Servers"
    )
    expect(fair.get_by_role("button", name="Aufbewahrung einstellen")).to_have_count(0)

    admin = new_page()
    log_in(admin, seeded, ADMIN, PASSWORD)
    expect(admin.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    admin.goto(seeded.url + "/campaigns")
    admin.get_by_role("button", name="Neue Kampagne …").click()
    form = admin.get_by_role("region", name="Neue Kampagne")
    form.get_by_label("Name").fill("Messe Winter 2027")
    retention = form.get_by_label("Aufbewahrung (Tage)")
    expect(retention).to_have_accessible_description(RETENTION_HINT)
    retention.fill("ein Jahr")
    form.get_by_role("button", name="Kampagne anlegen").click()
    expect(retention).to_have_attribute("aria-invalid", "true")
    expect(form).to_contain_text("Bitte eine ganze Zahl von Tagen")
    expect_no_violations(admin, "the new campaign form with a refused retention")
    retention.fill("180")
    form.get_by_role("button", name="Kampagne anlegen").click()
    expect(admin.get_by_role("status").filter(has_text="angelegt")).to_have_text(
        "Die Kampagne „Messe Winter 2027“ wurde angelegt."
    )

    # An existing campaign's retention: changed in its card, refused out of range first.
    fair = admin.get_by_role("region", name="Messe Herbst 2026")
    fair.get_by_role("button", name="Aufbewahrung einstellen").click()
    settings = fair.get_by_role("form", name="Aufbewahrung: Messe Herbst 2026")
    days = settings.get_by_label("Aufbewahrung (Tage)")
    expect(days).to_have_value("")
    expect(days).to_have_accessible_description(RETENTION_HINT)
    days.fill("36501")
    settings.get_by_role("button", name="Speichern").click()
    expect(days).to_have_attribute("aria-invalid", "true")
    expect_no_violations(admin, "a campaign's retention form with a refusal")
    days.fill("90")
    settings.get_by_role("button", name="Speichern").click()
    expect(settings.get_by_role("status")).to_have_text("Aufbewahrung gespeichert.")
    expect(fair.get_by_test_id("retention-summary")).to_have_text(
        "Aufbewahrung: 90 Tage nach dem letzten Abschluss"
    )
    screenshot(admin, "campaign-retention", full_page=True)
    assert retention_of(seeded) == {
        "Messe Herbst 2026": 90,
        "Messe Winter 2027": 180,
        "Messe Frühjahr 2027": None,
    }

    # Emptied: the server's default applies again.
    days.fill("")
    settings.get_by_role("button", name="Speichern").click()
    expect(fair.get_by_test_id("retention-summary")).to_have_text(
        "Aufbewahrung: die Voreinstellung des Servers"
    )
    assert retention_of(seeded)["Messe Herbst 2026"] is None


def retention_of(seeded: Seeded) -> dict[str, int | None]:
    edges = seeded.graphql("{ campaigns { edges { node { name retentionDays } } } }")["campaigns"][
        "edges"
    ]
    return {edge["node"]["name"]: edge["node"]["retentionDays"] for edge in edges}

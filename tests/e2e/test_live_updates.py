"""Live updates in a real browser, two people in two browser contexts: a clerk's Meine Aufgaben
shows a lead a manager assigns meanwhile without a reload and the bell counts the notification;
the open notification list passes the accessibility audit, Escape closes it and the focus goes
back to the bell, following a notification marks it read, "Alle als gelesen markieren" clears
the count; a clerk on a lead page that a
manager reassigns to another clerk reads that it went elsewhere and finds its forms disabled,
one a manager closes reads that it was closed; without a WebSocket the app works as before.

The subscriptions go over the WebSocket on /graphql (graphql-transport-ws) with the session
cookie; the server registers a subscription after its `subscribe` frame, with no acknowledgement
the protocol would send, so a test waits for the frames and a moment more before the change."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import BACKENDS
from tests.e2e.axe import expect_no_violations
from tests.e2e.conftest import (
    BROWSER_USERS,
    CLERK_CLARA,
    CLERK_DAVID,
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

# The server subscribes to its event hub in a task after the frame; half a second is ample on an
# idle machine, the rest is headroom for a loaded one.
SUBSCRIBE_SETTLE_MS = 1_500


@pytest.fixture(params=BACKENDS)
def seeded(request, tmp_path: Path) -> Iterator[Seeded]:
    """The browser tests' users and 30 NEW leads, on each database: on PostgreSQL the events
    travel through the outbox table and NOTIFY, on SQLite in process."""
    with ExitStack() as stack:
        settings = {}
        if request.param == "postgres":
            settings["LEADFLOW_DATABASE_URL"] = stack.enter_context(fresh_postgres())
        server = stack.enter_context(live_server(tmp_path, users=BROWSER_USERS, **settings))
        yield _seed_leads(server)


def subscribed(page, operation: str, frames: list[str]) -> None:
    """Waits until the page has sent the `subscribe` frame of `operation` on its WebSocket (the
    frames are recorded in Python, so this polls while letting the page's events in)."""
    for _ in range(100):
        if any('"subscribe"' in frame and operation in frame for frame in frames):
            page.wait_for_timeout(SUBSCRIBE_SETTLE_MS)
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"no subscribe frame for {operation}; frames sent: {frames}")


def record_frames(page) -> list[str]:
    """The text frames the page sends on any of its WebSockets, as they go."""
    sent: list[str] = []

    def on_socket(socket) -> None:
        socket.on("framesent", lambda payload: sent.append(str(payload)))

    page.on("websocket", on_socket)
    return sent


def bell(page):
    return page.get_by_role("button", name=re.compile(r"^Benachrichtigungen"))


def test_the_worklist_and_the_bell_follow_a_managers_assignment(new_page, seeded: Seeded):
    clerk = new_page()
    frames = record_frames(clerk)
    log_in(clerk, seeded, CLERK_CLARA, PASSWORD)
    expect(clerk.get_by_role("heading", name="Meine Aufgaben")).to_be_visible()
    expect(clerk.get_by_test_id("tasks-total")).to_have_text("0 offene Leads")
    expect(bell(clerk)).to_have_accessible_name("Benachrichtigungen, keine ungelesen")
    subscribed(clerk, "TaskEvents", frames)
    subscribed(clerk, "NotificationAdded", frames)

    # The manager works in a browser of their own (the overview), and assigns two leads.
    manager = new_page()
    log_in_as_manager(manager, seeded)
    expect(manager.get_by_role("heading", name="Leads")).to_be_visible()
    assign(seeded, seeded.lead_ids[:2], CLERK_CLARA)

    # No reload: the list and its counts, and the bell, follow.
    expect(clerk.get_by_role("link", name="Kunde Nummer01").first).to_be_visible()
    expect(clerk.get_by_role("link", name="Kunde Nummer02").first).to_be_visible()
    expect(clerk.get_by_test_id("tasks-total")).to_have_text("2 offene Leads")
    expect(bell(clerk)).to_have_accessible_name("Benachrichtigungen, 1 ungelesen")
    expect(clerk.get_by_test_id("bell-count")).to_have_text("1")
    screenshot(clerk, "live-worklist")

    # One notification for the batch, with its message and age; audited while open.
    bell(clerk).click()
    dialog = clerk.get_by_role("dialog", name="Benachrichtigungen")
    expect(dialog).to_be_visible()
    items = dialog.get_by_role("listitem")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Messe Herbst 2026")
    expect(items.first).to_contain_text("gerade eben")
    expect_no_violations(clerk, "the open notification list")
    screenshot(clerk, "live-bell")

    clerk.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(bell(clerk)).to_be_focused()

    # Following it leads to Meine Aufgaben (a batch names no single lead) and marks it read.
    bell(clerk).click()
    dialog.get_by_role("link", name=re.compile("2 neue Leads aus Messe Herbst 2026")).click()
    expect(dialog).to_be_hidden()
    expect(clerk).to_have_url(re.compile(r"/tasks$"))
    expect(bell(clerk)).to_have_accessible_name("Benachrichtigungen, keine ungelesen")
    expect(clerk.get_by_test_id("bell-count")).to_have_count(0)

    # A lead taken away disappears from the list, again without a reload, and is announced.
    seeded.graphql(
        """mutation($input: ReassignLeadInput!) {
          reassignLead(input: $input) { lead { id } userErrors { message } }
        }""",
        input={"leadId": seeded.lead_ids[0], "assigneeId": seeded.clerk_ids[CLERK_DAVID]},
    )
    expect(clerk.get_by_test_id("tasks-total")).to_have_text("1 offener Lead")
    expect(clerk.get_by_role("link", name="Kunde Nummer01")).to_have_count(0)
    expect(bell(clerk)).to_have_accessible_name("Benachrichtigungen, 1 ungelesen")

    bell(clerk).click()
    dialog.get_by_role("button", name="Alle als gelesen markieren").click()
    expect(bell(clerk)).to_have_accessible_name("Benachrichtigungen, keine ungelesen")
    expect(dialog.get_by_role("button", name="Alle als gelesen markieren")).to_be_disabled()


def test_a_lead_page_says_when_the_lead_is_taken_away(new_page, seeded: Seeded):
    lead_id = seeded.lead_ids[0]
    assign(seeded, [lead_id], CLERK_CLARA)
    clerk = new_page()
    frames = record_frames(clerk)
    log_in(clerk, seeded, CLERK_CLARA, PASSWORD)
    clerk.get_by_role("link", name="Kunde Nummer01").first.click()
    expect(clerk.get_by_role("heading", name="Kunde Nummer01", level=1)).to_be_visible()
    feedback = clerk.get_by_role("button", name="Feedback speichern")
    expect(feedback).to_be_enabled()
    subscribed(clerk, "TaskEvents", frames)

    # The manager reassigns it to David on the same lead page, in their own browser.
    manager = new_page()
    log_in_as_manager(manager, seeded)
    expect(manager.get_by_role("heading", name="Leads")).to_be_visible()  # signed in
    manager.goto(f"{seeded.url}/leads/{lead_id}")
    reassign = manager.get_by_role("region", name="Neu zuweisen")
    reassign.get_by_label("Neuer Sachbearbeiter").select_option(label="David Clerk")
    reassign.get_by_role("button", name="Neu zuweisen").click()
    expect(manager.get_by_role("status").filter(has_text="zugewiesen")).to_be_visible()

    live = clerk.get_by_test_id("lead-live")
    expect(live).to_have_attribute("role", "status")
    expect(live).to_have_text("Dieser Lead wurde inzwischen einem anderen Bearbeiter übertragen.")
    expect(feedback).to_be_disabled()
    expect(clerk.get_by_role("button", name="Abschließen")).to_be_disabled()
    screenshot(clerk, "live-lead-taken-away")


def test_without_a_websocket_the_app_works_as_before(new_page, seeded: Seeded):
    assign(seeded, [seeded.lead_ids[0]], CLERK_CLARA)
    clerk = new_page()
    refused: list[str] = []

    def refuse(socket) -> None:
        refused.append(socket.url)
        socket.close(code=1011, reason="no live updates here")

    clerk.route_web_socket(re.compile(r"/graphql$"), refuse)
    log_in(clerk, seeded, CLERK_CLARA, PASSWORD)
    expect(clerk.get_by_test_id("tasks-total")).to_have_text("1 offener Lead")
    expect(bell(clerk)).to_have_accessible_name("Benachrichtigungen, 1 ungelesen")
    clerk.get_by_role("link", name="Kunde Nummer01").first.click()
    expect(clerk.get_by_role("button", name="Feedback speichern")).to_be_enabled()
    expect(clerk.get_by_test_id("lead-live")).to_have_text("")
    # It tried, and says nothing about it: no error banner anywhere.
    assert refused
    expect(clerk.get_by_role("alert")).to_have_count(0)


def test_a_lead_page_says_when_someone_else_closed_the_lead(new_page, seeded: Seeded):
    lead_id = seeded.lead_ids[0]
    assign(seeded, [lead_id], CLERK_CLARA)
    clerk = new_page()
    frames = record_frames(clerk)
    log_in(clerk, seeded, CLERK_CLARA, PASSWORD)
    clerk.get_by_role("link", name="Kunde Nummer01").first.click()
    expect(clerk.get_by_role("button", name="Feedback speichern")).to_be_enabled()
    subscribed(clerk, "TaskEvents", frames)

    payload = seeded.graphql(
        """mutation($input: CloseLeadInput!) {
          closeLead(input: $input) { lead { id } userErrors { message } }
        }""",
        input={"leadId": lead_id, "outcome": "UNSUCCESSFUL", "reason": "NOT_INTERESTED"},
    )["closeLead"]
    assert payload["userErrors"] == [], payload

    expect(clerk.get_by_test_id("lead-live")).to_have_text(
        "Dieser Lead wurde inzwischen abgeschlossen."
    )
    expect(clerk.get_by_test_id("lead-status")).to_contain_text("Erledigt")
    expect(clerk.get_by_role("button", name="Feedback speichern")).to_have_count(0)

"""The webhooks page in a real browser against a real receiver on loopback (which verifies every
signature with the standardwebhooks package, tests/webhook_receiver.py): a manager creates a
webhook, sees its secret once, sees an assignment's delivery arrive in the log, sends it again (same
webhook-id), sees a failing receiver's delivery wait for its next attempt, renews the secret,
switches the webhook off and deletes it. On both databases (the worker's claims differ)."""

from __future__ import annotations

import json
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
    VIEWPORT,
    Seeded,
    _seed_leads,
    log_in_as_manager,
    screenshot,
)
from tests.e2e.test_distribution import fresh_postgres
from tests.e2e.test_lead_detail import assign
from tests.live_server import live_server
from tests.webhook_receiver import Answer, Receiver, receiver_in_thread

PAGE_SIZE = 20  # frontend/src/components/WebhookDeliveries.tsx
PHONE = {"width": 390, "height": 844}
SLOW = 20_000  # ms: a delivery takes a poll of the worker and a refresh of the page
# Loopback receivers are allowed; the worker looks for work often; a failed attempt is retried
# after a minute, so that the page shows it waiting for its next attempt.
WEBHOOK_SETTINGS = {
    "LEADFLOW_WEBHOOK_ALLOW_PRIVATE": "1",
    "LEADFLOW_WEBHOOK_POLL_SECONDS": "0.2",
    "LEADFLOW_WEBHOOK_TIMEOUT_SECONDS": "5",
    "LEADFLOW_WEBHOOK_RETRY_SECONDS": "60,60",
}


@pytest.fixture(params=BACKENDS)
def seeded(request, tmp_path: Path) -> Iterator[Seeded]:
    """The browser tests' users and leads on a server that may send webhooks to loopback."""
    with ExitStack() as stack:
        settings = dict(WEBHOOK_SETTINGS)
        if request.param == "postgres":
            settings["LEADFLOW_DATABASE_URL"] = stack.enter_context(fresh_postgres())
        server = stack.enter_context(live_server(tmp_path, users=BROWSER_USERS, **settings))
        yield _seed_leads(server)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiver_in_thread() as receiver:
        yield receiver


def wait_for_requests(receiver: Receiver, count: int) -> list:
    try:
        return receiver.wait_for_sync(count, timeout=SLOW / 1000)
    except TimeoutError:
        pytest.fail(f"the receiver got {len(receiver.received())} of {count} requests")


def test_a_manager_creates_a_webhook_and_follows_its_deliveries(
    page, seeded: Seeded, receiver: Receiver
):
    log_in_as_manager(page, seeded)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Webhooks"
    ).click()
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    expect(page.get_by_text("Noch keine Webhooks.")).to_be_visible()

    # The form's refusals, in German, next to their fields.
    page.get_by_role("button", name="Webhook anlegen …").click()
    form = page.locator("#new-webhook")
    expect(form.get_by_label("Adresse (URL)")).to_be_focused()
    form.get_by_label("Adresse (URL)").fill("ftp://files.example/hook")
    form.get_by_role("button", name="Webhook anlegen").click()
    expect(form.get_by_role("alert").first).to_contain_text("Diese Adresse geht nicht")
    expect(form.get_by_label("Adresse (URL)")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("Adresse (URL)").fill(receiver.url)
    form.get_by_role("button", name="Webhook anlegen").click()
    expect(form.get_by_role("alert")).to_have_text("Bitte mindestens ein Ereignis wählen.")

    form.get_by_label("Lead zugewiesen (lead.assigned)").check()
    form.get_by_label("Beschreibung (optional)").fill("CRM der Vertriebsleitung")
    form.get_by_role("button", name="Webhook anlegen").click()

    # The secret, this once.
    secret_box = page.get_by_test_id("webhook-secret")
    expect(secret_box.get_by_role("heading")).to_have_text(
        "Nur jetzt sichtbar \N{EN DASH} jetzt kopieren"
    )
    expect(secret_box).to_contain_text("webhook-signature")
    secret = secret_box.get_by_label("Geheimnis (Signaturschlüssel)").input_value()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]+", secret), secret
    receiver.secrets = [secret]
    card = page.get_by_test_id("webhook-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Lead zugewiesen (lead.assigned)")
    expect(card).to_contain_text("alle Kampagnen")
    expect(card).to_contain_text("Live Manager")
    expect(card.get_by_test_id("webhook-state")).to_have_text("aktiv")
    expect_no_violations(page, "webhooks with the new secret")
    screenshot(page, "webhooks-created", full_page=True)
    page.reload()
    expect(page.get_by_test_id("webhook-card")).to_have_count(1)
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
    assert secret not in page.content()

    # An assignment arrives signed, and the log shows it delivered.
    page.get_by_test_id("webhook-card").get_by_role("link", name=receiver.url).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(receiver.url)
    expect(page.get_by_text("Noch keine Zustellungen.")).to_be_visible()
    assign(seeded, seeded.lead_ids[:1], CLERK_CLARA)
    first = wait_for_requests(receiver, 1)[0]
    assert first.verified, first.error
    assert first.json()["type"] == "lead.assigned"
    deliveries = page.get_by_test_id("webhook-delivery")
    expect(deliveries).to_have_count(1, timeout=SLOW)
    delivered = deliveries.first
    expect(delivered.get_by_test_id("delivery-status")).to_have_text("zugestellt", timeout=SLOW)
    expect(delivered.get_by_test_id("delivery-http-status")).to_have_text("200")
    expect(delivered.get_by_test_id("delivery-attempts")).to_have_text("1")
    expect(delivered).to_contain_text("Lead zugewiesen (lead.assigned)")
    delivered.get_by_text("Einzelheiten").click()
    expect(delivered.get_by_test_id("delivery-event-id")).to_have_text(first.webhook_id)
    expect(delivered.get_by_role("table")).to_contain_text("200")
    sent = json.loads(delivered.locator("pre.payload").inner_text())
    assert sent == first.json()

    # "Erneut senden": the same message again, as a new delivery.
    delivered.get_by_role("button", name="Erneut senden").click()
    # (The new delivery comes first in the log once it is read again: `delivered` is the first.)
    expect(page.get_by_role("status").filter(has_text="Erneut gesendet")).to_have_count(1)
    again = wait_for_requests(receiver, 2)[1]
    assert again.verified, again.error
    assert again.webhook_id == first.webhook_id
    assert again.body == first.body
    expect(deliveries).to_have_count(2, timeout=SLOW)
    expect(deliveries.first).to_contain_text("erneut gesendet")
    expect(deliveries.first.get_by_test_id("delivery-status")).to_have_text(
        "zugestellt", timeout=SLOW
    )

    # A receiver that fails: the delivery waits for its next attempt, with the error.
    receiver.script(Answer(500))
    assign(seeded, seeded.lead_ids[1:2], CLERK_DAVID)
    failed = wait_for_requests(receiver, 3)[2]
    assert failed.answered == 500
    expect(deliveries).to_have_count(3, timeout=SLOW)
    pending = deliveries.first
    expect(pending.get_by_test_id("delivery-status")).to_contain_text(
        "ausstehend, nächster Versuch", timeout=SLOW
    )
    expect(pending.get_by_test_id("delivery-http-status")).to_have_text("500")
    expect(pending).to_contain_text("HTTP 500")
    expect(pending.get_by_role("button", name="Erneut senden")).to_have_count(0)
    page.get_by_label("Status", exact=True).select_option("PENDING")
    expect(page).to_have_url(re.compile(r"\?status=PENDING$"))
    expect(deliveries).to_have_count(1)
    pending.get_by_text("Einzelheiten").click()
    expect_no_violations(page, "webhook delivery log")
    screenshot(page, "webhook-deliveries", full_page=True)
    # On a phone's width the log, its attempts and the payload fit (they scroll in their boxes).
    page.set_viewport_size(PHONE)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "webhook-deliveries-phone", full_page=True)
    page.set_viewport_size(VIEWPORT)
    page.get_by_label("Status", exact=True).select_option("")
    expect(deliveries).to_have_count(3)

    # More than a page (20): "Mehr laden" adds the older ones below, down to the first.
    assign(seeded, seeded.lead_ids[2:20], CLERK_CLARA)
    wait_for_requests(receiver, 21)
    expect(deliveries).to_have_count(PAGE_SIZE, timeout=SLOW)
    page.get_by_role("button", name="Mehr laden").click()
    expect(deliveries).to_have_count(21)
    expect(page.get_by_role("button", name="Mehr laden")).to_have_count(0)
    expect(deliveries.last.get_by_test_id("delivery-status")).to_have_text("zugestellt")
    expect(deliveries.last).not_to_contain_text("erneut gesendet")
    page.get_by_role("button", name="Aktualisieren").click()
    expect(deliveries).to_have_count(PAGE_SIZE)

    # Edited: one more event, one campaign instead of all.
    page.get_by_role("button", name="Bearbeiten").click()
    edit = page.locator("#edit-webhook")
    expect(edit.get_by_label("Adresse (URL)")).to_have_value(receiver.url)
    expect(edit.get_by_label("Lead zugewiesen (lead.assigned)")).to_be_checked()
    edit.get_by_label("Lead abgeschlossen (lead.closed)").check()
    edit.get_by_label("Messe Herbst 2026").check()
    edit.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status").filter(has_text="Gespeichert.")).to_be_visible()
    expect(edit).to_have_count(0)
    settings = page.get_by_role("region", name="Einstellungen")
    expect(settings).to_contain_text("Lead abgeschlossen (lead.closed)")
    expect(settings).to_contain_text("Messe Herbst 2026")
    expect(settings).not_to_contain_text("alle Kampagnen")

    # A new secret, the old one valid a day more; switched off; deleted.
    page.get_by_role("button", name="Geheimnis erneuern").click()
    renewed = page.get_by_test_id("webhook-secret")
    expect(renewed).to_contain_text("gilt noch 24 Stunden")
    new_secret = renewed.get_by_label("Geheimnis (Signaturschlüssel)").input_value()
    assert new_secret.startswith("whsec_") and new_secret != secret
    page.get_by_role("button", name="Kopiert, ausblenden").click()
    page.get_by_role("button", name="Abschalten").click()
    expect(page.get_by_test_id("webhook-state")).to_contain_text("abgeschaltet am", timeout=SLOW)
    expect(page.get_by_test_id("webhook-state")).to_contain_text("von Live Manager")
    page.get_by_role("button", name="Löschen").click()
    expect(page.get_by_role("button", name="Abbrechen")).to_be_focused()
    page.get_by_role("button", name="Ja, löschen").click()
    expect(page).to_have_url(re.compile(r"/webhooks$"))
    expect(page.get_by_text("Noch keine Webhooks.")).to_be_visible()

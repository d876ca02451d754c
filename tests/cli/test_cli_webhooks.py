"""`leadflow webhooks list|create|delete|deliveries` against an SQLite file: the secret printed
once, the table, the delivery log, and one-line errors without a traceback."""

from __future__ import annotations

import json
import sqlite3

from leadflow import clock
from leadflow.db.enums import WebhookDeliveryStatus
from leadflow.db.models import WebhookAttempt, WebhookDelivery
from tests.cli.runner import PASSWORD, failed_with, run_with_database, succeeded
from tests.cli.test_cli_accounts import seed_campaigns

ALLOW_PRIVATE = {"LEADFLOW_WEBHOOK_ALLOW_PRIVATE": "1"}
RECEIVER = "http://127.0.0.1:9/hook"


def add_user(cli, email: str, role: str, name: str) -> None:
    succeeded(cli("users", "add", email, "--name", name, "--role", role, "--password", PASSWORD))


def create(cli, *extra: str) -> tuple[int, str]:
    """`webhooks create`: the webhook's number and its secret (the last line)."""
    out = succeeded(
        cli(
            "webhooks",
            "create",
            "--url",
            RECEIVER,
            "--event",
            "lead.assigned",
            *extra,
            **ALLOW_PRIVATE,
        )
    )
    first, *_, secret = out.strip().splitlines()
    assert first.startswith("Created webhook #"), out
    return int(first.removeprefix("Created webhook #").split(":")[0].split()[0]), secret


def stored(cli, webhook_id: int) -> tuple:
    with sqlite3.connect(cli.database) as db:
        return db.execute(
            "SELECT url, events, campaign_ids, secret, owner_id, description FROM webhooks "
            "WHERE id = ?",
            (webhook_id,),
        ).fetchone()


def test_create_prints_the_secret_once_and_list_shows_it_without(cli):
    add_user(cli, "ada@example.com", "admin", "Ada Admin")
    seed_campaigns(cli, "Fair", "Webinar")
    webhook_id, secret = create(
        cli, "--event", "lead.closed", "--campaign", "Fair", "--description", "ERP"
    )
    assert secret.startswith("whsec_")
    url, events, campaign_ids, stored_secret, _, description = stored(cli, webhook_id)
    assert (url, json.loads(events), stored_secret, description) == (
        RECEIVER,
        ["lead.assigned", "lead.closed"],
        secret,
        "ERP",
    )
    assert len(json.loads(campaign_ids)) == 1
    listing = succeeded(cli("webhooks", "list"))
    assert listing.splitlines() == [
        f"#{webhook_id}\t{RECEIVER}\tlead.assigned,lead.closed\tactive\tno deliveries\t"
        "ada@example.com"
    ]
    assert secret not in listing


def test_create_for_a_named_owner(cli):
    add_user(cli, "ada@example.com", "admin", "Ada Admin")
    add_user(cli, "max@example.com", "manager", "Max Manager")
    webhook_id, _ = create(cli, "--owner", "max@example.com")
    with sqlite3.connect(cli.database) as db:
        (owner,) = db.execute(
            "SELECT email FROM users JOIN webhooks ON webhooks.owner_id = users.id "
            "WHERE webhooks.id = ?",
            (webhook_id,),
        ).fetchone()
    assert owner == "max@example.com"


def test_create_errors_are_one_line(cli):
    add_user(cli, "ada@example.com", "admin", "Ada Admin")
    add_user(cli, "clara@example.com", "clerk", "Clara Clerk")
    base = ("webhooks", "create", "--url", RECEIVER)
    failed_with(cli(*base, "--event", "lead.exploded", **ALLOW_PRIVATE), "no event type")
    failed_with(
        cli(*base, "--event", "lead.assigned", "--campaign", "Nope", **ALLOW_PRIVATE),
        "no campaign named 'Nope'",
    )
    failed_with(
        cli(*base, "--event", "lead.assigned", "--owner", "clara@example.com", **ALLOW_PRIVATE),
        "is a clerk",
    )
    # Loopback without LEADFLOW_WEBHOOK_ALLOW_PRIVATE: the guard's message.
    failed_with(cli(*base, "--event", "lead.assigned"), "127.0.0.1")
    with sqlite3.connect(cli.database) as db:
        assert db.execute("SELECT count(*) FROM webhooks").fetchone() == (0,)


def test_create_needs_an_owner(cli):
    failed_with(
        cli("webhooks", "create", "--url", RECEIVER, "--event", "lead.assigned", **ALLOW_PRIVATE),
        "--owner",
    )


async def _seed_log(webhook_id: int) -> None:
    delivered = await WebhookDelivery.create(
        webhook_id=webhook_id,
        event_id=1,
        message_id="msg_1",
        event_type="lead.assigned",
        body="{}",
        status=WebhookDeliveryStatus.SUCCEEDED,
        attempts=2,
        finished_at=clock.now(),
    )
    await WebhookAttempt.create(
        delivery_id=delivered.id,
        at=clock.now(),
        http_status=500,
        duration_ms=12,
        error="HTTP 500",
        next_attempt_at=clock.now(),
    )
    await WebhookAttempt.create(
        delivery_id=delivered.id, at=clock.now(), http_status=200, duration_ms=8
    )
    await WebhookDelivery.create(
        webhook_id=webhook_id,
        event_id=2,
        message_id="msg_2",
        event_type="lead.closed",
        body="{}",
        status=WebhookDeliveryStatus.PENDING,
        next_attempt_at=clock.now(),
    )


def test_deliveries_newest_first_with_every_attempt(cli):
    add_user(cli, "ada@example.com", "admin", "Ada Admin")
    webhook_id, _ = create(cli)
    run_with_database(cli.env["LEADFLOW_DATABASE_URL"], _seed_log, webhook_id)
    lines = succeeded(cli("webhooks", "deliveries", str(webhook_id))).splitlines()
    assert len(lines) == 3
    pending, succeeded_last, failed_first = (line.split("\t") for line in lines)
    assert pending[2:6] == ["lead.closed", "pending", "-", "not tried yet"]
    assert succeeded_last[2:6] == ["lead.assigned", "succeeded", "200", "ok"]
    assert succeeded_last[6] == "next -"
    assert failed_first[2:6] == ["lead.assigned", "succeeded", "500", "HTTP 500"]
    assert failed_first[6].startswith("next 20")
    only_one = succeeded(cli("webhooks", "deliveries", str(webhook_id), "--limit", "1"))
    assert len(only_one.splitlines()) == 1
    listing = succeeded(cli("webhooks", "list"))
    assert "\tpending\t" in listing
    failed_with(cli("webhooks", "deliveries", "999"), "does not exist")
    failed_with(cli("webhooks", "deliveries", str(webhook_id), "--limit", "0"), "--limit")


def test_delete(cli):
    add_user(cli, "ada@example.com", "admin", "Ada Admin")
    webhook_id, _ = create(cli)
    run_with_database(cli.env["LEADFLOW_DATABASE_URL"], _seed_log, webhook_id)
    out = succeeded(cli("webhooks", "delete", str(webhook_id)))
    assert f"#{webhook_id}" in out
    with sqlite3.connect(cli.database) as db:
        assert db.execute("SELECT count(*) FROM webhooks").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM webhook_deliveries").fetchone() == (0,)
    failed_with(cli("webhooks", "delete", str(webhook_id)), "does not exist")
    # A number beyond the database's integers is missing too, not a failed query.
    failed_with(cli("webhooks", "delete", str(2**70)), "does not exist")
    failed_with(cli("webhooks", "deliveries", str(2**70)), "does not exist")
    assert succeeded(cli("webhooks", "list")) == "No webhooks.\n"

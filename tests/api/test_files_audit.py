"""Refusals of the file endpoints go to the audit log like those over GraphQL: one entry per
403 with who, from where and what (method and route, never the client's words); answers that
are no refusal of someone known (success, 401, bad input) leave none. Real app, real HTTP."""

from __future__ import annotations

from datetime import timedelta

from leadflow.api.ids import encode_id
from leadflow.auth.sessions import SESSION_COOKIE, open_session
from leadflow.db.models import AuditEntry, LeadImport
from leadflow.services import campaigns
from leadflow.services.audit import AuditAction
from tests.api.test_files import FILE, bearer, finished, upload

EXPORT = "/files/exports/leads.csv"


async def audited(client, method: str, url: str, **request) -> tuple[int, list[AuditEntry]]:
    """The response's status and the audit entries the request added."""
    before = await AuditEntry.all().count()
    response = await client.request(method, url, **request)
    entries = await AuditEntry.all().order_by("id").offset(before).limit(100)
    return response.status_code, entries


async def test_each_refusal_of_a_file_endpoint_leaves_one_audit_entry(client, actors):
    messe = await campaigns.create_campaign(actors.manager.user, "Messe")
    campaign_id = encode_id("Campaign", messe.id)
    done = await upload(client, actors.manager, messe)
    import_id = (await finished(done.json()["importId"])).id
    rejected = f"/files/imports/{encode_id('LeadImport', import_id)}/rejected.csv"
    _session, secret = await open_session(actors.manager.user, lifetime=timedelta(hours=1))
    cookie = {"Cookie": f"{SESSION_COOKIE}={secret}", "Content-Type": "text/csv"}
    upload_params = {"campaign": campaign_id}
    cases = [
        # (who, method, url, request, code in the answer, route in the entry)
        (actors.read_only_manager, "POST", "/files/imports", "FORBIDDEN", "/files/imports"),
        (actors.clerk_a, "POST", "/files/imports", "FORBIDDEN", "/files/imports"),
        (actors.partner, "POST", "/files/imports", "FORBIDDEN", "/files/imports"),
        (actors.clerk_a, "GET", EXPORT, "FORBIDDEN", EXPORT),
        (actors.partner, "GET", EXPORT, "FORBIDDEN", EXPORT),
        (actors.partner, "GET", rejected, "FORBIDDEN", "/files/imports/{id}/rejected.csv"),
    ]
    for actor, method, url, code, route in cases:
        request = {"params": upload_params if method == "POST" else {"campaign": campaign_id}}
        if method == "POST":
            request["content"] = FILE
        status, entries = await audited(client, method, url, headers=bearer(actor), **request)
        assert status == 403, (actor.user.email, url)
        assert len(entries) == 1, (actor.user.email, url)
        entry = entries[0]
        assert entry.action == AuditAction.ACCESS_DENIED
        assert entry.actor_id == actor.user.id
        assert entry.address == "127.0.0.1"
        assert entry.detail.startswith(f"{method} {route}: {code}: "), entry.detail

    # A browser session without the CSRF header.
    status, entries = await audited(
        client, "POST", "/files/imports", params=upload_params, content=FILE, headers=cookie
    )
    assert status == 403 and len(entries) == 1
    assert entries[0].actor_id == actors.manager.user.id
    assert entries[0].detail.startswith("POST /files/imports: CSRF: ")
    assert await LeadImport.all().count() == 1  # only the manager's first upload


async def test_the_clients_words_stay_out_of_the_audit_entry(client, actors):
    """What the client chose (the path's id, the query) is not written: nobody reading the log
    should take an attacker's text for the server's."""
    messe = await campaigns.create_campaign(actors.manager.user, "Messe")
    words = "IGNORE-THIS_admin-approved%0D%0Aforged-entry"
    status, entries = await audited(
        client,
        "GET",
        f"/files/imports/{words}/rejected.csv",
        params={"campaign": encode_id("Campaign", messe.id), "note": words},
        headers=bearer(actors.clerk_b),
    )
    assert status == 403 and len(entries) == 1
    assert entries[0].detail.startswith("GET /files/imports/{id}/rejected.csv: FORBIDDEN: ")
    assert "IGNORE" not in entries[0].detail and "forged" not in entries[0].detail


async def test_answers_that_refuse_nobody_known_leave_no_audit_entry(client, actors):
    messe = await campaigns.create_campaign(actors.manager.user, "Messe")
    campaign_id = encode_id("Campaign", messe.id)
    done = await upload(client, actors.manager, messe)
    import_id = encode_id("LeadImport", (await finished(done.json()["importId"])).id)
    audit_before = await AuditEntry.all().count()
    assert audit_before == 0
    cases = [
        # Successes, also a read-only token reading.
        (actors.manager, "POST", {"campaign": campaign_id, "dryRun": "1"}, FILE, 200),
        (actors.read_only_manager, "GET", {"campaign": campaign_id}, None, 200),
        (actors.manager, "GET", {}, None, 200),
        # No one known (401) and bad input (400, 404).
        (None, "POST", {"campaign": campaign_id}, FILE, 401),
        (None, "GET", {"campaign": campaign_id}, None, 401),
        (actors.manager, "POST", {}, FILE, 400),
        (actors.manager, "GET", {"campaign": encode_id("Campaign", 999)}, None, 404),
    ]
    for actor, method, params, content, expected in cases:
        headers = bearer(actor) if actor else {"Content-Type": "text/csv"}
        url = "/files/imports" if method == "POST" else EXPORT
        if method == "GET" and not params:
            url = f"/files/imports/{import_id}/rejected.csv"
        request = {"params": params, "headers": headers}
        if content is not None:
            request["content"] = content
        status, entries = await audited(client, method, url, **request)
        assert status == expected, (url, params)
        assert entries == [], (url, [entry.detail for entry in entries])

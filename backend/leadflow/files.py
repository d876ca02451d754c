"""HTTP endpoints for lead files, next to GraphQL (which carries no file bodies):

- `POST /files/imports?campaign=<id>[&dryRun=1][&fileName=..][&mapping=<json>]`: the CSV file
  as the raw body. A dry run answers the report with a preview of the first rows, the
  column mapping and the first issues (`{row, kind, code, field, message}`, `code` one of
  `ImportIssueCode`); otherwise the import starts in the background and the answer (202)
  names it, so the web app can follow its progress through GraphQL (`leadImport`).
- `GET /files/imports/<id>/rejected.csv`: the rejected rows of an import, to fix and re-import
  (the file's columns, then `Row` and `Error`).
- `GET /files/exports/leads.csv?campaign=<id>[&status=NEW,ACTIVE][&lang=de]`: a campaign's
  leads with status and outcome, for Excel (UTF-8 with BOM; `;` with lang=de).

Authentication as for GraphQL: a bearer token, or the session cookie plus the CSRF header for
POST. Errors are JSON `{"error": {"code", "message", "field"}}` with a fitting status; every
refusal of an authenticated caller (403) goes to the audit log, as over GraphQL.

Web imports take turns (`ImportQueue`): at most LEADFLOW_IMPORT_CONCURRENCY run at once per
process, the others wait as QUEUED; the upload is answered as soon as its import is recorded.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from leadflow.api.context import authenticate_request
from leadflow.api.ids import decode_id, encode_id
from leadflow.auth import policy
from leadflow.auth.csrf import has_csrf_proof
from leadflow.auth.tokens import Authenticated
from leadflow.db.models import Campaign, LeadImport, User
from leadflow.errors import AccessDenied, DomainError, ErrorCode
from leadflow.services import exports, imports
from leadflow.services.audit import AuditAction, record
from leadflow.services.import_files import FIELD_LABELS, preview_rows
from leadflow.settings import Settings

log = logging.getLogger("leadflow.files")
PREVIEW_ROWS = 5
REPORTED_ISSUES = 200
# Imports running in this process; kept so that the tasks are not garbage-collected.
_RUNNING: set[asyncio.Task[Any]] = set()
# How long a shutdown waits for the imports to stop between batches (a batch takes well under
# a second); what is left then is cancelled.
STOP_SECONDS = 10.0


async def stop_running_imports(queue: imports.ImportQueue | None = None) -> None:
    """At shutdown, before the database closes: stop this process's imports and its
    watchdog. Each import keeps what it committed and is released; another instance's
    watchdog (or this one's after a restart) resumes it from its stored file. The imports of
    `queue` stop between two batches; what is left after STOP_SECONDS is cancelled."""
    if queue is not None:
        queue.stop()
    if _RUNNING:
        await asyncio.wait(list(_RUNNING), timeout=STOP_SECONDS)
    for task in list(_RUNNING):
        task.cancel()
    await asyncio.gather(*_RUNNING, return_exceptions=True)


async def start_import_watchdog(
    interval_seconds: float, queue: imports.ImportQueue | None = None
) -> None:
    """Resume abandoned web imports (their instance died or shut down): looked for once now,
    resumed in the background, and looked for again every `interval_seconds`; 0 turns it
    off. The first look is one query, so startup does not wait for an import to finish.
    Resumed imports take their turn in `queue` like uploads."""
    if interval_seconds <= 0:
        return
    waiting = await imports.abandoned_import_ids()

    async def watch() -> None:
        look_now = bool(waiting)
        while True:
            if look_now:
                try:
                    await imports.resume_abandoned_imports(queue)
                except imports.ImportStopped:
                    return  # shutting down
                except Exception:
                    # A database hiccup must not end the watch; the next round tries again.
                    log.exception("Resuming abandoned imports failed")
            if queue is None:
                await asyncio.sleep(interval_seconds)
            elif await queue.pause(interval_seconds):
                return  # shutting down
            look_now = True

    task = asyncio.create_task(watch())
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)


def file_routes(settings: Settings, queue: imports.ImportQueue | None = None) -> list[Route]:
    """The file endpoints; web imports take their turn in `queue` (one of their own, sized by
    the settings, when none is given)."""
    queue = queue or imports.ImportQueue(settings.import_concurrency)

    async def upload(request: Request) -> Response:
        return await _guarded(request, lambda: _upload(request, settings, queue))

    async def rejected(request: Request) -> Response:
        return await _guarded(request, lambda: _rejected_rows(request))

    async def export(request: Request) -> Response:
        return await _guarded(request, lambda: _export(request))

    return [
        Route("/files/imports", upload, methods=["POST"]),
        Route("/files/imports/{id}/rejected.csv", rejected, methods=["GET"]),
        Route("/files/exports/leads.csv", export, methods=["GET"]),
    ]


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


async def _guarded(request: Request, handler: Callable[[], Awaitable[Response]]) -> Response:
    try:
        return await handler()
    except Refused as refused:
        if refused.status == 403:
            await _audit_refusal(request, refused.code, refused.message)
        return _error(refused.status, refused.code, refused.message)
    except AccessDenied as denied:
        await _audit_refusal(request, "FORBIDDEN", denied.message)
        return _error(403, "FORBIDDEN", denied.message)
    except DomainError as error:
        status = _STATUS_OF.get(error.code, 400)
        return _error(status, error.code.value, error.message, error.field)


_STATUS_OF = {ErrorCode.NOT_FOUND: 404, ErrorCode.CONFLICT: 409}


def _error(
    status: int, code: str, message: str, field: tuple[str, ...] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "field": list(field or ())}}
    return JSONResponse(body, status)


async def _audit_refusal(request: Request, code: str, message: str) -> None:
    """A refusal of someone authenticated, for the audit log as GraphQL records it: who, from
    where, and what: the method and the route's path pattern, never the path or query as sent
    (the client's words), and our own message. 401s are not recorded (nor are they over
    GraphQL): nobody is known, and anyone could fill the log with them."""
    auth: Authenticated | None = getattr(request.state, "auth", None)
    # Starlette's router puts the matched route into the scope.
    route = getattr(request.scope.get("route"), "path", "/files")
    await record(
        AuditAction.ACCESS_DENIED,
        actor=auth.user if auth is not None else None,
        detail=f"{request.method} {route}: {code}: {message}",
        address=request.client.host if request.client else "",
    )


async def _manager(request: Request, *, writes: bool) -> User:
    auth: Authenticated | None = await authenticate_request(request)
    if auth is None:
        raise Refused(401, "UNAUTHENTICATED", "Log in or send a bearer token.")
    request.state.auth = auth  # for the audit of a refusal (`_guarded`)
    if writes and auth.read_only:
        raise Refused(403, "FORBIDDEN", "This token is read-only.")
    if writes and auth.via_session and not has_csrf_proof(request):
        raise Refused(403, "CSRF", "Send the header X-Leadflow-CSRF: 1 with this request.")
    policy.require_manager(auth.user, "import and export lead files")
    return auth.user


async def _campaign(raw: str | None) -> Campaign:
    if not raw:
        raise DomainError(ErrorCode.REQUIRED, "Name the campaign (?campaign=<id>).", ["campaign"])
    campaign = await Campaign.get_or_none(id=decode_id(raw, "Campaign", ["campaign"]))
    if campaign is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This campaign does not exist.", ["campaign"])
    return campaign


# ---------------------------------------------------------------------------------------------
# Upload


async def _upload(request: Request, settings: Settings, queue: imports.ImportQueue) -> Response:
    actor = await _manager(request, writes=True)
    campaign = await _campaign(request.query_params.get("campaign"))
    dry_run = request.query_params.get("dryRun", "") in ("1", "true")
    mapping = _mapping(request.query_params.get("mapping"))
    file_name = (request.query_params.get("fileName") or "upload.csv").strip()[:200]
    path = await _receive(request, settings.max_import_bytes)
    if dry_run:
        try:
            report = await imports.import_leads(
                actor, path, campaign.name, dry_run=True, mapping=mapping, file_name=file_name
            )
            return JSONResponse(_report_json(report, path))
        finally:
            path.unlink(missing_ok=True)
    return await _start_import(actor, campaign, path, mapping, file_name, queue)


def _mapping(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        mapping = json.loads(raw)
    except ValueError:
        mapping = None
    valid = isinstance(mapping, dict) and all(
        isinstance(key, str) and isinstance(value, str) for key, value in mapping.items()
    )
    if not valid:
        raise DomainError(
            ErrorCode.INVALID,
            'The mapping must be a JSON object of header names to fields, e.g. {"Mobil": "phone"}.',
            ["mapping"],
        )
    return mapping


async def _receive(request: Request, limit: int) -> Path:
    """The body into a temporary file, refused past `limit` bytes while it streams in."""
    descriptor, name = tempfile.mkstemp(prefix="leadflow-import-", suffix=".csv")
    path = Path(name)
    size = 0
    try:
        with open(descriptor, "wb") as handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise Refused(
                        413,
                        "TOO_LARGE",
                        f"The file is larger than {limit // 1_000_000} MB; split it or import it "
                        "with `leadflow import` on the server.",
                    )
                handle.write(chunk)
    except (Refused, ClientDisconnect):
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise DomainError(ErrorCode.REQUIRED, "The file is empty.", ["file"])
    return path


async def _start_import(
    actor: User,
    campaign: Campaign,
    path: Path,
    mapping: dict[str, str],
    file_name: str,
    queue: imports.ImportQueue,
) -> Response:
    """Run the import in the background, in its turn; answer once it is recorded (QUEUED) or
    refused, without waiting for its turn."""
    started: asyncio.Future[imports.ImportReport] = asyncio.get_running_loop().create_future()

    def on_started(report: imports.ImportReport) -> None:
        started.set_result(report)

    async def run() -> None:
        try:
            await imports.import_leads(
                actor,
                path,
                campaign.name,
                mapping=mapping,
                file_name=file_name,
                on_started=on_started,
                keep_source=True,
                queue=queue,
            )
        except (DomainError, AccessDenied) as error:
            if not started.done():
                started.set_exception(error)
        except imports.ImportStopped:
            log.warning("Import of %s stopped by shutdown; it resumes later", file_name)
        except asyncio.CancelledError:
            log.warning("Import of %s cancelled by shutdown; it resumes later", file_name)
            raise
        except Exception as error:
            log.exception("Import of %s into campaign %s failed", file_name, campaign.id)
            if not started.done():
                started.set_exception(error)
        finally:
            path.unlink(missing_ok=True)

    task = asyncio.create_task(run())
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    report = await started
    return JSONResponse(
        {
            "importId": encode_id("LeadImport", report.import_id),
            "resumedAfterRow": report.resumed_after_row,
        },
        status_code=202,
    )


def _report_json(report: imports.ImportReport, path: Path) -> dict[str, Any]:
    layout = report.layout
    counts = report.counts
    return {
        "fileName": report.file_name,
        "encoding": layout.encoding,
        "separator": layout.separator,
        "header": list(layout.header),
        "columns": [
            {"header": name, "field": FIELD_LABELS.get(layout.columns.get(index, ""))}
            for index, name in enumerate(layout.header)
        ],
        "unknownColumns": list(layout.unknown_columns),
        "preview": [list(row.values) for row in preview_rows(path, layout, PREVIEW_ROWS)],
        "counts": {
            "rowsRead": counts.rows_processed,
            "leadsCreated": counts.leads_created,
            "contactsReused": counts.contacts_reused,
            "duplicatesSkipped": counts.duplicates_skipped,
            "rowsRejected": counts.rows_rejected,
            "emptyRows": counts.empty_rows,
        },
        "issues": [
            {
                "row": issue.row_number,
                "kind": issue.kind.value,
                "code": issue.code.value,
                "field": issue.field,
                "message": issue.message,
            }
            for issue in report.issues[:REPORTED_ISSUES]
        ],
        "moreIssues": max(len(report.issues) - REPORTED_ISSUES, 0),
    }


# ---------------------------------------------------------------------------------------------
# Downloads


async def _rejected_rows(request: Request) -> Response:
    await _manager(request, writes=False)
    import_id = decode_id(request.path_params["id"], "LeadImport", ["id"])
    lead_import = await LeadImport.get_or_none(id=import_id)
    if lead_import is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This import does not exist.", ["id"])
    issues = await imports.import_issues(lead_import.id)
    text = io.StringIO()
    imports.write_rejected_rows(text, lead_import.header, lead_import.separator, issues)
    name = Path(lead_import.file_name).stem or "import"
    return Response(
        "\ufeff" + text.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(f"{name}.rejected.csv")},
    )


async def _export(request: Request) -> Response:
    actor = await _manager(request, writes=False)
    campaign = await _campaign(request.query_params.get("campaign"))
    statuses = exports.parse_statuses([request.query_params.get("status", "")])
    language = request.query_params.get("lang", "en")
    if language not in exports.LANGUAGES:
        raise DomainError(ErrorCode.INVALID, "lang must be en or de.", ["lang"])
    separator = ";" if language == "de" else ","
    chunks = exports.export_chunks(
        actor, campaign, statuses=statuses, separator=separator, language=language
    )
    first, _ = await anext(chunks)  # refusals surface here, before the response starts

    async def body() -> AsyncIterator[bytes]:
        yield ("\ufeff" + first).encode("utf-8")
        async for chunk, _count in chunks:
            yield chunk.encode("utf-8")

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(f"{campaign.name}.csv")},
    )


def _attachment(file_name: str) -> str:
    """Content-Disposition for a download: an ASCII name for old clients and the real one in
    UTF-8 (RFC 6266), so that "Messe Köln.csv" arrives as such and no name breaks the header."""
    plain = "".join(c if c.isascii() and (c.isalnum() or c in "-_. ") else "_" for c in file_name)
    return f"attachment; filename=\"{plain[-150:]}\"; filename*=UTF-8''{quote(file_name[-150:])}"

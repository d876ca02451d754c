"""The `leadflow` command: serve, migrate, users, tokens, webhooks, import, export, prune,
retention, suppression, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import io
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from tortoise.exceptions import BaseORMException

from leadflow.auth.actors import OPERATOR
from leadflow.errors import AccessDenied, DomainError
from leadflow.settings import Settings, SettingsError

if TYPE_CHECKING:
    from leadflow.db.enums import LeadStatus
    from leadflow.db.models import WebhookAttempt, WebhookDelivery
    from leadflow.services.exports import ExportFilter
    from leadflow.services.imports import ImportReport, RowIssue


class CommandError(Exception):
    """A failure the user can fix; printed as one line."""


def main(argv: Sequence[str] | None = None) -> None:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        args.handler(args, settings)
    except (CommandError, DomainError, AccessDenied, SettingsError) as error:
        _fail(getattr(error, "message", None) or str(error))
    except BaseORMException as error:
        _fail(f"database problem: {error}")
    except OSError as error:
        _fail(f"{error.strerror or error} ({getattr(error, 'filename', '') or ''})".strip())
    except KeyboardInterrupt:
        sys.exit(130)


def _fail(message: str) -> None:
    print(f"leadflow: error: {message}", file=sys.stderr)
    sys.exit(1)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadflow", description="Lead management for sales teams."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply migrations, then serve the API (and the SPA)")
    serve.add_argument("--host", default=None, help="default: LEADFLOW_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: LEADFLOW_PORT or 8000")
    serve.add_argument("--demo", action="store_true", help="fill an empty database with a demo")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes serving on the one port (PostgreSQL only; default 1); each has its own "
        "pool of LEADFLOW_DB_POOL_SIZE connections and runs the background jobs",
    )
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser("migrate", help="apply pending database migrations")
    migrate.set_defaults(handler=_migrate)

    users = commands.add_parser("users", help="manage users").add_subparsers(
        dest="users_command", required=True
    )
    add = users.add_parser("add", help="create a user")
    add.add_argument("email")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, help="admin, manager, clerk or partner")
    add.add_argument("--password", help="prompted for when omitted")
    add.set_defaults(handler=_users_add)
    add.add_argument("--campaigns", help="partners: comma-separated campaign names to feed")
    listing = users.add_parser("list", help="list users")
    listing.set_defaults(handler=_users_list)
    deactivate = users.add_parser("deactivate", help="deactivate a user (logged out at once)")
    deactivate.add_argument("email")
    deactivate.set_defaults(handler=_users_deactivate)
    set_password = users.add_parser("set-password", help="set a user's password")
    set_password.add_argument("email")
    set_password.add_argument("--password", help="prompted for when omitted")
    set_password.set_defaults(handler=_users_set_password)
    link = users.add_parser("link", help="let a partner feed campaigns")
    link.add_argument("email")
    link.add_argument("--campaigns", required=True, help="comma-separated campaign names")
    link.set_defaults(handler=_users_link)

    tokens = commands.add_parser("tokens", help="manage API tokens").add_subparsers(
        dest="tokens_command", required=True
    )
    create = tokens.add_parser("create", help="create an API token; printed once, on the last line")
    create.add_argument("email")
    create.add_argument("--read-only", action="store_true", help="the token may not change data")
    create.add_argument("--name", default="", help="a label to recognise the token by")
    create.set_defaults(handler=_tokens_create)
    token_list = tokens.add_parser("list", help="list a user's tokens (never their secrets)")
    token_list.add_argument("email")
    token_list.set_defaults(handler=_tokens_list)
    revoke = tokens.add_parser("revoke", help="revoke a token by its number")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(handler=_tokens_revoke)

    _add_webhooks(commands)
    _add_import_export(commands)

    prune = commands.add_parser(
        "prune",
        help="delete login failures past the throttling window and expired sessions",
        description="Delete failed logins that no longer count for throttling and sessions past "
        "their expiry. Every app instance also does this at startup and every "
        "LEADFLOW_PRUNE_INTERVAL_SECONDS; running it alongside them is harmless.",
    )
    prune.set_defaults(handler=_prune)

    retention = commands.add_parser(
        "retention", help="erase people past their retention"
    ).add_subparsers(dest="retention_command", required=True)
    retention_run = retention.add_parser(
        "run",
        help="erase the contacts whose leads all closed unsuccessful longer ago than the limit",
        description="Erase (as eraseContact does) every contact whose leads all closed "
        "unsuccessful longer ago than their campaign's retentionDays, else "
        "LEADFLOW_RETENTION_DAYS_UNSUCCESSFUL, and who has no opportunity; one line per "
        "contact. Every app instance also does this every LEADFLOW_PRUNE_INTERVAL_SECONDS.",
    )
    retention_run.add_argument(
        "--dry-run", action="store_true", help="only list the contacts it would erase"
    )
    retention_run.set_defaults(handler=_retention_run)

    suppression = commands.add_parser(
        "suppression", help="the suppression list of erased people"
    ).add_subparsers(dest="suppression_command", required=True)
    lift = suppression.add_parser(
        "lift",
        help="let an erased person who consented again be entered again",
        description="Remove the suppression entries matching the email and/or the phone (as "
        "liftSuppression does; only the values given are lifted, the phone compared by its "
        "digits) and print how many were removed. The audit log records the reason, without "
        "the email or the phone.",
    )
    lift.add_argument("--email", help="the person's email address")
    lift.add_argument("--phone", help="the person's phone number")
    lift.add_argument("--reason", required=True, help="why: the person's new consent")
    lift.set_defaults(handler=_suppression_lift)

    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.set_defaults(handler=_export_schema)
    return parser


def _add_webhooks(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    webhooks = commands.add_parser("webhooks", help="manage webhooks").add_subparsers(
        dest="webhooks_command", required=True
    )
    listing = webhooks.add_parser("list", help="list every webhook with its last delivery")
    listing.set_defaults(handler=_webhooks_list)
    create = webhooks.add_parser(
        "create",
        help="create a webhook; its signing secret is printed once, on the last line",
        description="Create a webhook that is sent the given events, signed with a secret "
        "printed once. Private and loopback addresses only with "
        "LEADFLOW_WEBHOOK_ALLOW_PRIVATE=1.",
    )
    create.add_argument("--url", required=True, help="http(s) URL the events are POSTed to")
    create.add_argument(
        "--event",
        dest="events",
        action="append",
        required=True,
        metavar="TYPE",
        help="an event type, e.g. lead.assigned (repeat for more)",
    )
    create.add_argument(
        "--campaign",
        dest="campaigns",
        action="append",
        metavar="NAME",
        help="only leads of this campaign (repeat for more; default: every campaign)",
    )
    create.add_argument("--description", default="", help="what the endpoint is for")
    create.add_argument(
        "--owner",
        metavar="EMAIL",
        help="the owning manager, admin or partner (a partner's webhook gets only what it may "
        "read); default: the first active admin",
    )
    create.set_defaults(handler=_webhooks_create)
    delete = webhooks.add_parser("delete", help="delete a webhook and its delivery log")
    delete.add_argument("id", type=int)
    delete.set_defaults(handler=_webhooks_delete)
    deliveries = webhooks.add_parser(
        "deliveries", help="a webhook's latest deliveries, every attempt, newest first"
    )
    deliveries.add_argument("id", type=int)
    deliveries.add_argument(
        "--limit", type=int, default=20, help="how many deliveries (default 20, at most 100)"
    )
    deliveries.set_defaults(handler=_webhooks_deliveries)


def _add_import_export(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    lead_import = commands.add_parser(
        "import",
        help="import leads from a CSV file into a campaign",
        description="Import leads from a CSV file (',' or ';', UTF-8 or Windows-1252, German or "
        "English headers). Good rows are imported in batches, bad rows are reported and written "
        "to a CSV to fix and import again. Running the same file again resumes an interrupted "
        "import and never adds a lead twice.",
    )
    lead_import.add_argument("file", type=Path)
    lead_import.add_argument("--campaign", required=True, help="the campaign's name")
    lead_import.add_argument(
        "--create-campaign", action="store_true", help="create the campaign if it does not exist"
    )
    lead_import.add_argument(
        "--dry-run", action="store_true", help="check the file and report, write nothing"
    )
    lead_import.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="HEADER=FIELD",
        help="map a column to a contact field (e.g. 'Mobil=phone'; 'Notiz=' ignores one); "
        "fields: " + ", ".join(_contact_fields()),
    )
    lead_import.add_argument(
        "--rejects",
        type=Path,
        help="where to write the rejected rows (default: FILE with .rejected.csv)",
    )
    lead_import.add_argument(
        "--rejects-lang",
        choices=("de", "en"),
        help="language of the rejected rows' columns and reasons (default: the language of "
        "FILE's header, else English)",
    )
    lead_import.add_argument("--user", help="record the import as this manager's (email)")
    lead_import.set_defaults(handler=_import)

    export = commands.add_parser(
        "export",
        help="export leads with status, outcome and feedback as CSV",
        description="Export the leads under a filter (the web app's lead list filter: every "
        "option narrows it; none: every lead) with status, outcome and their feedback notes.",
    )
    export.add_argument("--campaign", help="only this campaign's leads (its name)")
    export.add_argument(
        "--status",
        action="append",
        default=[],
        help="only these statuses: NEW, ACTIVE, DONE (or Neu, Aktiv, Erledigt); repeatable "
        "or comma-separated",
    )
    export.add_argument("--assignee", help="only the leads of this clerk (email)")
    export.add_argument("--search", help="words that each must occur in the name, company or email")
    export.add_argument("--outcome", help="SUCCESSFUL or UNSUCCESSFUL (or erfolgreich, erfolglos)")
    export.add_argument(
        "--reason",
        help="close reason: NOT_INTERESTED, UNREACHABLE, WRONG_CONTACT_DATA, DUPLICATE, OTHER",
    )
    export.add_argument(
        "--created-after",
        metavar="WHEN",
        help="created at or after: ISO 8601 date or date-time, UTC unless it has an offset "
        "(as in the lead list; --time-zone does not move it)",
    )
    export.add_argument(
        "--created-before",
        metavar="WHEN",
        help="created before: ISO 8601 date or date-time, UTC unless it has an offset",
    )
    export.add_argument(
        "--due", help="open leads whose next step is OVERDUE, TODAY, UPCOMING or NONE (none)"
    )
    export.add_argument(
        "--time-zone",
        metavar="ZONE",
        default="UTC",
        help="IANA zone (e.g. Europe/Berlin) that says which day is today, for --due "
        "(default: UTC)",
    )
    export.add_argument(
        "--order",
        help="sort as the lead list does: NEWEST, OLDEST, LAST_NAME, COMPANY, CAMPAIGN, ASSIGNEE, "
        "WAITING_LONGEST or NEXT_DUE (default: oldest first)",
    )
    export.add_argument("--output", "-o", type=Path, help="the file to write (default: stdout)")
    export.add_argument(
        "--separator",
        choices=["comma", "semicolon"],
        default=None,
        help="column separator (default: comma, semicolon with --lang de for German Excel)",
    )
    export.add_argument(
        "--lang", choices=["en", "de"], default="en", help="language of headers and words"
    )
    export.set_defaults(handler=_export)


def _contact_fields() -> list[str]:
    from leadflow.services.import_files import CONTACT_FIELDS

    return list(CONTACT_FIELDS)


def _parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        header, separator, field = pair.partition("=")
        if not separator or not header.strip():
            raise CommandError(f"--map {pair!r}: write it as HEADER=FIELD")
        mapping[header.strip()] = field.strip()
    return mapping


def _import(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.cli_progress import import_progress

    mapping = _parse_mapping(args.map)
    if not args.file.is_file():
        raise CommandError(f"{args.file}: no such file")

    async def task() -> None:
        from leadflow.services import imports
        from leadflow.services.users import get_user_by_email

        actor = await get_user_by_email(args.user) if args.user else OPERATOR
        with import_progress(args.file.name) as on_progress:
            report = await imports.import_by_name(
                actor,
                args.campaign,
                imports.ImportFile(args.file, mapping=mapping or {}),
                create_campaign_if_missing=args.create_campaign,
                dry_run=args.dry_run,
                on_progress=on_progress,
            )
        if report.dry_run or report.import_id is None:
            issues = report.issues
        else:
            issues = await imports.import_issues(report.import_id)
        _print_import_report(report, issues)
        if report.counts.rows_rejected:
            _write_rejects(args, report, issues)

    _run_with_database(settings, task)


def _print_import_report(report: ImportReport, issues: Sequence[RowIssue]) -> None:
    counts = report.counts
    layout = report.layout
    title = "Dry run (nothing written)" if report.dry_run else f"Import #{report.import_id}"
    created = " (new)" if report.campaign_created else ""
    print(f"{title}: {report.file_name} into campaign {report.campaign!r}{created}")
    separator = {"\t": "tab"}.get(layout.separator, layout.separator)
    print(f"  read as {layout.encoding}, separator '{separator}'")
    print("  columns: " + ", ".join(f"{h} -> {f}" for h, f in report.mapped_columns.items()))
    if layout.unknown_columns:
        print("  not imported (unknown columns): " + ", ".join(layout.unknown_columns))
    if report.resumed_after_row is not None:
        print(f"  resumed an interrupted import after row {report.resumed_after_row}")
    verb = "would be imported" if report.dry_run else "imported"
    print(f"  rows read:          {counts.rows_processed}")
    print(f"  leads {verb}: {counts.leads_created} ({counts.contacts_reused} known contacts)")
    print(f"  duplicates skipped: {counts.duplicates_skipped}")
    print(f"  rows rejected:      {counts.rows_rejected}")
    if counts.empty_rows:
        print(f"  empty rows ignored: {counts.empty_rows}")
    for shown, issue in enumerate(issues):
        if shown == 20:
            print("  ... and more (all rejected rows are in the rejects file)")
            break
        where = f" {issue.field}:" if issue.field else ""
        print(f"  row {issue.row_number} {issue.kind.value.lower()}:{where} {issue.message}")


def _write_rejects(
    args: argparse.Namespace, report: ImportReport, issues: Sequence[RowIssue]
) -> None:
    from leadflow.services.imports import rejects_language, write_rejected_rows

    target = args.rejects or args.file.with_name(f"{args.file.stem}.rejected.csv")
    layout = report.layout
    language = rejects_language(layout.header, requested=args.rejects_lang)
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        written = write_rejected_rows(handle, layout.header, layout.separator, issues, language)
    print(f"{written} rejected rows written to {target}: fix them and import that file again.")


def _export(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services.exports import SEPARATORS, parse_statuses

    statuses = parse_statuses(args.status, "--status")
    separator = SEPARATORS[args.separator or ("semicolon" if args.lang == "de" else "comma")]

    async def task() -> None:
        from leadflow.services.exports import export_chunks

        export_filter = await _export_filter(args, statuses)
        pages = export_chunks(OPERATOR, export_filter, separator=separator, language=args.lang)
        # The header first: a refusal (of the filter) comes before any file is made.
        header, _ = await anext(pages)
        if args.output is None:
            if isinstance(sys.stdout, io.TextIOWrapper):
                sys.stdout.reconfigure(encoding="utf-8")
            await _write_pages(sys.stdout, header, pages)
        else:
            with args.output.open("w", encoding="utf-8-sig", newline="") as handle:
                count = await _write_pages(handle, header, pages)
            of = f" of {args.campaign.strip()!r}" if args.campaign else ""
            print(f"{count} leads{of} written to {args.output}.", file=sys.stderr)

    _run_with_database(settings, task)


async def _write_pages(target: IO[str], header: str, pages: AsyncIterator[tuple[str, int]]) -> int:
    target.write(header)
    written = 0
    async for chunk, count in pages:
        target.write(chunk)
        written += count
    return written


async def _export_filter(args: argparse.Namespace, statuses: Sequence[LeadStatus]) -> ExportFilter:
    """The options in the lead list's filter; campaign and clerk by name and email."""
    from leadflow.services import exports
    from leadflow.services.campaigns import campaign_named
    from leadflow.services.due import Today, time_zone_named
    from leadflow.services.lead_lists import LeadFilter
    from leadflow.services.users import get_user_by_email

    zone = time_zone_named(args.time_zone)

    campaign_id = None
    if args.campaign is not None:
        campaign = await campaign_named(args.campaign)
        if campaign is None:
            raise CommandError(f"there is no campaign named {args.campaign!r}")
        campaign_id = campaign.id
    assignee = await get_user_by_email(args.assignee) if args.assignee else None
    lead_filter = LeadFilter(
        campaign_id=campaign_id,
        assignee_id=assignee.id if assignee else None,
        search=args.search,
        outcome=exports.parse_outcome(args.outcome, "--outcome") if args.outcome else None,
        close_reason=exports.parse_close_reason(args.reason, "--reason") if args.reason else None,
        created_after=_moment(args.created_after, "--created-after"),
        created_before=_moment(args.created_before, "--created-before"),
        due=exports.parse_due(args.due, "--due") if args.due else None,
    )
    order = exports.parse_order(args.order, "--order") if args.order else None
    return exports.ExportFilter(lead_filter, tuple(statuses), Today.in_zone(zone), order)


def _moment(text: str | None, option: str) -> datetime | None:
    from leadflow.services.exports import parse_moment

    return parse_moment(text, option) if text else None


def _run_with_database(settings: Settings, task: Callable[[], Awaitable[None]]) -> None:
    from leadflow.db.lifecycle import database, migrate
    from leadflow.services import emails
    from leadflow.services.privacy import config as privacy_config
    from leadflow.services.webhooks import config as webhook_config

    # A command's notifications (an import's automatic distribution) queue their e-mails as the
    # app's do; a serving instance sends them. Webhook commands check URLs as the app does;
    # imports and retention hash with the same suppression key.
    emails.configure(settings)
    webhook_config.configure(settings)
    privacy_config.configure(settings)

    async def run() -> None:
        await migrate(settings.database_url)
        async with database(settings.database_url):
            await task()

    asyncio.run(run())


MAX_WORKERS = 64
WORKER_HEALTHCHECK_SECONDS = 30


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from leadflow.app import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    workers = _checked_workers(args.workers, settings)

    async def prepare() -> None:
        if args.demo:
            from leadflow.demo import seed_demo

            await seed_demo(print)

    _run_with_database(settings, prepare)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(f"Leadflow on http://{host}:{port}  (GraphQL playground: /graphql)", flush=True)
    # Migrations and the demo ran once, above. With several workers each process builds its
    # own app from the same environment (uvicorn starts them fresh and imports the factory by
    # name); a supervisor process restarts a worker that dies and stops them all on SIGTERM.
    uvicorn.run(
        create_app(settings) if workers == 1 else "leadflow.app:app_from_environment",
        factory=workers > 1,
        workers=workers,
        # The supervisor restarts a worker that does not answer its ping within this time; a
        # worker starting on a busy machine (imports, building the schema) took more than
        # uvicorn's 5 s.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        host=host,
        port=port,
        log_level="info",
        # The app believes X-Forwarded-* of LEADFLOW_FORWARDED_ALLOW_IPS itself (web/guards.py).
        proxy_headers=False,
    )


def _checked_workers(workers: int, settings: Settings) -> int:
    if not 1 <= workers <= MAX_WORKERS:
        raise CommandError(f"--workers must be between 1 and {MAX_WORKERS}, got {workers}")
    if workers > 1 and not settings.database_url.startswith(("postgres://", "postgresql://")):
        # Several processes on one SQLite file would each run the jobs that must run once
        # (reminders: SQLite has no advisory locks), and live updates would not reach the
        # subscribers of the other processes (no NOTIFY).
        raise CommandError(
            "--workers above 1 needs PostgreSQL (LEADFLOW_DATABASE_URL=postgres://...); "
            "SQLite serves one process"
        )
    return workers


def _migrate(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.db.lifecycle import migrate

    asyncio.run(migrate(settings.database_url))
    print("Database is up to date.")


def _users_add(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services.users import campaigns_fit_role, create_user, parse_role

    role = parse_role(args.role)
    campaign_names = _split_names(args.campaigns)
    # create_user checks this too; asked here first so nobody types a password in vain.
    if not campaigns_fit_role(role, campaign_names):
        raise CommandError("--campaigns is only for partners")
    password = args.password if args.password is not None else _prompt_password()

    async def task() -> None:
        from leadflow.services import accounts

        campaign_ids = await accounts.campaigns_by_name(campaign_names)
        user = await create_user(
            OPERATOR, args.email, args.name, role, password, campaign_ids=campaign_ids
        )
        print(f"Created {user.role.value.lower()} {user.name} <{user.email}>.")
        if campaign_ids:
            linked = await accounts.linked_campaigns(user)
            print("Linked to: " + ", ".join(campaign.name for campaign in linked))

    _run_with_database(settings, task)


def _prompt_password() -> str:
    if not sys.stdin.isatty():
        raise CommandError("no password given: pass --password or run in a terminal")
    try:
        password = getpass.getpass("Password: ")
        repeated = getpass.getpass("Repeat password: ")
    except EOFError:
        raise CommandError("no password given: pass --password or run in a terminal") from None
    if repeated != password:
        raise CommandError("the passwords differ")
    return password


def _users_list(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services.users import list_users

    async def task() -> None:
        for user in await list_users(OPERATOR, ordered_by=("email",)):
            state = "active" if user.active else "deactivated"
            print(f"{user.email}\t{user.name}\t{user.role.value.lower()}\t{state}")

    _run_with_database(settings, task)


def _tokens_create(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services import accounts
    from leadflow.services.users import get_user_by_email

    async def task() -> None:
        user = await get_user_by_email(args.email)
        token, secret = await accounts.create_api_token(
            OPERATOR, user.id, name=args.name, read_only=args.read_only
        )
        kind = "read-only token" if token.read_only else "token"
        print(f"Created {kind} #{token.id} for {user.email}. It is shown only once:")
        print(secret)

    _run_with_database(settings, task)


def _split_names(raw: str | None) -> list[str]:
    return [name.strip() for name in (raw or "").split(",") if name.strip()]


def _users_deactivate(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services import accounts
    from leadflow.services.users import get_user_by_email

    async def task() -> None:
        user = await accounts.deactivate_user(OPERATOR, (await get_user_by_email(args.email)).id)
        print(f"Deactivated {user.email}; their sessions and tokens no longer work.")

    _run_with_database(settings, task)


def _users_set_password(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services import accounts
    from leadflow.services.users import get_user_by_email

    password = args.password if args.password is not None else _prompt_password()

    async def task() -> None:
        user = await get_user_by_email(args.email)
        await accounts.set_password(OPERATOR, user, password)
        print(f"Password of {user.email} set; their browser sessions were ended.")

    _run_with_database(settings, task)


def _users_link(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services import accounts
    from leadflow.services.users import get_user_by_email

    names = _split_names(args.campaigns)

    async def task() -> None:
        partner = await get_user_by_email(args.email)
        linked = await accounts.link_partner_campaigns(
            OPERATOR, partner.id, await accounts.campaigns_by_name(names)
        )
        print(f"{partner.email} may feed: " + ", ".join(c.name for c in linked.campaigns))

    _run_with_database(settings, task)


def _tokens_list(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services import accounts
    from leadflow.services.users import get_user_by_email

    async def task() -> None:
        user = await get_user_by_email(args.email)
        for token in await accounts.tokens_of(OPERATOR, user.id):
            mode = "read-only" if token.read_only else "read-write"
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            print(f"#{token.id}\t{mode}\t{state}\t{token.created_at:%Y-%m-%d %H:%M}\t{token.name}")

    _run_with_database(settings, task)


def _tokens_revoke(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services import accounts

    async def task() -> None:
        token = await accounts.revoke_api_token(OPERATOR, args.id)
        print(f"Revoked token #{token.id} of {token.user.email}.")

    _run_with_database(settings, task)


def _prune(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services import accounts

    async def task() -> None:
        pruned = await accounts.prune_login_records()
        minutes = int(accounts.FAILURE_RETENTION.total_seconds() // 60)
        print(f"login failures deleted (older than {minutes} minutes): {pruned.login_failures}")
        print(f"expired sessions deleted: {pruned.expired_sessions}")

    _run_with_database(settings, task)


def _retention_run(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.db.availability import one_line
    from leadflow.services.privacy import retention

    async def task() -> None:
        report = await retention.run(dry_run=args.dry_run)
        # What was erased is printed first, whatever happened after: the operator must learn
        # of every erasure even when another instance took over mid-run or the database went
        # away (the round then ends without raising, `report.unavailable`).
        for due in report.contacts:
            print(
                f"contact #{due.contact_id}\t{_counted(due.leads, 'lead')}"
                f"\tlast closed {due.latest_close:%Y-%m-%d}"
                f"\t{_counted(due.retention_days, 'day')}\t{', '.join(due.campaigns)}"
            )
        contacts = _counted(len(report.contacts), "contact")
        print(f"{contacts} would be erased" if args.dry_run else f"{contacts} erased")
        for contact_id, error in report.failed.items():
            print(f"contact #{contact_id}: erasure failed, tried again next run ({error})")
        if report.unavailable is not None:
            raise CommandError(
                f"database unavailable ({one_line(report.unavailable)}); the retention stopped "
                "there, run it again once the database is back."
            )
        if report.failed:
            raise CommandError(f"{_counted(len(report.failed), 'contact')} could not be erased.")
        if not report.ran and not report.contacts:
            raise CommandError("Another instance is running the retention; try again later.")
        if not report.ran:
            # Some erased here, the rest by the other instance: no failure of this command.
            print("Another instance took over the retention; it erases the rest.", file=sys.stderr)

    _run_with_database(settings, task)


def _counted(count: int, noun: str) -> str:
    """'1 day', '2 days'."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _suppression_lift(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services.privacy import suppression

    async def task() -> None:
        lifted = await suppression.lift_suppression(OPERATOR, args.email, args.phone, args.reason)
        print(f"Lifted {lifted} suppression entr{'y' if lifted == 1 else 'ies'}.")

    _run_with_database(settings, task)


def _webhooks_list(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services.webhooks import manage

    async def task() -> None:
        webhooks = await manage.webhooks_of(OPERATOR).select_related("owner")
        last = await manage.last_statuses([webhook.id for webhook in webhooks])
        if not webhooks:
            print("No webhooks.")
        for webhook in webhooks:
            state = "active" if webhook.active else f"disabled ({webhook.disabled_reason})"
            status = last[webhook.id].value.lower() if webhook.id in last else "no deliveries"
            events = ",".join(webhook.events)
            print(
                f"#{webhook.id}\t{webhook.url}\t{events}\t{state}\t{status}\t{webhook.owner.email}"
            )

    _run_with_database(settings, task)


def _webhooks_create(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services.campaigns import campaign_named
    from leadflow.services.users import get_user_by_email
    from leadflow.services.webhooks import manage

    async def task() -> None:
        owner = await get_user_by_email(args.owner) if args.owner else await manage.default_owner()
        if owner is None:
            raise CommandError("there is no active admin to own the webhook: name --owner EMAIL")
        campaign_ids = None
        if args.campaigns:
            campaign_ids = []
            for name in args.campaigns:
                campaign = await campaign_named(name)
                if campaign is None:
                    raise CommandError(f"no campaign named {name!r}")
                campaign_ids.append(campaign.id)
        webhook, secret = await manage.create_webhook(
            OPERATOR, args.url, args.events, campaign_ids, args.description, owner=owner
        )
        print(f"Created webhook #{webhook.id} for {owner.email}: {webhook.url}")
        print("Its signing secret is shown only once:")
        print(secret)

    _run_with_database(settings, task)


def _webhooks_delete(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services.webhooks import manage

    async def task() -> None:
        await manage.delete_webhook(OPERATOR, args.id)
        print(f"Deleted webhook #{args.id} and its delivery log.")

    _run_with_database(settings, task)


def _webhooks_deliveries(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services.webhooks import manage

    if not 1 <= args.limit <= 100:
        raise CommandError("--limit must be between 1 and 100")

    async def task() -> None:
        webhook = await manage.find_webhook(OPERATOR, args.id)
        deliveries = (
            await manage.deliveries_of_webhook(webhook.id).order_by("-id").limit(args.limit)
        )
        attempts = await manage.attempts_of([delivery.id for delivery in deliveries])
        if not deliveries:
            print(f"Webhook #{webhook.id} has no deliveries.")
        for delivery in deliveries:
            for line in _delivery_lines(delivery, attempts[delivery.id]):
                print(line)

    _run_with_database(settings, task)


def _delivery_lines(delivery: WebhookDelivery, attempts: Sequence[WebhookAttempt]) -> list[str]:
    """One line per attempt, newest first (time, delivery, event, status, HTTP status, error,
    next try); a delivery not tried yet gets one line saying when it will be."""
    head = f"#{delivery.id}\t{delivery.event_type}\t{delivery.status.value.lower()}"
    if not attempts:
        planned = _time(delivery.next_attempt_at) if delivery.next_attempt_at else "-"
        return [f"{_time(delivery.created_at)}\t{head}\t-\tnot tried yet\tnext {planned}"]
    return [
        f"{_time(attempt.at)}\t{head}\t{attempt.http_status or '-'}\t{attempt.error or 'ok'}"
        f"\tnext {_time(attempt.next_attempt_at) if attempt.next_attempt_at else '-'}"
        for attempt in reversed(attempts)
    ]


def _time(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def _export_schema(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.api.schema import export_sdl

    sys.stdout.write(export_sdl())


if __name__ == "__main__":
    main()

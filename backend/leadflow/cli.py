"""The `leadflow` command: serve, migrate, users, tokens, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence

from tortoise.exceptions import BaseORMException

from leadflow.services.errors import AccessDenied, DomainError
from leadflow.settings import Settings, SettingsError


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

    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.set_defaults(handler=_export_schema)
    return parser


def _run_with_database(settings: Settings, task: Callable[[], Awaitable[None]]) -> None:
    from leadflow.db.lifecycle import database, migrate

    async def run() -> None:
        await migrate(settings.database_url)
        async with database(settings.database_url):
            await task()

    asyncio.run(run())


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from leadflow.app import create_app

    host = args.host or settings.host
    port = args.port or settings.port

    async def prepare() -> None:
        if args.demo:
            from leadflow.demo import seed_demo

            await seed_demo(print)

    _run_with_database(settings, prepare)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(f"Leadflow on http://{host}:{port}  (GraphQL playground: /graphql)", flush=True)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


def _migrate(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.db.lifecycle import migrate

    asyncio.run(migrate(settings.database_url))
    print("Database is up to date.")


def _users_add(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.db.enums import Role
    from leadflow.services.users import create_user, parse_role

    role = parse_role(args.role)
    password = args.password if args.password is not None else _prompt_password()

    campaign_names = _split_names(args.campaigns)
    if campaign_names and role is not Role.PARTNER:
        raise CommandError("--campaigns is only for partners")

    async def task() -> None:
        from leadflow.services import accounts
        from leadflow.services.audit import AuditAction, record

        campaign_ids = await accounts.campaigns_by_name(campaign_names)
        user = await create_user(args.email, args.name, role, password)
        await record(AuditAction.USER_CREATED, detail=f"{user.email} {user.role} (command line)")
        print(f"Created {user.role.value.lower()} {user.name} <{user.email}>.")
        if campaign_ids:
            linked = await accounts.link_partner_campaigns(None, user, campaign_ids)
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
    from leadflow.db.models import User

    async def task() -> None:
        for user in await User.all().order_by("email"):
            state = "active" if user.active else "deactivated"
            print(f"{user.email}\t{user.name}\t{user.role.value.lower()}\t{state}")

    _run_with_database(settings, task)


def _tokens_create(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services import accounts
    from leadflow.services.users import get_user_by_email

    async def task() -> None:
        user = await get_user_by_email(args.email)
        if not user.active:
            raise CommandError(f"{user.email} is deactivated")
        token, secret = await accounts.create_api_token(
            None, user, name=args.name, read_only=args.read_only
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
        user = await accounts.deactivate_user(None, await get_user_by_email(args.email))
        print(f"Deactivated {user.email}; their sessions and tokens no longer work.")

    _run_with_database(settings, task)


def _users_set_password(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services import accounts
    from leadflow.services.users import get_user_by_email

    password = args.password if args.password is not None else _prompt_password()

    async def task() -> None:
        user = await get_user_by_email(args.email)
        await accounts.set_password(None, user, password)
        print(f"Password of {user.email} set; their browser sessions were ended.")

    _run_with_database(settings, task)


def _users_link(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services import accounts
    from leadflow.services.users import get_user_by_email

    names = _split_names(args.campaigns)

    async def task() -> None:
        partner = await get_user_by_email(args.email)
        linked = await accounts.link_partner_campaigns(
            None, partner, await accounts.campaigns_by_name(names)
        )
        print(f"{partner.email} may feed: " + ", ".join(campaign.name for campaign in linked))

    _run_with_database(settings, task)


def _tokens_list(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services import accounts
    from leadflow.services.users import get_user_by_email

    async def task() -> None:
        user = await get_user_by_email(args.email)
        for token in await accounts.tokens_of(None, user):
            mode = "read-only" if token.read_only else "read-write"
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            print(f"#{token.id}\t{mode}\t{state}\t{token.created_at:%Y-%m-%d %H:%M}\t{token.name}")

    _run_with_database(settings, task)


def _tokens_revoke(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.services import accounts

    async def task() -> None:
        token = await accounts.revoke_api_token(None, args.id)
        print(f"Revoked token #{token.id} of {token.user.email}.")

    _run_with_database(settings, task)


def _export_schema(args: argparse.Namespace, settings: Settings) -> None:
    from leadflow.api.schema import export_sdl

    sys.stdout.write(export_sdl())


if __name__ == "__main__":
    main()

"""Configuration from the environment: one immutable object, read once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite://leadflow.db"
DEFAULT_SMTP_FROM = "Leadflow <leadflow@localhost>"
# After the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (then the delivery has failed).
DEFAULT_WEBHOOK_RETRY_SECONDS = (5.0, 300.0, 1_800.0, 7_200.0, 18_000.0, 36_000.0, 36_000.0)
# A suppression key shorter than this is a typo or a placeholder, not a secret.
SUPPRESSION_KEY_MIN_CHARS = 16


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where notification e-mails go (LEADFLOW_SMTP_URL): `smtp://user:pass@host:port` plain,
    `smtp+starttls://` upgraded with STARTTLS, `smtps://` TLS from the first byte."""

    host: str
    port: int
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    password: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # PostgreSQL: the most connections one app process holds (asyncpg's pool `maxsize`; it opens
    # them as needed). Each process also holds one listening connection (live/listener.py), so
    # instances x workers x (pool size + 1) must stay below the server's max_connections.
    db_pool_size: int = 10
    host: str = "127.0.0.1"
    port: int = 8000
    # The playground and introspection stay on for partners by default.
    graphql_ide: bool = True
    # Browser sessions: lifetime, and whether the cookie is Secure (None: when served over
    # HTTPS, as seen by the app or announced by a proxy's X-Forwarded-Proto).
    session_hours: float = 12.0
    cookie_secure: bool | None = None
    # Proxies whose X-Forwarded-For/-Proto are believed (uvicorn's forwarded_allow_ips), none
    # by default: any local process could otherwise claim to be a proxy and escape throttling
    # by address. Behind a reverse proxy, set its address, or login throttling sees one address
    # for everybody.
    forwarded_allow_ips: str = ""
    # Switched off for deployments that should not reveal the schema (the IDE needs it).
    graphql_introspection: bool = True
    # Abuse limits of /graphql (see api/limits.py and README "Limits and hardening").
    max_body_bytes: int = 1_048_576
    request_timeout_seconds: float = 30.0
    graphql_max_document_chars: int = 100_000
    graphql_max_tokens: int = 5_000
    graphql_max_depth: int = 12
    graphql_max_aliases: int = 30
    graphql_max_cost: int = 100_000
    graphql_max_selection_fields: int = 100
    graphql_max_fragments: int = 50
    # Requests that search (see api/limits.py HEAVY_COST) running at once per instance.
    graphql_heavy_concurrency: int = 1
    # Lead files uploaded through the web app (POST /files/imports); larger files go through
    # `leadflow import` on the server.
    max_import_bytes: int = 50_000_000
    # Web imports running at once per instance; the others wait their turn (QUEUED). Imports
    # are CPU-bound in the event loop: each one running slows every other request.
    import_concurrency: int = 1
    # How often each instance looks for web imports abandoned by a dead instance (seconds;
    # 0: never). It also looks once at startup.
    import_watchdog_seconds: float = 60.0
    # How often each instance deletes login failures past the throttling window and expired
    # sessions (seconds; 0: never, e.g. when `leadflow prune` runs from cron). It also prunes
    # once at startup. Every quarter of an hour (the throttling window) the failures table holds
    # at most the last 35 minutes of failures (20 kept, 15 between rounds), for one cheap
    # indexed DELETE per round and instance.
    prune_interval_seconds: float = 900.0
    # Notification e-mails (services/emails.py): none without an SMTP server. The sender job
    # of every instance looks for due e-mails every LEADFLOW_EMAIL_SEND_INTERVAL_SECONDS.
    smtp: SmtpServer | None = None
    smtp_from: str = DEFAULT_SMTP_FROM
    email_send_interval_seconds: float = 5.0
    # The app's address as users open it, for links in e-mails ("": mails carry no link).
    public_url: str = ""
    # Due activities and long-waiting leads (services/reminders.py), one instance at a time
    # (seconds; 0: never).
    reminder_interval_seconds: float = 60.0
    # How long the event outbox keeps events (hours): a live subscriber can resume after an
    # event this old; older ones are pruned with the login records (prune_interval_seconds).
    outbox_keep_hours: int = 72
    # Webhooks (services/webhooks). Requests to private, loopback and link-local addresses are
    # refused unless allowed (tests, closed networks). The delivery log is kept this many days.
    # Each instance sends at most `webhook_concurrency` requests at once, each given at most
    # `webhook_timeout_seconds`; it looks for due deliveries every `webhook_poll_seconds` (0: this
    # instance delivers nothing) and is woken at once by its own writes. A failed delivery is
    # tried again after each of `webhook_retry_seconds` in turn (with jitter), then given up.
    webhook_allow_private: bool = False
    webhook_log_days: int = 30
    webhook_concurrency: int = 10
    webhook_timeout_seconds: float = 15.0
    webhook_poll_seconds: float = 1.0
    webhook_retry_seconds: tuple[float, ...] = DEFAULT_WEBHOOK_RETRY_SECONDS
    # Data protection (services/privacy). The server secret of the suppression list's keyed
    # hashes (HMAC-SHA256 of an erased person's email and phone); "" falls back to a key the
    # first instance generates and stores in the database (fine for one machine; set it in
    # production, so that a copy of the database alone cannot test guessed numbers). Never
    # change it once set: the hashes made with the old key would no longer match.
    suppression_key: str = ""
    # Contacts whose every lead closed unsuccessful longer ago than this many days (a campaign's
    # retentionDays comes first), and who have no opportunity, are erased by the housekeeping
    # (None: only campaigns with their own retentionDays).
    retention_days_unsuccessful: int | None = None
    # Whether managers too may export a person's data (Art. 15); admins always may.
    contact_export_managers: bool = False

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("LEADFLOW_DATABASE_URL", DEFAULT_DATABASE_URL),
            host=env.get("LEADFLOW_HOST", "127.0.0.1"),
            port=_parse_port(env.get("LEADFLOW_PORT", "8000")),
            graphql_ide=_parse_flag("LEADFLOW_GRAPHQL_IDE", env.get("LEADFLOW_GRAPHQL_IDE", "1")),
            session_hours=_parse_hours(env.get("LEADFLOW_SESSION_HOURS", "12")),
            forwarded_allow_ips=env.get("LEADFLOW_FORWARDED_ALLOW_IPS", "").strip(),
            cookie_secure=_parse_optional_flag(
                "LEADFLOW_COOKIE_SECURE", env.get("LEADFLOW_COOKIE_SECURE", "auto")
            ),
            smtp=parse_smtp_url(env.get("LEADFLOW_SMTP_URL", "")),
            smtp_from=env.get("LEADFLOW_SMTP_FROM", "").strip() or DEFAULT_SMTP_FROM,
            public_url=_parse_public_url(env.get("LEADFLOW_PUBLIC_URL", "")),
            **_graphql_limits_from_env(env),
            **_webhook_settings_from_env(env),
            **_privacy_settings_from_env(env),
            **_database_settings_from_env(env),
        )


class SettingsError(ValueError):
    """A configuration value from the environment is unusable."""


def _parse_port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise SettingsError(f"LEADFLOW_PORT must be a number, got {raw!r}") from None
    if not 0 < port < 65536:
        raise SettingsError(f"LEADFLOW_PORT must be between 1 and 65535, got {port}")
    return port


def _parse_public_url(raw: str) -> str:
    """The app's address as users reach it (links in e-mails, the WebSocket Origin check):
    http(s)://host[:port][/path], or empty."""
    url = raw.strip().rstrip("/")
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(
            f"LEADFLOW_PUBLIC_URL must start with http:// or https:// and name a host, got {raw!r}"
        )
    return url


def _parse_hours(raw: str) -> float:
    try:
        hours = float(raw)
    except ValueError:
        raise SettingsError(f"LEADFLOW_SESSION_HOURS must be a number, got {raw!r}") from None
    if not 0 < hours <= 24 * 90:
        raise SettingsError(f"LEADFLOW_SESSION_HOURS must be between 0 and 2160, got {hours}")
    return hours


def _parse_optional_flag(name: str, raw: str) -> bool | None:
    value = raw.strip().lower()
    if value == "auto":
        return None
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be auto, 1 or 0, got {raw!r}")


def _graphql_limits_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The /graphql hardening settings; unset variables keep the defaults of `Settings`.
    The values are keyword arguments of `Settings`, of several types."""
    defaults = Settings()
    integers = {
        "max_body_bytes": ("LEADFLOW_MAX_BODY_BYTES", 1_024, 1_073_741_824),
        "graphql_max_document_chars": ("LEADFLOW_GRAPHQL_MAX_DOCUMENT_CHARS", 100, 10_000_000),
        "graphql_max_tokens": ("LEADFLOW_GRAPHQL_MAX_TOKENS", 100, 1_000_000),
        "graphql_max_depth": ("LEADFLOW_GRAPHQL_MAX_DEPTH", 3, 100),
        "graphql_max_aliases": ("LEADFLOW_GRAPHQL_MAX_ALIASES", 0, 10_000),
        "graphql_max_cost": ("LEADFLOW_GRAPHQL_MAX_COST", 100, 1_000_000_000),
        "graphql_max_selection_fields": ("LEADFLOW_GRAPHQL_MAX_SELECTION_FIELDS", 10, 10_000),
        "graphql_max_fragments": ("LEADFLOW_GRAPHQL_MAX_FRAGMENTS", 0, 10_000),
        "graphql_heavy_concurrency": ("LEADFLOW_GRAPHQL_HEAVY_CONCURRENCY", 1, 1_000),
        # At most 1 GB: a web import's file is kept in the database while it runs (bytea and
        # SQLite blobs stop at about 1 GB).
        "max_import_bytes": ("LEADFLOW_MAX_IMPORT_BYTES", 1_024, 1_000_000_000),
        "import_concurrency": ("LEADFLOW_IMPORT_CONCURRENCY", 1, 32),
        "import_watchdog_seconds": ("LEADFLOW_IMPORT_WATCHDOG_SECONDS", 0, 86_400),
        "prune_interval_seconds": ("LEADFLOW_PRUNE_INTERVAL_SECONDS", 0, 86_400),
        "email_send_interval_seconds": ("LEADFLOW_EMAIL_SEND_INTERVAL_SECONDS", 0, 3_600),
        "reminder_interval_seconds": ("LEADFLOW_REMINDER_INTERVAL_SECONDS", 0, 86_400),
        "outbox_keep_hours": ("LEADFLOW_OUTBOX_KEEP_HOURS", 1, 8_760),
    }
    values: dict[str, Any] = {
        field: _parse_int(name, env[name], minimum, maximum)
        for field, (name, minimum, maximum) in integers.items()
        if name in env
    }
    values["graphql_introspection"] = _parse_flag(
        "LEADFLOW_GRAPHQL_INTROSPECTION", env.get("LEADFLOW_GRAPHQL_INTROSPECTION", "1")
    )
    timeout = env.get("LEADFLOW_REQUEST_TIMEOUT")
    values["request_timeout_seconds"] = (
        defaults.request_timeout_seconds if timeout is None else _parse_timeout(timeout)
    )
    return values


def _database_settings_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """LEADFLOW_DB_POOL_SIZE; unset keeps the default of `Settings`."""
    if "LEADFLOW_DB_POOL_SIZE" not in env:
        return {}
    return {
        "db_pool_size": _parse_int("LEADFLOW_DB_POOL_SIZE", env["LEADFLOW_DB_POOL_SIZE"], 1, 500)
    }


def _privacy_settings_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """LEADFLOW_SUPPRESSION_KEY, LEADFLOW_RETENTION_DAYS_UNSUCCESSFUL,
    LEADFLOW_CONTACT_EXPORT_MANAGERS; unset (or empty) variables keep the defaults."""
    key = env.get("LEADFLOW_SUPPRESSION_KEY", "").strip()
    if key and len(key) < SUPPRESSION_KEY_MIN_CHARS:
        raise SettingsError(
            f"LEADFLOW_SUPPRESSION_KEY must be at least {SUPPRESSION_KEY_MIN_CHARS} characters "
            f"(a random secret, e.g. from `openssl rand -hex 32`), got {len(key)}"
        )
    days = env.get("LEADFLOW_RETENTION_DAYS_UNSUCCESSFUL", "").strip()
    return {
        "suppression_key": key,
        "retention_days_unsuccessful": (
            _parse_int("LEADFLOW_RETENTION_DAYS_UNSUCCESSFUL", days, 1, 36_500) if days else None
        ),
        "contact_export_managers": _parse_flag(
            "LEADFLOW_CONTACT_EXPORT_MANAGERS", env.get("LEADFLOW_CONTACT_EXPORT_MANAGERS", "0")
        ),
    }


def _webhook_settings_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The LEADFLOW_WEBHOOK_* settings; unset variables keep the defaults of `Settings`."""
    values: dict[str, Any] = {}
    if "LEADFLOW_WEBHOOK_ALLOW_PRIVATE" in env:
        values["webhook_allow_private"] = _parse_flag(
            "LEADFLOW_WEBHOOK_ALLOW_PRIVATE", env["LEADFLOW_WEBHOOK_ALLOW_PRIVATE"]
        )
    integers = {
        "webhook_log_days": ("LEADFLOW_WEBHOOK_LOG_DAYS", 1, 3_650),
        "webhook_concurrency": ("LEADFLOW_WEBHOOK_CONCURRENCY", 1, 200),
    }
    for field, (name, minimum, maximum) in integers.items():
        if name in env:
            values[field] = _parse_int(name, env[name], minimum, maximum)
    seconds = {
        "webhook_timeout_seconds": ("LEADFLOW_WEBHOOK_TIMEOUT_SECONDS", 0.1, 60.0),
        "webhook_poll_seconds": ("LEADFLOW_WEBHOOK_POLL_SECONDS", 0.0, 3_600.0),
    }
    for field, (name, low, high) in seconds.items():
        if name in env:
            values[field] = _parse_seconds(name, env[name], low, high)
    if "LEADFLOW_WEBHOOK_RETRY_SECONDS" in env:
        values["webhook_retry_seconds"] = _parse_retry_seconds(
            env["LEADFLOW_WEBHOOK_RETRY_SECONDS"]
        )
    return values


def _parse_seconds(
    name: str, raw: str, low: float, high: float, *, above_low: bool = False
) -> float:
    """A number of seconds in [low, high] (in (low, high] with `above_low`)."""
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not (low < value if above_low else low <= value) or value > high:
        raise SettingsError(f"{name} must be between {low:g} and {high:g} seconds, got {value:g}")
    return value


def _parse_retry_seconds(raw: str) -> tuple[float, ...]:
    """ "5,300,1800": the waits before each retry, at least one, each up to a week."""
    name = "LEADFLOW_WEBHOOK_RETRY_SECONDS"
    parts = [part.strip() for part in raw.split(",")]
    if not parts or any(not part for part in parts):
        raise SettingsError(f"{name} must be a comma-separated list of seconds, got {raw!r}")
    if len(parts) > 20:
        raise SettingsError(f"{name} takes at most 20 retries, got {len(parts)}")
    return tuple(_parse_seconds(name, part, 0.01, 7 * 86_400.0) for part in parts)


def _parse_flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be 1 or 0, got {raw!r}")


def _parse_int(name: str, raw: str, minimum: int, maximum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def _parse_timeout(raw: str) -> float:
    return _parse_seconds("LEADFLOW_REQUEST_TIMEOUT", raw, 0, 3600, above_low=True)


_SMTP_SCHEMES: dict[str, tuple[Literal["none", "starttls", "tls"], int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}


def parse_smtp_url(raw: str) -> SmtpServer | None:
    """LEADFLOW_SMTP_URL: empty for no e-mail, else `smtp[s|+starttls]://[user:pass@]host[:port]`
    (user and password percent-encoded)."""
    name = "LEADFLOW_SMTP_URL"
    text = raw.strip()
    if not text:
        return None
    # Errors show the URL without its user and password (they end up in logs).
    shown = text.rpartition("@")[2] if "@" in text else text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise SettingsError(f"{name} is not a URL with a valid port, got {shown!r}") from None
    scheme = parts.scheme.lower()
    if scheme not in _SMTP_SCHEMES:
        raise SettingsError(
            f"{name} must start with smtp://, smtp+starttls:// or smtps://, got {shown!r}"
        )
    if not parts.hostname:
        raise SettingsError(f"{name} names no host, got {shown!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SettingsError(f"{name} takes no path or parameters, got {shown!r}")
    security, default_port = _SMTP_SCHEMES[scheme]
    if port == 0:
        raise SettingsError(f"{name} must have a port between 1 and 65535, got {shown!r}")
    return SmtpServer(
        host=parts.hostname,
        port=port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )

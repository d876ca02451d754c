"""Configuration from the environment: one immutable object, read once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite://leadflow.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    # The playground and introspection stay on for partners by default.
    graphql_ide: bool = True
    # Browser sessions: lifetime, and whether the cookie is Secure (None: when served over
    # HTTPS, as seen by the app or announced by a proxy's X-Forwarded-Proto).
    session_hours: float = 12.0
    cookie_secure: bool | None = None

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("LEADFLOW_DATABASE_URL", DEFAULT_DATABASE_URL),
            host=env.get("LEADFLOW_HOST", "127.0.0.1"),
            port=_parse_port(env.get("LEADFLOW_PORT", "8000")),
            graphql_ide=env.get("LEADFLOW_GRAPHQL_IDE", "1") not in {"0", "false", "no", "off"},
            session_hours=_parse_hours(env.get("LEADFLOW_SESSION_HOURS", "12")),
            cookie_secure=_parse_optional_flag(
                "LEADFLOW_COOKIE_SECURE", env.get("LEADFLOW_COOKIE_SECURE", "auto")
            ),
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

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

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("LEADFLOW_DATABASE_URL", DEFAULT_DATABASE_URL),
            host=env.get("LEADFLOW_HOST", "127.0.0.1"),
            port=_parse_port(env.get("LEADFLOW_PORT", "8000")),
            graphql_ide=env.get("LEADFLOW_GRAPHQL_IDE", "1") not in {"0", "false", "no", "off"},
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

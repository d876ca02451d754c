"""Tortoise configuration built from the settings; also what `tortoise makemigrations` reads."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

from leadflow.db.deadline import postgres_server_settings
from leadflow.settings import Settings

MODELS_MODULE = "leadflow.db.models"
MIGRATIONS_MODULE = "leadflow.db.migrations"


SQLITE_ENGINE = "leadflow.db.sqlite_engine"


def connection_config(
    database_url: str, request_timeout_seconds: float | None = None
) -> dict[str, Any]:
    """Tortoise connection settings for a URL; SQLite gets IMMEDIATE transactions. The app
    passes its request time limit: on PostgreSQL its statements then also stop a little after
    it on the server (`deadline.postgres_server_settings`); migrations and the command line
    pass none, their batches may take longer."""
    connection = expand_db_url(database_url)
    if connection["engine"] == "tortoise.backends.sqlite":
        connection["engine"] = SQLITE_ENGINE
    if connection["engine"] == "tortoise.backends.asyncpg":
        # PostgreSQL's JIT compiled report queries for 0.9 s to save 0.2 s (bench/reports.py);
        # the app's queries are short, so it is off for our connections.
        settings = connection["credentials"].setdefault("server_settings", {})
        settings.setdefault("jit", "off")
        if request_timeout_seconds is not None:
            settings.update(postgres_server_settings(request_timeout_seconds))
    return connection


def tortoise_config(
    database_url: str, request_timeout_seconds: float | None = None
) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(database_url, request_timeout_seconds)},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# Read by the `tortoise` command line (see [tool.tortoise] in pyproject.toml).
TORTOISE_ORM = tortoise_config(Settings.from_env().database_url)

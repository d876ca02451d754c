"""Tortoise configuration built from the settings; also what `tortoise makemigrations` reads."""

from __future__ import annotations

import os
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

from leadflow.db.deadline import postgres_server_settings
from leadflow.settings import Settings

MODELS_MODULE = "leadflow.db.models"
MIGRATIONS_MODULE = "leadflow.db.migrations"


SQLITE_ENGINE = "leadflow.db.sqlite_engine"
ASYNCPG_ENGINE = "leadflow.db.asyncpg_engine"


def connection_config(
    database_url: str, request_timeout_seconds: float | None = None, pool_size: int | None = None
) -> dict[str, Any]:
    """Tortoise connection settings for a URL; SQLite gets IMMEDIATE transactions, PostgreSQL
    a pool that sends no reset query after every statement (db/asyncpg_engine.py). The app
    passes its request time limit: on PostgreSQL its statements then also stop a little after
    it on the server (`deadline.postgres_server_settings`); migrations and the command line
    pass none, their batches may take longer. The app passes its pool size too
    (LEADFLOW_DB_POOL_SIZE, asyncpg's `max_size`); the command line keeps Tortoise's 5."""
    connection = expand_db_url(database_url)
    if connection["engine"] == "tortoise.backends.sqlite":
        connection["engine"] = SQLITE_ENGINE
    if connection["engine"] == "tortoise.backends.asyncpg":
        connection["engine"] = ASYNCPG_ENGINE
        credentials = connection["credentials"]
        # PostgreSQL's JIT compiled report queries for 0.9 s to save 0.2 s (bench/reports.py);
        # the app's queries are short, so it is off for our connections.
        settings = credentials.setdefault("server_settings", {})
        settings.setdefault("jit", "off")
        if request_timeout_seconds is not None:
            # Sent when a connection opens, so every connection of the pool has it, also one
            # opened again after the database restarted.
            settings.update(postgres_server_settings(request_timeout_seconds))
            # Which process holds a connection, in pg_stat_activity (several instances and
            # workers share the server); the live listener's is leadflow-live-<pid>.
            credentials.setdefault("application_name", f"leadflow-app-{os.getpid()}")
        if pool_size is not None:
            credentials["maxsize"] = pool_size
            credentials["minsize"] = min(int(credentials.get("minsize", 1)), pool_size)
    return connection


def tortoise_config(
    database_url: str, request_timeout_seconds: float | None = None, pool_size: int | None = None
) -> dict[str, Any]:
    return {
        "connections": {
            "default": connection_config(database_url, request_timeout_seconds, pool_size)
        },
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

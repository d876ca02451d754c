"""Tortoise configuration built from the settings; also what `tortoise makemigrations` reads."""

from __future__ import annotations

from typing import Any

from leadflow.settings import Settings

MODELS_MODULE = "leadflow.db.models"
MIGRATIONS_MODULE = "leadflow.db.migrations"


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": database_url},
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

"""The product's texts, one JSON file per language (de.json, en.json), shared with the web app.

The web app imports the same files (frontend/src/i18n.ts), so a word that both the screens and
the CSV export use (a status, an outcome) is written once. Keys are flat ("status.NEW"); a text
that takes a count has a form per grammatical number ({"one": ..., "other": ...}).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TypeAlias

LANGUAGES = ("de", "en")

Message: TypeAlias = str | dict[str, str]


@cache
def messages(language: str) -> dict[str, Message]:
    """Every text of `language` by key; read from the package once."""
    if language not in LANGUAGES:
        raise ValueError(f"no texts for language {language!r}")
    source = resources.files(__package__).joinpath(f"{language}.json")
    texts: dict[str, Message] = json.loads(source.read_text(encoding="utf-8"))
    return texts


def text(language: str, key: str) -> str:
    """The text for `key` in `language` (one without grammatical number)."""
    message = messages(language)[key]
    if not isinstance(message, str):
        raise TypeError(f"{key} takes a count")
    return message

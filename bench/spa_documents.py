"""The web app's own GraphQL documents, for benchmarks that ask what the SPA asks.

graphql-codegen writes every document of frontend/src into frontend/src/gql/gql.ts as a string
literal (the map from document text to its typed node). `document("LeadsPage")` returns that
operation with the fragments it spreads, transitively, so a benchmark sends the SPA's query
as it is today rather than a copy that drifts.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

GQL_TS = Path(__file__).resolve().parent.parent / "frontend" / "src" / "gql" / "gql.ts"

_LITERAL = re.compile(r'^\s*("(?:[^"\\]|\\.)*")\s*:', re.MULTILINE)
_DEFINITION = re.compile(r"^\s*(query|mutation|subscription|fragment)\s+(\w+)")
_SPREAD = re.compile(r"\.\.\.\s*(\w+)")


class DocumentError(Exception):
    """The web app has no such document (renamed? run `make web` codegen)."""


@cache
def _definitions() -> dict[str, str]:
    """Every operation and fragment of the web app by name."""
    found: dict[str, str] = {}
    for literal in _LITERAL.findall(GQL_TS.read_text(encoding="utf-8")):
        text = json.loads(literal)  # the literals are JSON-compatible ("\n", "\"")
        match = _DEFINITION.match(text)
        if match:
            found[match.group(2)] = text.strip()
    return found


def document(operation: str) -> str:
    """The operation named `operation` followed by every fragment it spreads."""
    definitions = _definitions()
    if operation not in definitions:
        raise DocumentError(f"the web app has no GraphQL document named {operation!r}")
    parts, pending, seen = [definitions[operation]], [definitions[operation]], {operation}
    while pending:
        for name in _SPREAD.findall(pending.pop()):
            if name in seen:
                continue
            if name not in definitions:
                raise DocumentError(f"fragment {name!r} (spread in {operation}) not found")
            seen.add(name)
            parts.append(definitions[name])
            pending.append(definitions[name])
    return "\n\n".join(parts)

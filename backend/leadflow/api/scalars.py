"""Scalar overrides: strawberry's own scalars, with every unreadable value a client error."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import dateutil.parser
from strawberry.schema.types.base_scalars import DateTimeDefinition, wrap_parser
from strawberry.types.scalar import ScalarDefinition

# isoparse reads "9999-12-31T24:00:00Z" as the next midnight and raises OverflowError, which
# strawberry does not catch: a variable then got graphql-core's generic message, but a literal
# argument became a server error. Same scalar (name, description, serialisation) otherwise.
DATETIME = dataclasses.replace(
    DateTimeDefinition,
    parse_value=wrap_parser(
        dateutil.parser.isoparse, "DateTime", exceptions=(ValueError, OverflowError)
    ),
)
SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {datetime: DATETIME}

"""The columns a page of leads reads: those its selection needs (issue 16, the leads page).

A page of leads is one query with each lead's contact, campaign and assignee joined
(`api/rows.LEAD_COLUMNS`, 41 columns). The overview asks for about a dozen of them; reading,
converting and building the others (SQLite hands back text, datetimes to parse) cost the
page about as much as its query. `lead_columns` picks the columns the selected fields read,
and each row is completed with None for the others (`unread_columns`), so that
`LeadNode.from_values` builds the nodes as always, their unselected fields empty.

Each node type maps the fields it knows to the columns they read (a resolver's as well, when
it reads only its own node's columns; loaders go by the id, which is always read). A field a
type does not map (one added later, or one that hands the node on, such as `activities`,
whose activities carry their lead) makes that type read all its columns: a field added without
a mapping is read as before, never empty. tests/api/test_lead_columns.py asks every mapped
field through the list and through `lead(id)` (all columns) and compares the answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, Selection

from leadflow.api.rows import CAMPAIGN_COLUMNS, CONTACT_COLUMNS, LEAD_COLUMNS, USER_COLUMNS

# What every lead row holds: the ids (each node's global id, the loaders' keys) and what its
# status is derived from (`status`, `waitingSince` and `assignmentReason` depend on it).
ALWAYS_READ = ("id", "assignee_id", "closed_at", "contact__id", "campaign__id", "assignee__id")


@dataclass(frozen=True, slots=True)
class _NodeColumns:
    """A node type's columns: all of them (prefixed as in LEAD_COLUMNS), and per GraphQL
    field the columns it reads (unprefixed) or the node type it descends into."""

    all: tuple[str, ...]
    prefix: str
    by_field: Mapping[str, tuple[str, ...] | _NodeColumns]


def _named(prefix: str, columns: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"{prefix}{column}" for column in columns)


_NOTHING: tuple[str, ...] = ()

_USER = _NodeColumns(
    all=_named("assignee__", USER_COLUMNS),
    prefix="assignee__",
    # The details (email, role, active) depend on the user's role and state: all columns.
    by_field={"__typename": _NOTHING, "id": _NOTHING, "name": ("name",)},
)

_CAMPAIGN = _NodeColumns(
    all=_named("campaign__", CAMPAIGN_COLUMNS),
    prefix="campaign__",
    by_field={
        "__typename": _NOTHING,
        "id": _NOTHING,
        "name": ("name",),
        "description": ("description",),
        "startsOn": ("starts_on",),
        "endsOn": ("ends_on",),
        "createdAt": ("created_at",),
    },
)

_CONTACT = _NodeColumns(
    all=_named("contact__", CONTACT_COLUMNS),
    prefix="contact__",
    by_field={
        "__typename": _NOTHING,
        "id": _NOTHING,
        "salutation": ("salutation",),
        "firstName": ("first_name",),
        "lastName": ("last_name",),
        "company": ("company",),
        # Partners read it normalised (`contacts.email_as_read_by`).
        "email": ("email", "email_key"),
        "phone": ("phone",),
        "street": ("street",),
        "postalCode": ("postal_code",),
        "city": ("city",),
        "country": ("country",),
        "createdAt": ("created_at",),
        "optedOut": ("opted_out",),
        "optedOutAt": ("opted_out_at",),
        "optedOutNote": ("opted_out_note",),
        "erasedAt": ("erased_at",),
        "viewerMayExport": _NOTHING,
        "history": _NOTHING,
    },
)

_LEAD = _NodeColumns(
    all=LEAD_COLUMNS,
    prefix="",
    by_field={
        "__typename": _NOTHING,
        "id": _NOTHING,
        "status": _NOTHING,
        "contact": _CONTACT,
        "campaign": _CAMPAIGN,
        "assignee": _USER,
        "assignedAt": ("assigned_at",),
        "waitingSince": ("waiting_since",),
        "assignmentReason": ("assignment_reason",),
        "outcome": ("outcome",),
        "closeReason": ("close_reason",),
        "closeNote": ("close_note",),
        "closedAt": _NOTHING,
        "createdAt": ("created_at",),
        "dueState": ("next_due_at",),
        "closedBy": ("closed_by_id",),
        "feedback": _NOTHING,
        "opportunity": _NOTHING,
    },
)


def lead_columns(connection: Iterable[Selection]) -> tuple[str, ...]:
    """The columns (of LEAD_COLUMNS) that the selection of a lead connection reads:
    `connection` is what the connection field selects (edges, node, totalCount, ...).
    Directives count as selected (@include or @skip: the columns of both cases)."""
    nodes = [
        node
        for edges in _fields_named(connection, "edges")
        for node in _fields_named(edges.selections, "node")
    ]
    wanted = set(ALWAYS_READ)
    found = _columns_of([s for node in nodes for s in node.selections], _LEAD)
    wanted.update(LEAD_COLUMNS if found is None else found)
    return tuple(column for column in LEAD_COLUMNS if column in wanted)


def unread_columns(columns: tuple[str, ...]) -> dict[str, None]:
    """None for each column of LEAD_COLUMNS not in `columns`: a row of `columns` completed
    with it (`{**unread, **row}`) is what `LeadNode.from_values` reads."""
    return dict.fromkeys(column for column in LEAD_COLUMNS if column not in columns)


def _fields_named(selections: Iterable[Selection], name: str) -> list[Any]:
    found = []
    for selection in selections:
        if isinstance(selection, FragmentSpread | InlineFragment):
            found.extend(_fields_named(selection.selections, name))
        elif selection.name == name:
            found.append(selection)
    return found


def _columns_of(selections: Iterable[Selection], node: _NodeColumns) -> set[str] | None:
    """The columns `selections` of `node`'s type read, or None: a field it does not map."""
    wanted: set[str] = set()
    for selection in selections:
        if isinstance(selection, FragmentSpread | InlineFragment):
            inner = _columns_of(selection.selections, node)
            if inner is None:
                return None
            wanted |= inner
            continue
        reads = node.by_field.get(selection.name)
        if reads is None:
            return None
        if isinstance(reads, _NodeColumns):
            nested = _columns_of(selection.selections, reads)
            wanted.update(reads.all if nested is None else nested)
        else:
            wanted.update(f"{node.prefix}{column}" for column in reads)
    return wanted

"""Property-based fuzzing of every query and mutation: no generated operation makes a server error.

How it works: schemathesis loads the schema the code exports (`export_sdl()`, the text of
schema.graphql, so it works with introspection switched off) and gives one Hypothesis strategy per
root field (`operation.as_strategy()`, built on hypothesis-graphql): a document calling that field
with generated arguments and a generated selection set. Each test is an async Hypothesis test
(`@given(st.data())`, which pytest-asyncio runs on its session event loop, where Tortoise's
connections live) that posts the document to the real app through httpx's ASGITransport, as a
manager, a clerk (who owns some of the leads) and an admin (the only one who gets past the checks
of the admin mutations). Half of the examples send the root field's arguments as variables
instead of literals: that is another path through the server (`parse_value`), and the only way
to send text the GraphQL lexer refuses in a document, such as a lone surrogate.

Why not schemathesis' own runner: `schema.parametrize()` and `from_asgi` drive the app through a
synchronous test client on a thread with its own event loop, which the asyncpg pool of the session
loop cannot serve; the strategy API keeps everything on one loop and in our fixtures.

Generated values are steered by custom scalar strategies: IDs mix well-formed global IDs of every
node type with small primary keys (which hit the campaign, the leads in each state and the
opportunity prepared below), out-of-range keys and garbage; strings include NUL (which PostgreSQL
cannot store) in every text input, lone surrogates, email addresses and cursors (with sort values
at the ends of the calendar too); amounts include NaN, infinities and huge exponents; dates and
date-times reach the years 1 and 9999, with offsets up to 14 hours that carry them past the
calendar in UTC (0001-01-01T00:00:00+14:00, 9999-12-31T23:59:59-14:00). Enums stay valid (bad
ones, quoted back in variable errors, are covered by test_fuzz_regressions.py).

The property: HTTP status below 500 and no error with `extensions.code` INTERNAL_SERVER_ERROR
(the masked "Unexpected error"). Runs are derandomized, without deadline, with a bounded number
of examples per field (LEADFLOW_FUZZ_EXAMPLES for a deeper local run), so CI sees the same
documents every time. A failure names the field, the role, the document, the variables and the
response, shrunk by Hypothesis to a small example.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import graphql
import httpx
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from leadflow.api.ids import NODE_TYPES, encode_id
from leadflow.api.pagination import encode_cursor
from leadflow.api.schema import export_sdl
from tests.databases import DatabaseState, DatabaseTemplate, build_state
from tests.helpers import Actor, Actors, mutate_ok

# Bounded for `make test`; raise it for a deeper local run (LEADFLOW_FUZZ_EXAMPLES=500).
EXAMPLES_PER_FIELD = int(os.environ.get("LEADFLOW_FUZZ_EXAMPLES", "25"))
SERVER_ERROR_CODE = "INTERNAL_SERVER_ERROR"

# Primary keys the prepared data (and the actors) occupy, so that many generated IDs exist.
KNOWN_PKS = st.integers(min_value=1, max_value=12)
ANY_PKS = st.integers(min_value=-(2**64), max_value=2**64)
GLOBAL_IDS = st.builds(encode_id, st.sampled_from(sorted(NODE_TYPES)), KNOWN_PKS | ANY_PKS)
ID_NODES = st.one_of(
    GLOBAL_IDS.map(nodes.String),
    GLOBAL_IDS.map(nodes.String),
    st.text().map(nodes.String),
    st.integers().map(nodes.Int),
)
# Amounts: plain decimals, every exotic spelling Decimal() accepts (NaN, Infinity, 1E+999),
# and text that is no number at all.
DECIMAL_NODES = st.one_of(
    st.decimals(places=2, min_value=-(10**15), max_value=10**15).map(nodes.String),
    st.decimals().map(nodes.String),
    st.text().map(nodes.String),
)

# Text: anything Unicode has, including NUL and lone surrogates (valid JSON as "\ud800", but
# not encodable as UTF-8), which hypothesis-graphql's own strings leave out; plus addresses and
# well-formed cursors, so that validation lets some values through to the database.
SURROGATES = st.text(st.characters(categories=["Cs"]), min_size=1)
# Offsets as far as ISO 8601 and our users go (Kiribati +14:00, Baker Island -12:00, and -14:00).
OFFSETS = st.builds(timezone, st.timedeltas(timedelta(hours=-14), timedelta(hours=14)))
CALENDAR_ENDS = st.sampled_from([datetime.min, datetime.max])
# Any moment, biased to the first and last of the calendar, with any offset: near the ends an
# offset carries it past them in UTC. Plus the spellings the review found, and T24:00.
MOMENTS = st.builds(
    lambda moment, offset: moment.replace(tzinfo=offset),
    st.one_of(CALENDAR_ENDS, st.datetimes()),
    st.one_of(st.just(UTC), OFFSETS),
)
DATETIME_NODES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",
            "0001-01-01T00:00:00+10:00",
            "9999-12-31T23:59:59-14:00",
            "9999-12-31T23:59:59-10:00",
            "9999-12-31T23:59:59.999999Z",
            "9999-12-31T12:00:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T24:00:00Z",
        ]
    ),
    MOMENTS.map(datetime.isoformat),
    st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)).map(
        datetime.isoformat
    ),
).map(nodes.String)
DATE_NODES = st.one_of(
    st.sampled_from([date.min, date.max]), st.dates(), st.dates(date(2020, 1, 1), date(2030, 1, 1))
).map(lambda day: nodes.String(day.isoformat()))
STRING_NODES = st.one_of(
    st.text(),
    # NUL in every text input: PostgreSQL refuses it in text and JSON, SQLite stores it.
    st.builds("".join, st.tuples(st.text(), st.just("\x00"), st.text())),
    st.builds("".join, st.tuples(st.text(), SURROGATES, st.text())),
    st.emails(),
    st.builds(encode_cursor, KNOWN_PKS | ANY_PKS),
    # Keyset cursors of the aging lists, their sort values at the ends of the calendar too.
    st.builds(encode_cursor, KNOWN_PKS, MOMENTS),
).map(nodes.String)

schemathesis.graphql.scalar("ID", ID_NODES)
schemathesis.graphql.scalar("String", STRING_NODES)
schemathesis.graphql.scalar("Decimal", DECIMAL_NODES)
schemathesis.graphql.scalar("DateTime", DATETIME_NODES)
schemathesis.graphql.scalar("Date", DATE_NODES)

SCHEMA = schemathesis.graphql.from_file(export_sdl())
OPERATIONS = {
    f"{root}.{field}": SCHEMA[root][field]
    for root in ("Query", "Mutation")
    for field in SCHEMA[root]
}
STRATEGIES = {label: operation.as_strategy() for label, operation in OPERATIONS.items()}
ROOT_TYPES = {
    graphql.OperationType.QUERY: SCHEMA.client_schema.query_type,
    graphql.OperationType.MUTATION: SCHEMA.client_schema.mutation_type,
}
ROLES = ["manager", "clerk", "admin"]


# The GraphQL lexer refuses a lone surrogate inside a document, but a variable may carry one: to
# move arguments into variables, surrogates are parked on private-use characters while parsing.
PARKED_SURROGATES = {code: code - 0xD800 + 0xF0000 for code in range(0xD800, 0xE000)}
RESTORED_SURROGATES = {parked: code for code, parked in PARKED_SURROGATES.items()}
SHOW_SURROGATES = {code: f"\\u{code:04x}" for code in range(0xD800, 0xE000)}


def as_variables(document: str) -> tuple[str, dict[str, Any]]:
    """The same operation with the root field's arguments sent as variables: they take another
    path through the server (parse_value instead of parse_literal) and may hold any string."""
    parsed = graphql.parse(document.translate(PARKED_SURROGATES))
    [operation] = parsed.definitions
    assert isinstance(operation, graphql.OperationDefinitionNode)
    root = ROOT_TYPES[operation.operation]
    definitions: list[graphql.VariableDefinitionNode] = []
    variables: dict[str, Any] = {}
    selections = []
    for position, selection in enumerate(operation.selection_set.selections):
        assert isinstance(selection, graphql.FieldNode)
        arguments = []
        for argument in selection.arguments or ():
            name = argument.name.value
            variable = graphql.VariableNode(name=graphql.NameNode(value=f"{name}{position}"))
            argument_type = root.fields[selection.name.value].args[name].type
            definitions.append(
                graphql.VariableDefinitionNode(
                    variable=variable, type=graphql.parse_type(str(argument_type)), directives=()
                )
            )
            arguments.append(graphql.ArgumentNode(name=argument.name, value=variable))
            variables[variable.name.value] = _restored(
                graphql.value_from_ast_untyped(argument.value)
            )
        selections.append(
            graphql.FieldNode(
                alias=selection.alias,
                name=selection.name,
                arguments=tuple(arguments),
                directives=selection.directives,
                selection_set=selection.selection_set,
            )
        )
    rewritten = graphql.OperationDefinitionNode(
        operation=operation.operation,
        variable_definitions=tuple(definitions),
        directives=(),
        selection_set=graphql.SelectionSetNode(selections=tuple(selections)),
    )
    printed = graphql.print_ast(graphql.DocumentNode(definitions=(rewritten,)))
    return printed.translate(RESTORED_SURROGATES), variables


def _restored(value: Any) -> Any:
    if isinstance(value, str):
        return value.translate(RESTORED_SURROGATES)
    if isinstance(value, list):
        return [_restored(item) for item in value]
    if isinstance(value, dict):
        return {key: _restored(item) for key, item in value.items()}
    return value


def actor_for(actors: Actors, role: str) -> Actor:
    return {"manager": actors.manager, "clerk": actors.clerk_a, "admin": actors.admin}[role]


def server_errors(response: httpx.Response) -> list[str]:
    """What in a response betrays a server error; empty when there is none."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}"]
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [
        f"{error.get('message')} (extensions {error.get('extensions')})"
        for error in errors or []
        if (error.get("extensions") or {}).get("code") == SERVER_ERROR_CODE
        or str(error.get("message", "")).startswith("Unexpected error")
    ]


def assert_no_server_error(
    label: str, role: str, document: str, variables: dict[str, Any], response: httpx.Response
) -> None:
    found = server_errors(response)
    assert not found, (
        f"{label} as {role} made a server error: {found}\n"
        f"--- operation ---\n{document.translate(SHOW_SURROGATES)}\n"
        f"--- variables ---\n{json.dumps(variables, indent=2)}\n"
        f"--- response (HTTP {response.status_code}) ---\n{_shorten(response.text)}"
    )


def _shorten(text: str, limit: int = 4000) -> str:
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), indent=2)
    return text if len(text) <= limit else text[:limit] + "\n..."


async def prepare_data(client: httpx.AsyncClient, actors: Actors) -> None:
    """A campaign with leads in every state, an opportunity, a partner link: real objects for the
    generated IDs to hit."""
    manager, clerk_a = actors.manager, actors.clerk_a
    campaign = await mutate_ok(
        client, manager, "createCampaign", {"name": "Fuzz fair 2025"}, "campaign { id }"
    )
    campaign_id = campaign["campaign"]["id"]
    rows = [{"lastName": f"Person {number}", "phone": f"0301234{number}"} for number in range(6)]
    created = await mutate_ok(
        client,
        manager,
        "createLeads",
        {"campaignId": campaign_id, "leads": rows},
        "leads { id }",
    )
    lead_ids = [lead["id"] for lead in created["leads"]]
    await mutate_ok(
        client,
        manager,
        "assignLeads",
        {"leadIds": lead_ids[:3], "assigneeId": clerk_a.gid},
        "leads { id }",
    )
    await mutate_ok(
        client,
        manager,
        "assignLeads",
        {"leadIds": lead_ids[3:4], "assigneeId": actors.clerk_b.gid},
        "leads { id }",
    )
    await mutate_ok(
        client,
        clerk_a,
        "recordFeedback",
        {"leadId": lead_ids[0], "channel": "PHONE", "note": "Call back on Monday."},
        "feedback { id }",
    )
    await mutate_ok(
        client,
        clerk_a,
        "closeLead",
        {"leadId": lead_ids[0], "outcome": "SUCCESSFUL", "opportunity": {"expectedValue": "1200"}},
        "opportunity { id }",
    )
    await mutate_ok(
        client,
        clerk_a,
        "closeLead",
        {"leadId": lead_ids[1], "outcome": "UNSUCCESSFUL", "reason": "NOT_INTERESTED"},
        "lead { id }",
    )
    await mutate_ok(
        client,
        actors.admin,
        "linkPartnerCampaigns",
        {"userId": actors.partner.gid, "campaignIds": [campaign_id]},
        "user { id }",
    )


@pytest_asyncio.fixture(scope="module")
async def prepared(database_template: DatabaseTemplate, tmp_path_factory) -> DatabaseState:
    """The prepared data, made once per module and backend: every test starts from a copy."""
    directory = tmp_path_factory.mktemp("fuzz-world")
    state, _ = await build_state(database_template, directory, prepare_data)
    return state


@pytest.fixture
def database_state(prepared: DatabaseState) -> DatabaseState:
    return prepared


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", list(OPERATIONS))
@settings(
    max_examples=EXAMPLES_PER_FIELD,
    derandomize=True,
    database=None,
    deadline=None,
    # One app and one copy of the prepared data serve all examples of a test, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_generated_operations_make_no_server_error(
    client: httpx.AsyncClient, actors: Actors, label: str, role: str, data
) -> None:
    case = data.draw(STRATEGIES[label], label="operation")
    document, variables = case.body, {}
    if data.draw(st.booleans(), label="arguments as variables"):
        document, variables = as_variables(document)
    actor = actor_for(actors, role)
    # Serialised here, not by httpx: its UTF-8 JSON cannot carry a lone surrogate, "\ud800" can.
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": document, "variables": variables}),
        headers={"Authorization": f"Bearer {actor.token}", "Content-Type": "application/json"},
    )
    assert_no_server_error(label, role, document, variables, response)

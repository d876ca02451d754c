"""The limits' walker (api/limits._Walker) follows fragment spreads by recursion. The parser
bounds the nesting within one definition (200 levels), not through fragments: a chain of
fragments each nested just under it made the walker recurse past Python's limit and the
request answer 200 with "maximum recursion depth exceeded" (reviewer C). Past graphql-core's
MAX_NESTING_DEPTH through fragments (validate()'s own bound) the document is refused with
QUERY_TOO_DEEP, before validation or execution."""

from __future__ import annotations

import httpx
import pytest
from graphql.language.parser import MAX_NESTING_DEPTH

from leadflow.api.limits import ANONYMOUS_MAX_CHARS
from tests.api.test_limits import ask, refusal_codes
from tests.helpers import Actors


def fragment(name: str, levels: int, inner: str) -> str:
    # No spaces: the anonymous case must stay under ANONYMOUS_MAX_CHARS to reach the walker.
    return f"fragment {name} on __Type{{" + "ofType{" * levels + inner + "}" * levels + "}"


def chain(fragments: int, levels: int) -> str:
    """`__type` spreading F0, which spreads F1 under `levels` levels, and so on."""
    parts = [
        fragment(f"F{n}", levels, f"...F{n + 1}" if n + 1 < fragments else "name")
        for n in range(fragments)
    ]
    return '{ __type(name: "Lead") { ...F0 } }' + "".join(parts)


@pytest.mark.parametrize(
    ("fragments", "levels", "signed_in"), [(8, 190, True), (3, 160, False), (2, 110, True)]
)
async def test_fragments_nested_past_the_bound_are_refused(
    client: httpx.AsyncClient, actors: Actors, fragments: int, levels: int, signed_in: bool
) -> None:
    assert fragments * levels > MAX_NESTING_DEPTH
    query = chain(fragments, levels)
    assert signed_in or len(query) <= ANONYMOUS_MAX_CHARS
    headers = {"Authorization": f"Bearer {actors.manager.token}"} if signed_in else {}
    response = await ask(client, query, headers=headers)
    assert refusal_codes(response) == ["QUERY_TOO_DEEP"]
    assert "recursion" not in response.text


async def test_a_fragment_walked_once_counts_where_it_is_spread_deep(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    """The walker measures each fragment once; spread again under 110 levels, its own 110
    levels still count."""
    query = (
        '{ a: __type(name: "Lead") { ...Deep } b: __type(name: "Lead") { ...Outer } }'
        + fragment("Deep", 110, "name")
        + fragment("Outer", 110, "...Deep")
    )
    headers = {"Authorization": f"Bearer {actors.manager.token}"}
    assert refusal_codes(await ask(client, query, headers=headers)) == ["QUERY_TOO_DEEP"]


async def test_fragments_nested_within_the_bound_still_run(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    headers = {"Authorization": f"Bearer {actors.manager.token}"}
    response = await ask(client, chain(3, 60), headers=headers)
    assert response.status_code == 200, response.text[:500]
    assert response.json()["data"]["__type"] is not None

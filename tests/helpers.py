"""Test helpers, one home for what many test files use: users with tokens, a GraphQL caller,
mutations (`mutate`, `mutate_ok`), campaigns and leads made over the API (`new_campaign`,
`new_leads`), what a manager can see (`snapshot`), a SQL query counter and a free port."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from leadflow.api.ids import encode_id
from leadflow.auth.tokens import issue_token
from leadflow.db.enums import Role
from leadflow.db.models import (
    Campaign,
    Contact,
    Feedback,
    Lead,
    LeadEvent,
    Opportunity,
    OpportunityEvent,
    User,
)
from leadflow.live.hub import HUB_TASK_NAME
from leadflow.services.webhooks.delivery import SEND_TASK_NAME, WORKER_TASK_NAME


@dataclass
class Actor:
    user: User
    token: str

    @property
    def gid(self) -> str:
        return encode_id("User", self.user.id)


@dataclass
class Actors:
    admin: Actor
    manager: Actor
    manager2: Actor
    clerk_a: Actor
    clerk_b: Actor
    partner: Actor
    inactive_clerk: Actor
    read_only_manager: Actor


async def make_actor(email: str, name: str, role: Role, *, read_only: bool = False) -> Actor:
    # A fixture, not a use case: a plain row, so the tests' audit log holds only what they do.
    user = await User.create(email=email, name=name, role=role)
    _, secret = await issue_token(user, read_only=read_only)
    return Actor(user=user, token=secret)


async def make_actors() -> Actors:
    manager = await make_actor("manager@test.example", "Mona Manager", Role.MANAGER)
    inactive = await make_actor("gone@test.example", "Gerd Gone", Role.CLERK)
    inactive.user.active = False
    await inactive.user.save()
    _, read_only_secret = await issue_token(manager.user, read_only=True)
    return Actors(
        admin=await make_actor("admin@test.example", "Ada Admin", Role.ADMIN),
        manager=manager,
        manager2=await make_actor("manager2@test.example", "Max Manager", Role.MANAGER),
        clerk_a=await make_actor("clerk.a@test.example", "Clara Clerk", Role.CLERK),
        clerk_b=await make_actor("clerk.b@test.example", "Bruno Clerk", Role.CLERK),
        partner=await make_actor("partner@test.example", "Paul Partner", Role.PARTNER),
        inactive_clerk=inactive,
        read_only_manager=Actor(user=manager.user, token=read_only_secret),
    )


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """POST a GraphQL request; returns the whole response body (data and errors)."""
    headers = {"Authorization": f"Bearer {actor.token}"} if actor else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code in (200, 400), response.text
    return response.json()


def data_of(body: dict[str, Any]) -> dict[str, Any]:
    """The data of a response that must not carry top-level errors."""
    assert not body.get("errors"), body.get("errors")
    return body["data"]


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors") or []]


USER_ERRORS = "userErrors { code field message }"

# Fragment definitions by name (see `fragment`).
FRAGMENTS: dict[str, str] = {}


def fragment(definition: str) -> str:
    """Make a fragment definition known: a mutation whose selection spreads it (`...Name`) gets
    it appended. Returns the definition."""
    name = definition.split("fragment", 1)[1].split()[0]
    assert FRAGMENTS.setdefault(name, definition) == definition, f"two fragments {name}"
    return definition


def mutation_text(name: str, selection: str = "") -> str:
    """`mutation($input: NameInput!) { name(input: $input) { SELECTION userErrors } }`, with the
    known fragments the selection spreads."""
    input_type = f"{name[0].upper()}{name[1:]}Input"
    text = (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) "
        f"{{ {selection} {USER_ERRORS} }} }}"
    )
    spread = [
        definition
        for fragment_name, definition in FRAGMENTS.items()
        if re.search(rf"\.\.\.\s*{fragment_name}\b", selection)
    ]
    return "\n".join([text, *spread])


async def mutate(
    client: httpx.AsyncClient,
    actor: Actor | None,
    name: str,
    input: dict[str, Any],
    selection: str = "",
) -> dict[str, Any]:
    """Run one mutation; returns its payload (user errors included)."""
    document = mutation_text(name, selection)
    return data_of(await gql(client, document, {"input": input}, actor=actor))[name]


async def mutate_ok(
    client: httpx.AsyncClient,
    actor: Actor | None,
    name: str,
    input: dict[str, Any],
    selection: str = "",
) -> dict[str, Any]:
    """Run one mutation that must succeed (no user errors); returns its payload."""
    payload = await mutate(client, actor, name, input, selection)
    assert payload["userErrors"] == [], payload
    return payload


async def new_campaign(client: httpx.AsyncClient, actor: Actor, name: str, **extra: Any) -> str:
    """A campaign made over the API; returns its global ID."""
    payload = await mutate_ok(
        client, actor, "createCampaign", {"name": name, **extra}, "campaign { id }"
    )
    return payload["campaign"]["id"]


def lead_row(last_name: str) -> dict[str, str]:
    """A lead's contact made from a last name (email and company derived from it)."""
    return {
        "lastName": last_name,
        "email": f"{last_name.lower()}@example.com",
        "company": f"{last_name} AG",
    }


async def new_leads(
    client: httpx.AsyncClient,
    actor: Actor,
    campaign_id: str,
    rows: Sequence[dict[str, Any] | str],
    selection: str = "leads { id contact { id } }",
) -> list[dict[str, Any]]:
    """Leads made over the API (createLeads); a row given as a string is `lead_row(it)`.
    Returns the payload's leads."""
    leads = [lead_row(row) if isinstance(row, str) else row for row in rows]
    payload = await mutate_ok(
        client, actor, "createLeads", {"campaignId": campaign_id, "leads": leads}, selection
    )
    return payload["leads"]


# Everything a manager can see of the leads' world, for `snapshot`.
STATE_QUERY = """
{
  campaigns(first: 100) {
    totalCount
    edges { node { id name description startsOn endsOn } }
  }
  leads(first: 100) {
    totalCount
    edges { node {
      id status outcome closeReason closeNote assignedAt closedAt
      assignee { id } closedBy { id }
      contact { id salutation firstName lastName company email phone postalCode }
      feedback { channel note }
      history { kind actor { id } assignee { id } }
      opportunity { id }
    } }
  }
  opportunities(first: 100) {
    totalCount
    edges { node { id title stage expectedValue owner { id } history { kind owner { id } } } }
  }
}
"""
STATE_TABLES = (Campaign, Contact, Lead, LeadEvent, Feedback, Opportunity, OpportunityEvent)


async def snapshot(client: httpx.AsyncClient, manager: Actor) -> dict[str, Any]:
    """Everything a manager can see, plus the row count of every table: equal before and after
    a refused call when it changed nothing."""
    state = data_of(await gql(client, STATE_QUERY, actor=manager))
    state["rows"] = {model.__name__: await model.all().count() for model in STATE_TABLES}
    return state


class QueryCounter(logging.Handler):
    """Counts the SQL statements Tortoise sends (it logs each one at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []
        self._logger = logging.getLogger("tortoise.db_client")
        self._previous_level = self._logger.level

    def emit(self, record: logging.LogRecord) -> None:
        if _in_background_task():
            return
        message = record.getMessage()
        if message.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            self.statements.append(message)

    def __enter__(self) -> QueryCounter:
        self._logger.addHandler(self)
        self._logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._previous_level)

    @property
    def count(self) -> int:
        return len(self.statements)


# Tasks that run beside the requests: the live hub reads the outbox whenever it is woken or
# polls, the webhook worker fans events out, claims and records deliveries.
_BACKGROUND_TASK_NAMES = frozenset({HUB_TASK_NAME, WORKER_TASK_NAME, SEND_TASK_NAME})


def _in_background_task() -> bool:
    """Whether the statement comes from a background task of the app (the live hub, the webhook
    worker): not a statement of the request being counted."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no event loop in this thread
        return False
    return task is not None and task.get_name() in _BACKGROUND_TASK_NAMES


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for a live server; xdist workers each ask)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pk(global_id: str) -> int:
    """The database id inside a global ID."""
    return int(base64.b64decode(global_id).decode().partition(":")[2])


async def walk_pages(
    fetch: Callable[..., Awaitable[dict[str, Any]]],
    order: str | None,
    size: int,
    **variables: Any,
) -> list[int]:
    """Every page of a connection (`fetch(**variables)` returns one), `size` at a time, in the
    order `order`; the pages' paging state checked. The ids in the order read."""
    ids: list[int] = []
    after = None
    while True:
        found = await fetch(orderBy=order, first=size, after=after, **variables)
        ids += [pk(edge["node"]["id"]) for edge in found["edges"]]
        assert found["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not found["pageInfo"]["hasNextPage"]:
            assert len(found["edges"]) <= size
            return ids
        assert len(found["edges"]) == size
        after = found["pageInfo"]["endCursor"]
        assert after == found["edges"][-1]["cursor"]

"""The lean execution context (api/execution.py) answers exactly as graphql-core's own: the same
data and the same errors (message, path, locations), for plain attributes and everything else.

Each document runs twice, once with strawberry's stock execution context and once with ours,
on a small schema made for the edge cases (nulls in non-null fields, values a scalar cannot
serialise, objects of the wrong type, missing attributes, resolvers, async fields, a type with
its own is_type_of, resolver-less fields with permission classes or a field extension) and on
the real schema over the page of leads and the opportunity list."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from leadflow.api import execution
from leadflow.api.context import Context
from leadflow.api.execution import READS_CONTEXT, LeanExecutionContext
from leadflow.api.schema import build_schema
from leadflow.auth.tokens import Authenticated
from leadflow.settings import Settings
from tests.api.test_query_count import (  # noqa: F401 (a fixture)
    LEADS_PAGE,
    OPPORTUNITIES_PAGE,
    busy_database,
)
from tests.helpers import Actor


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Leaf(Named):
    size: int
    colour: Colour | None
    at: datetime | None
    must: str


@strawberry.type
class Picky:
    value: str

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        # A type's own check may read the resolve info: it must be given one.
        assert info is not None and info.field_name
        return isinstance(obj, Picky)


class Never(BasePermission):
    message = "Not for you."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


class Mask(FieldExtension):
    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        return "***"


def _greeting_in(branch: Branch, context: Any) -> str | None:
    """A context rule (READS_CONTEXT): fails without a context, null for a quiet one."""
    greeting = context["greeting"]
    return f"{greeting}, {branch.name}" if greeting else None


def _greeting(root: Branch, info: strawberry.Info) -> str | None:
    return _greeting_in(root, info.context)


@strawberry.type
class Twig:
    size: int

    @strawberry.field
    async def later_size(self) -> int:
        await asyncio.sleep(0)
        if self.size < 0:
            raise ValueError("negative twig")
        return self.size

    @strawberry.field
    async def maybe_later(self) -> int | None:
        await asyncio.sleep(0)
        if self.size < 0:
            raise ValueError("negative twig, nullable")
        return self.size


@strawberry.type
class Branch:
    name: str
    leaf: Leaf
    maybe_leaf: Leaf | None
    leaves: list[Leaf]
    # Lists of objects take the short path too: nullable items, a nullable list, async items.
    maybe_leaves: list[Leaf | None] | None
    twigs: list[Twig]
    picky: Picky | None
    # No resolver, yet not plain attributes: strawberry marks their resolvers `_is_default`
    # all the same (reviewer C), and the short path must not skip the permission or extension.
    hidden: str | None = strawberry.field(permission_classes=[Never], default=None)
    guarded: Leaf | None = strawberry.field(permission_classes=[Never], default=None)
    masked: str = strawberry.field(extensions=[Mask()], default="")
    # A leaf whose resolver applies a context rule: the short path applies the rule itself.
    greeting: str | None = strawberry.field(
        resolver=_greeting, metadata={READS_CONTEXT: _greeting_in}
    )
    must_greet: str = strawberry.field(resolver=_greeting, metadata={READS_CONTEXT: _greeting_in})
    greeting_masked: str | None = strawberry.field(
        resolver=_greeting, metadata={READS_CONTEXT: _greeting_in}, extensions=[Mask()]
    )

    @strawberry.field
    def computed(self) -> str:
        return self.name.upper()

    @strawberry.field
    async def later(self) -> Leaf:
        await asyncio.sleep(0)
        return self.leaf

    @strawberry.field
    def broken(self) -> str:
        raise ValueError("resolver failed")

    @strawberry.field
    async def fails_later(self) -> str | None:
        await asyncio.sleep(0)
        raise ValueError("failed a loop round later")


@dataclass
class Impostor:
    """Not a Leaf: an object of the wrong type where a Leaf belongs."""

    name: str = "impostor"
    size: int = 0


def leaf(**overrides: Any) -> Leaf:
    values: dict[str, Any] = {
        "name": "leaf",
        "size": 3,
        "colour": Colour.RED,
        "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "must": "here",
    }
    values.update(overrides)
    return Leaf(**values)


def branch(**overrides: Any) -> Branch:
    values: dict[str, Any] = {
        "name": "branch",
        "leaf": leaf(),
        "maybe_leaf": None,
        "leaves": [leaf(), leaf(size=4)],
        "maybe_leaves": [leaf(), None, leaf(size=5)],
        "twigs": [Twig(size=1), Twig(size=2)],
        "picky": Picky(value="ok"),
        "hidden": "salary",
        "guarded": leaf(name="secret"),
        "masked": "erased@example.com",
    }
    values.update(overrides)
    return Branch(**values)


BRANCHES: dict[str, Branch] = {
    "good": branch(),
    "null_in_non_null_leaf": branch(leaf=leaf(must=None)),
    "null_in_non_null_object": branch(leaf=None),
    "unserialisable": branch(leaf=leaf(size="three")),
    "bad_enum": branch(maybe_leaf=leaf(colour="green")),
    "wrong_type": branch(maybe_leaf=Impostor()),
    "wrong_type_non_null": branch(leaf=Impostor()),
    "null_in_list": branch(leaves=[leaf(), leaf(must=None)]),
    "null_item_in_list": branch(leaves=[leaf(), None]),
    "wrong_type_in_list": branch(leaves=[leaf(), Impostor()]),
    "tuple_for_list": branch(leaves=(leaf(), leaf(size="three"))),
    "null_list": branch(leaves=None),
    "errors_in_nullable_items": branch(
        maybe_leaves=[leaf(must=None), None, leaf(size="three"), Impostor(), leaf()]
    ),
    "null_nullable_list": branch(maybe_leaves=None),
    "failing_async_item": branch(twigs=[Twig(size=1), Twig(size=-1), Twig(size=3)]),
    "one_failing_twig": branch(twigs=[Twig(size=-1)]),
}


# The branches that are no edge case: everything in them is allowed.
WITHOUT_ERRORS = {"good", "null_nullable_list"}


@strawberry.type
class Query:
    @strawberry.field
    def branch(self, name: str) -> Branch | None:
        if name == "missing_attribute":
            found = branch()
            del found.picky
            return found
        return BRANCHES[name]


TOY = strawberry.Schema(query=Query)
FIELDS = """
  name computed
  leaf { name size colour at must }
  alias: leaf { n: name ... on Named { name } }
  maybeLeaf { name colour size }
  leaves { name must size }
  maybeLeaves { name must size }
  twigs { size laterSize maybeLater }
  picky { value }
  later { name must }
"""
DOCUMENTS = [
    f'{{ branch(name: "{name}") {{ {FIELDS} }} }}' for name in [*BRANCHES, "missing_attribute"]
] + [
    '{ branch(name: "good") { broken name } }',
    '{ branch(name: "good") { name hidden guarded { name } masked leaf { size } } }',
    '{ a: branch(name: "good") { leaf { size } } b: branch(name: "unserialisable") { name } }',
    'query($skip: Boolean = true) { branch(name: "good") { name @skip(if: $skip) leaf { size } } }',
    '{ branch(name: "failing_async_item") { name twigs { size maybeLater } } }',
    # One awaited item beside an async sibling: the errors in graphql-core's order (reviewer).
    '{ branch(name: "one_failing_twig") { twigs { maybeLater } failsLater } }',
    '{ branch(name: "good") { twigs { size } empty: leaves { ... on Leaf { size } } } }',
    '{ branch(name: "good") { ... @defer { leaves { name } } name } }',
]


async def both(
    schema: strawberry.Schema,
    document: str,
    context: Callable[[], Any] = lambda: None,
    **options: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    results = []
    for context_class in (StrawberryGraphQLCoreExecutionContext, LeanExecutionContext):
        schema.execution_context_class = context_class
        result = await schema.execute(document, context_value=context(), **options)
        errors = [error.formatted for error in result.errors or []]
        results.append({"data": result.data, "errors": errors})
    return results[0], results[1]


@pytest.mark.parametrize("document", DOCUMENTS)
async def test_the_lean_context_answers_as_graphql_core(document: str) -> None:
    stock, lean = await both(TOY, document)
    assert lean == stock


GREETINGS = '{ branch(name: "good") { name greeting mustGreet greetingMasked leaf { size } } }'


@pytest.mark.parametrize(
    "context",
    [{"greeting": "Hello"}, {"greeting": ""}, {}, None],
    ids=["greeting", "quiet", "no-greeting", "no-context"],
)
async def test_context_rules_answer_as_their_resolvers(context: dict[str, str] | None) -> None:
    """A context rule's value, and its failures (an exception, null in a non-null field), are
    what the resolver gives through graphql-core."""
    stock, lean = await both(TOY, GREETINGS, lambda: context)
    assert lean == stock
    assert (context == {"greeting": "Hello"}) == (not stock["errors"])


async def test_the_edge_cases_do_raise_errors() -> None:
    """The comparison above proves something: the stock context reports errors on them."""
    for name in [*BRANCHES, "missing_attribute"]:
        stock, _ = await both(TOY, f'{{ branch(name: "{name}") {{ {FIELDS} }} }}')
        assert (name in WITHOUT_ERRORS) == (not stock["errors"]), name


async def test_plain_attributes_take_the_short_path() -> None:
    """Fields without a resolver are completed without graphql-core's execute_field: a page of
    leads must not pay for a resolve info per field."""
    calls: list[str] = []
    original = StrawberryGraphQLCoreExecutionContext.execute_field

    def counted(self: Any, parent_type: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(parent_type.name)
        return original(self, parent_type, *args, **kwargs)

    TOY.execution_context_class = LeanExecutionContext
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counted)
        result = await TOY.execute(
            '{ branch(name: "good") { name greeting mustGreet leaf { name size colour } } }',
            context_value={"greeting": "Hi"},
        )
    assert not result.errors
    assert result.data == {
        "branch": {
            "name": "branch",
            "greeting": "Hi, branch",
            "mustGreet": "Hi, branch",
            "leaf": {"name": "leaf", "size": 3, "colour": "RED"},
        }
    }
    # The root field has a resolver; the rest are attributes, or context rules.
    assert calls == ["Query"]
    # Lists of objects too (a page's edges): only the twigs' resolvers take the long path.
    calls.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counted)
        result = await TOY.execute(
            '{ branch(name: "good") { leaves { size } maybeLeaves { size } twigs { laterSize } } }'
        )
    assert not result.errors
    assert result.data == {
        "branch": {
            "leaves": [{"size": 3}, {"size": 4}],
            "maybeLeaves": [{"size": 3}, None, {"size": 5}],
            "twigs": [{"laterSize": 1}, {"laterSize": 2}],
        }
    }
    assert calls == ["Query", "Twig", "Twig"]
    branch_fields = TOY._schema.type_map["Branch"].fields
    for name in ["computed", "hidden", "guarded", "masked", "greetingMasked"]:
        assert execution._plan_of(branch_fields[name]) is None, name
    # Every contact of a page of leads has its email read by the viewer's rule.
    contact_fields = build_schema(Settings())._schema.type_map["Contact"].fields
    assert execution._plan_of(contact_fields["email"]) is not None


@pytest.mark.usefixtures("busy_database")
@pytest.mark.parametrize(
    ("document", "name"), [(LEADS_PAGE, "leads"), (OPPORTUNITIES_PAGE, "opportunities")]
)
@pytest.mark.parametrize("role", ["manager", "clerk_a", "partner"])
async def test_real_pages_are_the_same(app, actors, document: str, name: str, role: str) -> None:
    actor: Actor = getattr(actors, role)
    schema = build_schema(Settings())

    def context() -> Context:
        return Context(auth=Authenticated(user=actor.user, read_only=False))

    stock, lean = await both(schema, document, context, variable_values={"first": 30})
    assert lean == stock
    if role != "partner":
        assert not stock["errors"] and len(stock["data"][name]["edges"]) == 30

"""Abuse limits on GraphQL documents, all checked before anything executes.

A document is refused when it is too large (characters, tokens), nests too deeply, uses too many
aliases or would cost too much. The cost estimates the fields a query resolves: each field costs
1, and a list multiplies what is below it by its size, the page size (`first`, default 50, at
most 100) for connections and UNPAGED_LIST_SIZE for other lists. So `first: 100` nested three
levels deep is refused while the SPA's real pages pass.

Why not strawberry's `QueryDepthLimiter` and `MaxAliasesLimiter`: their errors carry no
`extensions.code`, and they walk a fragment again at every spread, so 2 kB of fragments that
each spread the next one twice keep the event loop busy for weeks. Here each fragment is
measured once. Introspection is measured too: thirty aliased copies of the deepest introspection
graphql-core allows take seconds to answer.

Validation itself must stay cheap, because it runs for anybody who can reach the server:
graphql-core's OverlappingFieldsCanBeMergedRule compares the fields of a selection pairwise, so
300 fragments spread into one selection took 0.5-2 s. Hence, checked by our walker before
graphql-core's rules run: at most `max_selection_fields` fields in one selection (fragments
expanded) and `max_fragments` fragment definitions. Requests without a login may only ask
introspection (what GraphiQL needs before a token is pasted), in a short document, and are
refused before validation otherwise. Long documents are parsed and validated in a worker thread,
so that even the work we allow never holds the event loop. Searches and counts count as the
table scans they are, and requests that search run a few at a time per instance."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    parse,
    value_from_ast_untyped,
)
from graphql.language import SKIP, DocumentNode, VisitorAction
from graphql.language.parser import MAX_NESTING_DEPTH
from graphql.validation import MaxIntrospectionDepthRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from leadflow.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from leadflow.settings import Settings

# Lists without paging (a lead's feedback and history, users by role) are short in practice;
# the estimate only has to make nested lists multiply.
UNPAGED_LIST_SIZE = 10
INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
META_FIELDS = {
    "__schema": SchemaMetaFieldDef,
    "__type": TypeMetaFieldDef,
    "__typename": TypeNameMetaFieldDef,
}
# What a search or a count really costs, in the unit of the estimate (a resolved field, about
# 20 µs of server time). A search finds its contacts through trigram indexes (migration 0019)
# when a word has three characters or more; one of short words only still reads every contact,
# and a broad one every matching lead (0.1-0.6 s at a million leads), so searches keep their
# lane. A count reads the lead counters or every matching row of an index.
SEARCH_COST = 20_000
COUNT_COST = 50
# Requests estimated at this or more (every search) run at most `heavy_concurrency` at a time
# per instance, so that cheap requests always find the database free.
HEAVY_COST = SEARCH_COST
# Without a login only introspection runs (GraphiQL loads the schema before a token is pasted;
# its query has about 1,800 characters), so anything longer is refused before it is parsed.
ANONYMOUS_MAX_CHARS = 4_000
# Parsing and validating a document of this length or more happens in a worker thread.
OFF_LOOP_CHARS = 2_000
_VALIDATION_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="graphql-validate")
_Result = TypeVar("_Result")


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """The limits of `Settings` (defaults and environment variables are there)."""

    max_document_chars: int
    max_tokens: int
    max_depth: int
    max_aliases: int
    max_cost: int
    max_selection_fields: int = 100
    max_fragments: int = 50

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryLimits:
        return cls(
            max_document_chars=settings.graphql_max_document_chars,
            max_tokens=settings.graphql_max_tokens,
            max_depth=settings.graphql_max_depth,
            max_aliases=settings.graphql_max_aliases,
            max_cost=settings.graphql_max_cost,
            max_selection_fields=settings.graphql_max_selection_fields,
            max_fragments=settings.graphql_max_fragments,
        )


class LimitExceeded(GraphQLError):
    """A document refused by an abuse limit; `extensions.code` says which one."""

    def __init__(self, message: str, code: str, nodes: Any = None) -> None:
        super().__init__(message, nodes, extensions={"code": code})


class DocumentCache:
    """Parsed documents and their (variable-independent) validation errors by query text.

    Clients send the same few documents over and over; parsing and validating one costs more
    than resolving a page of leads. The limits rule depends on variables (`first`) and runs on
    every request. Bounded: least recently used entries go first, long documents are not kept.
    """

    MAX_ENTRIES = 256
    MAX_QUERY_CHARS = 20_000

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[DocumentNode, list[GraphQLError] | None]] = (
            OrderedDict()
        )

    def document(self, query: str) -> DocumentNode | None:
        entry = self._entries.get(query)
        if entry is None:
            return None
        self._entries.move_to_end(query)
        return entry[0]

    def remember_document(self, query: str, document: DocumentNode) -> None:
        if len(query) > self.MAX_QUERY_CHARS:
            return
        self._entries[query] = (document, None)
        while len(self._entries) > self.MAX_ENTRIES:
            self._entries.popitem(last=False)

    def validation_errors(self, query: str) -> list[GraphQLError] | None:
        entry = self._entries.get(query)
        return None if entry is None else entry[1]

    def remember_validation(self, query: str, errors: list[GraphQLError]) -> None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries[query] = (entry[0], errors)


# Set while a request runs whose lane was decided before it began (`HeavyLane.before`): the
# extension then never waits for the lane itself.
_LANE_DECIDED: ContextVar[bool] = ContextVar("heavy_lane_decided", default=False)


class HeavyLane:
    """The places for requests that search (estimated at HEAVY_COST or more), per instance.

    Queries and mutations take a place while they execute (`QueryLimitsExtension`). A request
    that runs inside a transaction it opens first (a mutation with an Idempotency-Key,
    `web/graphql.py`) takes it before, with `before`: waiting for the lane while holding a
    transaction could deadlock on SQLite, whose one connection a search in the lane waits
    for."""

    def __init__(self, places: int, limits: QueryLimits, cache: DocumentCache) -> None:
        self._places = asyncio.Semaphore(places)
        self._limits = limits
        self._cache = cache

    @asynccontextmanager
    async def taken(self) -> AsyncIterator[None]:
        """One place, held for the block."""
        async with self._places:
            yield

    @asynccontextmanager
    async def before(
        self, schema: GraphQLSchema, query: str, variables: Mapping[str, object] | None
    ) -> AsyncIterator[None]:
        """For the block: a place when the document is heavy, and the extension told not to
        wait for one (however the block's execution estimates it)."""
        document = self._cache.document(query)
        heavy = await _off_loop_if_long(
            query, self._heavy, schema, query, document, variables or {}
        )
        decided = _LANE_DECIDED.set(True)
        try:
            if heavy:
                async with self._places:
                    yield
            else:
                yield
        finally:
            _LANE_DECIDED.reset(decided)

    def _heavy(
        self,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode | None,
        variables: Mapping[str, object],
    ) -> bool:
        # As the extension estimates it; a document refused by a limit runs nothing.
        try:
            if document is None:
                document = parse_within_limits(query, self._limits)
            measures: list[Measure] = []
            errors = operation_limit_errors(schema, document, self._limits, variables, measures)
        except GraphQLError:
            return False
        return not errors and sum(measure.cost for measure in measures) >= HEAVY_COST


class QueryLimitsExtension(SchemaExtension):
    """Parses within the size limits, checks depth, aliases, breadth and cost, then validates
    (cached); long documents off the event loop. Requests without a login get introspection
    only, and requests that search wait for a free place in the heavy lane."""

    def __init__(
        self,
        *,
        limits: QueryLimits,
        cache: DocumentCache | None = None,
        heavy_lane: HeavyLane | None = None,
    ) -> None:
        self.limits = limits
        self.cache = cache or DocumentCache()
        self.heavy_lane = heavy_lane
        self.cost = 0

    async def on_parse(self) -> AsyncIterator[None]:
        context = self.execution_context
        # Parsing here (strawberry skips its own parse when a document is set) lets a refusal
        # carry a code; an error raised here becomes the request's only error.
        if context.query and context.graphql_document is None:
            anonymous = _is_anonymous(context.context)
            if anonymous and len(context.query) > ANONYMOUS_MAX_CHARS:
                raise _login_required()
            document = self.cache.document(context.query)
            if document is None:
                document = await _off_loop_if_long(
                    context.query, parse_within_limits, context.query, self.limits
                )
                self.cache.remember_document(context.query, document)
            if anonymous and not asks_introspection_only(document):
                raise _login_required()
            context.graphql_document = document
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            # Setting the errors (even to none) makes strawberry skip its own validation.
            context.pre_execution_errors = await _off_loop_if_long(
                context.query or "", self._errors, document
            )
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        # A mutation's payload may search too. One whose lane was decided before its
        # transaction began (`HeavyLane.before`) does not wait here.
        if self.heavy_lane is None or self.cost < HEAVY_COST or _LANE_DECIDED.get():
            yield
            return
        async with self.heavy_lane.taken():
            yield

    def _errors(self, document: DocumentNode) -> list[GraphQLError]:
        return self._limit_errors(document) or self._schema_errors(document)

    def _limit_errors(self, document: DocumentNode) -> list[GraphQLError]:
        context = self.execution_context
        measures: list[Measure] = []
        errors = operation_limit_errors(
            context.schema._schema, document, self.limits, context.variables or {}, measures
        )
        self.cost = sum(measure.cost for measure in measures)
        return errors

    def _schema_errors(self, document: DocumentNode) -> list[GraphQLError]:
        context = self.execution_context
        query = context.query or ""
        cached = self.cache.validation_errors(query)
        if cached is not None:
            return cached
        rules = tuple(
            IntrospectionDepthRule if rule is MaxIntrospectionDepthRule else rule
            for rule in context.validation_rules
        )
        errors = validate_document(context.schema._schema, document, rules)
        self.cache.remember_validation(query, errors)
        return errors


async def _off_loop_if_long(query: str, work: Callable[..., _Result], *args: Any) -> _Result:
    """Short documents are quicker done at once; a long one is parsed or validated in a worker
    thread, so the event loop goes on serving other clients meanwhile."""
    if len(query) < OFF_LOOP_CHARS:
        return work(*args)
    return await asyncio.get_running_loop().run_in_executor(_VALIDATION_THREADS, work, *args)


def _is_anonymous(context: object) -> bool:
    # The endpoint's Context has `auth` (None without a login); other callers have no such
    # attribute and are trusted (the exported schema, tools).
    return getattr(context, "auth", False) is None


def _login_required() -> GraphQLError:
    return LimitExceeded(
        "Log in or send an API token (Authorization: Bearer lf_...). Without one, only "
        f"introspection documents of at most {ANONYMOUS_MAX_CHARS} characters are answered.",
        "UNAUTHENTICATED",
    )


def asks_introspection_only(document: DocumentNode) -> bool:
    """Every operation selects only __schema, __type and __typename at its root (fragments
    spread at the root are refused too: the rule must stay a glance, not a walk)."""
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        for selection in definition.selection_set.selections:
            if not isinstance(selection, FieldNode) or selection.name.value not in META_FIELDS:
                return False
    return True


def parse_within_limits(query: str, limits: QueryLimits) -> DocumentNode:
    if len(query) > limits.max_document_chars:
        raise LimitExceeded(
            f"The document has {len(query)} characters; at most "
            f"{limits.max_document_chars} are allowed. Send data as variables.",
            "QUERY_TOO_LARGE",
        )
    try:
        document = parse(query, max_tokens=limits.max_tokens)
    except GraphQLSyntaxError as error:
        raise _limit_error(error, limits) from None
    fragments = sum(isinstance(node, FragmentDefinitionNode) for node in document.definitions)
    if fragments > limits.max_fragments:
        raise LimitExceeded(
            f"The document defines {fragments} fragments; at most {limits.max_fragments} are "
            "allowed.",
            "TOO_MANY_FRAGMENTS",
        )
    return document


def _limit_error(error: GraphQLSyntaxError, limits: QueryLimits) -> GraphQLError:
    # graphql-core reports its parser limits as syntax errors; these messages are its own.
    if "tokens. Parsing aborted." in error.message:
        return LimitExceeded(
            f"The document has more than {limits.max_tokens} tokens. Send data as variables "
            "and ask for less per request.",
            "QUERY_TOO_LARGE",
        )
    if "nested too deeply. Parsing aborted." in error.message:
        return LimitExceeded(
            f"The document nests too deeply; at most {limits.max_depth} levels are allowed.",
            "QUERY_TOO_DEEP",
        )
    return error


class IntrospectionDepthRule(MaxIntrospectionDepthRule):
    """graphql-core's guard against `fields { type { fields ...` introspection, with a code."""

    def report_error(self, error: GraphQLError) -> None:
        super().report_error(LimitExceeded(error.message, "QUERY_TOO_DEEP", error.nodes))


class NoIntrospectionRule(ValidationRule):
    """Refuses `__schema` and `__type` when introspection is switched off (`__typename` stays)."""

    def enter_field(self, node: FieldNode, *_: object) -> VisitorAction:
        if node.name.value not in INTROSPECTION_ROOTS:
            return None
        self.report_error(
            LimitExceeded(
                f"Introspection ({node.name.value}) is switched off on this server.",
                "INTROSPECTION_DISABLED",
                node,
            )
        )
        return SKIP


class Measure(NamedTuple):
    """Of a selection: longest field path, aliases used, estimated fields resolved, the fields
    it selects itself (fragments expanded) and the most fields any selection in it selects."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0
    width: int = 0
    widest: int = 0


def operation_limit_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    limits: QueryLimits,
    variables: Mapping[str, object],
    measures: list[Measure] | None = None,
) -> list[GraphQLError]:
    """The refusals of each operation of `document` under this request's limits and
    variables (for `first: $n`); the measure of each operation is appended to `measures`.
    Walked directly, not as a validation rule: graphql-core's visitor would walk the whole
    document a second time, with type information, for nothing."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    errors: list[GraphQLError] = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        root = schema.get_root_type(definition.operation)
        if root is None:
            continue  # KnownOperationTypesRule reports it
        try:
            measure = _Walker(schema, fragments, variables).selection_set(
                definition.selection_set, root
            )
        except (_NestedTooDeeply, RecursionError):
            errors.append(_nested_too_deeply(definition))
            continue
        if measures is not None:
            measures.append(measure)
        errors.extend(_refusals(measure, limits, definition))
    return errors


def _refusals(
    measure: Measure, limits: QueryLimits, node: OperationDefinitionNode
) -> list[LimitExceeded]:
    name = f"Operation '{node.name.value}'" if node.name else "The operation"
    errors = []
    if measure.depth > limits.max_depth:
        errors.append(
            LimitExceeded(
                f"{name} nests {measure.depth} levels deep; at most {limits.max_depth} are "
                "allowed.",
                "QUERY_TOO_DEEP",
                node,
            )
        )
    if measure.aliases > limits.max_aliases:
        errors.append(
            LimitExceeded(
                f"{name} uses {measure.aliases} aliases; at most {limits.max_aliases} are allowed.",
                "TOO_MANY_ALIASES",
                node,
            )
        )
    if measure.widest > limits.max_selection_fields:
        errors.append(
            LimitExceeded(
                f"{name} selects {measure.widest} fields in one place (fragments included); at "
                f"most {limits.max_selection_fields} are allowed.",
                "QUERY_TOO_WIDE",
                node,
            )
        )
    if measure.cost > limits.max_cost:
        errors.append(
            LimitExceeded(
                f"{name} could resolve about {measure.cost} fields; at most {limits.max_cost} "
                "are allowed. Ask for smaller pages (first) or fewer nested lists.",
                "QUERY_TOO_COSTLY",
                node,
            )
        )
    return errors


def _nested_too_deeply(node: OperationDefinitionNode) -> LimitExceeded:
    name = f"Operation '{node.name.value}'" if node.name else "The operation"
    return LimitExceeded(
        f"{name} nests selections more than {MAX_NESTING_DEPTH} levels deep with its fragments.",
        "QUERY_TOO_DEEP",
        node,
    )


class _NestedTooDeeply(Exception):
    """The walk went past MAX_NESTING_DEPTH selection sets, fragments included."""


class _Walker:
    """Measures selection sets against the schema. Unknown fields, types and fragments are
    skipped and a fragment cycle counts once: other validation rules report those.

    The walk recurses; the parser bounds the nesting within one definition, not through
    fragments, so the walker stops past MAX_NESTING_DEPTH selection sets (graphql-core's
    validate() has the same bound), also where a fragment it measured before is spread."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, object],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = variables
        # A fragment measures the same wherever it is spread, so each is walked once: this
        # keeps nested fragments from multiplying the work of validation itself.
        self._measured: dict[str, Measure] = {}
        self._entered: set[str] = set()
        # Selection sets entered now, the most reached, and each measured fragment's own.
        self._level = 0
        self._reached = 0
        self._nesting: dict[str, int] = {}

    def selection_set(self, selection_set: SelectionSetNode, parent: Any) -> Measure:
        self._reach(self._level + 1)
        self._level += 1
        try:
            return self._selections(selection_set, parent)
        finally:
            self._level -= 1

    def _reach(self, level: int) -> None:
        if level > MAX_NESTING_DEPTH:
            raise _NestedTooDeeply
        self._reached = max(self._reached, level)

    def _selections(self, selection_set: SelectionSetNode, parent: Any) -> Measure:
        depth, aliases, cost, width, widest = 0, 0, 0, 0, 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                measure = self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                measure = self._inline_fragment(selection, parent)
            else:
                assert isinstance(selection, FragmentSpreadNode)
                measure = self._fragment_spread(selection)
            depth = max(depth, measure.depth)
            aliases += measure.aliases
            cost += measure.cost
            # A fragment's fields join this selection: graphql-core compares them all pairwise.
            width += measure.width
            widest = max(widest, measure.widest)
        return Measure(depth, aliases, cost, width, max(widest, width))

    def _field(self, node: FieldNode, parent: Any) -> Measure:
        alias = 1 if node.alias else 0
        definition = _field_definition(parent, node.name.value)
        child_type = get_named_type(definition.type) if definition else None
        own_cost = self._own_cost(definition, node, parent)
        if definition is None or node.selection_set is None or not is_composite_type(child_type):
            return Measure(1, alias, own_cost, 1, 0)
        below = self.selection_set(node.selection_set, child_type)
        size = self._list_size(definition, node, parent)
        # Introspection's nesting (e.g. the ofType chains every IDE asks for) is bounded by
        # graphql-core's MaxIntrospectionDepthRule; its size still counts as cost.
        depth = 1 if node.name.value in INTROSPECTION_ROOTS else below.depth + 1
        cost = own_cost + size * (1 + below.cost) - 1
        return Measure(depth, alias + below.aliases, cost, 1, below.widest)

    def _own_cost(self, definition: GraphQLField | None, node: FieldNode, parent: Any) -> int:
        """1 for a field; a search or a count costs the scan it is."""
        if definition is None:
            return 1
        if "filter" in definition.args and self._searches(node):
            return SEARCH_COST
        if node.name.value == "totalCount" and getattr(parent, "name", "").endswith("Connection"):
            return COUNT_COST
        return 1

    def _searches(self, node: FieldNode) -> bool:
        argument = next((arg for arg in node.arguments or () if arg.name.value == "filter"), None)
        if argument is None:
            return False
        value = value_from_ast_untyped(argument.value, dict(self._variables))
        search = value.get("search") if isinstance(value, dict) else None
        return isinstance(search, str) and bool(search.strip())

    def _inline_fragment(self, node: InlineFragmentNode, parent: Any) -> Measure:
        condition = node.type_condition
        target = self._schema.get_type(condition.name.value) if condition else parent
        if not is_composite_type(target):
            return Measure()
        return self.selection_set(node.selection_set, target)

    def _fragment_spread(self, node: FragmentSpreadNode) -> Measure:
        name = node.name.value
        fragment = self._fragments.get(name)
        if fragment is None or name in self._entered:
            return Measure()
        if name not in self._measured:
            target = self._schema.get_type(fragment.type_condition.name.value)
            if not is_composite_type(target):
                return Measure()
            self._entered.add(name)
            reached, self._reached = self._reached, self._level
            self._measured[name] = self.selection_set(fragment.selection_set, target)
            self._nesting[name] = self._reached - self._level
            self._reached = max(reached, self._reached)
            self._entered.discard(name)
        else:
            self._reach(self._level + self._nesting[name])
        return self._measured[name]

    def _list_size(self, definition: GraphQLField, node: FieldNode, parent: Any) -> int:
        if "first" in definition.args:
            return self._page_size(node)
        if not is_list_type(get_nullable_type(definition.type)):
            return 1
        # The edges of a connection are the page its field has already counted.
        if parent.name.endswith("Connection"):
            return 1
        return UNPAGED_LIST_SIZE

    def _page_size(self, node: FieldNode) -> int:
        argument = next((arg for arg in node.arguments or () if arg.name.value == "first"), None)
        if argument is None:
            return DEFAULT_PAGE_SIZE
        value: object = MAX_PAGE_SIZE
        if isinstance(argument.value, IntValueNode):
            value = int(argument.value.value)
        elif isinstance(argument.value, VariableNode):
            value = self._variables.get(argument.value.name.value, MAX_PAGE_SIZE)
        if not isinstance(value, int) or isinstance(value, bool):
            return MAX_PAGE_SIZE  # refused when the field runs; here, assume the worst
        return min(max(value, 0), MAX_PAGE_SIZE)


def _field_definition(parent: Any, name: str) -> GraphQLField | None:
    meta_field = META_FIELDS.get(name)
    if meta_field is not None:
        return meta_field
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None

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
graphql-core allows take seconds to answer."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

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
    validate,
)
from graphql.language import SKIP, DocumentNode, VisitorAction
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


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """The limits of `Settings` (defaults and environment variables are there)."""

    max_document_chars: int
    max_tokens: int
    max_depth: int
    max_aliases: int
    max_cost: int

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryLimits:
        return cls(
            max_document_chars=settings.graphql_max_document_chars,
            max_tokens=settings.graphql_max_tokens,
            max_depth=settings.graphql_max_depth,
            max_aliases=settings.graphql_max_aliases,
            max_cost=settings.graphql_max_cost,
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


class QueryLimitsExtension(SchemaExtension):
    """Parses within the size limits, checks depth, aliases and cost, then validates (cached)."""

    def __init__(self, *, limits: QueryLimits, cache: DocumentCache | None = None) -> None:
        self.limits = limits
        self.cache = cache or DocumentCache()

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        # Parsing here (strawberry skips its own parse when a document is set) lets a refusal
        # carry a code; an error raised here becomes the request's only error.
        if context.query and context.graphql_document is None:
            document = self.cache.document(context.query)
            if document is None:
                document = parse_within_limits(context.query, self.limits)
                self.cache.remember_document(context.query, document)
            context.graphql_document = document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            # Setting the errors (even to none) makes strawberry skip its own validation.
            context.pre_execution_errors = self._limit_errors(document) or self._schema_errors(
                document
            )
        yield

    def _limit_errors(self, document: DocumentNode) -> list[GraphQLError]:
        context = self.execution_context
        limits_rule = operation_limits_rule(self.limits, context.variables or {})
        return validate(context.schema._schema, document, [limits_rule])

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


def parse_within_limits(query: str, limits: QueryLimits) -> DocumentNode:
    if len(query) > limits.max_document_chars:
        raise LimitExceeded(
            f"The document has {len(query)} characters; at most "
            f"{limits.max_document_chars} are allowed. Send data as variables.",
            "QUERY_TOO_LARGE",
        )
    try:
        return parse(query, max_tokens=limits.max_tokens)
    except GraphQLSyntaxError as error:
        raise _limit_error(error, limits) from None


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
    """Of a selection: longest field path, aliases used, estimated fields resolved."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0


def operation_limits_rule(
    limits: QueryLimits, variables: Mapping[str, object]
) -> type[ValidationRule]:
    """A validation rule bound to this request's limits and variables (for `first: $n`)."""

    class OperationLimitsRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: object) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return  # KnownOperationTypesRule reports it
            fragments = {
                definition.name.value: definition
                for definition in self.context.document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
            walker = _Walker(self.context.schema, fragments, variables)
            measure = walker.selection_set(node.selection_set, root)
            for error in _refusals(measure, limits, node):
                self.report_error(error)

    return OperationLimitsRule


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


class _Walker:
    """Measures selection sets against the schema. Unknown fields, types and fragments are
    skipped and a fragment cycle counts once: other validation rules report those."""

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

    def selection_set(self, selection_set: SelectionSetNode, parent: Any) -> Measure:
        depth, aliases, cost = 0, 0, 0
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
        return Measure(depth, aliases, cost)

    def _field(self, node: FieldNode, parent: Any) -> Measure:
        alias = 1 if node.alias else 0
        definition = _field_definition(parent, node.name.value)
        child_type = get_named_type(definition.type) if definition else None
        if definition is None or node.selection_set is None or not is_composite_type(child_type):
            return Measure(1, alias, 1)
        below = self.selection_set(node.selection_set, child_type)
        size = self._list_size(definition, node, parent)
        # Introspection's nesting (e.g. the ofType chains every IDE asks for) is bounded by
        # graphql-core's MaxIntrospectionDepthRule; its size still counts as cost.
        depth = 1 if node.name.value in INTROSPECTION_ROOTS else below.depth + 1
        return Measure(depth, alias + below.aliases, size * (1 + below.cost))

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
            self._measured[name] = self.selection_set(fragment.selection_set, target)
            self._entered.discard(name)
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
        return parent.fields.get(name)
    return None

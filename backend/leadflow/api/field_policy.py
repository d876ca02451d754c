"""Field-level read policy, checked on the query document before anything executes.

The rules are permission rules (`auth/field_rules.py`, shared with the webhook payloads): a
partner may read only the fields listed in `PARTNER_READABLE`. This module walks a partner's
document against them. Checking the document once per operation costs nothing per resolved
field (the hot path stays plain attributes) and refuses the whole request, with the offending
fields named, before any data is touched.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from leadflow.auth.field_rules import USER_DETAIL_FIELDS, USER_PUBLIC_FIELDS, partner_may_read
from leadflow.db.enums import Role

# The User field sets are named here too: the authorization matrix checks the User type
# against them as part of the API's field policy.
__all__ = ["USER_DETAIL_FIELDS", "USER_PUBLIC_FIELDS", "FieldPolicy"]

ROOT_TYPES = frozenset({"Query", "Mutation"})


class FieldPolicy(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        auth = getattr(context, "auth", None)
        document = self.execution_context.graphql_document
        if auth is not None and document is not None and auth.user.role == Role.PARTNER:
            refused = _refused_fields(self.execution_context.schema._schema, document)
            if refused:
                self.execution_context.result = GraphQLExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            "Partners may not read: " + ", ".join(sorted(refused)) + ".",
                            extensions={"code": "FORBIDDEN"},
                        )
                    ],
                )
        yield


def _refused_fields(schema: GraphQLSchema, document: DocumentNode) -> set[str]:
    walker = _PartnerFieldWalker(schema, document)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            root = schema.get_root_type(definition.operation)
            if root is not None:
                walker.selection_set(definition.selection_set, root, own_user=False)
    return walker.refused


class _PartnerFieldWalker:
    """Walks each operation with its fragments spread in place, so that a field is checked
    against the object type it is read on: in `contact { ... on Node { id } }` (or a fragment
    on Node spread there) the partner reads `Contact.id`, not `Node.id`. Each fragment is walked
    once per type it is spread on, so nested spreads cost no more than the document is long.

    `reading` is the type the selection is read on: the object type when it is known, otherwise
    the interface (e.g. below `node(id:)`, where the row visibility decides the object)."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.refused: set[str] = set()
        self._walked: set[tuple[str, str, bool]] = set()

    def selection_set(
        self, selection_set: SelectionSetNode, reading: GraphQLNamedType, *, own_user: bool
    ) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._field(selection, reading, own_user=own_user)
            elif isinstance(selection, InlineFragmentNode):
                narrowed = self._narrowed(reading, selection.type_condition)
                self.selection_set(selection.selection_set, narrowed, own_user=own_user)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                narrowed = self._narrowed(reading, fragment.type_condition)
                key = (fragment.name.value, narrowed.name, own_user)
                if key not in self._walked:
                    self._walked.add(key)
                    self.selection_set(fragment.selection_set, narrowed, own_user=own_user)

    def _field(self, node: FieldNode, reading: GraphQLNamedType, *, own_user: bool) -> None:
        name = node.name.value
        # Introspection (`__typename`, `__schema`, `__type`) reveals the schema only: the
        # playground needs it, and the schema is public.
        if name.startswith("__"):
            return
        if reading.name in ROOT_TYPES:
            own_user = name == "viewer"
        if not partner_may_read(reading.name, name, own_user=own_user):
            self.refused.add(f"{reading.name}.{name}")
        definition = getattr(reading, "fields", {}).get(name)
        if definition is not None and node.selection_set is not None:
            self.selection_set(
                node.selection_set, get_named_type(definition.type), own_user=own_user
            )

    def _narrowed(
        self, reading: GraphQLNamedType, condition: NamedTypeNode | None
    ) -> GraphQLNamedType:
        """The type a fragment is read on: its condition, unless that is an interface and the
        object type is known already."""
        if condition is None:
            return reading
        named = self.schema.get_type(condition.name.value)
        if named is None or (
            isinstance(reading, GraphQLObjectType) and not isinstance(named, GraphQLObjectType)
        ):
            return reading
        return named

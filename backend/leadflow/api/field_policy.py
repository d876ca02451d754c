"""Field-level read policy, checked on the query document before anything executes.

Partners may read only the fields listed in `auth.policy.PARTNER_READABLE`. Checking the
document once per operation costs nothing per resolved field (the hot path stays plain
attributes) and refuses the whole request, with the offending fields named, before any data
is touched.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    GraphQLError,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    visit,
)
from strawberry.extensions import SchemaExtension

from leadflow.auth import policy

ROOT_TYPES = frozenset({"Query", "Mutation"})


class FieldPolicy(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        auth = getattr(context, "auth", None)
        document = self.execution_context.graphql_document
        if auth is not None and document is not None and policy.is_partner(auth.user):
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


def _refused_fields(schema, document) -> set[str]:
    type_info = TypeInfo(schema)
    visitor = _PartnerFieldVisitor(type_info)
    visit(document, TypeInfoVisitor(type_info, visitor))
    return visitor.refused


class _PartnerFieldVisitor(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.refused: set[str] = set()
        self._root_fields: list[str] = []

    def enter_field(self, node: FieldNode, *_args: object) -> None:
        parent_name = self._parent_name(node)
        if parent_name is None:
            return
        name = node.name.value
        if parent_name in ROOT_TYPES:
            self._root_fields.append(name)
        own_user = bool(self._root_fields) and self._root_fields[-1] == "viewer"
        if not policy.partner_may_read(parent_name, name, own_user=own_user):
            self.refused.add(f"{parent_name}.{name}")

    def leave_field(self, node: FieldNode, *_args: object) -> None:
        if self._parent_name(node) in ROOT_TYPES:
            self._root_fields.pop()

    def _parent_name(self, node: FieldNode) -> str | None:
        """The parent type's name, or None for introspection (`__schema`, `__Type`, ...), which
        reveals the schema only: the playground needs it, and the schema is public."""
        parent = self.type_info.get_parent_type()
        if parent is None or node.name.value.startswith("__"):
            return None
        parent_name = get_named_type(parent).name
        return None if parent_name.startswith("__") else parent_name

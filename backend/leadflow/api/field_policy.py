"""Field-level read policy, checked on the query document before anything executes.

The rules name GraphQL types and fields, so they live here, beside the walker that applies
them: partners may read only the fields listed in `PARTNER_READABLE`. Checking the document
once per operation costs nothing per resolved field (the hot path stays plain attributes) and
refuses the whole request, with the offending fields named, before any data is touched.
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

from leadflow.db.enums import Role

ROOT_TYPES = frozenset({"Query", "Mutation"})
ALL_FIELDS = "*"

# What a partner may read, type by type ("*": every field), so a partner never gets feedback
# notes, history or colleagues' details, however the query is shaped. The viewer's own user
# record is exempt (VIEWER_READABLE).
PARTNER_READABLE: dict[str, frozenset[str] | str] = {
    "Query": frozenset(
        {
            "viewer",
            "node",
            "leads",
            "lead",
            "leadCounts",
            "campaigns",
            "campaign",
            "campaignReports",
            "leadTimeSeries",
        }
    ),
    "Mutation": frozenset({"createLeads"}),
    "Lead": frozenset(
        {
            "id",
            "contact",
            "campaign",
            "status",
            "assignee",
            "assignedAt",
            "outcome",
            "closeReason",
            "closedAt",
            "createdAt",
        }
    ),
    "User": frozenset({"id", "name"}),
    "Node": frozenset({"id"}),
    # A known email reuses the stored contact: a partner must not learn what others stored
    # about that person (phone, address), nor that the person was known at all. So it reads
    # only the email, in the form that is the same for a new and a known person
    # (`auth.policy.contact_email_for`), and no contact ID (an old, low key would tell a known
    # person).
    "Contact": frozenset({"email"}),
    "Campaign": ALL_FIELDS,
    "CampaignStats": ALL_FIELDS,
    "CampaignConnection": ALL_FIELDS,
    "CampaignEdge": ALL_FIELDS,
    "LeadConnection": ALL_FIELDS,
    "LeadEdge": ALL_FIELDS,
    "LeadCounts": ALL_FIELDS,
    "PageInfo": ALL_FIELDS,
    "CreateLeadsPayload": ALL_FIELDS,
    "UserError": ALL_FIELDS,
    # Campaign figures only (over the partner's own leads); no per-clerk reports, no aging lists.
    "CampaignReport": ALL_FIELDS,
    "ReasonCount": ALL_FIELDS,
    "TimeSeriesPoint": ALL_FIELDS,
}
VIEWER_READABLE = frozenset({"id", "name", "email", "role", "active"})

# Every viewer sees `id` and `name` of the users on the things it may see (who created, worked,
# closed or handed over a lead); the other fields of a user only when the policy lets it see
# that user's details (`auth.policy.may_see_user_details`, applied by the User type).
USER_PUBLIC_FIELDS = frozenset({"id", "name"})
USER_DETAIL_FIELDS = frozenset({"email", "role", "active", "openLeadCount", "capacity"})


def partner_may_read(type_name: str, field_name: str, *, own_user: bool = False) -> bool:
    if type_name == "User" and own_user:
        return field_name in VIEWER_READABLE
    allowed = PARTNER_READABLE.get(type_name)
    return allowed == ALL_FIELDS or (allowed is not None and field_name in allowed)


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

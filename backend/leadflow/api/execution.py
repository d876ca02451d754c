"""GraphQL execution with a short path for plain attributes (most fields of a page of leads).

graphql-core resolves every field the same way: it builds a resolve info (a tuple of 15
values, strawberry's own subclass), calls the resolver, checks whether the result is
awaitable and completes it through a chain of type checks. For a field without a resolver
(strawberry's "basic" fields, which only read an attribute) that costs about ten times the
attribute read. A page of 50 leads has about 800 fields, most of them plain attributes.

Here a basic field of a scalar, enum or object type, or a list of objects (a page's edges), is
read and completed directly, without a resolve info: strawberry's basic resolver ignores it,
and so does the `is_type_of` strawberry gives object types that implement an interface.
Everything else, and every field whose value needs an error (null for a non-null field, a
value the scalar cannot serialise, an object of the wrong type, a missing attribute; in a
list, anything but a plain list of instances and the nulls its type allows), goes through
graphql-core's own `execute_field`, which reads the attribute again (a plain read, no side
effect) and reports the error as it always does. An object's fields are executed directly
too (graphql-core's collect_and_execute_subfields, without @defer, does nothing else), and
each schema field's plan is made once per process, not per request. The results are the same
as graphql-core's (tests/api/test_execution.py compares them).

A field whose resolver only reads the request's context (a viewer-dependent value such as a
contact's email, which partners read normalised) may name that same rule in its metadata under
`READS_CONTEXT`, as `rule(source, context)`: if it is a leaf without arguments, field
extensions or permission classes, the short path calls the rule with the execution's context
value instead of the resolver with a resolve info (strawberry's wrappers, argument parsing and
resolve info cost ten times the rule). An exception or a value that needs an error takes
graphql-core's path, which runs the resolver itself and reports as always.

Tied to graphql-core 3.3's ExecutionContext (`execute_fields`, `execute_field`,
`collect_and_execute_subfields`, `handle_field_error`) and strawberry's marks of its basic
resolvers (`_is_default`, the name `_get_basic_result`, the field definition in the GraphQL
field's extensions with `is_basic_field`); both
libraries are pinned in requirements.lock, and the tests fail if either changes its ways.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF
# The metadata key of a field's context rule (see the module's docstring).
READS_CONTEXT = "leadflow.reads_context"


@dataclass(frozen=True, slots=True)
class _Plain:
    """How to complete one plain-attribute field: the attribute it reads (None: call
    strawberry's basic resolver) and either the leaf type that serialises it or the object
    type to descend into."""

    resolve: Callable[..., Any]
    attribute: str | None
    non_null: bool
    return_type: GraphQLOutputType
    coerce: Callable[[Any], Any] | None
    object_type: GraphQLObjectType | None
    # strawberry's isinstance check of the object type, which ignores its second argument.
    is_type_of: Callable[[Any, Any], Any] | None = None
    # A leaf's rule `rule(source, context)` that its resolver applies (READS_CONTEXT).
    reads_context: Callable[[Any, Any], Any] | None = None
    # A list of objects (`object_type`): its item type, non-null or not.
    item_type: GraphQLOutputType | None = None

    def read(self, source: Any) -> Any:
        if self.attribute is not None:
            return getattr(source, self.attribute)
        return self.resolve(source, None)


# What `_plain` returns for an object or a list of objects: its fields are to be completed.
_OBJECT = object()
_LIST = object()

# One selection: (response name, its field nodes, the short path or None).
_Step = tuple[str, FieldDetailsList, _Plain | None]


# The plans of the schemas' fields, across requests (a field is kept with its plan, so that
# its id is not reused while the entry lives; GraphQLField is unhashable). Schemas are built
# once per app; the bound only matters to a process building many (the tests).
_PLANS: dict[int, tuple[GraphQLField, _Plain | None]] = {}
_PLANS_MAX = 20_000


def _cached_plan_of(field: GraphQLField | None) -> _Plain | None:
    if field is None:
        return None
    cached = _PLANS.get(id(field))
    if cached is not None and cached[0] is field:
        return cached[1]
    if len(_PLANS) >= _PLANS_MAX:
        _PLANS.clear()
    plan = _plan_of(field)
    _PLANS[id(field)] = (field, plan)
    return plan


def _plan_of(field: GraphQLField | None) -> _Plain | None:
    """The short path of `field`, or None for graphql-core's."""
    if field is None:
        return None
    context_plan = _context_plan_of(field)
    if context_plan is not None:
        return context_plan
    resolve = field.resolve
    if resolve is None or not getattr(resolve, "_is_default", False) or field.args:
        return None
    if not _is_basic(field, resolve):
        return None
    return_type = field.type
    non_null = isinstance(return_type, GraphQLNonNull)
    named = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    attribute = _attribute_of(field)
    if isinstance(named, GraphQLLeafType):
        return _Plain(resolve, attribute, non_null, return_type, named.coerce_output_value, None)
    if isinstance(named, GraphQLObjectType) and _plain_type_check(named):
        return _Plain(resolve, attribute, non_null, return_type, None, named, named.is_type_of)
    if isinstance(named, GraphQLList):
        item_type = named.of_type
        item = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if isinstance(item, GraphQLObjectType) and _plain_type_check(item):
            return _Plain(
                resolve, attribute, non_null, return_type, None, item, item.is_type_of,
                item_type=item_type,
            )  # fmt: skip
    return None  # lists of anything else, interfaces, unions: graphql-core's path


def _context_plan_of(field: GraphQLField) -> _Plain | None:
    """The short path of a leaf whose resolver applies a context rule (READS_CONTEXT), or
    None. Exception handlers never apply to a leaf (their error types are object types)."""
    definition = (field.extensions or {}).get(_DEFINITION)
    metadata = getattr(definition, "metadata", None) or {}
    rule = metadata.get(READS_CONTEXT)
    if rule is None or field.args or field.resolve is None:
        return None
    if getattr(definition, "extensions", None) or getattr(definition, "permission_classes", None):
        return None
    return_type = field.type
    named = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    if not isinstance(named, GraphQLLeafType):
        return None
    non_null = isinstance(return_type, GraphQLNonNull)
    coerce = named.coerce_output_value
    return _Plain(field.resolve, None, non_null, return_type, coerce, None, reads_context=rule)


def _is_basic(field: GraphQLField, resolve: Callable[..., Any]) -> bool:
    """strawberry's resolver of a basic field: no resolver, no extensions (permission classes
    are one), no exception handlers. strawberry marks the resolver of a resolver-less field
    `_is_default` even when it runs permission classes, extensions or exception handlers; only
    a basic field without handlers gets its plain `_get_basic_result`."""
    definition = (field.extensions or {}).get(_DEFINITION)
    if definition is None or not getattr(definition, "is_basic_field", False):
        return False
    if getattr(definition, "extensions", None) or getattr(definition, "permission_classes", None):
        return False
    return getattr(resolve, "__name__", None) == "_get_basic_result"


def _attribute_of(field: GraphQLField) -> str | None:
    """The attribute strawberry's basic resolver reads with `getattr` (its default)."""
    definition = (field.extensions or {}).get(_DEFINITION)
    if definition is None or getattr(definition, "default_resolver", None) is not getattr:
        return None
    name = getattr(definition, "python_name", None)
    return name if isinstance(name, str) else None


def _plain_type_check(object_type: GraphQLObjectType) -> bool:
    """The object type's `is_type_of` is none or strawberry's own isinstance check (which
    ignores the resolve info), not one the type defines itself."""
    if object_type.is_type_of is None:
        return True
    definition = (object_type.extensions or {}).get(_DEFINITION)
    return definition is not None and getattr(definition, "is_type_of", None) is None


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, with plain-attribute fields completed directly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per selection (graphql-core collects each selection once per request and type, so
        # the 50 edges of a page share one): its steps.
        self._steps: dict[int, tuple[GroupedFieldSet, list[_Step]]] = {}
        self._lean = self.middleware_manager is None or not self.middleware_manager.middlewares

    def _steps_of(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> list[_Step]:
        cached = self._steps.get(id(grouped_field_set))
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1]
        fields = parent_type.fields
        steps = [
            (name, details, _cached_plan_of(fields.get(details[0].node.name.value)))
            for name, details in grouped_field_set.items()
        ]
        self._steps[id(grouped_field_set)] = (grouped_field_set, steps)
        return steps

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        if not self._lean:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, field_details_list, plan in self._steps_of(
                parent_type, grouped_field_set
            ):
                if plan is not None:
                    result = self._plain(plan, source_value, self.context_value)
                    if result is _OBJECT or result is _LIST:
                        complete = self._object if result is _OBJECT else self._list
                        result = complete(
                            plan,
                            source_value,
                            Path(path, response_name, parent_type.name),
                            field_details_list,
                            position_context,
                        )
                        if type(result) not in (dict, list) and is_awaitable(result):
                            awaitable_fields.append(response_name)
                    if result is not Undefined:
                        results[response_name] = result
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is Undefined:
                    continue
                results[response_name] = result
                if is_awaitable(result):
                    awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gathered(results, awaitable_fields)

    @staticmethod
    async def _gathered(results: dict[str, Any], awaitable_fields: list[str]) -> Any:
        # As graphql-core's execute_fields: the awaitable results, awaited together.
        if len(awaitable_fields) == 1:
            name = awaitable_fields[0]
            results[name] = await results[name]
            return results
        done = await gather_with_cancel(*(results[name] for name in awaitable_fields))
        results.update(zip(awaitable_fields, done, strict=True))
        return results

    @staticmethod
    def _plain(plan: _Plain, source_value: Any, context_value: Any) -> Any:
        """A leaf's completed value, _OBJECT for an object to complete, or Undefined: take
        graphql-core's path (errors included)."""
        try:
            if plan.attribute is not None:
                value = getattr(source_value, plan.attribute)
            elif plan.reads_context is not None:
                value = plan.reads_context(source_value, context_value)
            else:
                value = plan.resolve(source_value, None)
            if value is None:
                return Undefined if plan.non_null else None
            if plan.item_type is not None:
                return _LIST
            if plan.coerce is None:
                return _OBJECT
            coerced = plan.coerce(value)
        except Exception:
            return Undefined
        return Undefined if coerced is None else coerced

    def _object(
        self,
        plan: _Plain,
        source_value: Any,
        field_path: Path,
        field_details_list: FieldDetailsList,
        position_context: Any,
    ) -> Any:
        """An object field's completed value (its own fields), or Undefined as in `_plain`."""
        object_type = plan.object_type
        assert object_type is not None
        try:
            value = plan.read(source_value)
        except Exception:
            return Undefined
        # An instance of the type (strawberry's check) is no awaitable: one check suffices.
        if plan.is_type_of is not None:
            if not plan.is_type_of(value, None):
                return Undefined
        elif self.is_awaitable(value):
            return Undefined
        try:
            completed = self._subfields(
                object_type, field_details_list, field_path, value, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.return_type, field_details_list, field_path)
            return None
        if type(completed) is not dict and self.is_awaitable(completed):
            return self._completed_later(completed, plan, field_details_list, field_path)
        return completed

    def _subfields(
        self,
        object_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        field_path: Path,
        value: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's `collect_and_execute_subfields`, which without @defer executes the
        collected fields (memoized per selection) directly: so do we, skipping its calls."""
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages or position_context is not None:
            return self.collect_and_execute_subfields(
                object_type, field_details_list, field_path, value, position_context
            )
        return self.execute_fields(object_type, value, field_path, grouped_field_set, None)

    def _list(
        self,
        plan: _Plain,
        source_value: Any,
        field_path: Path,
        field_details_list: FieldDetailsList,
        position_context: Any,
    ) -> Any:
        """A list of objects' completed value (each item's fields), or Undefined as in
        `_plain`: anything but a plain list of instances (nulls where the items may be null)
        takes graphql-core's path, and so do @defer and @stream. Errors are handled as
        graphql-core's `complete_iterable_value` handles them: an item's at the item, a
        non-null item's at the list."""
        object_type, item_type = plan.object_type, plan.item_type
        assert object_type is not None and item_type is not None
        try:
            items = plan.read(source_value)
            if type(items) is not list or position_context is not None:
                return Undefined
            if not self._instances(plan, items):
                return Undefined
            grouped_field_set, new_defer_usages, _ = self.collect_subfields(
                object_type, field_details_list
            )
            if new_defer_usages or self.get_stream_usage(field_details_list, field_path):
                return Undefined
        except Exception:
            return Undefined
        try:
            completed, awaitable_indices = self._items(
                items, object_type, item_type, grouped_field_set, field_details_list, field_path
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.return_type, field_details_list, field_path)
            return None
        if not awaitable_indices:
            return completed
        return self._items_later(completed, awaitable_indices, plan, field_details_list, field_path)

    def _instances(self, plan: _Plain, items: list[Any]) -> bool:
        """Every item an instance of the list's object type, or null where items may be."""
        may_be_null = not isinstance(plan.item_type, GraphQLNonNull)
        is_type_of = plan.is_type_of
        for item in items:
            if item is None:
                if not may_be_null:
                    return False
            elif is_type_of is not None:
                if not is_type_of(item, None):
                    return False
            elif self.is_awaitable(item):
                return False
        return True

    def _items(
        self,
        items: list[Any],
        object_type: GraphQLObjectType,
        item_type: GraphQLOutputType,
        grouped_field_set: GroupedFieldSet,
        field_details_list: FieldDetailsList,
        field_path: Path,
    ) -> tuple[list[Any], list[int]]:
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                if item is None:
                    completed.append(None)
                    continue
                item_path = Path(field_path, index, None)
                try:
                    fields = self.execute_fields(
                        object_type, item, item_path, grouped_field_set, None
                    )
                except Exception as raw_error:
                    # A non-null item's error goes on to the list (raised here).
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    completed.append(None)
                    continue
                if type(fields) is not dict and self.is_awaitable(fields):
                    fields = self._item_later(fields, item_type, field_details_list, item_path)
                    awaitable_indices.append(index)
                completed.append(fields)
        except Exception:
            # As graphql-core: the items already started are settled, not left unawaited.
            if awaitable_indices:
                self.settle_in_background([completed[index] for index in awaitable_indices])
            raise
        return completed, awaitable_indices

    async def _item_later(
        self,
        fields: Awaitable[Any],
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        item_path: Path,
    ) -> Any:
        try:
            return await fields
        except Exception as raw_error:
            self.handle_field_error(raw_error, item_type, field_details_list, item_path)
            return None

    async def _items_later(
        self,
        completed: list[Any],
        awaitable_indices: list[int],
        plan: _Plain,
        field_details_list: FieldDetailsList,
        field_path: Path,
    ) -> Any:
        try:
            if len(awaitable_indices) == 1:
                # As graphql-core: one awaited directly (gather's task would finish it a loop
                # round later, after async siblings, and order the errors differently).
                done = [await completed[awaitable_indices[0]]]
            else:
                done = await gather_with_cancel(*(completed[i] for i in awaitable_indices))
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.return_type, field_details_list, field_path)
            return None
        for index, value in zip(awaitable_indices, done, strict=True):
            completed[index] = value
        return completed

    async def _completed_later(
        self,
        completed: Awaitable[Any],
        plan: _Plain,
        field_details_list: FieldDetailsList,
        field_path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.return_type, field_details_list, field_path)
            return None

"""One way for every mutation to report user mistakes (Saleor's BaseMutation, in Strawberry
terms): a mutation is written for the success case and raises DomainError for anything a user
can get wrong; `payload_mutation` turns that into the payload's `userErrors`, every other field
null. A payload with errors means nothing changed: services raise before they write."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar, get_type_hints

import strawberry
from strawberry.types import Info
from strawberry.types.base import get_object_definition

from leadflow.api.errors import user_errors
from leadflow.errors import DomainError


class Payload:
    """Base of the mutation payloads. Each declares its changed objects (nullable) and, last,
    `user_errors: list[UserError] = strawberry.field(default_factory=list)`."""

    if TYPE_CHECKING:  # strawberry generates the constructor of each payload

        def __init__(self, **fields: Any) -> None: ...

    @classmethod
    def refused(cls, error: DomainError) -> Self:
        """The payload of a refused mutation: the errors, and null for everything else."""
        definition = get_object_definition(cls, strict=True)
        nulls = {
            field.python_name: None
            for field in definition.fields
            if field.python_name != "user_errors"
        }
        return cls(**nulls, user_errors=user_errors(error))


P = ParamSpec("P")
PayloadT = TypeVar("PayloadT", bound=Payload)


def payload_mutation(*, description: str) -> Callable[[Callable[P, Awaitable[PayloadT]]], Any]:
    """A root mutation field (like `strawberry.mutation`) whose DomainErrors become the
    userErrors of the payload type it is annotated to return. Permission and authentication
    failures are no user errors: they pass through and become top-level errors.

    "A payload with errors means nothing changed" holds because services raise DomainError
    before or inside their transaction; what a resolver does after the service returned (loading
    the changed objects) must not raise one."""

    def decorate(resolve: Callable[P, Awaitable[PayloadT]]) -> Any:
        payload_type: type[PayloadT] = get_type_hints(resolve)["return"]
        if not (isinstance(payload_type, type) and issubclass(payload_type, Payload)):
            raise TypeError(f"{resolve.__qualname__} must be annotated to return a Payload")

        @functools.wraps(resolve)
        async def run(*args: P.args, **kwargs: P.kwargs) -> PayloadT:
            _forget_loaded(args, kwargs)
            try:
                return await resolve(*args, **kwargs)
            except DomainError as error:
                return payload_type.refused(error)

        return strawberry.mutation(description=description)(run)

    return decorate


def _forget_loaded(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """The request's DataLoaders cache what they read, and the document's earlier mutations may
    have changed it since: each mutation starts with a fresh set, so that it and its payload
    read afresh. (Mutation fields run one after another, each with its whole payload, so no
    read is cut in half; what the mutation itself loads after its write, its payload reuses.)"""
    for value in (*args, *kwargs.values()):
        if isinstance(value, Info):
            forget = getattr(value.context, "forget_loaded", None)
            if forget is not None:
                forget()
            return

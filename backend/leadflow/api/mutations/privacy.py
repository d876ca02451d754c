"""Data protection mutations: lifting an erased person's suppression."""

from __future__ import annotations

from typing import Self

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.errors import UserError, user_errors
from leadflow.api.inputs.privacy import LiftSuppressionInput
from leadflow.api.mutations.payload import Payload, payload_mutation
from leadflow.errors import DomainError
from leadflow.services.privacy import suppression


@strawberry.type
class LiftSuppressionPayload(Payload):
    lifted: int = strawberry.field(
        description="How many entries of the suppression list were removed: 0 when the values "
        "were not on it, and when the input was refused (userErrors)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def refused(cls, error: DomainError) -> Self:
        # `lifted` is a count, not an object: a refusal lifted nothing (0), not null.
        return cls(lifted=0, user_errors=user_errors(error))


@strawberry.type
class PrivacyMutations:
    @payload_mutation(
        description="Lift the suppression of an erased person who consented again (admins): "
        "intake, imports and partners may store them again. The audit log records who lifted "
        "how many entries and why, never the email or the phone."
    )
    async def lift_suppression(
        self, info: Info[Context, None], input: LiftSuppressionInput
    ) -> LiftSuppressionPayload:
        actor = info.context.require_writer()
        lifted = await suppression.lift_suppression(actor, input.email, input.phone, input.reason)
        return LiftSuppressionPayload(lifted=lifted)

"""Inputs about data protection: lifting an erased person's suppression."""

from __future__ import annotations

import strawberry


@strawberry.input(
    description="Lift the suppression of an erased person who consented again (admins): the "
    "entries matching the given email and/or phone are removed, so that the person can be "
    "entered again. Give at least one of them; only the values given are lifted."
)
class LiftSuppressionInput:
    email: str | None = strawberry.field(
        default=None, description="The person's email address (any letter case)."
    )
    phone: str | None = strawberry.field(
        default=None,
        description='The person\'s phone number, compared by its digits ("+49 511 123" and '
        '"+49 (511) 12-3" are the same; "0511 123" is another).',
    )
    reason: str = strawberry.field(
        description="Why (the person's new consent: when and how), at most 500 characters; "
        "recorded in the audit log, the email and phone replaced."
    )

"""Who acts: a signed-in user, or the system (the operator at the command line, a background
job, the demo). Every service function takes an `Actor`; there is no anonymous superuser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadflow.db.models import User

if TYPE_CHECKING:
    from typing_extensions import TypeIs  # for type checkers only: not a runtime dependency


@dataclass(frozen=True)
class SystemActor:
    """The operator or a job. It may do what an admin may; the policy says so explicitly, and
    the audit log records it without a user (`actor_user(actor)` is None) but by its name."""

    name: str

    def __str__(self) -> str:
        return f"system:{self.name}"


Actor = User | SystemActor

# The ones the code base uses; a job that acts on its own gets its own name, so the audit log
# tells them apart (the import watchdog has none: it resumes an import as its uploader).
OPERATOR = SystemActor("operator")  # the `leadflow` command line
DEMO = SystemActor("demo")


def is_system(actor: Actor) -> TypeIs[SystemActor]:
    return isinstance(actor, SystemActor)


def actor_user(actor: Actor) -> User | None:
    """The user to store as the author of a row or an audit entry (None for the system)."""
    return actor if isinstance(actor, User) else None

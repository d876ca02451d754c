"""The Relay `Node` interface every entity implements."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="An object with a global ID; fetch any of them with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global ID.")

"""Password hashing with argon2; hashing runs in a thread so the event loop keeps serving.

Production hashes with argon2id at argon2-cffi's default cost (RFC 9106's low-memory profile),
pinned by tests/test_password_hashing.py. Tests switch to the cheapest parameters with
`use_test_hashing()`: a function, deliberately not a setting or an environment variable, so that
no configuration of a deployed instance can weaken the hashes; only test code calls it (the
test's conftest, and the wrapper its live servers run, tests/fast_leadflow.py).
"""

from __future__ import annotations

import asyncio

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id, 64 MiB, 3 passes, 4 lanes: what argon2-cffi's PasswordHasher() uses by default.
PRODUCTION_PARAMETERS: Parameters = profiles.RFC_9106_LOW_MEMORY

_hasher = PasswordHasher.from_parameters(PRODUCTION_PARAMETERS)


def use_test_hashing() -> None:
    """For tests only: hash at argon2's cheapest cost for the rest of this process (checking
    a hash always uses the parameters stored in it, so stored hashes keep working)."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False

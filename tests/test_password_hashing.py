"""The production cost of password hashing is pinned: the tests hash cheaply
(`passwords.use_test_hashing`, see tests/conftest.py), so nothing else would notice if the
production parameters were weakened."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from argon2 import Parameters, Type

from leadflow.auth import passwords

BACKEND = Path(__file__).resolve().parents[1] / "backend"

# argon2-cffi's defaults we ship (RFC 9106, low-memory profile). Change only upwards.
PINNED = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=3,
    memory_cost=65536,
    parallelism=4,
)

HASH_IN_A_FRESH_PROCESS = """
import asyncio
from leadflow.auth.passwords import hash_password, verify_password

stored = asyncio.run(hash_password("correct-horse-1"))
assert asyncio.run(verify_password(stored, "correct-horse-1"))
print(stored)
"""


def test_production_hashes_with_argon2id_at_the_pinned_cost():
    assert passwords.PRODUCTION_PARAMETERS == PINNED
    # A process that is not a test (nothing called use_test_hashing) hashes at that cost.
    result = subprocess.run(
        [sys.executable, "-c", HASH_IN_A_FRESH_PROCESS],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), result.stdout
    # Only tests weaken it: no application module calls the switch.
    callers = [path for path in BACKEND.rglob("*.py") if _calls_the_switch(path)]
    assert callers == [], callers


def _calls_the_switch(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else None
            name = function.id if isinstance(function, ast.Name) else name
            if name == "use_test_hashing":
                return True
    return False

"""The real `leadflow` command for the live servers of tests and their seeding, with passwords
hashed at argon2's cheapest (`passwords.use_test_hashing`): a browser test logs in several
times, and each hash or check at the production cost took 0.1-0.5 s. Run as a script
(`python tests/fast_leadflow.py ARGS`); the tests that prove the real console script run
`.venv/bin/leadflow` itself (tests/cli/)."""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on the path: its modules (helpers, conftest,
# ...) are not the application's.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from leadflow.auth import passwords  # noqa: E402
from leadflow.cli import main  # noqa: E402


def _install_moved_clock() -> None:
    """A clock the test moves (tests/moved_clock.py), when LEADFLOW_TEST_CLOCK_FILE is set.
    Loaded from its file: this folder is not on the path (see above)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("moved_clock", _HERE / "moved_clock.py")
    assert spec is not None and spec.loader is not None
    moved_clock = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(moved_clock)
    moved_clock.install_from_environment()


if __name__ == "__main__":
    passwords.use_test_hashing()
    _install_moved_clock()
    main()

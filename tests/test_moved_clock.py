"""The test-only moved clock (tests/moved_clock.py) that live servers of browser tests run with:
it moves `clock.now()` by the file's offset, follows the file while it runs, leaves a
`frozen_at` block alone, and does nothing without the environment variable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadflow import clock
from tests.moved_clock import ENVIRONMENT_VARIABLE, install_from_environment, move_to


@pytest.fixture
def restored_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # setattr with the same function: monkeypatch puts it back after the test, whatever
    # install_from_environment assigned meanwhile.
    monkeypatch.setattr(clock, "now", clock.now)


def close_to(moment: datetime, expected: datetime) -> bool:
    return abs(moment - expected) < timedelta(seconds=5)


@pytest.mark.usefixtures("restored_clock")
def test_the_server_clock_follows_the_file_and_keeps_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock_file = tmp_path / "clock"
    tuesday = datetime(2031, 3, 4, 7, 30, tzinfo=UTC)
    move_to(clock_file, tuesday)
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(clock_file))
    install_from_environment()
    assert close_to(clock.now(), tuesday)
    assert clock.now().tzinfo is not None

    friday = tuesday + timedelta(days=3)
    move_to(clock_file, friday)
    first = clock.now()
    assert close_to(first, friday)
    assert clock.now() >= first  # time runs on from the moved moment

    pinned = datetime(2020, 1, 1, tzinfo=UTC)
    with clock.frozen_at(pinned):
        assert clock.now() == pinned
    assert close_to(clock.now(), friday)

    clock_file.unlink()  # no file: the real time
    assert close_to(clock.now(), datetime.now(UTC))


@pytest.mark.usefixtures("restored_clock")
def test_without_the_variable_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    real_now = clock.now
    install_from_environment()
    assert clock.now is real_now


def test_only_aware_moments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        move_to(tmp_path / "clock", datetime(2031, 3, 4, 7, 30))
    assert not (tmp_path / "clock").exists()

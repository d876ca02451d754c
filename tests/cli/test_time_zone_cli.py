"""`leadflow export --time-zone` with a directory of the zone database ("Europe"): one line
naming the problem, no traceback, nothing written (ZoneInfo raised IsADirectoryError)."""

from __future__ import annotations

import pytest

from tests.cli.runner import failed_with


@pytest.mark.parametrize("name", ["Europe", "America/Argentina"])
def test_a_zone_directory_is_refused_in_one_line(cli, tmp_path, name):
    target = tmp_path / "never.csv"
    failed_with(cli("export", "--time-zone", name, "-o", str(target)), "Unknown time zone")
    assert not target.exists()

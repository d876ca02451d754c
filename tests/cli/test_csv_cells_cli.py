"""Formula injection through the files the command line writes: `leadflow import`'s rejects
file and `leadflow export` quote every cell and mark every formula start, and the rejects
file, fixed, imports back to the values first sent."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from tests.cli.runner import succeeded
from tests.spreadsheet import CARL_REJECTED, CMD, hostile_file, read_safe_csv


def read_text(path: Path) -> str:
    """The file as written (line breaks untranslated), without the BOM."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return handle.read()


def test_the_rejects_file_runs_no_formula_and_imports_back_unchanged(cli, tmp_path):
    source = tmp_path / "messe.csv"
    source.write_text(hostile_file(), encoding="utf-8", newline="")

    out = succeeded(
        cli(
            "import",
            str(source),
            "--campaign",
            "Messe",
            "--create-campaign",
            "--rejects-lang",
            "en",
        )
    )

    assert "2 rejected rows written to" in out
    rejects = tmp_path / "messe.rejected.csv"
    rows = read_safe_csv(read_text(rejects), ";")
    assert rows[0][-3:] == ["'@Notiz", "Row", "Error"]
    assert rows[1] == CARL_REJECTED

    rows[1][2] = "carl@example.com"
    with rejects.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)  # as Excel saves it
    again = succeeded(cli("import", str(rejects), "--campaign", "Messe"))
    assert "leads imported: 2" in again and "rows rejected:      0" in again
    with sqlite3.connect(cli.database) as connection:
        stored = connection.execute(
            "SELECT last_name, phone, company, city FROM contacts WHERE email_key = ?",
            ("carl@example.com",),
        ).fetchone()
    assert stored == (CMD, "+49 221 1", "x,@1;y", "@SUM(1+1)")


@pytest.mark.parametrize(("lang", "separator"), [("en", ","), ("de", ";")])
def test_the_export_runs_no_formula_with_either_separator(cli, tmp_path, lang, separator):
    source = tmp_path / "messe.csv"
    source.write_text(hostile_file(), encoding="utf-8", newline="")
    succeeded(cli("import", str(source), "--campaign", "Messe", "--create-campaign"))
    target = tmp_path / "out.csv"

    succeeded(cli("export", "--campaign", "Messe", "--lang", lang, "-o", str(target)))

    rows = read_safe_csv(read_text(target), separator)
    company, email, phone, street, _, city, _ = rows[[row[3] for row in rows].index("Berg")][4:11]
    assert (company, email, phone, street, city) == (
        "x;'=1+1;y",
        "anna@example.com",
        "'+49 221 1",
        "'-5",
        "'@SUM(1+1)",
    )
    assert [row[3] for row in rows[1:]] == ["Berg", "'" + CMD]
    # On standard output the same text.
    printed = succeeded(cli("export", "--campaign", "Messe", "--lang", lang))
    assert f'"x;\'=1+1;y"{separator}"anna@example.com"{separator}"\'+49 221 1"' in printed

"""The one CSV writer for spreadsheets (services/csv_cells.py): where the marks go, that the
import takes exactly them off again, and that no separator a spreadsheet may assume turns a
part of a value into a live formula."""

from __future__ import annotations

import io
import random

import pytest

from leadflow.services.csv_cells import SpreadsheetWriter, neutralise, restore
from tests.spreadsheet import read_safe_csv


def random_text(generator: random.Random, alphabet: str, longest: int) -> str:
    return "".join(generator.choice(alphabet) for _ in range(generator.randint(0, longest)))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("Müller", "Müller"),
        ("", ""),
        ("O'Neill", "O'Neill"),
        ("+49 221 12345", "'+49 221 12345"),
        ("-5", "'-5"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("\t=1", "'\t'=1"),
        ("\r=1", "'\r'=1"),
        # Where the other separator or a line break splits the value, a cell starts too.
        ("x;=1+1;y", "x;'=1+1;y"),
        ("x,@1", "x,'@1"),
        ("Nord\n=1", "Nord\n'=1"),
        # Excel reads `""=1` as `=1`; an apostrophe already there gets one more.
        ('x;"=1', "x;'\"=1"),
        ("'=1", "''=1"),
        ("x; -5", "x; -5"),  # a space first: Excel takes it as text
    ],
)
def test_a_mark_goes_wherever_a_cell_can_start_with_a_formula(value, written):
    assert neutralise(value) == written
    assert restore(written) == value


def test_restore_takes_off_exactly_the_marks_for_any_text():
    alphabet = "ab'\",;\t\r\n=+-@ "
    generator = random.Random(7)
    for _ in range(20_000):
        value = random_text(generator, alphabet, 10)
        assert restore(neutralise(value)) == value, repr(value)


@pytest.mark.parametrize("separator", [",", ";"])
def test_no_cell_starts_a_formula_whichever_separator_reads_the_file(separator):
    alphabet = "ab'\",;\n=+-@x"
    generator = random.Random(11)
    rows = [[random_text(generator, alphabet, 9) for _ in "abcd"] for _ in range(2_000)]
    text = io.StringIO(newline="")
    writer = SpreadsheetWriter(text, separator)
    for row in rows:
        writer.writerow(row)

    read = read_safe_csv(text.getvalue(), separator)

    assert [[restore(cell) for cell in row] for row in read] == rows

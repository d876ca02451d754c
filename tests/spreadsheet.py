"""Checks that a CSV we wrote is safe to open in a spreadsheet, shared by the API, service and
command-line tests of the export and the rejected-rows file."""

from __future__ import annotations

import csv
import io

# What Excel runs as a formula at the start of a cell (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# A lead file whose values would run in Excel, separated by ";", with one hostile header name.
HOSTILE_HEADER = ["Vorname", "Nachname", "E-Mail", "Telefon", "Firma", "Ort", "Straße", "@Notiz"]
CMD = "=cmd|' /C calc'!A0"
HOSTILE_ROWS = [
    # 2 and 3 are imported (the import strips leading and trailing white space).
    ["Anna", "Berg", "anna@example.com", "+49 221 1", "x;=1+1;y", "@SUM(1+1)", "-5", "=1+1"],
    ["Ben", CMD, "ben@example.com", "0221 2", "\t=2+2", "\r=3+3", "Nord\n=4+4", "x,=1+1"],
    # 4 is rejected for its email and keeps its values as read.
    ["Carl", CMD, "carl@example;=5+5", "+49 221 1", "x,@1;y", "@SUM(1+1)", "\t=6+6", "\r=7+7"],
]
# 5 has two fields too many: they follow the reason in the Error column.
HOSTILE_TOO_MANY = "Dora;Dorn;dora@example.com;;;;;;=8+8;@9\r\n"
# Row 4 of the rejected-rows file, as written: every formula start marked.
CARL_REJECTED = [
    "Carl",
    "'" + CMD,
    "carl@example;'=5+5",
    "'+49 221 1",
    "x,'@1;y",
    "'@SUM(1+1)",
    "'\t'=6+6",
    "'\r'=7+7",
    "4",
    "email: 'carl@example;'=5+5' is not a valid email address.",
]


def hostile_file() -> str:
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(
        [HOSTILE_HEADER, *HOSTILE_ROWS]
    )
    return text.getvalue() + HOSTILE_TOO_MANY


def read_safe_csv(text: str, separator: str) -> list[list[str]]:
    """The rows of `text` (without BOM), read with `separator`, after asserting that every cell
    is quoted and that no cell starts with a formula character when the file is read with
    either list separator (Excel uses the system's, not the file's)."""
    for assumed in (",", ";"):
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=assumed):
            for cell in row:
                # Read with the wrong separator, a value ending in it can leave the reader
                # inside quotes at the end of the line, so the file's own line break opens a
                # cell; the next value's start follows it, neutralised like any other.
                start = cell.removeprefix("\r\n")
                assert not start.startswith(FORMULA_STARTS), (assumed, cell, row)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    # Quoting every cell is canonical: the rows written back that way give the same text.
    quoted = io.StringIO(newline="")
    csv.writer(quoted, delimiter=separator, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(
        rows
    )
    assert quoted.getvalue() == text, "a cell is not quoted"
    return rows

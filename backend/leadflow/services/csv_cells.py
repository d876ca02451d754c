"""CSV that spreadsheets open as text: the one writer for every CSV the server and the CLI
write, and the reverse of its marks for the files we read back.

Excel runs a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula, quoted or not;
a partner could send "=HYPERLINK(...)" as a company name. OWASP's remedy: quote every cell and
put an apostrophe before such a start, which Excel shows as text. A cell can also start
*inside* a value: Excel splits by the system's list separator, so a file written with ","
opened where ";" is the separator splits `"1","x;=1+1;y"` into `1,"x` | `=1+1` | `y"`, quotes
notwithstanding, and a line break inside a quoted value starts a new row there. So the mark
goes wherever a cell can start: at the start of the value and after every ",", ";", tab, CR
and LF in it (quotes in between do not stop Excel: `""=1` reads as `=1`).

`restore` removes exactly the marks `neutralise` adds, so a rejected-rows file or an export
imports again to the same values ("+49 221 12345" stays a phone number).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

# Where a cell can start (under any separator we or Excel use), followed by a formula start;
# quotes and our own apostrophes may come between (so that marks stack and undo one by one).
_CELL_START = r"(?:^|(?<=[,;\t\r\n]))"
_FORMULA_AHEAD = r"(?='*\"*[=+\-@\t\r])"
_NEEDS_MARK = re.compile(_CELL_START + _FORMULA_AHEAD)
_MARK = re.compile(_CELL_START + "'" + _FORMULA_AHEAD)
# Cheap tests that spare most values the regular expressions (an export runs every cell
# through `neutralise`, an import through `restore`).
_MARKABLE_FIRST = frozenset("'\"=+-@\t\r")
_SPLITTING = frozenset(",;\t\r\n")


class _Target(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(text: str) -> str:
    """`text` with an apostrophe wherever a cell can start with a formula character."""
    if text[:1] not in _MARKABLE_FIRST and _SPLITTING.isdisjoint(text):
        return text
    return _NEEDS_MARK.sub("'", text)


def restore(text: str) -> str:
    """The reverse of `neutralise`: one apostrophe less wherever a cell can start with one
    followed by a formula character. Applied to every cell of every file we import."""
    return _MARK.sub("", text) if "'" in text else text


class SpreadsheetWriter:
    """A `csv.writer` that quotes every cell and neutralises each one, header included."""

    def __init__(self, target: _Target, separator: str) -> None:
        self._writer = csv.writer(
            target, delimiter=separator, quoting=csv.QUOTE_ALL, lineterminator="\r\n"
        )

    def writerow(self, cells: Iterable[str]) -> None:
        self._writer.writerow([neutralise(cell) for cell in cells])

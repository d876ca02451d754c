"""`leadflow import` and `leadflow export` as an operator runs them: the printed report, the
rejects file, one-line errors, and an import killed halfway and started again."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import asyncpg

from tests.cli.runner import COMMAND, failed_with, succeeded

MESSY = (
    "Vorname;Nachname;Firma;E-Mail;Telefon;Notiz\n"
    "Anna;Müller;ACME;anna@example.com;;hallo\n"
    "Ben;Schulz;;ben@example;+49 30 1234;\n"
    ";;;;;\n"
    "Carl;;Foo;carl@example.com;;\n"
    "Anna;Müller;ACME;ANNA@example.com;;dup\n"
    "Dora;Klein;;;0301234;\n"
)


def test_import_prints_the_report_and_writes_the_rejected_rows(cli, tmp_path):
    source = tmp_path / "messe.csv"
    source.write_bytes(MESSY.encode("cp1252"))

    preview = succeeded(
        cli("import", str(source), "--campaign", "Messe", "--create-campaign", "--dry-run")
    )
    assert "Dry run (nothing written): messe.csv into campaign 'Messe' (new)" in preview
    assert "read as cp1252, separator ';'" in preview
    assert "not imported (unknown columns): Notiz" in preview
    assert "leads would be imported: 2" in preview
    failed_with(cli("export", "--campaign", "Messe"), "no campaign named 'Messe'")

    # English rejects (a German file's would be German: tests/cli/test_rejects_language_cli.py).
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
    assert "Import #1: messe.csv into campaign 'Messe' (new)" in out
    assert "leads imported: 2 (0 known contacts)" in out
    assert "duplicates skipped: 1" in out
    assert "rows rejected:      2" in out
    assert "empty rows ignored: 1" in out
    assert "row 3 rejected: email: 'ben@example' is not a valid email address." in out
    assert "row 5 rejected: lastName: Last name must not be empty." in out
    rejects = tmp_path / "messe.rejected.csv"
    assert "2 rejected rows written to" in out and rejects.exists()
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows == [
        ["Vorname", "Nachname", "Firma", "E-Mail", "Telefon", "Notiz", "Row", "Error"],
        [
            "Ben",
            "Schulz",
            "",
            "ben@example",
            "'+49 30 1234",  # marked as text for Excel; the import takes the mark off
            "",
            "3",
            "email: 'ben@example' is not a valid email address.",
        ],
        [
            "Carl",
            "",
            "Foo",
            "carl@example.com",
            "",
            "",
            "5",
            "lastName: Last name must not be empty.",
        ],
    ]

    again = succeeded(cli("import", str(source), "--campaign", "Messe"))
    assert "Import #2" in again and "leads imported: 0" in again
    assert "duplicates skipped: 3" in again

    # The rejects file, fixed, imports with the same mapping; its Row and Error columns are
    # left out without a word (only Notiz is unknown, as in the original file).
    rows[1][3] = "ben@example.com"
    rows[2][1] = "Clausen"
    with rejects.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    fixed = succeeded(cli("import", str(rejects), "--campaign", "Messe"))
    assert "columns: Vorname -> firstName, Nachname -> lastName, Firma -> company" in fixed
    assert "not imported (unknown columns): Notiz\n" in fixed
    assert "leads imported: 2 (0 known contacts)" in fixed
    assert "rows rejected:      0" in fixed


def test_export_writes_excel_csv_with_a_bom(cli, tmp_path):
    source = tmp_path / "messe.csv"
    source.write_text(MESSY, encoding="utf-8")
    succeeded(cli("import", str(source), "--campaign", "Messe", "--create-campaign"))

    target = tmp_path / "out.csv"
    out = cli("export", "--campaign", "Messe", "--lang", "de", "--status", "neu", "-o", str(target))
    succeeded(out)
    assert "2 leads of 'Messe' written to" in out.stderr
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert [(row["Nachname"], row["Status"]) for row in rows] == [
        ("Müller", "Neu"),
        ("Klein", "Neu"),
    ]

    printed = succeeded(cli("export", "--campaign", "Messe", "--status", "DONE"))
    assert printed.splitlines() == [printed.splitlines()[0]]  # the header, no done leads
    assert printed.startswith('"Lead","Salutation","First name","Last name"')


def test_import_and_export_errors_are_one_clear_line(cli, tmp_path):
    succeeded(cli("migrate"))
    failed_with(
        cli("import", str(tmp_path / "nope.csv"), "--campaign", "X"), "nope.csv", "no such file"
    )
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    failed_with(cli("import", str(empty), "--campaign", "X", "--create-campaign"), "empty")
    good = tmp_path / "good.csv"
    good.write_text("Nachname,Email\nBerg,b@x.de\n")
    failed_with(
        cli("import", str(good), "--campaign", "X"), "no campaign named 'X'", "--create-campaign"
    )
    failed_with(cli("import", str(good), "--campaign", "X", "--map", "Email"), "HEADER=FIELD")
    failed_with(
        cli("import", str(good), "--campaign", "X", "--create-campaign", "--map", "Email=mail"),
        "'mail' is not a contact field",
    )
    failed_with(cli("export", "--campaign", "X", "--status", "open"), "unknown status 'open'")


# --- Killed halfway -------------------------------------------------------------------------

ROWS = 12_000


def big_file(path: Path) -> tuple[int, int]:
    """Good rows with emails, phone-only rows, and every 97th row bad. Returns (good, bad)."""
    good = bad = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("Vorname;Nachname;E-Mail;Telefon\n")
        for i in range(ROWS):
            if i % 97 == 0:
                handle.write(f"Bad{i};Row{i};not-an-email-{i};\n")
                bad += 1
            elif i % 5 == 0:
                handle.write(f"Tel{i};Only{i};;+49 30 {i:07d}\n")
                good += 1
            else:
                handle.write(f"Vor{i};Nach{i};person{i}@example.com;\n")
                good += 1
    return good, bad


def progress(database_url: str) -> tuple[int, str] | None:
    """rows_processed and status of the import, read with a plain driver."""
    query = "SELECT rows_processed, status FROM lead_imports ORDER BY id LIMIT 1"
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url.removeprefix("sqlite://"), timeout=5) as connection:
            try:
                row = connection.execute(query).fetchone()
            except sqlite3.OperationalError:  # not migrated yet
                return None
        return (row[0], row[1]) if row else None
    return asyncio.run(_postgres_one(database_url, query))


async def _postgres_one(database_url: str, query: str):
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        row = await connection.fetchrow(query)
    finally:
        await connection.close()
    return tuple(row) if row else None


def totals(database_url: str) -> tuple[int, int, int, int]:
    queries = [
        "SELECT COUNT(*) FROM leads",
        "SELECT COUNT(*) FROM contacts",
        "SELECT COUNT(DISTINCT contact_id) FROM leads",
        "SELECT COUNT(*) FROM lead_events",
    ]
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url.removeprefix("sqlite://")) as connection:
            return tuple(connection.execute(query).fetchone()[0] for query in queries)
    return tuple(asyncio.run(_postgres_one(database_url, query))[0] for query in queries)


def test_an_import_killed_halfway_completes_on_the_next_run_without_duplicates(
    cli, tmp_path, database_url
):
    """A real SIGKILL in the middle of an import: the next run resumes after the last committed
    batch, and every good row ends up imported exactly once."""
    source = tmp_path / "big.csv"
    good, bad = big_file(source)
    env = {**cli.env, "LEADFLOW_DATABASE_URL": database_url}
    command = [*COMMAND, "import", str(source), "--campaign", "Messe", "--create-campaign"]
    child = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            state = progress(database_url)
            if state and state[0] >= 1000:
                break
            assert child.poll() is None, child.communicate()
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    processed, status = progress(database_url)
    assert child.returncode == -signal.SIGKILL
    assert 1000 <= processed < ROWS and status == "RUNNING", "killed halfway"
    leads_before, *_ = totals(database_url)
    assert leads_before < good

    result = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    out = succeeded(result)

    assert f"resumed an interrupted import after row {processed + 1}" in out
    assert f"rows read:          {ROWS}" in out
    assert f"leads imported: {good} (0 known contacts)" in out
    assert f"rows rejected:      {bad}" in out
    assert "duplicates skipped: 0" in out
    assert totals(database_url) == (good, good, good, good)
    assert progress(database_url) == (ROWS, "COMPLETED")
    # And a third run adds nothing.
    third = succeeded(
        subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    )
    assert "leads imported: 0" in third and f"duplicates skipped: {good}" in third
    assert totals(database_url) == (good, good, good, good)
    assert os.path.exists(tmp_path / "big.rejected.csv")

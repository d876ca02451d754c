"""`leadflow import` writes its rejects file in the language of the import: German columns and
reasons for a German file, unless --rejects-lang says otherwise."""

from __future__ import annotations

import csv

from tests.cli.runner import succeeded

GERMAN = "Vorname;Nachname;E-Mail\nAnna;Berg;anna@example.com\nBen;;ben@example.com\n"


def rejects_of(cli, tmp_path, *options: str) -> list[list[str]]:
    source = tmp_path / "messe.csv"
    source.write_text(GERMAN, encoding="utf-8")
    succeeded(cli("import", str(source), "--campaign", "Messe", "--create-campaign", *options))
    with (tmp_path / "messe.rejected.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def test_a_german_file_gets_german_rejects(cli, tmp_path):
    assert rejects_of(cli, tmp_path) == [
        ["Vorname", "Nachname", "E-Mail", "Zeile", "Fehler"],
        ["Ben", "", "ben@example.com", "3", "Der Nachname fehlt."],
    ]


def test_the_language_asked_for_wins(cli, tmp_path):
    assert rejects_of(cli, tmp_path, "--rejects-lang", "en")[1][-1] == (
        "lastName: Last name must not be empty."
    )

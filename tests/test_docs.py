"""The README and the shipped metadata stay in step with the schema and the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from sqlite_utils import Database

from archiver.cli import cli
from archiver.web.metadata import SHIPPED, metadata
from archiver.archive.schema import TABLE_DOCS, columns_of, ensure_schema, schema_markdown

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SCHEMA_DOC = (Path(__file__).resolve().parent.parent / "docs" / "schema.md").read_text(encoding="utf-8")


def test_every_table_and_column_is_documented() -> None:
    db = Database(memory=True)
    ensure_schema(db)
    real = columns_of(db)
    assert set(real) == set(TABLE_DOCS)
    for table, columns in real.items():
        assert list(TABLE_DOCS[table][1]) == columns, table


def test_schema_doc_is_current() -> None:
    section = re.search(r"<!-- schema:start[^>]*-->\n(.*)<!-- schema:end -->", SCHEMA_DOC, re.S)
    assert section, "docs/schema.md has no schema section"
    assert section.group(1) == schema_markdown(), "run: recap-archiver schema, and paste it into docs/schema.md"


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block


def test_every_cli_command_is_documented_with_help() -> None:
    for name, command in cli.commands.items():
        assert f"recap-archiver {name}" in README, name
        help_text = CliRunner().invoke(cli, [name, "--help"]).output
        assert "Example:" in help_text, name


def test_shipped_metadata_is_generated_from_the_schema() -> None:
    assert json.loads(SHIPPED.read_text(encoding="utf-8")) == metadata("recaps")
    for query in metadata()["databases"]["recaps"]["queries"]:
        assert query in README

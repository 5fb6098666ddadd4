"""The README, docs/ and the shipped metadata stay in step with the schema and the CLI, and the README stays a
short way in that links every page of docs/."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from sqlite_utils import Database

from archiver.archive.schema import TABLE_DOCS, columns_of, ensure_schema, schema_markdown
from archiver.cli import cli
from archiver.web.metadata import SHIPPED, metadata

PROJECT = Path(__file__).resolve().parent.parent
README = (PROJECT / "README.md").read_text(encoding="utf-8")
DOCS = PROJECT / "docs"
SCHEMA_DOC = (DOCS / "schema.md").read_text(encoding="utf-8")
COMMANDS_DOC = (DOCS / "commands.md").read_text(encoding="utf-8")
READING_DOC = (DOCS / "reading.md").read_text(encoding="utf-8")


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
    for name in cli.commands:
        assert f"recap-archiver {name}" in README, name
        assert f"`recap-archiver {name}" in COMMANDS_DOC, name
        help_text = CliRunner().invoke(cli, [name, "--help"]).output
        assert "Example:" in help_text, name


def test_shipped_metadata_is_generated_from_the_schema() -> None:
    assert json.loads(SHIPPED.read_text(encoding="utf-8")) == metadata("recaps")
    for query in metadata()["databases"]["recaps"]["queries"]:
        assert f"`{query}`" in README and f"`{query}`" in READING_DOC, query


def test_readme_is_short_and_links_every_doc() -> None:
    # 250 lines until issue 16 added the sites file (a TOML example) and scheduling with it (cron, systemd, Scrapyd).
    assert len(README.splitlines()) < 270
    for page in DOCS.glob("*.md"):
        assert f"](docs/{page.name})" in README, page.name
    for section in (
        "## Install",
        "## Try it on the demo site",
        "## Crawl one site",
        "## Explore the archive",
        "## Re-crawl on a schedule",
        "## Where to go next",
    ):
        assert f"\n{section}\n" in README, section


def test_readme_shows_the_screenshots() -> None:
    for name in ("thread-page.png", "search-results.png"):
        assert (DOCS / name).stat().st_size > 10_000, name
        assert f"](docs/{name})" in README, name


def test_relative_links_in_readme_and_docs_resolve() -> None:
    for page in [PROJECT / "README.md", *DOCS.glob("*.md")]:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), f"{page.name}: {target}"
            if anchor and linked.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.M)
                slugs = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
                assert anchor in slugs, f"{page.name}: {target}"


def test_the_readmes_sites_file_loads(tmp_path: Path) -> None:
    from archiver.crawl.sites import load_sites

    (example,) = re.findall(r"```toml\n(.*?)```", README, re.S)
    (tmp_path / "sites.toml").write_text(example, encoding="utf-8")
    loaded = load_sites(tmp_path / "sites.toml")
    assert [s.name for s in loaded.sites] == ["soundtrack", "other"]
    assert [s.archive.name for s in loaded.sites] == ["recaps.db", "other.db"]
    assert "recap-archiver crawl --config sites.toml" in README


def systemd_unit(name: str) -> dict[str, dict[str, str]]:
    """A shipped systemd unit file's sections and keys (enough of systemd's syntax for ours: no repeated keys)."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in (DOCS / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, f"{name}: {line!r}"
        assert key.strip() not in current, f"{name}: {key} twice"
        current[key.strip()] = value.strip()
    return sections


def test_the_shipped_systemd_units_run_a_crawl_our_cli_accepts(tmp_path: Path) -> None:
    import shlex

    service = systemd_unit("recap-archiver.service")
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["User"] and service["Service"]["WorkingDirectory"].startswith("/")
    program, command, *args = shlex.split(service["Service"]["ExecStart"])
    assert program.endswith("/.venv/bin/recap-archiver") and command == "crawl"
    # The same options, given a sites file that exists, reach the sites file check (not a usage error of the CLI).
    config = args.index("--config") + 1
    assert args[config].endswith("sites.toml")
    (tmp_path / "sites.toml").write_text("[sites.empty]\n", encoding="utf-8")
    args[config] = str(tmp_path / "sites.toml")
    result = CliRunner().invoke(cli, [command, *args])
    assert result.exit_code == 2
    assert (
        result.output.strip()
        == f'recap-archiver crawl: error: {tmp_path / "sites.toml"}: [sites.empty] urls: missing (urls = ["https://recaps.example/"])'
    )
    timer = systemd_unit("recap-archiver.timer")
    assert timer["Timer"]["OnCalendar"] == "daily" and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    assert "recap-archiver.service" in README and "recap-archiver.timer" in README

"""The tree shows the architecture: the archive package needs no Scrapy, the README names every package and module
folder, pyproject installs every package, and no module grows past 500 lines."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from helpers import PROJECT

PACKAGE = PROJECT / "archiver"
README = (PROJECT / "README.md").read_text(encoding="utf-8")
LONG_ALLOWED = {"archiver/archive/schema.py"}  # the whole schema in one module, by design


def packages() -> dict[str, Path]:
    """Every package of the distribution (dotted name -> folder), from the tree."""
    found = {".".join(p.parent.relative_to(PROJECT).parts): p.parent for p in PACKAGE.rglob("__init__.py")}
    found.update({"archiver.spiders": PROJECT / "spiders", "archiver.pipelines": PROJECT / "pipelines"})
    return found


def test_nothing_in_the_archive_package_imports_scrapy() -> None:
    modules = sorted(f"archiver.archive.{p.stem}" for p in (PACKAGE / "archive").glob("*.py") if p.stem != "__init__")
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert len(modules) >= 10
    assert done.stdout.strip() == "[]"


def test_readme_architecture_names_every_package() -> None:
    section = re.search(r"^## Architecture\n(.*?)^## ", README, re.S | re.M)
    assert section, "README has no Architecture section"
    text = section.group(1)
    for name, folder in packages().items():
        if name in ("archiver.spiders", "archiver.pipelines"):
            assert f"`{folder.name}/`" in text, name
        elif name != "archiver" and not name.startswith("archiver.demo."):
            assert f"`{folder.relative_to(PROJECT)}/`" in text or f"`{folder.name}/`" in text, name
    # Every module of the role packages is named in its paragraph.
    for role in ("pages", "crawl", "archive", "web"):
        for module in (PACKAGE / role).glob("*.py"):
            if module.stem != "__init__":
                assert f"`{module.stem}" in text or f"{module.name}" in text, f"archiver/{role}/{module.name}"


def test_pyproject_installs_every_package() -> None:
    tool = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert sorted(tool["packages"]) == sorted(packages())
    assert tool["package-dir"] == {"archiver.spiders": "spiders", "archiver.pipelines": "pipelines"}


def test_no_module_over_500_lines() -> None:
    long = []
    for path in [*PACKAGE.rglob("*.py"), *(PROJECT / "spiders").glob("*.py"), *(PROJECT / "pipelines").glob("*.py")]:
        name = str(path.relative_to(PROJECT))
        if name.startswith("archiver/demo/") or name in LONG_ALLOWED:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > 500:
            long.append(f"{name}: {lines}")
    assert not long, long

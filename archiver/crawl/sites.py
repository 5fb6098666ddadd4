"""The sites file: every site a crawl (or a Scrapyd schedule) covers, read from TOML and checked before anything runs.

    [defaults]
    archive = "recaps.db"              # relative to the file's folder
    settings = { DOWNLOAD_DELAY = 2 }  # any Scrapy or archiver setting

    [sites.soundtrack]
    urls = ["https://recaps.example/"]

A site's keys: ``urls`` (required), ``archive``, ``profile``, ``platform``, ``settings``, ``args`` and ``signals``;
``[defaults]`` takes the same keys but ``urls``. A site's ``settings`` and ``args`` are added to the defaults' (the
site's value wins for a name in both); its other keys replace the defaults'. Every mistake is a
:class:`SitesFileError` naming the file, the entry and the key. The full reference is docs/many-sites.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archiver.errors import ArchiverError, SitesFileError

__all__ = ["KNOWN_ELSEWHERE", "Site", "SitesFile", "SitesFileError", "known_setting", "load_sites"]

SITE_NAME = re.compile(r"[A-Za-z0-9_-]+")
SITE_KEYS = ("urls", "archive", "profile", "platform", "settings", "args", "signals")
DEFAULT_KEYS = tuple(k for k in SITE_KEYS if k != "urls")
DEFAULT_ARCHIVE = "recaps.db"

KNOWN_ELSEWHERE = frozenset(
    {
        # Read by the archiver with a default, so not in archiver/settings.py.
        "ARCHIVER_OFFLINE",
        "ARCHIVER_SIGNALS",
        "ARCHIVE_REPARSE",
        "WAYBACK_BACKOFF_MAX",
        "WAYBACK_BACKOFF_START",
        "WAYBACK_CDX_PAGE_SIZE",
        "WAYBACK_MAX_WAITS",
    }
)
"""Setting names the archiver reads that neither Scrapy's defaults nor archiver/settings.py define
(tests/test_sites.py checks that every name the code reads is known)."""

# Set from the site's own keys, never from its settings table.
RESERVED_SETTINGS = {"ARCHIVE_DB": "archive"}


@dataclass
class Site:
    """One site of the sites file, with the defaults applied."""

    name: str
    """The ``[sites.NAME]`` table's name: letters, digits, ``_`` and ``-``."""
    urls: list[str]
    """Start URLs, absolute http(s)."""
    archive: Path
    """The archive it is crawled into, absolute."""
    profile: str | None = None
    """A site profile's name (archiver.profiles), or None to pick one by domain."""
    platform: str | None = None
    """The comment platform (``wordpress``, ``wpdiscuz``, ``disqus``), or None to detect it."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Scrapy and archiver settings for its crawl (``signals = false`` is ``ARCHIVER_SIGNALS = False`` here)."""
    args: dict[str, str] = field(default_factory=dict)
    """Further spider arguments (``refresh``, ``source``, ``wayback_at``)."""

    def spider_arguments(self) -> dict[str, str]:
        """The `recaps` spider's arguments, as ``-a NAME=VALUE`` takes them (``url`` comma-separated)."""
        out = {"url": ",".join(self.urls)}
        out.update({k: v for k, v in (("profile", self.profile), ("platform", self.platform)) if v})
        out.update(self.args)
        return out

    def crawl_settings(self) -> dict[str, Any]:
        """The crawl's settings, as ``-s NAME=VALUE`` would set them: the site's ``settings`` and ``ARCHIVE_DB``."""
        return {**self.settings, "ARCHIVE_DB": str(self.archive)}


@dataclass
class SitesFile:
    """A loaded sites file."""

    path: Path
    """The file, absolute."""
    sites: list[Site]
    """Its sites in file order (only those asked for with ``only``)."""
    label: str = ""
    """The path as the user gave it, for messages (``path`` when empty)."""

    def where(self, site: Site) -> str:
        """``FILE: [sites.NAME]``, how a message names a site's entry."""
        return f"{self.label or self.path}: [sites.{site.name}]"


def load_sites(path: str | Path, only: Sequence[str] = ()) -> SitesFile:
    """Read and check the sites file at ``path``; with ``only``, keep just the sites so named (``--site``).

    Raises SitesFileError (one line naming the file, the entry and the key) for a file that cannot be read, is
    not TOML, or has a bad entry, and for a name in ``only`` the file does not have.
    """
    shown = str(path)
    file = Path(path).expanduser().absolute()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SitesFileError(f"{shown}: cannot read the sites file ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise SitesFileError(f"{shown}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SitesFileError(f"{shown}: not valid TOML: {exc}") from exc
    return SitesFile(file, _read(data, shown, file.parent, only), shown)


def _read(data: dict[str, Any], shown: str, folder: Path, only: Sequence[str]) -> list[Site]:
    """The sites of a parsed sites file; SitesFileError for the first mistake."""
    for key in data:
        if key not in ("defaults", "sites"):
            raise SitesFileError(
                f"{shown}: unknown table or key {key!r} (a sites file has [defaults] and [sites.NAME])"
            )
    defaults = _table(data.get("defaults", {}), shown, "[defaults]")
    _keys(defaults, DEFAULT_KEYS, shown, "[defaults]")
    entries = _table(data.get("sites", {}), shown, "[sites]")
    if not entries:
        raise SitesFileError(f"{shown}: no sites: add a [sites.NAME] table with urls = [...]")
    for name in entries:
        if not SITE_NAME.fullmatch(name):
            raise SitesFileError(f"{shown}: [sites.{_quoted(name)}]: a site name is letters, digits, '_' and '-' only")
    for name in only:
        if name not in entries:
            raise SitesFileError(f"{shown}: no site named {name!r} (--site); its sites are: {', '.join(entries)}")
    base = _site_values(defaults, shown, "[defaults]", folder)
    sites = []
    for name, entry in entries.items():
        where = f"[sites.{name}]"
        entry = _table(entry, shown, where)
        _keys(entry, SITE_KEYS, shown, where)
        if "urls" not in entry:
            raise SitesFileError(f'{shown}: {where} urls: missing (urls = ["https://recaps.example/"])')
        own = _site_values(entry, shown, where, folder)
        site = Site(
            name=name,
            urls=_urls(entry["urls"], shown, where),
            archive=own.get("archive", base.get("archive", (folder / DEFAULT_ARCHIVE).absolute())),
            profile=own.get("profile", base.get("profile")),
            platform=own.get("platform", base.get("platform")),
            settings={**base.get("settings", {}), **own.get("settings", {})},
            args={**base.get("args", {}), **own.get("args", {})},
        )
        signals = own.get("signals", base.get("signals", True))
        if not signals:
            site.settings["ARCHIVER_SIGNALS"] = False
        _check_arguments(site, shown, where)
        if not only or name in only:
            sites.append(site)
    return sites


def _quoted(name: str) -> str:
    return name if SITE_NAME.fullmatch(name) else '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _describe(value: Any) -> str:
    """A value as the error shows it: TOML's spelling for scalars, the kind for containers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _table(value: Any, shown: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SitesFileError(f"{shown}: {where}: expected a table, got {_describe(value)}")
    return value


def _keys(table: Mapping[str, Any], allowed: Sequence[str], shown: str, where: str) -> None:
    for key in table:
        if key not in allowed:
            raise SitesFileError(f"{shown}: {where} {key}: unknown key (known: {', '.join(allowed)})")


def _string(value: Any, shown: str, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        got = "an empty string" if isinstance(value, str) else _describe(value)
        raise SitesFileError(f"{shown}: {where} {key}: expected a string, got {got}")
    return value.strip()


def _site_values(entry: Mapping[str, Any], shown: str, where: str, folder: Path) -> dict[str, Any]:
    """The checked values of the keys ``entry`` sets (every key but urls)."""
    from archiver.pages.detect import PLATFORMS
    from archiver.profiles import profile_named

    out: dict[str, Any] = {}
    if "archive" in entry:
        # Not checked for a writable folder here: a Scrapyd schedule's archives live on other machines.
        out["archive"] = (folder / Path(_string(entry["archive"], shown, where, "archive")).expanduser()).absolute()
    if "profile" in entry:
        out["profile"] = _string(entry["profile"], shown, where, "profile")
        try:
            profile_named(out["profile"])
        except ArchiverError as exc:
            raise SitesFileError(f"{shown}: {where} profile: {exc}") from exc
    if "platform" in entry:
        out["platform"] = _string(entry["platform"], shown, where, "platform")
        if out["platform"] not in PLATFORMS:
            raise SitesFileError(f"{shown}: {where} platform: {out['platform']!r} is not one of {', '.join(PLATFORMS)}")
    if "signals" in entry:
        if not isinstance(entry["signals"], bool):
            raise SitesFileError(f"{shown}: {where} signals: expected true or false, got {_describe(entry['signals'])}")
        out["signals"] = entry["signals"]
    if "settings" in entry:
        out["settings"] = _settings(_table(entry["settings"], shown, f"{where} settings"), shown, where)
    if "args" in entry:
        out["args"] = _args(_table(entry["args"], shown, f"{where} args"), shown, where)
    return out


def _settings(table: Mapping[str, Any], shown: str, where: str) -> dict[str, Any]:
    for name in table:
        if name in RESERVED_SETTINGS:
            raise SitesFileError(
                f"{shown}: {where} settings: {name} is set by the {RESERVED_SETTINGS[name]} key, not in settings"
            )
        if not known_setting(name):
            raise SitesFileError(
                f"{shown}: {where} settings: {name} is neither a Scrapy setting nor an archiver one (a typo?)"
            )
    return dict(table)


def _args(table: Mapping[str, Any], shown: str, where: str) -> dict[str, str]:
    from archiver.spiders.recaps import OTHER_ARGUMENTS

    allowed = [a for a in OTHER_ARGUMENTS if a != "reparse"]
    out = {}
    for name, value in table.items():
        if name not in allowed:
            why = "is a key of its own" if name in SITE_KEYS or name == "url" else "is not a spider argument"
            raise SitesFileError(f"{shown}: {where} args: {name} {why} (args takes {', '.join(allowed)})")
        out[name] = _string(value, shown, where, f"args.{name}")
    return out


def _urls(value: Any, shown: str, where: str) -> list[str]:
    if not isinstance(value, list):
        raise SitesFileError(f"{shown}: {where} urls: expected a list of URLs, got {_describe(value)}")
    if not value:
        raise SitesFileError(f'{shown}: {where} urls: empty (urls = ["https://recaps.example/"])')
    urls = []
    for url in value:
        url = _string(url, shown, where, "urls")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or "," in url:
            raise SitesFileError(f"{shown}: {where} urls: {url!r} is not a web address (http:// or https://)")
        urls.append(url)
    return urls


def _check_arguments(site: Site, shown: str, where: str) -> None:
    """The spider's own check of the arguments together (e.g. ``wayback_at`` only with ``source = "wayback"``)."""
    from archiver.crawl.refresh import check_refresh
    from archiver.spiders.recaps import RecapsSpider

    arguments = site.spider_arguments()
    try:
        RecapsSpider.check_arguments(**arguments)
        check_refresh(arguments.get("refresh"))
    except ArchiverError as exc:
        raise SitesFileError(f"{shown}: {where} args: {exc}") from exc


@cache
def _known_settings() -> frozenset[str]:
    from scrapy.settings import default_settings

    import archiver.settings

    names = {n for n in dir(default_settings) if n.isupper()}
    names |= {n for n in dir(archiver.settings) if n.isupper()}
    return frozenset(names | KNOWN_ELSEWHERE)


def known_setting(name: str) -> bool:
    """True when ``name`` is a Scrapy default setting, one of archiver/settings.py, or one the archiver reads."""
    return name in _known_settings()

"""The health report: does what a crawl read of a site still look like what its earlier crawls read? No Scrapy.

A crawl counts, per site (per host), what its pages showed (:class:`SiteMeasures`: post pages with a comment
area, comments per comment page, comments with votes, dates parsed, the comment platform, listings linking posts).
:func:`compare` holds those counts against the site's last healthy crawls and names every sign that the site
changed its markup under the reader; :func:`check_crawl` does that for each site of a crawl and records it in
``crawl_sites`` and ``crawls.health``. Shares are compared, never absolute counts, each with a minimum sample on
both sides, so a small ``refresh=due`` crawl cannot look broken; docs/when-things-go-wrong.md gives the thresholds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from archiver.archive.sqlite import sqlite3
from archiver.items import RecapItem

SIGNS = ("comment_area", "comments", "votes", "dates", "platform", "listing")
"""Every sign, as named in stats (``archiver/health/<sign>``) and in ``crawls.health_report``."""

MIN_POSTS = 5
"""Post pages a crawl (and its baseline) must have read before comment areas and the platform are compared."""
MIN_COMMENT_PAGES = 5
"""Comment pages (of posts expected to have comments, see :meth:`SiteMeasures.add_recap`) before comments per page
are compared."""
MIN_COMMENTS = 20
"""Comments before votes are compared."""
MIN_DATES = 20
"""Dates shown before the share parsed is compared."""
MIN_LISTINGS = 1
"""Listing pages before "no recap listed" is checked: a home page that lists nothing is a sign on its own."""
BASELINE_CRAWLS = 3
"""The baseline: at most this many of the site's latest earlier crawls not found broken, pooled."""

VERDICTS = ("broken", "ok", "first", "small")
"""A site's verdict in one crawl; a crawl's is the first of these any of its sites has."""

_COUNTS = (
    "posts",
    "posts_comment_area",
    "posts_expecting_comments",
    "comment_pages",
    "comments",
    "comments_voted",
    "dates_shown",
    "dates_parsed",
    "listings",
    "listings_with_posts",
)


@dataclass
class SiteMeasures:
    """What one crawl read of one site: the counts the comparison needs, and an example URL for each sign."""

    posts: int = 0
    posts_comment_area: int = 0
    posts_expecting_comments: int = 0
    comment_pages: int = 0
    comments: int = 0
    comments_voted: int = 0
    dates_shown: int = 0
    dates_parsed: int = 0
    listings: int = 0
    listings_with_posts: int = 0
    platforms: Counter[str] = field(default_factory=Counter)
    """Posts per comment platform."""
    examples: dict[str, str] = field(default_factory=dict)
    """Sign -> the first URL showing it (a post without comment area, ...; for ``platform``, a post on the
    platform of most posts)."""
    platform_name: str | None = None
    """The stored platform, for measures read back from ``crawl_sites`` (``platforms`` is then empty)."""
    platform_count: int = 0

    def _example(self, sign: str, url: str) -> None:
        self.examples.setdefault(sign, url)

    def add_recap(self, recap: RecapItem, had_comments: bool = False) -> None:
        """Count a recap as saved (after the pipelines parsed its dates and votes). ``had_comments``: the archive held
        comments of it before this crawl.

        Its comment pages count towards comments per page only when comments are expected of it: it states a count
        above 0, comments were read, or the archive had some. A new post with no comment yet and no stated count
        (WordPress themes print "Leave a comment") is not expected to have any, so a crawl of new posts alone cannot
        look like comments falling to zero.
        """
        self.posts += 1
        if recap.comment_area is not False:
            self.posts_comment_area += 1
        else:
            self._example("comment_area", recap.url)
        if (recap.comment_count_reported or 0) > 0 or recap.comments or had_comments:
            self.posts_expecting_comments += 1
            self.comment_pages += recap.comment_pages_fetched
            if not recap.comments:
                self._example("comments", recap.url)
        self.comments += len(recap.comments)
        voted = sum(
            1 for c in recap.comments if c.upvotes is not None or c.downvotes is not None or c.score is not None
        )
        self.comments_voted += voted
        if recap.comments and not voted:
            self._example("votes", recap.url)
        dates = [(recap.published_at_raw or recap.published_at_machine, recap.published_at)]
        dates += [(c.posted_at_raw or c.posted_at_machine, c.posted_at) for c in recap.comments]
        for shown, parsed in dates:
            if shown:
                self.dates_shown += 1
                if parsed:
                    self.dates_parsed += 1
                else:
                    self._example("dates", recap.url)
        if recap.platform:
            self.platforms[recap.platform] += 1
            self._example(f"platform:{recap.platform}", recap.url)

    def add_listing(self, url: str, posts: int) -> None:
        """Count a listing page (home page, archive, a page of either) and how many posts it links."""
        self.listings += 1
        if posts:
            self.listings_with_posts += 1
        else:
            self._example("listing", url)

    @property
    def platform(self) -> str | None:
        """The platform of most posts (more than half of them), else None."""
        if self.platform_name is not None:
            return self.platform_name if self.platform_count * 2 > self.posts else None
        if not self.platforms:
            return None
        name, count = self.platforms.most_common(1)[0]
        return name if count * 2 > self.posts else None

    @property
    def platform_posts(self) -> int:
        """Posts on :attr:`platform`."""
        if self.platform_name is not None:
            return self.platform_count
        return self.platforms[self.platform] if self.platform else 0

    def merge(self, other: SiteMeasures) -> None:
        """Add ``other``'s counts (a site's listings and posts, counted apart) to these."""
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.platforms.update(other.platforms)
        for sign, url in other.examples.items():
            self._example(sign, url)

    def example(self, sign: str) -> str | None:
        """A URL showing ``sign``."""
        if sign == "platform":
            return self.examples.get(f"platform:{self.platform}")
        return self.examples.get(sign)


@dataclass(frozen=True)
class Sign:
    """One sign that a site looks broken."""

    site: str
    """The site, as ``name (base URL)``."""
    sign: str
    """One of :data:`SIGNS`."""
    what: str
    """What is wrong, in a few words."""
    after: str
    """This crawl's figure."""
    before: str
    """The baseline's figure."""
    example: str | None
    """A URL showing it."""

    @property
    def detail(self) -> str:
        """The sign, the figures after and before, and an example URL, in one line."""
        example = f"; e.g. {self.example}" if self.example else ""
        return f"{self.what}: {self.after}, against {self.before}{example}"

    @property
    def message(self) -> str:
        """One line naming the site, then :attr:`detail`."""
        return f"{self.site} looks broken: {self.detail}"

    def as_json(self) -> dict[str, Any]:
        """The sign as stored in ``crawls.health_report``."""
        return {
            "site": self.site,
            "sign": self.sign,
            "what": self.what,
            "before": self.before,
            "after": self.after,
            "example": self.example,
            "message": self.message,
        }


def _pct(part: int, whole: int) -> str:
    return f"{part} of {whole} ({100 * part / whole:.0f}%)" if whole else "0 of 0"


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _pooled(rows: list[SiteMeasures]) -> SiteMeasures:
    total = SiteMeasures()
    for row in rows:
        total.merge(row)
    return total


def _baseline(
    earlier: list[tuple[str, SiteMeasures]], sample: Callable[[SiteMeasures], int], minimum: int
) -> tuple[SiteMeasures | None, int]:
    """The latest earlier crawls not found broken whose own sample reaches ``minimum``, pooled; and how many."""
    rows = [m for verdict, m in earlier if verdict != "broken" and sample(m) >= minimum][:BASELINE_CRAWLS]
    return (_pooled(rows), len(rows)) if rows else (None, 0)


def _in(n: int) -> str:
    return "the last crawl" if n == 1 else f"the last {n} healthy crawls"


def compare(site: str, now: SiteMeasures, earlier: list[tuple[str, SiteMeasures]]) -> tuple[str, list[Sign]]:
    """The verdict on ``now`` (``ok``, ``broken``, ``first`` or ``small``) and its signs, against ``earlier``: the
    site's earlier crawls as (verdict, measures), newest first."""
    if not earlier:
        return "first", []
    signs: list[Sign] = []
    checked = False

    def sign(name: str, what: str, after: str, before: str) -> None:
        signs.append(Sign(site, name, what, after, before, now.example(name)))

    if now.posts >= MIN_POSTS:
        base, n = _baseline(earlier, lambda m: m.posts, MIN_POSTS)
        if base is not None:
            checked = True
            before = _share(base.posts_comment_area, base.posts)
            if before >= 0.5 and _share(now.posts_comment_area, now.posts) < before / 2:
                sign(
                    "comment_area",
                    "post pages without a comment area",
                    f"{_pct(now.posts_comment_area, now.posts)} post pages show one",
                    f"{_pct(base.posts_comment_area, base.posts)} in {_in(n)}",
                )
        previous = next((m for _, m in earlier if m.posts >= MIN_POSTS and m.platform), None)
        if previous is not None and now.platform and now.platform != previous.platform:
            checked = True
            sign(
                "platform",
                "comment platform changed",
                f"{now.platform} on {now.platform_posts} of {now.posts} posts",
                f"{previous.platform} on {previous.platform_posts} of {previous.posts} in the crawl before",
            )
    if now.comment_pages >= MIN_COMMENT_PAGES:
        base, n = _baseline(earlier, lambda m: m.comment_pages, MIN_COMMENT_PAGES)
        if base is not None:
            checked = True
            before = _share(base.comments, base.comment_pages)
            if before >= 1 and _share(now.comments, now.comment_pages) < before / 10:
                sign(
                    "comments",
                    "comments per page fell to (nearly) zero",
                    f"{_share(now.comments, now.comment_pages):.1f} a page ({now.comments} on {now.comment_pages})",
                    f"{before:.1f} ({base.comments} on {base.comment_pages}) in {_in(n)}",
                )
    if now.comments >= MIN_COMMENTS:
        base, n = _baseline(earlier, lambda m: m.comments, MIN_COMMENTS)
        if base is not None:
            checked = True
            if _share(base.comments_voted, base.comments) >= 0.5 and not now.comments_voted:
                sign(
                    "votes",
                    "votes missing",
                    f"{_pct(now.comments_voted, now.comments)} comments have votes",
                    f"{_pct(base.comments_voted, base.comments)} in {_in(n)}",
                )
    if now.dates_shown >= MIN_DATES:
        base, n = _baseline(earlier, lambda m: m.dates_shown, MIN_DATES)
        if base is not None:
            checked = True
            before = _share(base.dates_parsed, base.dates_shown)
            if before >= 0.8 and _share(now.dates_parsed, now.dates_shown) < before / 2:
                sign(
                    "dates",
                    "dates no longer parsed",
                    f"{_pct(now.dates_parsed, now.dates_shown)} dates shown were read",
                    f"{_pct(base.dates_parsed, base.dates_shown)} in {_in(n)}",
                )
    if now.listings >= MIN_LISTINGS:
        base, n = _baseline(earlier, lambda m: m.listings, MIN_LISTINGS)
        if base is not None:
            checked = True
            if _share(base.listings_with_posts, base.listings) >= 0.5 and not now.listings_with_posts:
                sign(
                    "listing",
                    "no recap found on its listings",
                    f"{_pct(now.listings_with_posts, now.listings)} listing pages link a post",
                    f"{_pct(base.listings_with_posts, base.listings)} in {_in(n)}",
                )
    if signs:
        return "broken", signs
    return ("ok" if checked else "small"), []


@dataclass
class SiteHealth:
    """One site's verdict in one crawl."""

    site_id: int
    site: str
    verdict: str
    signs: list[Sign]


@dataclass
class CrawlHealth:
    """A crawl's health report: each site's verdict, and the crawl's."""

    sites: list[SiteHealth]

    @property
    def verdict(self) -> str | None:
        """``broken`` if any site is, else ``ok`` if any site is, else ``first``, else ``small``; None for no site."""
        found = {s.verdict for s in self.sites}
        return next((v for v in VERDICTS if v in found), None)

    @property
    def signs(self) -> list[Sign]:
        """Every sign of every site."""
        return [sign for site in self.sites for sign in site.signs]


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _site_rows(db: Database) -> dict[str, tuple[int, str]]:
    """Host -> (site id, display name) of every site; the first site of a host wins."""
    found: dict[str, tuple[int, str]] = {}
    for site_id, base_url, name in db.execute("select id, base_url, name from sites order by id"):
        found.setdefault(_host(base_url), (site_id, f"{name} ({base_url})" if name else base_url))
    return found


def _measures_of(row: sqlite3.Row | dict[str, Any]) -> SiteMeasures:
    m = SiteMeasures(**{name: row[name] or 0 for name in _COUNTS})
    m.platform_name, m.platform_count = row["platform"], row["platform_posts"] or 0
    return m


def earlier_crawls(db: Database, site_id: int, crawl_id: int, limit: int = 20) -> list[tuple[str, SiteMeasures]]:
    """The site's crawls before ``crawl_id`` as (verdict, measures), newest first."""
    cursor = db.execute(
        "select * from crawl_sites where site_id = ? and crawl_id < ? order by crawl_id desc limit ?",
        [site_id, crawl_id, limit],
    )
    names = [d[0] for d in cursor.description]
    return [(row[names.index("verdict")], _measures_of(dict(zip(names, row, strict=True)))) for row in cursor]


def check_crawl(db: Database, crawl_id: int, measured: dict[str, SiteMeasures]) -> CrawlHealth:
    """Compare each site's measures (keyed by host) with its earlier crawls; record them and the verdicts in
    ``crawl_sites`` and ``crawls.health``/``health_report``; return the report. Hosts with no ``sites`` row (nothing
    ever saved from them) are left out."""
    sites = _site_rows(db)
    report: list[SiteHealth] = []
    with db.atomic():
        for host, now in sorted(measured.items()):
            if host not in sites:
                continue
            site_id, name = sites[host]
            verdict, signs = compare(name, now, earlier_crawls(db, site_id, crawl_id))
            report.append(SiteHealth(site_id, name, verdict, signs))
            examples = {sign: url for sign, url in now.examples.items() if not sign.startswith("platform:")}
            if now.example("platform"):
                examples["platform"] = now.example("platform")  # type: ignore[assignment]
            db.execute(
                "insert or replace into crawl_sites (crawl_id, site_id, verdict, "
                + ", ".join(_COUNTS)
                + ", platform, platform_posts, examples, signs) values ("
                + ", ".join("?" * (len(_COUNTS) + 7))
                + ")",
                [
                    crawl_id,
                    site_id,
                    verdict,
                    *(getattr(now, name) for name in _COUNTS),
                    now.platform,
                    now.platform_posts,
                    json.dumps(examples, sort_keys=True),
                    json.dumps([s.as_json() for s in signs]),
                ],
            )
        health = CrawlHealth(report)
        db.execute(
            "update crawls set health = ?, health_report = ? where id = ?",
            [health.verdict, json.dumps([s.as_json() for s in health.signs]), crawl_id],
        )
    return health


def had_comments(db: Database, url: str, crawl_id: int | None) -> bool:
    """Whether the archive holds comments of the recap at ``url`` that a crawl other than ``crawl_id`` saved first."""
    return bool(
        db.execute(
            "select exists(select 1 from comments join recaps on recaps.id = comments.recap_id "
            "where recaps.url = ? and comments.first_crawl_id is not ?)",
            [url, crawl_id],
        ).fetchone()[0]
    )


def latest_health(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Each site's latest verdict: site, base_url, crawl_id, verdict, signs (each sign's :attr:`Sign.detail`); []
    before m007."""
    if not conn.execute("select 1 from sqlite_master where name = 'crawl_sites'").fetchone():
        return []
    found = conn.execute(
        "select sites.name, sites.base_url, crawl_sites.crawl_id, crawl_sites.verdict, crawl_sites.signs "
        "from crawl_sites join sites on sites.id = crawl_sites.site_id "
        "where crawl_sites.crawl_id = (select max(crawl_id) from crawl_sites as later "
        "where later.site_id = crawl_sites.site_id) order by sites.id"
    ).fetchall()
    return [
        {
            "site": name or base_url,
            "base_url": base_url,
            "crawl_id": crawl_id,
            "verdict": verdict,
            "signs": [
                Sign(name, s["sign"], s["what"], s["after"], s["before"], s["example"]).detail
                for s in json.loads(signs or "[]")
            ],
        }
        for name, base_url, crawl_id, verdict, signs in found
    ]


def signs_of(report: Iterable[Sign]) -> dict[str, int]:
    """How many sites show each sign (``sign -> count``), for the crawl's stats."""
    return dict(Counter(sign.sign for sign in report))

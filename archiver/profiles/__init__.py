"""Site profiles: what a site does differently from stock WordPress, in a few lines per site.

A profile names its domains, where a whole-site crawl starts (series index pages such as
``/recaps/all/``), which links on a listing lead to more listings (series pages), and the comment
platform when the pages do not show it. The crawl picks a profile by domain, or ``-a profile=NAME``.
One module per site in this package; register it in ``PROFILES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse

from archiver.errors import ArgumentError

__all__ = ["PROFILES", "Profile", "profile_for", "profile_named"]


@dataclass(frozen=True)
class Profile:
    """How one site differs from stock WordPress; the defaults mean "no difference"."""

    name: str
    """What ``-a profile=`` calls it."""
    domains: tuple[str, ...] = ()
    """Host names it applies to (``www.`` is ignored)."""
    start_paths: tuple[str, ...] = ()
    """Paths a crawl of the home page starts from instead, e.g. ``("/recaps/all/",)``."""
    listing_link_css: tuple[str, ...] = ()
    """CSS for links on a listing that lead to more listings (a series index's series pages)."""
    platform: str | None = None
    """The comment platform, when the pages do not show it; None to detect it."""
    signals: bool = True
    """Whether a re-crawl asks the site's change signals (REST, comments feed, sitemap); False where they lie."""
    notes: str = ""
    """What differs, in a sentence."""

    def matches(self, url: str) -> bool:
        """True when ``url`` is on one of the profile's domains."""
        host = (urlsplit(url).hostname or "").removeprefix("www.")
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def start_urls(self, urls: list[str]) -> list[str]:
        """``urls`` with each bare home page replaced by the profile's start pages."""
        out: list[str] = []
        for url in urls:
            home = urlsplit(url).path in ("", "/")
            for start in [urljoin(url, p) for p in self.start_paths] if home and self.start_paths else [url]:
                if start not in out:
                    out.append(start)
        return out

    def listing_urls(self, response: TextResponse) -> list[str]:
        """Absolute URLs of the further listings (series pages) a listing links to."""
        found = [
            response.urljoin(h) for css in self.listing_link_css for h in response.css(css).xpath("@href").getall()
        ]
        return list(dict.fromkeys(found))


def _registry() -> dict[str, Profile]:
    from archiver.profiles import dramabeans

    return {p.name: p for p in (dramabeans.PROFILE,)}


PROFILES: dict[str, Profile] = {}
"""Every profile by name (filled at first use)."""


def profile_named(name: str) -> Profile:
    """The profile called ``name``; raises ArgumentError naming the argument."""
    PROFILES.update(PROFILES or _registry())
    try:
        return PROFILES[name]
    except KeyError:
        raise ArgumentError(f"argument profile: {name!r} is not one of {', '.join(sorted(PROFILES))}") from None


def profile_for(urls: list[str]) -> Profile | None:
    """The profile whose domains cover the first of ``urls`` that has one, else None."""
    PROFILES.update(PROFILES or _registry())
    for url in urls:
        for profile in PROFILES.values():
            if profile.matches(url):
                return profile
    return None

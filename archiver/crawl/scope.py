"""The crawl's scope: nothing is fetched from a host the user did not name.

:class:`ScopeMiddleware` is the first downloader middleware (before robots.txt, so not even a robots.txt is
asked of a host out of scope). It sees every request, whatever its ``dont_filter`` or ``allow_offsite``, and every
redirect target (Scrapy's redirect middlewares send a new request back through the downloader middlewares).
A request is refused (``IgnoreRequest``, counted as ``archiver/scope/refused``, logged once per host) when

* its scheme is not http or https (``file:``, ``data:``, ``ftp:`` ...);
* its host is not one of the crawl's hosts: the start URLs' hosts, their subdomains, and the Disqus embed host
  (``DISQUS_EMBED_URL``), which spiders/base.py adds to ``allowed_domains``;
* or its host is one the user did not name (a subdomain, the default Disqus host) and resolves to a loopback,
  private, link-local or unspecified address. Start URLs on 127.0.0.1 are allowed: the user named them.

The JOBDIR journal (archiver/crawl/frontier.py) asks :meth:`Scope.refusal` too, so it records only requests in scope.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

logger = logging.getLogger(__name__)

SCHEMES = ("http", "https")

Resolver = Callable[[str], list[str]]


class OutOfScope(IgnoreRequest):
    """A request the crawl refuses to send: its scheme or host is out of scope (the message says which)."""


def resolve(host: str) -> list[str]:
    """The addresses ``host`` resolves to (blocking); [] when it does not resolve."""
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, None)})
    except (OSError, UnicodeError):
        return []


def is_internal(address: str) -> bool:
    """True for a loopback, private, link-local, unspecified or reserved address (IPv4-mapped IPv6 included)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified or ip.is_reserved


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Scope:
    """The hosts a crawl may fetch from (``allowed``, subdomains included) and those the user named (``named``)."""

    def __init__(self, allowed: Iterable[str], named: Iterable[str], resolver: Resolver = resolve) -> None:
        self.allowed = {h.lower().rstrip(".") for h in allowed if h}
        self.named = {h.lower().rstrip(".") for h in named if h}
        self.resolver = resolver
        self.internal: dict[str, bool] = {}
        """Host -> whether it resolves to an internal address (only hosts not named are looked up)."""

    @classmethod
    def for_spider(cls, spider: Spider, settings: Any) -> Scope:
        """The scope of a spider: its start URLs' hosts are named; the Disqus embed host is named when set by the user."""
        named = {urlsplit(u).hostname or "" for u in getattr(spider, "start_urls", []) or []}
        allowed = set(named) | set(getattr(spider, "allowed_domains", None) or [])
        embed = urlsplit(getattr(spider, "disqus_embed_url", "") or settings.get("DISQUS_EMBED_URL") or "").hostname
        if embed:
            allowed.add(embed)
            if settings.getpriority("DISQUS_EMBED_URL") > SETTINGS_PRIORITIES["project"]:
                named.add(embed)
        return cls(allowed, named)

    def _host_allowed(self, host: str) -> bool:
        if host in self.allowed:
            return True
        return not _is_ip(host) and any(host.endswith("." + a) for a in self.allowed if not _is_ip(a))

    def needs_lookup(self, url: str) -> str | None:
        """The host of ``url`` when its addresses must be checked and are not known yet; else None."""
        host = (urlsplit(url).hostname or "").rstrip(".")
        if host and host not in self.named and host not in self.internal and self._host_allowed(host):
            return host
        return None

    def look_up(self, host: str) -> None:
        """Resolve ``host`` (blocking) and remember whether it is internal."""
        self.internal[host] = any(is_internal(a) for a in self.resolver(host))

    def refusal(self, url: str) -> str | None:
        """Why ``url`` is out of scope, or None when it may be fetched (hosts not looked up yet pass here)."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").rstrip(".")
        except ValueError as exc:
            return f"unreadable URL ({exc})"
        if parts.scheme.lower() not in SCHEMES:
            return f"scheme {parts.scheme or '(none)'!r} is not http(s)"
        if not host:
            return "no host"
        if not self._host_allowed(host):
            return f"host {host!r} is not one of the crawl's hosts"
        if host not in self.named and (_is_ip(host) and is_internal(host) or self.internal.get(host)):
            return f"host {host!r} was not named and resolves to an internal address"
        return None


_SCOPES: WeakKeyDictionary[Crawler, Scope] = WeakKeyDictionary()


def scope_of(crawler: Crawler) -> Scope:
    """The scope of ``crawler``'s spider, made at first use (the spider must exist)."""
    scope = _SCOPES.get(crawler)
    if scope is None:
        scope = _SCOPES[crawler] = Scope.for_spider(crawler.spider, crawler.settings)
    return scope


class ScopeMiddleware:
    """Refuse every request out of the crawl's scope (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.logged: set[str] = set()
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        return cls(crawler)

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        """Refuse a request out of scope before it is queued (the engine drops it on IgnoreRequest).

        Not one with an errback (a thread's requests): dropped here, it would never call it and its recap would
        be lost silently; :meth:`process_request` refuses it instead, and its errback records the loss.
        """
        if request.errback is not None:
            return
        reason = scope_of(self.crawler).refusal(request.url)
        if reason is not None:
            self._refuse(request, reason)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        """Refuse a request out of scope before it is sent: redirects, and hosts that must be looked up first."""
        scope = scope_of(self.crawler)
        host = scope.needs_lookup(request.url)
        if host is not None:
            await maybe_deferred_to_future(deferToThread(scope.look_up, host))
        reason = scope.refusal(request.url)
        if reason is not None:
            self._refuse(request, reason)

    def _refuse(self, request: Request, reason: str) -> None:
        self.crawler.stats.inc_value("archiver/scope/refused")
        key = urlsplit(request.url).hostname or f"{urlsplit(request.url).scheme}: URLs"
        if key not in self.logged:
            self.logged.add(key)
            logger.warning(
                "Refused out of scope: %s (%s); further requests to %s are refused and only counted "
                "(archiver/scope/refused)",
                request.url,
                reason,
                key,
            )
        raise OutOfScope(f"out of scope: {reason}")

"""What every recap spider shares: assembling one recap's whole thread from whichever platform prints it.

A recap starts from its post page; then, one request at a time, the spider fetches what the
detected platform needs (WordPress comment pages; wpDiscuz load-more and show-replies; the Disqus
embed and its cursor) and, where the site exposes it, the REST API's comments, which give every
public comment's true parent. Page objects in archiver.pages do the reading.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import scrapy
from archiver.spiders.thread import Thread, ThreadBounds
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import FormRequest, Request, Response, TextResponse
from twisted.python.failure import Failure

from archiver.crawl import roles
from archiver.crawl.politeness import room_for_every_site
from archiver.crawl.roles import role_of, with_role
from archiver.crawl.workers import PageReaders
from archiver.items import RecapItem
from archiver.pages.disqus import DisqusPosts, order_orphans_last
from archiver.pages.reading import WpdiscuzStart
from archiver.pages.rest import COMMENT_FIELDS, PER_PAGE, RestAnswer, merge_comments, rest_url
from archiver.pages.wpdiscuz import AjaxAnswer, WpdiscuzComments
from archiver.settings import DISQUS_EMBED_URL

logger = logging.getLogger(__name__)

# The setting's default lives in the project settings; Disqus's cursor endpoint is /api/3.0/threads/listPostsThreaded there.
REST_OFF_STATUSES = (401, 403, 404)
"""Only these answers mean the REST API is switched off; anything else that cannot be read is a failure to retry."""

# Scheduling order (Scrapy serves higher priorities first): a thread already started is finished before new posts
# start, and a listing's posts are read before its next page. Scrapy's default queue is last-in first-out, so a
# listing's next page would otherwise run ahead of its posts and the queue would hold every post of the site.
THREAD_PRIORITY = 1
LISTING_PRIORITY = -1


class ThreadSpider(scrapy.Spider):
    """Base: turns a :class:`Thread` into requests until it is complete, then yields its recap."""

    disqus_embed_url = DISQUS_EMBED_URL
    bounds = ThreadBounds()
    readers = PageReaders(0)
    """Where page readings run (archiver.crawl.workers); set from the crawl's settings."""

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ThreadSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.disqus_embed_url = crawler.settings.get("DISQUS_EMBED_URL") or DISQUS_EMBED_URL
        sites = len({urlsplit(u).hostname for u in spider.start_urls}) or 1
        spider.readers = PageReaders.from_crawler(crawler, sites)
        room_for_every_site(crawler.settings, sites)
        spider.bounds = ThreadBounds.from_settings(crawler.settings)
        host = urlsplit(spider.disqus_embed_url).hostname
        if host and getattr(spider, "allowed_domains", None) is not None and host not in spider.allowed_domains:
            spider.allowed_domains = [*spider.allowed_domains, host]
        return spider

    def _stat(self, key: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"archiver/{key}", count)

    def closed(self, reason: str) -> None:
        """Say once, not per recap, how many replies' parents only the pages' nesting gave."""
        stats = self.crawler.stats
        replies = stats.get_value("archiver/comments/parents_inferred")
        if replies:
            logger.info(
                "parents of %d repl(ies) in %d recap(s) inferred from the pages only (no REST API); "
                "each recap is listed at DEBUG level",
                replies,
                stats.get_value("archiver/recaps/parents_inferred", 0),
            )

    # -- the sequence ------------------------------------------------------------------------

    def continue_thread(self, t: Thread) -> Iterator[Request | RecapItem]:
        """The next request the thread needs, or its finished recap (at once when a bound is reached)."""
        if not self._within_bounds(t):
            yield self.finish_thread(t)
            return
        for step in (self._html_page_request, self._wpdiscuz_request, self._disqus_request, self._rest_request):
            request = step(t)
            if request is not None:
                t.steps += 1
                yield request
                return
        yield self.finish_thread(t)

    def _within_bounds(self, t: Thread) -> bool:
        """False (the thread lost, the bound counted) once it holds too many comments or needs too many steps."""
        bounds = self.bounds
        if len(t.recap.comments) > bounds.comments:
            del t.recap.comments[bounds.comments :]
            self._bound_hit(
                t, "thread_comments", f"more than {bounds.comments} comments (ARCHIVER_MAX_THREAD_COMMENTS)"
            )
            return False
        if t.steps >= bounds.steps and self._pending(t):
            self._bound_hit(t, "thread_steps", f"more than {bounds.steps} requests (ARCHIVER_MAX_THREAD_STEPS)")
            return False
        return True

    def _bound_hit(self, t: Thread, name: str, what: str) -> None:
        self._stat(f"bounds/{name}")
        logger.warning("%s: thread has %s; archived as incomplete", t.recap.url, what)
        t.lose(what)

    def _pending(self, t: Thread) -> bool:
        """Whether the thread still has a step to take (without taking it)."""
        pages = self._next_page(t) is not None
        wpd = t.wpd is not None and bool(t.wpd_after or t.wpd_hidden)
        disqus = t.disqus is not None and (not t.disqus_started or bool(t.disqus_cursor and t.disqus_thread))
        rest = t.platform != "disqus" and bool(t.rest_root and t.post_id) and t.rest_next is not None
        return pages or wpd or disqus or rest

    def _request(self, t: Thread, url: str, callback: Any, role: str, **kwargs: Any) -> Request:
        """A request for thread ``t`` carrying its ``role`` (archiver.crawl.roles) and the thread in ``meta``."""
        meta = with_role(role, {"thread": t, **kwargs.pop("meta", {})})
        cls = kwargs.pop("cls", Request)
        return cls(
            url,
            callback=callback,
            errback=self.thread_request_failed,
            meta=meta,
            dont_filter=True,
            priority=THREAD_PRIORITY,
            **kwargs,
        )

    def finish_thread(self, t: Thread) -> RecapItem:
        """Merge the API's comments into the pages', count how the parents are known, and say whether it is whole."""
        recap = t.recap
        if t.platform in ("wordpress", "wpdiscuz"):
            recap.comment_pages = max(recap.comment_pages, len(t.fetched), t.pages.count if t.pages else 1)
            recap.comment_pages_fetched = len(t.fetched)
        else:
            recap.comment_pages_fetched = recap.comment_pages
        self._stat(f"platform/{t.platform}")
        if t.api is not None:
            recap.comments, report = merge_comments(recap.comments, t.api)
            self._stat("comments/from_rest_only", report.api_only)
            self._stat("comments/parents_corrected", report.parents_corrected)
        elif t.platform == "wordpress":
            inferred = [c.site_comment_id for c in recap.comments if c.parent_site_id]
            if inferred:
                self._stat("comments/parents_inferred", len(inferred))
                self._stat("recaps/parents_inferred")
                logger.debug(
                    "%s: parents of %d repl(ies) inferred from the page only (no REST API): %s",
                    recap.url,
                    len(inferred),
                    ", ".join(inferred[:20]),
                )
        self._check_whole(t)
        recap.incomplete_reasons = list(t.incomplete)
        return recap

    def _check_whole(self, t: Thread) -> None:
        """Lose the thread where what was read does not account for what the site says it holds."""
        recap = t.recap
        if t.failed_pages:
            t.lose("comment page(s) " + ", ".join(map(str, sorted(t.failed_pages))) + " not read")
        if t.unreadable:
            t.lose(f"{t.unreadable} comment(s) shown but unreadable")
        read = len({c.site_comment_id for c in recap.comments})
        if t.platform == "disqus":
            return  # the post page's own count is WordPress's, not Disqus's
        for source, expected in (
            ("the page reports", recap.comment_count_reported),
            ("the REST API reports", t.rest_total),
        ):
            if expected is not None and read < expected:
                t.lose(f"{read} of {expected} comments read ({source} {expected})")

    def thread_request_failed(self, failure: Failure) -> Iterator[Request | RecapItem]:
        """A request for a thread failed for good: go on with the rest of it, the thread flagged incomplete."""
        request = failure.request  # type: ignore[attr-defined]
        t: Thread = request.meta["thread"]
        reason = failure.getErrorMessage() or failure.type.__name__
        if hasattr(failure.value, "response") and getattr(failure.value, "response", None) is not None:
            reason = f"HTTP {failure.value.response.status}"
        role = role_of(request)
        self._stat(f"errors/{role}")
        logger.error("%s: %s lost (%s: %s)", t.recap.url, role, request.url, reason)
        if role == roles.REST:
            t.rest_next = None
            t.lose(f"REST comments page could not be fetched ({reason})")
        elif role == roles.COMMENT_PAGE:
            t.failed_pages.add(request.cb_kwargs.get("number", 0))
        else:
            t.wpd_after, t.wpd_hidden, t.disqus_cursor, t.disqus_started = None, [], None, True
            t.lose(f"{role} request failed ({reason})")
        yield from self.continue_thread(t)

    def unreadable_answer(self, response: Response, t: Thread, what: str) -> Request | None:
        """A 200 answer that cannot be read: a retry while retries last, else None with the thread lost."""
        retry = get_retry_request(response.request, spider=self, reason=f"unreadable {what}")
        self._stat(f"errors/unreadable/{what.replace(' ', '_')}")
        if retry is not None:
            return retry
        logger.error("%s: %s unreadable after retries (%s)", t.recap.url, what, response.url)
        t.lose(f"{what} unreadable ({response.url})")
        return None

    # -- WordPress comment pages ---------------------------------------------------------------

    @staticmethod
    def _next_page(t: Thread) -> int | None:
        """The lowest comment page neither read nor failed, or None (the cursor skips only pages already done)."""
        if t.pages is None:
            return None
        while t.next_page <= t.pages.count and (t.next_page in t.fetched or t.next_page in t.failed_pages):
            t.next_page += 1
        return t.next_page if t.next_page <= t.pages.count else None

    def _html_page_request(self, t: Thread) -> Request | None:
        number = self._next_page(t)
        if number is None:
            return None
        return self._request(
            t, t.pages.url(number), self.parse_comment_page, roles.COMMENT_PAGE, cb_kwargs={"number": number}
        )

    def parse_comment_page(self, response: Response, number: int) -> Iterator[Request | RecapItem]:
        """Overridden by the spider: add one comment page to the thread."""
        raise NotImplementedError

    # -- wpDiscuz ----------------------------------------------------------------------------------

    def start_wpdiscuz(self, t: Thread, start: WpdiscuzStart) -> None:
        """Take the first wpDiscuz threads a post page shows, and what remains to load."""
        t.recap.comments = start.comments
        t.wpd = start.settings
        t.wpd.post_id = t.wpd.post_id or t.post_id
        t.wpd_after = start.load_more_after
        t.wpd_hidden = start.hidden_replies

    def _wpdiscuz_request(self, t: Thread) -> Request | None:
        if t.wpd is None or not (t.wpd_after or t.wpd_hidden):
            return None
        form: dict[str, str]
        if t.wpd.nonce is None:
            form, callback = {"action": "wpdGetNonce", "postId": t.wpd.post_id or ""}, self.parse_wpdiscuz_nonce
        elif t.wpd_after:
            form = {
                "action": "wpdLoadMoreComments",
                "postId": t.wpd.post_id or "",
                "lastParentId": t.wpd_after,
                "offset": "1",
                "isFirstLoad": "0",
                "wpdType": "",
                "wpdiscuz_nonce": t.wpd.nonce,
            }
            callback = self.parse_wpdiscuz_more
        else:
            form = {
                "action": "wpdShowReplies",
                "postId": t.wpd.post_id or "",
                "commentId": t.wpd_hidden[0],
                "wpdiscuz_nonce": t.wpd.nonce,
            }
            callback = self.parse_wpdiscuz_replies
        return self._request(t, t.wpd.ajax_url, callback, roles.WPDISCUZ, cls=FormRequest, formdata=form)

    def parse_wpdiscuz_nonce(self, response: Response) -> Iterator[Request | RecapItem]:
        t: Thread = response.meta["thread"]
        answer = AjaxAnswer.parse(response.text if isinstance(response, TextResponse) else "")
        nonce = answer.nonce() if answer is not None else None
        if nonce is None:
            retry = self.unreadable_answer(response, t, "wpDiscuz nonce")
            if retry is not None:
                yield retry
                return
            t.wpd_after, t.wpd_hidden = None, []
        else:
            t.wpd.nonce = nonce
        yield from self.continue_thread(t)

    def _wpdiscuz_answer(self, response: Response, t: Thread, what: str) -> tuple[AjaxAnswer | None, Request | None]:
        """The answer to a load-more or show-replies call, or what to do instead: a new nonce, a retry, or give up.

        wpDiscuz answers a stale nonce with HTTP 200 and the plain text ``Nonce is invalid.``: a new nonce is
        asked for (twice at most per thread), then the call is made again.
        """
        text = response.text if isinstance(response, TextResponse) else ""
        answer = AjaxAnswer.parse(text)
        if answer is not None and answer.success:
            return answer, None
        if answer is None and "nonce is invalid" in text.lower() and t.wpd_nonce_refreshes < 2:
            t.wpd_nonce_refreshes += 1
            t.wpd.nonce = None
            self._stat("wpdiscuz/nonce_refreshed")
            return None, self._wpdiscuz_request(t)
        if answer is not None:  # JSON saying it failed: asking again gives the same
            self._stat("errors/wpdiscuz")
            logger.error("%s: wpDiscuz %s refused (%s)", t.recap.url, what, str(answer.data)[:200])
            t.lose(f"wpDiscuz {what} refused")
            return None, None
        return None, self.unreadable_answer(response, t, f"wpDiscuz {what}")

    def parse_wpdiscuz_more(self, response: Response) -> Iterator[Request | RecapItem]:
        """Add the next threads wpDiscuz loads after the last one shown."""
        t: Thread = response.meta["thread"]
        self._stat("pages/wpdiscuz_more")
        answer, instead = self._wpdiscuz_answer(response, t, "load-more")
        if instead is not None:
            yield instead
            return
        previous, t.wpd_after = t.wpd_after, None
        if answer is not None:
            fragment = WpdiscuzComments.from_fragment(answer.field("comment_list") or "", response.url)
            t.recap.comments.extend(fragment.comments())
            t.wpd_hidden.extend(fragment.hidden_replies())
            last = answer.field("last_parent_id")
            if str(answer.field("is_show_load_more")).lower() in ("true", "1") and last and last != previous:
                t.wpd_after = last
        yield from self.continue_thread(t)

    def parse_wpdiscuz_replies(self, response: Response) -> Iterator[Request | RecapItem]:
        """Add the replies wpDiscuz shows only after "View Replies"."""
        t: Thread = response.meta["thread"]
        self._stat("pages/wpdiscuz_replies")
        answer, instead = self._wpdiscuz_answer(response, t, "show-replies")
        if instead is not None:
            yield instead
            return
        root = t.wpd_hidden.pop(0)
        if answer is not None:
            fragment = WpdiscuzComments.from_fragment(answer.field("comment_list") or "", response.url)
            known = {c.site_comment_id for c in t.recap.comments}
            t.recap.comments.extend(
                c for c in fragment.comments() if c.site_comment_id not in known and c.site_comment_id != root
            )
        yield from self.continue_thread(t)

    # -- Disqus --------------------------------------------------------------------------------------

    def _disqus_request(self, t: Thread) -> Request | None:
        if t.disqus is None:
            return None
        meta = {"allow_offsite": True}
        if not t.disqus_started:
            t.disqus_started = True
            url = f"{self.disqus_embed_url}?{urlencode(t.disqus.embed_params())}"
            return self._request(t, url, self.parse_disqus, roles.DISQUS, meta=meta)
        if t.disqus_cursor and t.disqus_thread:
            params = {
                "limit": 100,
                "thread": t.disqus_thread,
                "forum": t.disqus.shortname,
                "order": "popular",
                "cursor": t.disqus_cursor,
                "api_key": t.disqus_key,
            }
            url = urljoin(self.disqus_embed_url, "/api/3.0/threads/listPostsThreaded")
            t.disqus_cursor = None
            url = f"{url}?{urlencode({k: v for k, v in params.items() if v})}"
            return self._request(t, url, self.parse_disqus, roles.DISQUS, meta=meta)
        return None

    def parse_disqus(self, response: Response) -> Iterator[Request | RecapItem]:
        """Add a batch of Disqus posts (the embed page's, or the cursor endpoint's)."""
        t: Thread = response.meta["thread"]
        self._stat("pages/disqus")
        try:
            if t.disqus_thread is None:
                batch = DisqusPosts.from_embed(response)
                t.disqus_thread, t.disqus_key = batch.thread, batch.api_key
            else:
                batch = DisqusPosts.from_api(response.text)
        except ValueError as exc:
            logger.error("%s: Disqus answer unreadable (%s)", t.recap.url, exc)
            retry = self.unreadable_answer(response, t, "Disqus answer")
            if retry is not None:
                yield retry
                return
            t.disqus_cursor = None
            yield from self.continue_thread(t)
            return
        t.disqus_deleted |= batch.deleted_ids()
        t.recap.comments = order_orphans_last(t.recap.comments + batch.comments(), t.disqus_deleted)
        t.disqus_cursor = batch.next_cursor
        yield from self.continue_thread(t)

    # -- the WordPress REST API ---------------------------------------------------------------------

    def _rest_request(self, t: Thread) -> Request | None:
        if t.platform == "disqus" or not t.rest_root or not t.post_id or t.rest_next is None:
            return None
        if t.recap.site_url in self._rest_off:
            t.rest_next = None
            return None
        url = rest_url(
            t.rest_root, "wp/v2/comments", post=t.post_id, per_page=PER_PAGE, page=t.rest_next, _fields=COMMENT_FIELDS
        )
        return self._request(
            t, url, self.parse_rest_comments, roles.REST, meta={"handle_httpstatus_list": list(REST_OFF_STATUSES)}
        )

    def parse_rest_comments(self, response: Response) -> Iterator[Request | RecapItem]:
        """Add one page of the post's comments from the REST API; fall back to the pages when the API is off."""
        t: Thread = response.meta["thread"]
        if response.status in REST_OFF_STATUSES:
            self.rest_unavailable(t.recap.site_url, response)
            t.rest_next, t.api = None, None
            yield from self.continue_thread(t)
            return
        answer = RestAnswer.parse(response)
        if answer is None:
            retry = self.unreadable_answer(response, t, "REST comments")
            if retry is not None:
                yield retry
                return
            t.rest_next = None
        else:
            self._stat("pages/rest")
            t.api = (t.api or []) + answer.comments(response.url)
            if answer.total is not None:
                t.rest_total = answer.total
            t.rest_next = t.rest_next + 1 if t.rest_next and t.rest_next < answer.total_pages else None
            if t.rest_next is not None and t.rest_next > self.bounds.rest_pages:
                t.rest_next = None
                self._bound_hit(
                    t, "rest_pages", f"more than {self.bounds.rest_pages} REST pages (ARCHIVER_MAX_REST_PAGES)"
                )
        yield from self.continue_thread(t)

    def rest_unavailable(self, site_url: str, response: Response) -> None:
        """Remember that a site's REST API does not answer, once per site, and say so in the stats."""
        if site_url in self._rest_off:
            return
        self._rest_off.add(site_url)
        self._stat("rest/unavailable")
        self._stat(f"rest/unavailable/{response.status}")
        logger.info(
            "%s: REST API not available (HTTP %s at %s); reading the pages only",
            site_url,
            response.status,
            response.url,
        )

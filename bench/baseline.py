"""The two plain Scrapy spiders ``make bench`` compares the crawl with.

``scrapy runspider bench/baseline.py -a urls=FILE -a kind=bare|naive``, run outside the project folder so
that Scrapy's own default settings apply (no archiver pipelines, no HTTP cache):

* ``bare`` fetches every URL of the file and parses nothing: the ceiling of Scrapy's download path.
* ``naive`` starts at the site's home page and follows every link on each page (``a::attr(href)``) that is
  one of those URLs, yielding one item per comment read with ``response.css`` into a JSON-lines feed: what
  a first plain Scrapy spider for a recap blog looks like.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy


class BaselineSpider(scrapy.Spider):
    name = "baseline"

    def __init__(self, urls: str = "", kind: str = "bare", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with open(urls, encoding="utf-8") as fh:
            self.urls = [line.strip() for line in fh if line.strip()]
        self.known = set(self.urls)
        self.kind = kind

    async def start(self):
        if self.kind == "bare":
            for url in self.urls:
                yield scrapy.Request(url, callback=self.ignore)
        else:
            yield scrapy.Request(self.urls[0], callback=self.parse)

    def ignore(self, response: scrapy.http.Response) -> None:
        return None

    def parse(self, response: scrapy.http.Response) -> Iterator[Any]:
        for comment in response.css("li.comment"):
            own = comment.css("article.comment-body")[:1]  # replies are in the <ol class="children"> beside it
            yield {
                "url": response.url,
                "id": comment.attrib.get("id", "").removeprefix("comment-"),
                "parent": (comment.xpath("ancestor::li[contains(@class, 'comment')][1]/@id").get() or "").removeprefix(
                    "comment-"
                )
                or None,
                "author": " ".join(own.css(".comment-author .fn ::text").getall()).strip(),
                "date": own.css(".comment-metadata time::attr(datetime)").get(),
                "text": "\n".join(t.strip() for t in own.css(".comment-content p ::text").getall()),
                "likes": own.css(".cld-like-count-wrap::text").get(),
            }
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href).split("#", 1)[0]
            if url in self.known:
                yield scrapy.Request(url, callback=self.parse)

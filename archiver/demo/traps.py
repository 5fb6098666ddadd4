"""Crawler traps for the demo site (``--traps on``): links a naive crawler follows forever.

- ``calendar``: a Calendar widget in the sidebar whose "&laquo; previous month" link always leads to the
  previous calendar month ``/YYYY/MM/``; a month with no posts is an empty themed archive page with its own
  calendar and previous-month link, back to the year 1000.
- ``comment_order``: sort links on post pages (``?comment_order=asc|desc``, ``?orderby=comment_karma``), each
  serving the same post.
- ``replytocom``: the reply links every comment has (``?replytocom=ID``), also without traps.
- ``paged_beyond``: a buggy theme's "Next" link on the last listing page: ``/page/N+1/`` shows the last
  page's posts again, with another "Next" link, forever.
- ``redirect_loop``: ``/go/loop/`` 302s to ``/go/loop/?r=1``, which 302s back; linked from the sidebar and from
  the oldest post's body.

The server counts the requests of each family; ``GET /__demo/stats.json`` shows the counts (never linked).
"""

from __future__ import annotations

import calendar
from datetime import datetime

from archiver.demo.model import TZ, Post, Site

FAMILIES = ("calendar", "comment_order", "replytocom", "paged_beyond", "redirect_loop")
LOOP_PATH = "/go/loop/"
STATS_PATH = "/__demo/stats.json"
SORT_LINKS = (
    ("comment_order", "asc", "Oldest"),
    ("comment_order", "desc", "Newest"),
    ("orderby", "comment_karma", "Best"),
)
OLDEST_YEAR = 1000


def on(site: Site) -> bool:
    """True when the site serves traps."""
    return site.options.traps == "on"


def newest_month(site: Site) -> tuple[int, int]:
    """(year, month) of the newest post, in the blog's timezone: what the calendar shows by default."""
    if not site.posts:
        return 2021, 2
    local = max(p.date for p in site.posts).astimezone(TZ)
    return local.year, local.month


def previous_month(year: int, month: int) -> tuple[int, int]:
    """The calendar month before (year, month)."""
    return (year, month - 1) if month > 1 else (year - 1, 12)


def month_path(year: int, month: int) -> str:
    """``/YYYY/MM/``."""
    return f"/{year:04d}/{month:02d}/"


def loop_post(site: Site) -> Post | None:
    """The post whose body links the redirect loop: the oldest."""
    return min(site.posts, key=lambda p: p.date) if site.posts else None


def calendar_widget(site: Site, url, year: int, month: int) -> str:
    """``get_calendar()`` for (year, month): the table and a previous-month link that never runs out."""
    days_with_posts = {
        p.date.astimezone(TZ).day
        for p in site.posts
        if (p.date.astimezone(TZ).year, p.date.astimezone(TZ).month) == (year, month)
    }
    rows = []
    for week in calendar.Calendar(firstweekday=0).monthdayscalendar(year, month):
        cells = "".join(
            "<td>&nbsp;</td>"
            if d == 0
            else f"<td>{d}</td>"
            if d not in days_with_posts
            else f'<td><span aria-label="Posts published on {calendar.month_name[month]} {d}, {year}">{d}</span></td>'
            for d in week
        )
        rows.append(f"<tr>{cells}</tr>")
    head = "".join(f'<th scope="col" title="{name}">{name[0]}</th>' for name in calendar.day_name)
    prev = ""
    if (year, month) > (OLDEST_YEAR, 1):
        py, pm = previous_month(year, month)
        prev = f'<a href="{url(month_path(py, pm))}">&laquo; {calendar.month_abbr[pm]}</a>'
    return f"""<section id="calendar-2" class="widget widget_calendar"><div id="calendar_wrap" class="calendar_wrap"><table id="wp-calendar" class="wp-calendar-table">
	<caption>{calendar.month_name[month]} {year}</caption>
	<thead>
	<tr>{head}</tr>
	</thead>
	<tbody>
	{"".join(rows)}
	</tbody>
	</table><nav aria-label="Previous and next months" class="wp-calendar-nav">
		<span class="wp-calendar-nav-prev">{prev}</span>
		<span class="pad">&nbsp;</span>
		<span class="wp-calendar-nav-next">&nbsp;</span>
	</nav></div></section>"""


def sort_links(url: str) -> str:
    """The comment sort-order links under a post's comments title."""
    links = " | ".join(f'<a rel="nofollow" href="{url}?{key}={value}">{label}</a>' for key, value, label in SORT_LINKS)
    return f'\n\t<div class="comment-sort-order">Sort by: {links}</div>'


def month_label(year: int, month: int) -> str:
    """``F Y``, e.g. ``February 2020``."""
    return f"{calendar.month_name[month]} {year}"


def traps_truth(site: Site, base_url: str) -> dict:
    """The ``traps`` key of the ground truth: an entry URL per family (empty when traps are off)."""
    if not on(site):
        return {}
    root = base_url.rstrip("/")
    pages = max(1, -(-len(site.posts) // site.options.posts_per_page))
    post = next((p for p in site.posts if p.comments), site.posts[0]) if site.posts else None
    y, m = previous_month(*newest_month(site))
    out = {
        "families": list(FAMILIES),
        "calendar": root + month_path(y, m),
        "paged_beyond": f"{root}/page/{pages + 1}/",
        "redirect_loop": [root + LOOP_PATH, f"{root}{LOOP_PATH}?r=1"],
        "stats_url": root + STATS_PATH,
    }
    if post is not None:
        out["comment_order"] = [f"{root}{post.path}?{k}={v}" for k, v, _ in SORT_LINKS]
        out["loop_post_url"] = root + loop_post(site).path
        if post.comments:
            out["replytocom"] = f"{root}{post.path}?replytocom={post.comments[0].id}"
    return out


def valid_month(year: int, month: int) -> bool:
    """A month the calendar trap may lead to."""
    return 1 <= month <= 12 and year >= OLDEST_YEAR and datetime(year, month, 1) <= datetime(9999, 1, 1)

"""Dramabeans-style drama recap blog: series pages listing episode recaps, threads with likes and dislikes.

Posts are stock WordPress (``/YYYY/MM/slug/``); the comment platform (wpDiscuz on such sites, with
separate like and dislike counts) is detected from each page. What differs is the way in: the
site's recap index ``/recaps/all/`` links to one page per show (``/shows/<slug>/``), and each show
page lists its episode recaps, paginated like any archive.
"""

from __future__ import annotations

from archiver.profiles import Profile

PROFILE = Profile(
    name="dramabeans",
    domains=("dramabeans.com",),
    start_paths=("/recaps/all/",),
    listing_link_css=("a[href*='/shows/']",),
    notes="recaps reached through /recaps/all/ and /shows/<slug>/ series pages",
)

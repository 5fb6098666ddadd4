"""Post dates of the demo model: a day or more apart on ordinary sites, within two years on huge bench sites."""

from __future__ import annotations

from datetime import timedelta

from archiver.demo.model import EPOCH, TZ, SiteOptions, build_site


def test_small_sites_keep_their_dates() -> None:
    """Up to 730 posts: each post on its own day at a whole hour (the dates fixtures and truths were made with)."""
    site = build_site(SiteOptions())
    assert [p.date.isoformat() for p in sorted(site.posts, key=lambda p: p.date)][:3] == [
        "2021-02-09T00:00:00+00:00",
        "2021-02-13T08:00:00+00:00",
        "2021-02-19T12:00:00+00:00",
    ]
    site = build_site(SiteOptions(series=8, episodes=85, extra_posts=50, comments=100))
    assert len(site.posts) == 730
    local = [p.date.astimezone(TZ) for p in site.posts]
    assert len({d.date() for d in local}) == 730
    assert all(d.minute == 0 and d.hour in (7, 8, 9, 17, 18, 21) for d in local)


def test_twenty_thousand_posts_fit_in_two_years() -> None:
    """The 1m bench size's 20,000 recaps (here with few comments): no date decades ahead, permalinks unique."""
    site = build_site(
        SiteOptions(
            seed=7,
            series=200,
            episodes=100,
            extra_posts=2,
            comments=3000,
            depth=6,
            thread_depth=6,
            per_page=50,
            posts_per_page=10,
        )
    )
    assert len(site.posts) == 20_002
    posts = sorted(site.posts, key=lambda p: p.id)
    dates = [p.date for p in posts]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)  # publishing order, never two at once
    assert EPOCH < dates[0] and dates[-1] <= EPOCH + timedelta(days=2 * 365)
    comments = [c.date for p in site.posts for c in p.comments]
    assert len(comments) == 3000
    assert max(comments) <= EPOCH + timedelta(days=3 * 365)
    assert all(c.date > p.date for p in site.posts for c in p.comments)
    paths = [p.path for p in site.posts]
    assert len(set(paths)) == len(paths)

"""The demo site some days later: new recaps and replies, edits, deletions, vote changes.

``evolve(site, day)`` turns the day-1 site into the site as it is on ``day``, and
records each change in ``site.changes`` for the ground truth.
"""

from __future__ import annotations

from archiver.demo.model import Site


def evolve(site: Site, day: int) -> None:
    """Change ``site`` in place into the site as it is on ``day`` (> 1)."""
    site.changes = []

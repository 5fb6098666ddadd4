"""Series and episode from a recap's title, linked to the site's tag or category of that name."""

from __future__ import annotations

from archiver.pipelines import CountingPipeline

from archiver.episodes import match_series_term, parse_episode_title
from archiver.items import RecapItem


class EpisodePipeline(CountingPipeline):
    """Fill ``series_name``, ``episode_*`` and ``series_term``; posts with no episode keep them None."""

    def process_item(self, item: RecapItem) -> RecapItem:
        if not isinstance(item, RecapItem):
            return item
        info = parse_episode_title(item.title)
        item.series_name = info.series if info.number is not None else None
        item.episode_number = info.number
        item.episode_end = info.end
        item.episode_label = info.label
        if item.series_name:
            item.series_term = match_series_term(item.series_name, item.tags + item.categories)
            self.stats.inc_value("archiver/recaps/episodes")
        else:
            self.stats.inc_value("archiver/recaps/not_episodes")
        return item

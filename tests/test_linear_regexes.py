"""The readers that used quadratic regexes: linear on 1 MB of adversarial input, the same as before on any other.

Each timing test times one call and nothing else; each property compares the reader with the regex it replaced
(kept here as the reference) on generated input made of the characters that matter to it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse

from archiver.episodes import strip_noise_words
from archiver.pages.counts import _COUNT_WORD, parse_comment_count
from archiver.pages.disqus import _EMBED_VARS, DisqusEmbed
from archiver.pages.jsdata import assigned_object
from archiver.pages.markup import strip_edge_breaks as _strip_breaks
from archiver.pages.wpdiscuz import _AJAX_OBJ, WpdiscuzSettings

MB = 1 << 20

# The regexes as they were.
OLD_NOISE_WORDS = re.compile(
    r"(?:\b(?:recaps?|reviews?|thoughts|impressions|roundup|open thread)\b[\s:\-–—|]*)+$", re.I
)
OLD_AJAX_OBJ = re.compile(r"wpdiscuzAjaxObj\s*=\s*(\{.*?\});\s*$", re.S | re.M)
OLD_EMBED_VARS = re.compile(r"embedVars\s*=\s*(\{.*?\});", re.S)
OLD_COUNT_WORD = re.compile(
    r"(\d{1,3}(?:[,.\u00a0\u202f]\d{3})+|\d+)\s*(?:comments?|thoughts?|responses?|replies|reply|reactions?)", re.I
)
OLD_EDGE_BREAKS = re.compile(r"^(?:\s*<br\s*/?>)+|(?:<br\s*/?>\s*)+$")


def seconds(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def adversarial(unit: str, tail: str = "x") -> str:
    """``unit`` repeated to 1 MB, then ``tail``."""
    return unit * (MB // len(unit)) + tail


def test_noise_words_are_linear() -> None:
    assert seconds(lambda: strip_noise_words(adversarial("recap review | "))) < 1


def test_count_words_are_linear() -> None:
    assert seconds(lambda: _COUNT_WORD.search(adversarial("1"))) < 1
    assert seconds(lambda: _COUNT_WORD.search(adversarial("1,000"))) < 1
    assert seconds(lambda: parse_comment_count("about " + adversarial("9"))) < 1


def test_edge_breaks_are_linear() -> None:
    assert seconds(lambda: _strip_breaks("x" + adversarial("<br> ", "y<br>"))) < 1
    assert seconds(lambda: _strip_breaks("<br>" + adversarial("<br>\n"))) < 1


def test_wpdiscuz_settings_are_linear() -> None:
    script = adversarial("wpdiscuzAjaxObj = {};x")
    assert seconds(lambda: assigned_object(script, _AJAX_OBJ, line_end=True)) < 1
    page = f"<html><body><script>{adversarial('wpdiscuzAjaxObj={')}</script></body></html>"
    response = HtmlResponse(url="http://127.0.0.1/p/", body=page, encoding="utf-8")
    assert seconds(lambda: WpdiscuzSettings.from_response(response, "http://127.0.0.1/")) < 1


def test_disqus_embed_vars_are_linear() -> None:
    script = adversarial("embedVars={")
    assert seconds(lambda: assigned_object(script, _EMBED_VARS)) < 1
    page = f"<html><body><script>{script}</script></body></html>"
    response = HtmlResponse(url="http://127.0.0.1/p/", body=page, encoding="utf-8")
    assert seconds(lambda: DisqusEmbed.from_response(response, "http://127.0.0.1/p/")) < 1


# ------------------------------------------------------------------ the same results as the old regexes
TITLE_PARTS = st.sampled_from(
    [
        "recap",
        "Recaps",
        "review",
        "REVIEWS",
        "thoughts",
        "impressions",
        "roundup",
        "open thread",
        "Open Thread",
        "x",
        "Episode 4",
        "s",
        "é",
        "_",
        "1",
    ]
)
SEPS = st.text(alphabet=" \t\n:-–—|,.()", max_size=3)


@settings(max_examples=400)
@given(st.lists(st.tuples(TITLE_PARTS, SEPS), max_size=8))
def test_noise_words_match_the_old_regex(parts: list[tuple[str, str]]) -> None:
    text = "".join(a + b for a, b in parts)
    assert strip_noise_words(text) == OLD_NOISE_WORDS.sub("", text)


@settings(max_examples=400)
@given(st.text(alphabet="0123456789,. \u00a0\u202fcommentsrepliyhougt", max_size=40))
def test_count_words_match_the_old_regex_on_counts_of_sane_length(text: str) -> None:
    if any(len(run) > 18 for run in re.findall(r"\d+", text)):
        return  # counts of more than 18 digits are not counts
    old, new = OLD_COUNT_WORD.search(text), _COUNT_WORD.search(text)
    assert (old.group(1) if old else None) == (new.group(1) if new else None)


@settings(max_examples=400)
@given(
    st.lists(
        st.sampled_from(
            ["<br>", "<br/>", "<br />", "<br  >", " ", "\n", "\t", "x", "<p>", "</p>", "<b", "<", "br>", "<BR>"]
        ),
        max_size=12,
    )
)
def test_edge_breaks_match_the_old_regex(parts: list[str]) -> None:
    fragment = "".join(parts)
    assert _strip_breaks(fragment) == OLD_EDGE_BREAKS.sub("", fragment).strip()


SCRIPT_PARTS = st.sampled_from(
    ["wpdiscuzAjaxObj", "embedVars", " = ", "=", "{", "}", "};", ";", "\n", " ", "x", '"a":1', "})", "\r\n"]
)


@settings(max_examples=600)
@given(st.lists(SCRIPT_PARTS, max_size=14))
def test_assigned_objects_match_the_old_regexes(parts: list[str]) -> None:
    script = "".join(parts)
    old = OLD_AJAX_OBJ.search(script)
    assert assigned_object(script, _AJAX_OBJ, line_end=True) == (old.group(1) if old else None)
    old = OLD_EMBED_VARS.search(script)
    assert assigned_object(script, _EMBED_VARS) == (old.group(1) if old else None)

"""The thread page in headless Chromium (Debian's `chromium`): rendered nested, nothing injected runs.

Skipped, with the reason, where Chromium is not installed (`make test` installs it with apt-get).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import CHROMIUM, chromium, injected_tags, serve

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it: apt-get install chromium)"
    ),
]


def test_thread_page_renders_nested_and_runs_no_injected_script(hostile_archive: Path, output_dir: Path) -> None:
    process, base = serve(hostile_archive)
    try:
        url = f"{base}/hostile/-/thread/1"
        dom = chromium(url, "--dump-dom").stdout
        screenshot = output_dir / "thread-page.png"
        screenshot.unlink(missing_ok=True)
        chromium(url, f"--screenshot={screenshot}", "--window-size=1000,800", "--hide-scrollbars")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert 'class="ra-thread"' in dom, dom[:2000]
    assert re.findall(r'id="c(\d+)" data-depth="(\d+)"', dom) == [("1", "1"), ("2", "2"), ("3", "3"), ("4", "1")]
    # The comment's text is shown as text, and no script, handler or javascript: link came from the archive.
    thread = dom.split('<ol class="ra-thread">')[1].split("</ol>")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in thread
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", dom, re.S)
    assert not [s for s in scripts if "alert" in s]
    assert not injected_tags(thread)
    assert screenshot.is_file() and screenshot.stat().st_size > 5000

"""``python -m archiver.demo.wordpress_lab``: start the lab, print its base URL, serve until Ctrl-C.

Example: ``python -m archiver.demo.wordpress_lab --theme twentytwentythree --plugin wpdiscuz --per-page 5
--order newest --depth 5 --rest 401 --truth truth.json``. ``--ensure-packages`` only installs what the lab
needs (apt-get, as root) and says whether it can run.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from archiver.demo.wordpress_lab.content import PLUGINS, THEMES, LabCell
from archiver.demo.wordpress_lab.lab import LabError, WordPressLab, ensure_packages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m archiver.demo.wordpress_lab",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--theme", choices=THEMES, default="twentytwentyone")
    parser.add_argument("--plugin", choices=PLUGINS, default="none")
    parser.add_argument("--no-paging", action="store_true", help="page_comments off")
    parser.add_argument("--wpdiscuz-pages", action="store_true", help="wpDiscuz follows WordPress comment pages")
    parser.add_argument("--per-page", type=int, choices=(5, 50), default=50)
    parser.add_argument("--order", choices=("newest", "oldest"), default="newest", help="default_comments_page")
    parser.add_argument("--depth", type=int, choices=(2, 5, 10), default=5, help="thread_comments_depth")
    parser.add_argument("--rest", choices=("on", "401"), default="on")
    parser.add_argument("--folder", type=Path, help="state folder (default: a new one under /tmp)")
    parser.add_argument("--truth", type=Path, help="write the cell's ground truth JSON here")
    parser.add_argument("--ensure-packages", action="store_true", help="install missing packages, then exit")
    args = parser.parse_args(argv)
    if args.ensure_packages:
        ok, why = ensure_packages()
        print(("WordPress lab ready: " if ok else "WordPress lab unavailable: ") + why)
        return 0
    cell = LabCell(
        theme=args.theme,
        page_comments=not args.no_paging,
        comments_per_page=args.per_page,
        default_comments_page=args.order,
        thread_comments_depth=args.depth,
        plugin=args.plugin,
        wpdiscuz_pages=args.wpdiscuz_pages,
        rest=args.rest,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        with WordPressLab(args.folder) as lab:
            lab.configure(cell)
            if args.truth:
                args.truth.write_text(json.dumps(lab.truth(cell), ensure_ascii=False, indent=1), encoding="utf-8")
            print(f"WordPress lab ({cell.label}, state in {lab.folder}) serving on {lab.base_url}", flush=True)
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass
    except LabError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

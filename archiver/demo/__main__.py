"""``python -m archiver.demo --port 0 --truth /tmp/truth.json``: serve the demo recap site."""

from __future__ import annotations

import argparse
from dataclasses import fields

from archiver.demo.model import CHOICES, SiteOptions
from archiver.demo.server import serve_forever


def main(argv: list[str] | None = None) -> None:
    """Parse arguments (one per ``SiteOptions`` field, plus host, port and truth) and serve."""
    parser = argparse.ArgumentParser(prog="python -m archiver.demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--truth", default=None, help="write the ground truth JSON here")
    for f in fields(SiteOptions):
        flag = "--" + f.name.replace("_", "-")
        kwargs = {"choices": list(CHOICES[f.name])} if f.name in CHOICES else {"type": type(f.default)}
        parser.add_argument(flag, dest=f.name, default=f.default, **kwargs)
    args = parser.parse_args(argv)
    options = SiteOptions(**{f.name: getattr(args, f.name) for f in fields(SiteOptions)})
    serve_forever(options, host=args.host, port=args.port, truth_path=args.truth)


if __name__ == "__main__":
    main()

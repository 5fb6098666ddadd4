"""``python -m archiver.demo --port 0 --truth /tmp/truth.json``: serve the demo recap site."""

from __future__ import annotations

import argparse
from dataclasses import fields

from archiver.demo.model import CHOICES, SiteOptions
from archiver.demo.server import serve_forever


def parser() -> argparse.ArgumentParser:
    """The command line: one option per ``SiteOptions`` field, plus host, port and truth."""
    out = argparse.ArgumentParser(prog="python -m archiver.demo", description=__doc__)
    out.add_argument("--host", default="127.0.0.1")
    out.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    out.add_argument("--truth", default=None, help="write the ground truth JSON here")
    for f in fields(SiteOptions):
        flag = "--" + f.name.replace("_", "-")
        kwargs = {"choices": list(CHOICES[f.name])} if f.name in CHOICES else {"type": type(f.default)}
        out.add_argument(flag, dest=f.name, default=f.default, **kwargs)
    return out


def parse_options(argv: list[str]) -> SiteOptions:
    """The ``SiteOptions`` that ``argv`` selects (host, port and truth are accepted and ignored)."""
    args = parser().parse_args(argv)
    return SiteOptions(**{f.name: getattr(args, f.name) for f in fields(SiteOptions)})


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve."""
    args = parser().parse_args(argv)
    options = SiteOptions(**{f.name: getattr(args, f.name) for f in fields(SiteOptions)})
    serve_forever(options, host=args.host, port=args.port, truth_path=args.truth)


if __name__ == "__main__":
    main()

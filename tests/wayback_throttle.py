"""pywb behind a WSGI wrapper that answers 429 with Retry-After, as the Wayback Machine does when rate-limiting.

``python tests/wayback_throttle.py PORT`` in a folder set up with ``wb-manager``; ``WAYBACK_THROTTLE_FILE``
names a JSON file ``{"rules": {"substring": N}, "retry_after": "1"}``: the first N requests whose path
contains the substring get a 429. Every 429 is appended to ``<file>.log``, one path a line.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from pywb.apps.frontendapp import FrontEndApp


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def throttled(app, config: Path):  # type: ignore[no-untyped-def]
    settings = json.loads(config.read_text(encoding="utf-8"))
    left = dict(settings["rules"])
    log = config.with_suffix(config.suffix + ".log")

    def wrapper(environ, start_response):  # type: ignore[no-untyped-def]
        path = environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", "")
        for marker, count in left.items():
            if marker in path and count > 0:
                left[marker] = count - 1
                with log.open("a", encoding="utf-8") as fh:
                    fh.write(path + "\n")
                start_response(
                    "429 Too Many Requests",
                    [("Retry-After", str(settings.get("retry_after", "1"))), ("Content-Type", "text/plain")],
                )
                return [b"Too many requests\n"]
        return app(environ, start_response)

    return wrapper


if __name__ == "__main__":
    application = throttled(FrontEndApp(), Path(os.environ["WAYBACK_THROTTLE_FILE"]))
    make_server(
        "127.0.0.1", int(sys.argv[1]), application, server_class=ThreadingServer, handler_class=QuietHandler
    ).serve_forever()

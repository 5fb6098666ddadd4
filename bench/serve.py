"""Serve a static export on 127.0.0.1: nginx when installed (one worker, no access log), else Twisted's ``File``.

The same server answers all three spiders. ``python -m bench.serve ROOT PORT`` is the Twisted fallback,
run in its own process so that it never shares a core's time slice with a spider's reactor.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

NGINX_HEAD = """\
daemon off;
worker_processes 1;
{user}pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections {connections}; }}
http {{
    types {{ text/html html; text/plain txt; }}
    default_type application/octet-stream;
    charset utf-8;
    charset_types text/html text/plain;
    access_log off;
    keepalive_requests 100000;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
"""
"""An nginx configuration up to its ``server`` blocks (and the closing brace of ``http``)."""
NGINX_SERVER = """\
    sendfile on;
    tcp_nopush on;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
        location / {{ try_files $uri $uri/index.html =404; }}
    }}
"""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_nginx() -> str | None:
    """The nginx binary, or None."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def stop_process(process: subprocess.Popen) -> None:
    """Terminate ``process`` if it still runs, killing it after 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class StaticServer:
    """A static file server for ``root`` on 127.0.0.1:``port`` (a context manager): nginx, else Twisted."""

    start_seconds = 20
    connections = 1024

    def __init__(self, root: Path, port: int, work: Path, kind: str = "auto") -> None:
        self.root, self.port, self.work = root.resolve(), port, work.resolve()
        self._nginx = find_nginx() if kind in ("auto", "nginx") else None
        if kind == "nginx" and self._nginx is None:
            raise RuntimeError("nginx is not installed")
        self.kind = "nginx" if self._nginx else "twisted"
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def nginx_servers(self) -> str:
        """The ``server`` blocks of the nginx configuration."""
        return NGINX_SERVER.format(port=self.port, root=self.root)

    def twisted_command(self) -> list[str]:
        """The command serving the export with Twisted."""
        return [sys.executable, "-m", "bench.serve", str(self.root), str(self.port)]

    def ready_urls(self) -> list[str]:
        """Pages that answer once the server is up."""
        return [self.base_url + "robots.txt"]

    def check(self, body: bytes) -> None:
        """Raise RuntimeError when a ready page's ``body`` shows the server misconfigured."""

    def __enter__(self) -> StaticServer:
        self.work.mkdir(parents=True, exist_ok=True)
        log = open(self.work / f"{self.kind}.out", "w")
        if self.kind == "nginx":
            conf = self.work / "nginx.conf"
            user = "user root root;\n" if os.geteuid() == 0 else ""
            head = NGINX_HEAD.format(user=user, work=self.work, connections=self.connections)
            conf.write_text(head + self.nginx_servers() + "}\n")
            command = [self._nginx, "-c", str(conf), "-p", str(self.work), "-e", str(self.work / "nginx-error.log")]
        else:
            command = self.twisted_command()
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parent.parent)
        deadline = time.monotonic() + self.start_seconds
        for url in self.ready_urls():
            while True:
                try:
                    self.check(urllib.request.urlopen(url, timeout=2).read())
                    break
                except OSError as exc:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"{self.kind} did not start; see {self.work / (self.kind + '.out')}"
                        ) from exc
                    time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            stop_process(self.process)


def main(argv: list[str]) -> None:
    """Serve folder ``argv[0]`` on 127.0.0.1 port ``argv[1]`` with Twisted until terminated."""
    from twisted.internet import reactor
    from twisted.web.server import Site
    from twisted.web.static import File

    root = File(argv[0])
    root.indexNames = ["index.html"]
    reactor.listenTCP(int(argv[1]), Site(root), interface="127.0.0.1")
    reactor.run()


if __name__ == "__main__":
    main(sys.argv[1:])

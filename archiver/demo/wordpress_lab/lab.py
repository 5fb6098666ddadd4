"""Real WordPress in a temporary folder: a private MariaDB, Apache with its own config, the plugins unpacked.

``WordPressLab(folder)`` is a context manager; on entry it starts MariaDB and Apache (each in its own process
group, watched by a small guard process that stops both if this Python process dies, even by SIGKILL),
installs WordPress through PHP CLI and loads the demo model once. ``configure(cell)`` switches options.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from archiver.demo.model import SITE_NAME, SITE_TAGLINE, Site
from archiver.demo.wordpress_lab.content import LabCell, cell_truth, dump_differences, export, lab_site

WORDPRESS = Path(os.environ.get("RECAP_LAB_WORDPRESS", "/usr/share/wordpress"))
ETC_WORDPRESS = Path("/etc/wordpress")
PHP_DIR = Path(__file__).resolve().parent / "php"
PROJECT = Path(__file__).resolve().parents[3]
PERMALINKS = "/%year%/%monthnum%/%day%/%postname%/"
TIMEZONE = "Asia/Seoul"
PACKAGES = [
    "wordpress",
    "mariadb-server",
    "mariadb-client",
    "apache2",
    "libapache2-mod-php",
    "php-cli",
    "php-mysql",
    "php-xml",
    "php-mbstring",
    "wordpress-theme-twentytwentyone",
    "wordpress-theme-twentytwentythree",
]
"""Debian packages the lab runs on."""
APACHE_MODULES = ["mpm_prefork", "authz_core", "authz_host", "dir", "mime", "rewrite", "env", "alias", "setenvif"]


class LabError(RuntimeError):
    """The lab could not start or a WordPress command failed."""


def plugins_dir() -> Path:
    """Where the unmodified plugin tarballs are: ``$RECAP_LAB_PLUGINS`` or ``../shared/wordpress-plugins``."""
    return Path(os.environ.get("RECAP_LAB_PLUGINS", PROJECT.parent / "shared" / "wordpress-plugins"))


def _php_module() -> Path | None:
    found = sorted(Path("/usr/lib/apache2/modules").glob("libphp*.so"))
    return found[-1] if found else None


def available() -> tuple[bool, str]:
    """Whether the lab can run here, and if not, why not (one line)."""
    missing = [
        name
        for name in ("mariadb-install-db", "mariadbd", "mariadb", "php")
        if shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/usr/bin") is None
    ]
    if shutil.which("apache2", path="/usr/sbin:" + os.environ.get("PATH", "")) is None:
        missing.append("apache2")
    if missing:
        return False, f"missing programs {', '.join(missing)} (apt-get install {' '.join(PACKAGES)})"
    if _php_module() is None:
        return False, "no PHP module for Apache (apt-get install libapache2-mod-php)"
    if not (WORDPRESS / "wp-settings.php").exists():
        return False, f"no WordPress in {WORDPRESS} (apt-get install wordpress)"
    for theme in ("twentytwentyone", "twentytwentythree"):
        if not (WORDPRESS / "wp-content" / "themes" / theme).is_dir():
            return False, f"theme {theme} missing (apt-get install wordpress-theme-{theme})"
    modules = subprocess.run(["php", "-m"], capture_output=True, text=True).stdout.lower()
    if "mysqli" not in modules:
        return False, "PHP has no mysqli (apt-get install php-mysql)"
    if not os.access(ETC_WORDPRESS if ETC_WORDPRESS.exists() else ETC_WORDPRESS.parent, os.W_OK):
        return False, f"{ETC_WORDPRESS} is not writable (the lab writes its config-<name>.php there; run as root)"
    if os.geteuid() == 0:
        try:
            subprocess.run(["id", "www-data"], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            return False, "no www-data user for Apache to run as"
    try:
        check_plugins(plugins_dir())
    except LabError as error:
        return False, str(error)
    return True, "WordPress, MariaDB, Apache with PHP and the plugin tarballs are here"


def ensure_packages() -> tuple[bool, str]:
    """Install the lab's Debian packages with apt-get when some are missing (root only); return ``available()``."""
    ok, why = available()
    if ok or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return ok, why
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    probe = subprocess.run(["apt-cache", "show", "wordpress"], capture_output=True, env=env)
    if probe.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES], env=env, check=False)
    return available()


def check_plugins(folder: Path) -> list[Path]:
    """The plugin tarballs in ``folder``, each checked against its SHA256SUMS line; raises LabError."""
    sums = folder / "SHA256SUMS"
    if not sums.exists():
        raise LabError(f"no plugin tarballs with SHA256SUMS in {folder} (set RECAP_LAB_PLUGINS)")
    tarballs = []
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        digest, name = line.split(maxsplit=1)
        path = folder / name.lstrip("*")
        if not path.exists():
            raise LabError(f"plugin tarball {path} missing")
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise LabError(f"plugin tarball {path} does not match SHA256SUMS")
        tarballs.append(path)
    return tarballs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


GUARD = """
import os, signal, sys, time
groups = [int(g) for g in sys.argv[2].split(",") if g]
sys.stdin.read()  # EOF: the lab's Python process has gone, however it went
for sig in (signal.SIGTERM, signal.SIGKILL):
    for g in groups:
        try:
            os.killpg(g, sig)
        except OSError:
            pass
    time.sleep(3)
try:
    os.unlink(sys.argv[1])
except OSError:
    pass
"""


class WordPressLab:
    """Real WordPress 6.1 (Debian's package) with the demo model loaded, serving on 127.0.0.1.

    >>> with WordPressLab(Path(tempfile.mkdtemp())) as lab:
    ...     lab.configure(LabCell(plugin="wpdiscuz"))
    ...     truth = lab.truth(LabCell(plugin="wpdiscuz"))
    """

    def __init__(self, folder: Path | None = None, site: Site | None = None, workers: int = 8) -> None:
        self.folder = Path(folder or tempfile.mkdtemp(prefix="recap-lab-")).resolve()
        self.site = site or lab_site()
        self.workers = workers
        self.port = 0
        self.name = f"recap-lab-{secrets.token_hex(4)}"
        self.config_file = ETC_WORDPRESS / f"config-{self.name}.php"
        self.processes: list[subprocess.Popen] = []
        self.guard: subprocess.Popen | None = None
        self.timings: dict[str, float] = {}
        self._counts: dict[int, dict[str, dict[str, int]]] = {}
        self.current: LabCell | None = None

    @property
    def base_url(self) -> str:
        """The lab's home page, ``http://127.0.0.1:<port>/``."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def socket_path(self) -> Path:
        return self.folder / "mysql.sock"

    @property
    def content_dir(self) -> Path:
        return self.folder / "wp-content"

    # -- life cycle -------------------------------------------------------------------------------------------

    def __enter__(self) -> WordPressLab:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start MariaDB and Apache, install WordPress and load the model; raises LabError."""
        ok, why = available()
        if not ok:
            raise LabError(why)
        started = time.monotonic()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)  # Apache's workers (www-data) read wp-content and reach the socket
        atexit.register(self.stop)
        try:
            self._prepare_content()
            self._start_mariadb()
            self.timings["mariadb"] = time.monotonic() - started
            self._write_config()
            self._start_apache()
            self.timings["apache"] = time.monotonic() - started
            self._start_guard()
            self.php(
                "install",
                {
                    "title": SITE_NAME,
                    "tagline": SITE_TAGLINE,
                    "timezone": TIMEZONE,
                    "permalinks": PERMALINKS,
                    "posts_per_page": self.site.options.posts_per_page,
                },
            )
            self.timings["install"] = time.monotonic() - started
            data = export(self.site)
            self.loaded = self.php("load", data)
            self.php("plugins")
            self.plugins = self.php("votes", data)
            self.timings["loaded"] = time.monotonic() - started
            self._fix_ownership()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop Apache and MariaDB (SIGTERM to their process groups, then SIGKILL) and remove the config file."""
        for process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except OSError:
                    pass
        for process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except OSError:
                    pass
                process.wait()
        self.processes.clear()
        if self.guard is not None and self.guard.poll() is None:
            self.guard.kill()
            self.guard.wait()
        self.guard = None
        self.config_file.unlink(missing_ok=True)

    def _prepare_content(self) -> None:
        """The lab's own wp-content: plugins unpacked from the tarballs, themes linked, our mu-plugin."""
        content = self.content_dir
        for sub in ("plugins", "themes", "mu-plugins", "uploads"):
            (content / sub).mkdir(parents=True, exist_ok=True)
        for tarball in check_plugins(plugins_dir()):
            with tarfile.open(tarball) as archive:
                archive.extractall(content / "plugins", filter="data")
        for theme in (WORDPRESS / "wp-content" / "themes").iterdir():
            link = content / "themes" / theme.name
            if not link.exists():
                link.symlink_to(theme)
        shutil.copy(PHP_DIR / "mu-recap-lab.php", content / "mu-plugins" / "recap-lab.php")
        for path in [self.folder, *content.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644)

    def _fix_ownership(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.content_dir / "uploads", "www-data", "www-data")
            for path in (self.content_dir / "uploads").rglob("*"):
                shutil.chown(path, "www-data", "www-data")

    def _spawn(self, command: list[str], log: str) -> subprocess.Popen:
        out = open(self.folder / log, "ab")
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        out.close()
        self.processes.append(process)
        return process

    def _start_mariadb(self) -> None:
        datadir = self.folder / "mysql"
        user = ["--user=root"] if os.geteuid() == 0 else []
        done = subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={datadir}",
                *user,
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise LabError(f"mariadb-install-db failed: {done.stderr[-800:]}")
        process = self._spawn(
            [
                "mariadbd",
                "--no-defaults",
                f"--datadir={datadir}",
                f"--socket={self.socket_path}",
                "--skip-networking",
                *user,
                f"--pid-file={self.folder / 'mariadb.pid'}",
                "--innodb-buffer-pool-size=64M",
                "--innodb-flush-log-at-trx-commit=0",
                "--skip-log-bin",
                "--character-set-server=utf8mb4",
            ],
            "mariadb.log",
        )
        deadline = time.monotonic() + 60
        while True:
            check = subprocess.run(
                [
                    "mariadb",
                    "--no-defaults",
                    f"--socket={self.socket_path}",
                    "-uroot",
                    "-e",
                    "CREATE DATABASE IF NOT EXISTS wordpress CHARACTER SET utf8mb4; "
                    "CREATE USER IF NOT EXISTS 'wordpress'@'localhost' IDENTIFIED BY 'lab'; "
                    "GRANT ALL ON wordpress.* TO 'wordpress'@'localhost';",
                ],
                capture_output=True,
                text=True,
            )
            if check.returncode == 0:
                return
            if process.poll() is not None or time.monotonic() > deadline:
                log = (self.folder / "mariadb.log").read_text(errors="replace")[-1500:]
                raise LabError(f"MariaDB did not start: {check.stderr.strip()}\n{log}")
            time.sleep(0.2)

    def _write_config(self) -> None:
        """/etc/wordpress/config-<name>.php, which Debian's wp-config.php loads for ``WORDPRESS_CONFIG``."""
        self.port = free_port()
        salts = "".join(
            f"define('{key}', '{secrets.token_hex(32)}');\n"
            for key in (
                "AUTH_KEY",
                "SECURE_AUTH_KEY",
                "LOGGED_IN_KEY",
                "NONCE_KEY",
                "AUTH_SALT",
                "SECURE_AUTH_SALT",
                "LOGGED_IN_SALT",
                "NONCE_SALT",
            )
        )
        ETC_WORDPRESS.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(
            "<?php\n// recap-archiver WordPress lab; removed when the lab stops.\n"
            "define('DB_NAME', 'wordpress');\ndefine('DB_USER', 'wordpress');\ndefine('DB_PASSWORD', 'lab');\n"
            f"define('DB_HOST', 'localhost:{self.socket_path}');\n"
            "define('DB_CHARSET', 'utf8mb4');\n"
            f"define('WP_CONTENT_DIR', '{self.content_dir}');\n"
            f"define('WP_CONTENT_URL', '{self.base_url}wp-content');\n"
            f"define('WP_HOME', '{self.base_url.rstrip('/')}');\ndefine('WP_SITEURL', '{self.base_url.rstrip('/')}');\n"
            "define('DISABLE_WP_CRON', true);\ndefine('WP_HTTP_BLOCK_EXTERNAL', true);\n"
            "define('AUTOMATIC_UPDATER_DISABLED', true);\ndefine('WP_AUTO_UPDATE_CORE', false);\n"
            "define('WP_DEBUG', false);\ndefine('WP_DEBUG_DISPLAY', false);\n"
            f"define('WP_ENVIRONMENT_TYPE', 'local');\n{salts}"
            "$table_prefix = 'wp_';\n",
            encoding="utf-8",
        )
        self.config_file.chmod(0o644)

    def _start_apache(self) -> None:
        conf = self.folder / "apache.conf"
        modules = "".join(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so\n" for m in APACHE_MODULES)
        php = _php_module()
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        conf.write_text(
            f"""# recap-archiver WordPress lab: Apache on 127.0.0.1 only, everything in {self.folder}
ServerRoot "{self.folder}"
{modules}LoadModule php_module {php}
{user}ServerName 127.0.0.1
Listen 127.0.0.1:{self.port}
PidFile "{self.folder}/apache.pid"
DefaultRuntimeDir "{self.folder}"
Mutex file:{self.folder} default
ErrorLog "{self.folder}/apache-error.log"
LogLevel warn
LogFormat "%h %t \\"%r\\" %>s %b %D" lab
CustomLog "{self.folder}/apache-access.log" lab
TypesConfig /etc/mime.types
StartServers {self.workers}
MinSpareServers {self.workers}
MaxSpareServers {self.workers * 2}
MaxRequestWorkers {self.workers * 2}
MaxConnectionsPerChild 0
KeepAlive On
Timeout 60
DocumentRoot "{WORDPRESS}"
DirectoryIndex index.php index.html
SetEnv WORDPRESS_CONFIG {self.name}
<FilesMatch "\\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
php_admin_value memory_limit 256M
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{WORDPRESS}">
    Options FollowSymLinks
    AllowOverride None
    Require all granted
    RewriteEngine On
    RewriteBase /
    RewriteRule ^index\\.php$ - [L]
    RewriteCond %{{REQUEST_FILENAME}} !-f
    RewriteCond %{{REQUEST_FILENAME}} !-d
    RewriteRule . /index.php [L]
</Directory>
Alias /wp-content "{self.content_dir}"
<Directory "{self.content_dir}">
    Options FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>
<Directory "{WORDPRESS}/wp-content/themes">
    Options FollowSymLinks
    Require all granted
</Directory>
""",
            encoding="utf-8",
        )
        apache = shutil.which("apache2", path="/usr/sbin:" + os.environ.get("PATH", "")) or "/usr/sbin/apache2"
        process = self._spawn([apache, "-f", str(conf), "-DFOREGROUND"], "apache.log")
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                logs = "".join(
                    (self.folder / n).read_text(errors="replace")[-1500:]
                    for n in ("apache.log", "apache-error.log")
                    if (self.folder / n).exists()
                )
                raise LabError(f"Apache did not start:\n{logs}")
            time.sleep(0.1)

    def _start_guard(self) -> None:
        """A process that stops the servers when this one dies, even by SIGKILL (its stdin pipe closes)."""
        groups = ",".join(str(p.pid) for p in self.processes)
        self.guard = subprocess.Popen(
            [sys.executable, "-c", GUARD, str(self.config_file), groups], stdin=subprocess.PIPE, start_new_session=True
        )

    # -- WordPress commands ---------------------------------------------------------------------------------

    def php(self, command: str, data: Any = None) -> Any:
        """Run ``php/lab.php COMMAND`` against the lab's WordPress; return its JSON answer; raises LabError."""
        args = ["php", "-d", "memory_limit=1G", "-d", "display_errors=stderr", str(PHP_DIR / "lab.php"), command]
        if data is not None:
            path = self.folder / f"{command}-input.json"
            path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            args.append(str(path))
        env = dict(
            os.environ, WORDPRESS_CONFIG=self.name, HTTP_HOST=f"127.0.0.1:{self.port}", RECAP_LAB_WP=str(WORDPRESS)
        )
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
        lines = [line for line in done.stdout.splitlines() if line.startswith(("{", "["))]
        if done.returncode != 0 or not lines:
            raise LabError(f"lab.php {command} failed ({done.returncode}): {done.stderr[-1500:]}{done.stdout[-1500:]}")
        return json.loads(lines[-1])

    def configure(self, cell: LabCell) -> None:
        """Switch the site to ``cell`` (theme, comment options, plugin, REST) with one PHP call."""
        started = time.monotonic()
        self.php("configure", cell.options())
        self.current = cell
        self.timings[f"configure {cell.label}"] = time.monotonic() - started

    def counts(self, per_page: int) -> dict[str, dict[str, int]]:
        """Per post id: WordPress's comment count and comment pages at ``per_page`` threads a page."""
        if per_page not in self._counts:
            self._counts[per_page] = self.php("counts", {"per_page": per_page})
        return self._counts[per_page]

    def truth(self, cell: LabCell) -> dict[str, Any]:
        """The ground truth for ``cell`` in the demo's truth format, at the lab's base URL."""
        return cell_truth(self.site, self.base_url, cell, self.counts(cell.comments_per_page))

    def dump(self) -> list[dict[str, Any]]:
        """Every approved comment as WordPress holds it (parent, author, dates, content, both plugins' votes)."""
        return self.php("dump")

    def dump_differences(self) -> list[str]:
        """How the comments WordPress holds differ from the model (empty: the loader is right)."""
        return dump_differences(self.site, self.dump())

    def get(self, path: str) -> tuple[int, str]:
        """GET a lab URL (path relative to the base URL): (status, body)."""
        request = urllib.request.Request(self.base_url + path.lstrip("/"))
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def log_mark(self) -> int:
        """Where Apache's access log ends now: pass it to ``requests_since`` to see what came after."""
        path = self.folder / "apache-access.log"
        return path.stat().st_size if path.exists() else 0

    def requests_since(self, mark: int) -> list[tuple[str, str, int]]:
        """Every request Apache logged after ``mark`` (see ``log_mark``): (method, target with query, status)."""
        path = self.folder / "apache-access.log"
        if not path.exists():
            return []
        with open(path, "rb") as log:
            log.seek(mark)
            lines = log.read().decode("utf-8", "replace").splitlines()
        out = []
        for line in lines:  # LogFormat "%h %t \"%r\" %>s %b %D"
            try:
                request, rest = line.split('"', 2)[1:]
                method, target = request.split(" ")[:2]
                out.append((method, target, int(rest.split()[0])))
            except ValueError:
                continue
        return out

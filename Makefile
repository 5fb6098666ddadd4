# The two commands a new user runs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# `make test-fast`: the unit tests alone (saved pages, in-memory archives), no crawls, lab, browser or builds.
.PHONY: install demo test test-fast lint clean bench bench-large bench-nginx chromium wordpress-lab wget pysqlite3

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/recap-archiver demo --db demo.db

test: install lint chromium wordpress-lab wget pysqlite3
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

test-fast: install lint
	$(BIN)/python -m pytest -m "not e2e and not lab and not browser and not slow"

# Code health (settings in pyproject.toml): lint, formatting and dead code, before any test runs.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/vulture

# Debian's chromium, for tests/test_browser.py; when it cannot be installed that test is skipped, saying why.
APT := $(if $(filter 0,$(shell id -u)),,sudo -n)
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null 2>&1 && { \
	    apt-cache show chromium >/dev/null 2>&1 || $(APT) apt-get update -qq; \
	    $(APT) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  }; } || echo "chromium could not be installed: the browser test will be skipped"

# pysqlite3-binary (a newer SQLite, which sqlite-utils and Datasette take when it can be imported) in a folder beside
# the venv, for tests/test_sqlite_module.py's crawl with it on PYTHONPATH; every other test runs on Python's sqlite3.
pysqlite3: install
	@test -d $(VENV)/pysqlite3/pysqlite3 || $(BIN)/python -m pip install --quiet --target $(VENV)/pysqlite3 pysqlite3-binary || \
	  echo "pysqlite3-binary could not be installed: the pysqlite3 crawl test will be skipped"

# wget, for tests/test_import_warc_e2e.py (a WARC made with wget --warc-file); without it that case is skipped.
wget:
	@command -v wget >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  $(APT) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wget >/dev/null; } || \
	  echo "wget could not be installed: the wget WARC import test will be skipped"

# Debian's WordPress, MariaDB, Apache + PHP, for tests/test_wordpress_lab.py (archiver.demo.wordpress_lab);
# installed with apt-get when root. When they cannot be, that module is skipped saying why (it fails under CI=true).
wordpress-lab: install
	@$(BIN)/python -m archiver.demo.wordpress_lab --ensure-packages || echo "WordPress lab unavailable: tests/test_wordpress_lab.py will be skipped"

# Benchmarks (bench/): a large demo site pre-rendered to static files and served on 127.0.0.1 by nginx
# (installed from apt when possible, else Twisted's static File), three spiders measured one after another;
# first, 30 simulated days of daily re-crawls of the demo site (bench/freshness.py; alone: python -m bench
# --freshness-only). They print and write bench-results.json; they assert nothing. Not part of `make test`.
BENCH_SIZES ?= 10k,100k

bench-nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light >/dev/null 2>&1; } || \
	  echo "nginx not available: the bench serves the site with Twisted's static File instead"

bench: install bench-nginx
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench --sizes $(BENCH_SIZES) --queries-1m

bench-large: install bench-nginx
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench --sizes 1m --no-freshness --no-polite

clean:
	rm -rf $(VENV) build *.egg-info demo.db demo.db-wal demo.db-shm test-output .scrapy

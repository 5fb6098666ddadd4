"""The sites file (archiver/crawl/sites.py): the issue's minimal form as written, defaults, and one line naming the
file, the entry and the key for every mistake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from archiver.spiders.recaps import RecapsSpider, parse_url_argument
from helpers import PROJECT, STORE_SITE, make_recap, open_archive, run, save_recap, start_crawl, thread

from archiver.archive.summary import crawl_counts_by_site
from archiver.crawl.multisite import check_crawls, plan_crawls
from archiver.crawl.sites import Site, SitesFileError, known_setting, load_sites
from archiver.items import CommentItem

MINIMAL = """\
[defaults]
archive = "recaps.db"              # relative to the file's folder
settings = { DOWNLOAD_DELAY = 2 }  # any Scrapy or archiver setting

[sites.soundtrack]
urls = ["https://recaps.example/"]

[sites.other]
urls = ["https://other.example/tag/some-show/"]
archive = "other.db"
profile = "dramabeans"
"""


def write(folder: Path, text: str, name: str = "sites.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error(path: Path, only: tuple[str, ...] = ()) -> str:
    with pytest.raises(SitesFileError) as caught:
        load_sites(path, only)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


def test_the_issues_minimal_form_loads_as_written(tmp_path: Path) -> None:
    loaded = load_sites(write(tmp_path, MINIMAL))
    assert loaded.path == tmp_path / "sites.toml"
    soundtrack, other = loaded.sites
    assert soundtrack == Site(
        name="soundtrack",
        urls=["https://recaps.example/"],
        archive=tmp_path / "recaps.db",
        settings={"DOWNLOAD_DELAY": 2},
    )
    assert (other.name, other.archive, other.profile, other.platform) == (
        "other",
        tmp_path / "other.db",
        "dramabeans",
        None,
    )
    assert other.settings == {"DOWNLOAD_DELAY": 2}
    assert other.spider_arguments() == {"url": "https://other.example/tag/some-show/", "profile": "dramabeans"}
    assert other.crawl_settings() == {"DOWNLOAD_DELAY": 2, "ARCHIVE_DB": str(tmp_path / "other.db")}


def test_spider_arguments_are_what_the_spider_takes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[defaults]\nargs = { refresh = "all" }\nplatform = "wpdiscuz"\n'
        '[sites.a]\nurls = ["http://127.0.0.1:9/", "http://127.0.0.1:9/tag/x/"]\nargs = { source = "live" }\n',
    )
    (site,) = load_sites(path).sites
    arguments = site.spider_arguments()
    assert arguments == {
        "url": "http://127.0.0.1:9/,http://127.0.0.1:9/tag/x/",
        "platform": "wpdiscuz",
        "refresh": "all",
        "source": "live",
    }
    assert parse_url_argument(arguments["url"]) == site.urls
    spider = RecapsSpider(**arguments)
    assert spider.start_urls == site.urls
    assert spider.platform_override == "wpdiscuz"


def test_site_values_override_defaults_and_tables_merge(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[defaults]\nsettings = { DOWNLOAD_DELAY = 2, RETRY_TIMES = 5 }\nsignals = false\narchive = "all.db"\n'
        '[sites.a]\nurls = ["https://a.example/"]\nsettings = { DOWNLOAD_DELAY = 9 }\n'
        '[sites.b]\nurls = ["https://b.example/"]\nsignals = true\narchive = "/elsewhere/b.db"\n',
    )
    a, b = load_sites(path).sites
    assert a.settings == {"DOWNLOAD_DELAY": 9, "RETRY_TIMES": 5, "ARCHIVER_SIGNALS": False}
    assert a.archive == tmp_path / "all.db"
    assert "ARCHIVER_SIGNALS" not in b.settings
    assert b.settings == {"DOWNLOAD_DELAY": 2, "RETRY_TIMES": 5}


def test_archive_is_relative_to_the_files_folder_not_the_working_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "data").mkdir()
    path = write(tmp_path / "conf", '[sites.a]\nurls = ["https://a.example/"]\narchive = "data/a.db"\n')
    monkeypatch.chdir(tmp_path)
    (site,) = load_sites(Path("conf/sites.toml")).sites
    assert site.archive == tmp_path / "conf" / "data" / "a.db"
    assert site.archive.is_absolute()
    # Without an archive key anywhere: recaps.db beside the file.
    write(tmp_path / "conf", '[sites.a]\nurls = ["https://a.example/"]\n')
    assert load_sites(path).sites[0].archive == tmp_path / "conf" / "recaps.db"


def test_only_keeps_the_named_sites_in_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    assert [s.name for s in load_sites(path, ["other"]).sites] == ["other"]
    assert [s.name for s in load_sites(path, ["other", "soundtrack"]).sites] == ["soundtrack", "other"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[sites.other]\nurls = ["https://o.example/"]\narchive = 3\n',
            "[sites.other] archive: expected a string, got 3",
        ),
        ('[sites.a]\nurls = ["https://a.example/"]\nurl = "x"\n', "[sites.a] url: unknown key (known: urls, archive,"),
        (
            '[defaults]\nurls = ["https://a.example/"]\n[sites.a]\nurls = ["https://a.example/"]\n',
            "[defaults] urls: unknown key",
        ),
        ("[sites.a]\nurls = []\n", "[sites.a] urls: empty"),
        (
            '[sites.a]\nurls = "https://a.example/"\n',
            "[sites.a] urls: expected a list of URLs, got 'https://a.example/'",
        ),
        ('[sites.a]\nurls = ["ftp://a.example/"]\n', "[sites.a] urls: 'ftp://a.example/' is not a web address"),
        ('[sites.a]\nurls = ["a.example"]\n', "[sites.a] urls: 'a.example' is not a web address"),
        ("[sites.a]\nurls = [1]\n", "[sites.a] urls: expected a string, got 1"),
        ('[sites.a]\narchive = "a.db"\n', "[sites.a] urls: missing"),
        (
            '[sites.a]\nurls = ["https://a.example/"]\nsettings = { DOWNLOAD_DELAI = 2 }\n',
            "[sites.a] settings: DOWNLOAD_DELAI is neither a Scrapy setting nor an archiver one",
        ),
        (
            '[defaults]\nsettings = { ARCHIVER_MAX_THREAD_STEP = 2 }\n[sites.a]\nurls = ["https://a.example/"]\n',
            "[defaults] settings: ARCHIVER_MAX_THREAD_STEP is neither",
        ),
        (
            '[sites.a]\nurls = ["https://a.example/"]\nsettings = { ARCHIVE_DB = "x.db" }\n',
            "[sites.a] settings: ARCHIVE_DB is set by the archive key",
        ),
        ('[sites.a]\nurls = ["https://a.example/"]\nsettings = 2\n', "[sites.a] settings: expected a table, got 2"),
        (
            '[sites.a]\nurls = ["https://a.example/"]\nprofile = "nosuch"\n',
            "[sites.a] profile: argument profile: 'nosuch' is not one of dramabeans",
        ),
        (
            '[sites.a]\nurls = ["https://a.example/"]\nplatform = "blogger"\n',
            "[sites.a] platform: 'blogger' is not one of wordpress, wpdiscuz, disqus",
        ),
        (
            '[sites.a]\nurls = ["https://a.example/"]\nplatform = ""\n',
            "[sites.a] platform: expected a string, got an empty string",
        ),
        (
            '[sites.a]\nurls = ["https://a.example/"]\nsignals = "no"\n',
            "[sites.a] signals: expected true or false, got 'no'",
        ),
        (
            '[sites.a]\nurls = ["https://a.example/"]\nargs = { refresh = "sometimes" }\n',
            "[sites.a] args: argument refresh: 'sometimes' is not one of",
        ),
        (
            '[sites.a]\nurls = ["https://a.example/"]\nargs = { depth = "2" }\n',
            "[sites.a] args: depth is not a spider argument (args takes refresh, source, wayback_at)",
        ),
        (
            '[sites.a]\nurls = ["https://a.example/"]\nargs = { url = "https://b.example/" }\n',
            "[sites.a] args: url is a key of its own",
        ),
        (
            '[sites.a]\nurls = ["https://a.example/"]\nargs = { refresh = 1 }\n',
            "[sites.a] args.refresh: expected a string, got 1",
        ),
        (
            '[sites.a]\nurls = ["https://a.example/"]\nargs = { wayback_at = "2019" }\n',
            "[sites.a] args: argument wayback_at: only with -a source=wayback",
        ),
        ('[sites."my site"]\nurls = ["https://a.example/"]\n', '[sites."my site"]: a site name is letters, digits'),
        ('[sites."a.b"]\nurls = ["https://a.example/"]\n', '[sites."a.b"]: a site name is letters, digits'),
        ("[defaults]\n", "no sites: add a [sites.NAME] table"),
        ("[sites]\n", "no sites: add a [sites.NAME] table"),
        ("sites = 3\n", "[sites]: expected a table, got 3"),
        ("[sites]\na = 3\n", "[sites.a]: expected a table, got 3"),
        ('[site.a]\nurls = ["https://a.example/"]\n', "unknown table or key 'site'"),
    ],
)
def test_every_mistake_is_one_line_naming_the_entry_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error(write(tmp_path, text))


def test_a_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = error(write(tmp_path, '[sites.a]\nurls = ["https://a.example/"\nprofile = "x"\n'))
    assert message.startswith("not valid TOML: ")
    assert re.search(r"line [23]\b", message), message


def test_a_missing_or_unreadable_file_is_one_line(tmp_path: Path) -> None:
    assert "cannot read the sites file" in error(tmp_path / "nosuch.toml")
    assert "not UTF-8" in error(write(tmp_path, "").parent / _binary(tmp_path))


def _binary(folder: Path) -> str:
    (folder / "binary.toml").write_bytes(b"\xff\xfe[sites]")
    return "binary.toml"


def test_an_unknown_site_is_named_with_the_known_ones(tmp_path: Path) -> None:
    message = error(write(tmp_path, MINIMAL), ("soundtrak",))
    assert message == "no site named 'soundtrak' (--site); its sites are: soundtrack, other"


def test_every_setting_the_code_reads_is_known() -> None:
    """A setting read with a default (settings.get("NAME", ...)) but defined nowhere must be in KNOWN_ELSEWHERE, or a
    sites file could not set it."""
    read = set()
    for folder in ("archiver", "spiders", "pipelines"):
        for path in (PROJECT / folder).rglob("*.py"):
            if "demo" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            read |= set(re.findall(r"settings\.get[a-z]*\(\s*\"([A-Z][A-Z0-9_]+)\"", text))
    assert len(read) > 20
    assert sorted(n for n in read if not known_setting(n)) == []
    assert not known_setting("DOWNLOAD_DELAI")


def test_sites_sharing_everything_but_their_urls_are_one_crawler(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[sites.a]\nurls = ["https://a.example/"]\n[sites.b]\nurls = ["https://b.example/", "https://a.example/"]\n'
        '[sites.c]\nurls = ["https://c.example/"]\narchive = "c.db"\n'
        '[sites.d]\nurls = ["https://www.dramabeans.com/"]\n'
        '[sites.e]\nurls = ["https://e.example/"]\nsettings = { RETRY_TIMES = 1 }\n'
        '[sites.f]\nurls = ["https://f.example/"]\nplatform = "disqus"\n'
        '[sites.g]\nurls = ["https://g.example/"]\nsignals = false\n'
        '[sites.h]\nurls = ["https://h.example/"]\nargs = { refresh = "due" }\n'
        '[sites.i]\nurls = ["https://i.example/"]\n',
    )
    crawls = plan_crawls(load_sites(path).sites)
    assert [[s.name for s in c.sites] for c in crawls] == [["a", "b", "i"], ["c"], ["d"], ["e"], ["f"], ["g"], ["h"]]
    assert crawls[0].arguments == {"url": "https://a.example/,https://b.example/,https://i.example/"}
    assert crawls[0].archive == str(tmp_path / "recaps.db")
    # A profile found by domain is pinned: the spider picks one profile for all its start URLs.
    assert crawls[2].arguments == {"url": "https://www.dramabeans.com/", "profile": "dramabeans"}
    assert crawls[5].settings["ARCHIVER_SIGNALS"] is False
    # The command line's arguments and settings apply to every crawler.
    again = plan_crawls(load_sites(path).sites, {"refresh": "all"}, {"RETRY_TIMES": "4"})
    assert len(again) == 5  # e's RETRY_TIMES and h's refresh are overridden: they join a
    assert all(c.arguments["refresh"] == "all" and c.settings["RETRY_TIMES"] == "4" for c in again)


def request_cap(settings: dict, urls: list[str]) -> int:
    """CONCURRENT_REQUESTS of a crawl of ``urls`` once its spider is made, as `scrapy crawl` and the CLI make it."""
    from archiver.spiders.recaps import RecapsSpider
    from scrapy.crawler import Crawler

    from archiver.crawl.run import project_settings

    crawler = Crawler(RecapsSpider, project_settings(settings))
    RecapsSpider.from_crawler(crawler, url=",".join(urls))
    return crawler.settings.getint("CONCURRENT_REQUESTS")


def test_a_crawl_of_many_sites_fetches_from_all_of_them_at_once(tmp_path: Path) -> None:
    many = "".join(
        f'[sites.s{i}]\nurls = ["https://s{i}.example/", "https://s{i}.example/tag/x/"]\n' for i in range(300)
    )
    (crawl,) = plan_crawls(load_sites(write(tmp_path, many)).sites)
    # More sites than the default CONCURRENT_REQUESTS (256): a slot per site, each still one request at a time,
    # whether the sites come from a sites file or from `crawl URL...`.
    assert request_cap(crawl.settings, crawl.arguments["url"].split(",")) == 300
    assert request_cap({}, [f"https://s{i}.example/" for i in range(300)]) == 300
    assert request_cap({"CONCURRENT_REQUESTS_PER_DOMAIN": 2}, [f"https://s{i}.example/" for i in range(200)]) == 400
    set_by_user = "[defaults]\nsettings = { CONCURRENT_REQUESTS = 4 }\n" + many
    (mine,) = plan_crawls(load_sites(write(tmp_path, set_by_user)).sites)
    assert request_cap(mine.settings, mine.arguments["url"].split(",")) == 4
    assert request_cap({"CONCURRENT_REQUESTS": 8}, [f"https://s{i}.example/" for i in range(300)]) == 8
    assert request_cap({}, ["https://a.example/", "https://b.example/"]) == 256


def test_two_crawlers_may_not_share_a_jobdir(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[defaults]\nsettings = { JOBDIR = "jobs" }\n[sites.a]\nurls = ["https://a.example/"]\n'
        '[sites.b]\nurls = ["https://b.example/"]\nplatform = "disqus"\n',
    )
    sites = load_sites(path)
    with pytest.raises(SitesFileError, match=r"\[sites.b\] settings: JOBDIR 'jobs' is also \[sites.a\]'s"):
        check_crawls(sites, plan_crawls(sites.sites))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give the URLS to crawl"),
        (("--site", "a", "https://a.example/"), "--site: only with --config"),
        (("https://a.example/", "--config", "sites.toml"), "give URLS or --config, not both"),
        (("--config", "sites.toml", "--db", "x.db"), "--db: not with --config"),
        (("--config", "sites.toml", "-a", "url=https://b.example/"), "argument url: not with --config"),
        (("--config", "sites.toml", "-s", "ARCHIVE_DB=x.db"), "setting ARCHIVE_DB: not with --config"),
        (("--config", "sites.toml", "--site", "nosuch"), "sites.toml: no site named 'nosuch' (--site); its sites are"),
        (("--config", "nosuch.toml"), "nosuch.toml: cannot read the sites file"),
        (("--config", "sites.toml", "-a", "refresh=never"), "[sites.soundtrack]: argument refresh: 'never'"),
    ],
)
def test_crawl_options_that_do_not_go_together_are_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    write(tmp_path, MINIMAL)
    monkeypatch.chdir(tmp_path)
    result = run("crawl", *args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("recap-archiver crawl: error: "), result.output
    assert message in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sites.toml"]


def test_a_crawls_counts_per_site_are_read_from_the_rows_it_saved(tmp_path: Path) -> None:
    db_path = tmp_path / "recaps.db"
    db = open_archive(db_path)
    first = start_crawl(db, "recaps", {}, "2024-01-01T00:00:00+00:00")
    save_recap(db, make_recap(thread()), first)
    four = len(thread())
    counts = {"recaps": 1, "recaps_new": 1, "recaps_changed": 0, "threads_incomplete": 0}
    assert crawl_counts_by_site(db_path, first) == {STORE_SITE: {**counts, "comments": four, "comments_new": four}}
    second = start_crawl(db, "recaps", {}, "2024-01-02T00:00:00+00:00")
    recap = make_recap([*thread(), CommentItem("9", author="New", body_text="Late", body_html="<p>Late</p>")])
    recap.title, recap.fetched_at = "Soundtrack #1: Episode 4 (Final, edited)", "2024-01-02T00:00:00+00:00"
    save_recap(db, recap, second)
    db.close()
    assert crawl_counts_by_site(db_path, first) == {}  # everything it saved, the second crawl saved again
    counts.update(recaps_new=0, recaps_changed=1, comments=four + 1, comments_new=1)
    assert crawl_counts_by_site(db_path, second) == {STORE_SITE: counts}

"""Discovery against FakeBlog on a local aiohttp server: every source, every skin, every trap."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser
from structlog.testing import capture_logs

import migrator.tistory.crawl as crawl_module
from migrator.errors import SourceBlocked
from migrator.http import HttpClient, make_session
from migrator.models import PostRef
from migrator.tistory.crawl import (
    Crawler,
    Found,
    extract_post_links,
    parse_entry_list,
    parse_rss_links,
    parse_sitemap,
)
from migrator.tistory.source import SourceClient
from migrator.tistory.urls import canonical_post_url, canonical_slug_url
from tests.fakes.blog import FakeBlog, FakePost

MakeCrawler = Callable[..., Awaitable[tuple[Crawler, str]]]


@pytest.fixture
async def make_crawler(aiohttp_server: Any) -> AsyncIterator[MakeCrawler]:
    """Serve a FakeBlog on 127.0.0.1 and build a Crawler over a real HttpClient for it."""
    sessions = []

    async def factory(blog: FakeBlog, **kwargs: Any) -> tuple[Crawler, str]:
        server = await aiohttp_server(blog.app())
        session = make_session(timeout_s=10)
        sessions.append(session)
        http = HttpClient(session, service="tistory", rate_limit=0, base_delay_s=0.01, max_delay_s=0.05)
        origin = f"http://127.0.0.1:{server.port}"
        kwargs.setdefault("hosts", ("127.0.0.1",))
        return Crawler(SourceClient(http), origin, **kwargs), origin

    yield factory
    for session in sessions:
        await session.close()


def make_posts(count: int, *, start: int = 1, **kwargs: Any) -> list[FakePost]:
    return [FakePost(i, f"글 {i}", **kwargs) for i in range(start, start + count)]


async def collect(crawler: Crawler) -> list[PostRef]:
    return [ref async for ref in crawler.discover()]


def ids_of(refs: list[PostRef]) -> list[int]:
    return sorted(r.post_id for r in refs if r.post_id is not None)


def page_requests(blog: FakeBlog, prefix: str) -> list[str]:
    """The requests for `prefix` pages, by page number: pages read ahead may arrive out of order."""
    def number(request: str) -> int:
        found = re.search(r"[?&]page=(\d+)", request)
        return int(found.group(1)) if found else 10**9   # cursors: after page 0, in the order sent

    return sorted((r for r in blog.requests if r.startswith(prefix)), key=number)


# ------------------------------------------------------------------------------ all sources
@pytest.mark.parametrize("skin", ["A", "B", "C"])
async def test_every_source_on_every_skin(make_crawler: MakeCrawler, skin: str) -> None:
    posts = make_posts(35)
    posts[4].protected = True           # id 5
    posts[6].private = True             # id 7: listed nowhere, never yielded
    blog = FakeBlog(posts, skin=skin)
    crawler, origin = await make_crawler(blog)

    refs = await collect(crawler)

    expected = [i for i in range(1, 36) if i != 7]
    assert ids_of(refs) == expected
    assert len(refs) == len(expected)                  # each post once
    assert all(r.url == canonical_post_url(origin, r.post_id or 0) for r in refs)
    assert {r.source for r in refs} == {"mobile_api"}  # the first source found them all
    assert [r.post_id for r in refs if r.protected] == [5]
    stats = crawler.stats
    assert stats.total == 34 and stats.highest_id == 35
    assert stats.found_by_source["mobile_api"] == 34
    assert stats.found_by_source["sitemap"] == 34
    assert stats.found_by_source["list"] == 34
    assert stats.found_by_source["rss"] == 33          # the protected post is not in the feed
    assert stats.new_by_source == {"mobile_api": 34, "notice_api": 0, "sitemap": 0, "list": 0, "rss": 0}


@pytest.mark.parametrize("skin", ["A", "B", "C"])
async def test_list_pages_find_posts_on_every_skin(make_crawler: MakeCrawler, skin: str) -> None:
    """Without the mobile API and with a tiny sitemap, the skin's list pages must find the rest."""
    posts = make_posts(47)
    posts[9].protected = True           # id 10, only discoverable through list pages here
    blog = FakeBlog(posts, skin=skin, mobile_api=False, sitemap_cap=5, list_page_size=10)
    crawler, _ = await make_crawler(blog)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 48))
    assert Counter(r.source for r in refs) == {"sitemap": 5, "list": 42}
    assert [r.post_id for r in refs if r.protected] == [10]
    # 5 pages of posts, then the repeated last page ends the paging
    assert page_requests(blog, "/?page=") == [f"/?page={n}" for n in range(1, 7)]
    assert not page_requests(blog, "/category")


async def test_missing_mobile_api_falls_back_to_sitemap_and_lists(make_crawler: MakeCrawler) -> None:
    posts = make_posts(30)
    blog = FakeBlog(posts, mobile_api=False, sitemap_cap=12)
    crawler, _ = await make_crawler(blog)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 31))
    assert crawler.stats.unavailable_sources == ["mobile_api", "notice_api"]
    assert crawler.stats.new_by_source["sitemap"] == 12
    assert crawler.stats.new_by_source["list"] == 18
    assert "/m/api/entry/0/POST?page=0&size=20" in blog.requests


@pytest.mark.parametrize("style", ["html"])
async def test_mobile_api_answering_html_is_unavailable(make_crawler: MakeCrawler, style: str) -> None:
    blog = FakeBlog(make_posts(15), mobile_api_style=style)
    crawler, _ = await make_crawler(blog)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 16))
    assert "mobile_api" in crawler.stats.unavailable_sources
    assert crawler.stats.found_by_source["mobile_api"] == 0


async def test_mobile_api_cursor_style(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(make_posts(45), mobile_api_style="cursor", sitemap_cap=0)
    crawler, _ = await make_crawler(blog)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 46))
    assert crawler.stats.new_by_source["mobile_api"] == 45
    api = page_requests(blog, "/m/api/entry/0/POST")
    assert api == [
        "/m/api/entry/0/POST?page=0&size=20",
        "/m/api/entry/0/POST?startId=26&size=20",
        "/m/api/entry/0/POST?startId=6&size=20",
    ]


async def test_mobile_api_follows_next_page_until_is_last(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(make_posts(41))
    crawler, _ = await make_crawler(blog, max_list_pages=1)

    await collect(crawler)

    assert page_requests(blog, "/m/api/entry/0/POST") == [
        f"/m/api/entry/0/POST?page={n}&size=20" for n in range(3)
    ]


# ------------------------------------------------------------------------------ big blogs, traps
async def test_1500_posts_with_capped_sitemap_and_no_mobile_api(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(make_posts(1500), mobile_api=False, sitemap_cap=1000, list_page_size=10, skin="B")
    crawler, _ = await make_crawler(blog)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 1501))
    stats = crawler.stats
    assert stats.found_by_source["sitemap"] == 1000
    assert stats.found_by_source["list"] == 1500
    assert stats.new_by_source["list"] == 500
    assert len(page_requests(blog, "/?page=")) == 151      # 150 pages + the repeated last one


@pytest.mark.parametrize("repeat", [True, False])
async def test_list_paging_ends_on_repeat_or_empty_page(make_crawler: MakeCrawler, repeat: bool) -> None:
    blog = FakeBlog(make_posts(23), mobile_api=False, sitemap_cap=0, repeat_last_page=repeat,
                    list_page_size=5)
    crawler, _ = await make_crawler(blog)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 24))
    assert page_requests(blog, "/?page=") == [f"/?page={n}" for n in range(1, 7)]


async def test_list_paging_stops_at_max_list_pages(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(make_posts(100), mobile_api=False, sitemap_cap=0, list_page_size=5, rss_items=0)
    crawler, _ = await make_crawler(blog, max_list_pages=3)

    refs = await collect(crawler)

    assert page_requests(blog, "/?page=") == ["/?page=1", "/?page=2", "/?page=3"]
    assert ids_of(refs) == list(range(86, 101))
    assert not page_requests(blog, "/category")


async def test_cover_home_page_falls_back_to_category_list(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(make_posts(26), mobile_api=False, sitemap_cap=0, cover_home=True, list_page_size=10)
    crawler, _ = await make_crawler(blog)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 27))
    assert page_requests(blog, "/category?page=") == [f"/category?page={n}" for n in range(1, 5)]


async def test_duplicates_across_sources_are_yielded_once(make_crawler: MakeCrawler) -> None:
    posts = make_posts(40)
    blog = FakeBlog(posts, sitemap_mobile_urls=True, mobile_api=False, sitemap_cap=25, list_page_size=7)
    crawler, _ = await make_crawler(blog)

    refs = await collect(crawler)

    assert len(refs) == 40
    assert Counter(r.post_id for r in refs).most_common(1)[0][1] == 1
    assert crawler.stats.found_by_source["sitemap"] == 25      # /m/ URLs mapped, non-post URLs dropped
    assert crawler.stats.found_by_source["list"] == 40


# ------------------------------------------------------------------------------ slugs, notices, probe
def slug_posts(count: int) -> list[FakePost]:
    return [FakePost(i, f"제목 {i}", slug=f"한글-제목-{i}") for i in range(1, count + 1)]


async def test_slug_blog_without_mobile_api_yields_slug_refs(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(slug_posts(18), mobile_api=False, sitemap_cap=8, skin="C")
    crawler, origin = await make_crawler(blog)

    refs = await collect(crawler)

    assert len(refs) == 18
    assert all(r.post_id is None for r in refs)
    assert sorted(r.slug or "" for r in refs) == sorted(f"한글-제목-{i}" for i in range(1, 19))
    assert all(r.url == canonical_slug_url(origin, r.slug or "") for r in refs)
    assert "%ED%95%9C" in refs[0].url                     # consistently percent-encoded
    assert crawler.stats.highest_id is None


async def test_slug_blog_with_mobile_api_knows_ids_and_dedupes_slugs(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(slug_posts(25), skin="A")
    crawler, origin = await make_crawler(blog)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 26))
    assert len(refs) == 25                                # sitemap and list slug URLs were duplicates
    ref = next(r for r in refs if r.post_id == 3)
    assert ref.slug == "한글-제목-3" and ref.url == canonical_post_url(origin, 3)
    assert crawler.stats.found_by_source["sitemap"] == 25
    assert crawler.stats.new_by_source["sitemap"] == 0


async def test_notices_come_from_the_notice_api(make_crawler: MakeCrawler) -> None:
    posts = [*make_posts(12), FakePost(13, "공지 1", notice=True), FakePost(14, "공지 2", notice=True)]
    blog = FakeBlog(posts)
    crawler, origin = await make_crawler(blog)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 15))
    notices = [r for r in refs if r.source == "notice_api"]
    assert sorted(r.post_id or 0 for r in notices) == [13, 14]
    assert all(r.url == f"{origin}/notice/{r.post_id}" for r in notices)   # fetched where they live
    assert crawler.stats.found_by_source["sitemap"] == 14   # /notice/N URLs in the sitemap count


async def test_notices_found_in_sitemap_without_api(make_crawler: MakeCrawler) -> None:
    posts = [*make_posts(5), FakePost(6, "공지", notice=True)]
    blog = FakeBlog(posts, mobile_api=False)
    crawler, _ = await make_crawler(blog)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 7))
    assert next(r for r in refs if r.post_id == 6).source == "sitemap"


@pytest.mark.parametrize("probe", [True, False])
async def test_probe_finds_ids_no_listing_shows(make_crawler: MakeCrawler, probe: bool) -> None:
    posts = make_posts(12)
    posts[3].hidden = True       # id 4: readable, but in no listing
    posts[6].private = True      # id 7: not readable; probing still proposes it (the worker skips it)
    blog = FakeBlog(posts)
    crawler, origin = await make_crawler(blog, probe=probe)

    refs = await collect(crawler)

    probed = sorted(r.post_id or 0 for r in refs if r.source == "probe")
    if probe:
        assert probed == [4, 7]
        assert ids_of(refs) == list(range(1, 13))
        assert crawler.stats.found_by_source["probe"] == 2
        assert all(r.url == canonical_post_url(origin, r.post_id or 0) for r in refs if r.source == "probe")
    else:
        assert probed == []
        assert 4 not in ids_of(refs)
    # probing yields candidates only: it never fetches post pages itself
    assert not [r for r in blog.requests if re.fullmatch(r"/\d+", r)]


async def test_rss_gives_the_highest_id_for_probing(make_crawler: MakeCrawler) -> None:
    """With list pages gone and no sitemap, /rss alone names the newest ids and bounds probing."""
    blog = FakeBlog(make_posts(8), mobile_api=False, sitemap_cap=0, rss_items=3)
    blog.fail["/?page=1"] = [404]
    blog.fail["/category?page=1"] = [404]
    crawler, _ = await make_crawler(blog, probe=True)

    refs = await collect(crawler)

    assert crawler.stats.highest_id == 8
    assert Counter(r.source for r in refs) == {"rss": 3, "probe": 5}
    assert ids_of(refs) == list(range(1, 9))


# ------------------------------------------------------------------------------ counts, logs, failures
async def test_per_source_counts_and_logs(make_crawler: MakeCrawler) -> None:
    posts = [FakePost(1, "공지", notice=True), FakePost(2, "공지 2", notice=True), *make_posts(30, start=3)]
    blog = FakeBlog(posts, sitemap_cap=10, rss_items=5)
    crawler, _ = await make_crawler(blog)

    with capture_logs() as logs:
        refs = await collect(crawler)

    assert len(refs) == 32
    stats = crawler.stats.as_dict()
    assert stats["found_by_source"] == {
        "mobile_api": 30, "notice_api": 2, "sitemap": 10, "list": 30, "rss": 5,
    }
    assert stats["new_by_source"] == {"mobile_api": 30, "notice_api": 2, "sitemap": 0, "list": 0, "rss": 0}
    assert stats["total"] == 32 and stats["highest_id"] == 32
    finished = {e["source"]: e for e in logs if e["event"] == "discovery_source_finished"}
    assert list(finished) == ["mobile_api", "notice_api", "sitemap", "list", "rss"]
    assert finished["sitemap"]["found"] == 10 and finished["sitemap"]["new"] == 0
    assert finished["notice_api"]["new"] == 2
    assert all(e["status"] == "ok" for e in finished.values())


async def test_429_with_retry_after_on_sitemap_is_retried(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(make_posts(20), mobile_api=False, list_page_size=100)
    blog.fail["/sitemap.xml"] = [429]
    crawler, _ = await make_crawler(blog)

    refs = await collect(crawler)

    assert blog.requests.count("/sitemap.xml") == 2
    assert crawler.stats.new_by_source["sitemap"] == 20
    assert crawler.stats.failed_sources == []
    assert ids_of(refs) == list(range(1, 21))


async def test_sitemap_failing_after_retries_is_skipped_not_fatal(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(make_posts(20), mobile_api=False)
    blog.fail["/sitemap.xml"] = [500] * 10
    crawler, _ = await make_crawler(blog)

    with capture_logs() as logs:
        refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 21))
    assert crawler.stats.failed_sources == ["sitemap"]
    assert any(e["event"] == "discovery_source_failed" and e["source"] == "sitemap" for e in logs)
    assert blog.requests.count("/sitemap.xml") == 7        # first try + HttpClient's 6 retries


async def test_list_page_server_error_is_retried(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(make_posts(20), mobile_api=False, sitemap_cap=0, list_page_size=5)
    blog.fail["/?page=2"] = [500]
    crawler, _ = await make_crawler(blog)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 21))
    assert blog.requests.count("/?page=2") == 2


async def test_403_on_a_list_page_is_fatal(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(make_posts(5), mobile_api=False, sitemap_cap=0)
    blog.fail["/?page=1"] = [403]
    crawler, _ = await make_crawler(blog)

    with pytest.raises(SourceBlocked):
        await collect(crawler)


# ------------------------------------------------------------------------------ streaming
async def test_first_post_is_yielded_before_the_sitemap_is_fetched(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(make_posts(400))
    crawler, _ = await make_crawler(blog)

    discovery = crawler.discover()
    first = await anext(discovery)
    assert first.post_id == 400
    assert blog.requests == ["/m/api/entry/0/POST?page=0&size=20"]
    for _ in range(25):                                     # crosses into the second API page
        await anext(discovery)
    assert "/sitemap.xml" not in blog.requests
    assert len(page_requests(blog, "/m/api/")) == 2
    await discovery.aclose()


async def test_streaming_without_mobile_api_yields_sitemap_before_lists(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(make_posts(300), mobile_api=False)
    crawler, _ = await make_crawler(blog)

    discovery = crawler.discover()
    first = await anext(discovery)
    assert first.source == "sitemap"
    assert not page_requests(blog, "/?page=")
    await discovery.aclose()


# ------------------------------------------------------------------------------ custom domains
async def test_custom_domain_sitemap_and_links(make_crawler: MakeCrawler) -> None:
    """The sitemap and absolute list links use the custom domain; the crawler learns it."""
    blog = FakeBlog(make_posts(24), custom_domain="www.example.kr", mobile_api=False, sitemap_cap=10,
                    skin="B")
    crawler, origin = await make_crawler(blog)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 25))
    assert crawler.stats.found_by_source["sitemap"] == 10
    assert {"www.example.kr", "example.kr", "myblog.tistory.com"} <= crawler.hosts
    assert all(r.url.startswith(origin + "/") for r in refs)


def test_dedupe_rules_between_ids_and_slugs() -> None:
    """Ids dedupe ids; a slug seen with its id (or alone) dedupes later slug-only URLs of that post."""
    crawler = Crawler(SourceClient(None), "https://b.tistory.com/5?x=1")  # type: ignore[arg-type]
    admitted = [
        crawler._admit(Found(1, None), "mobile_api"),
        crawler._admit(Found(1, "first"), "sitemap"),       # the id is known: nothing new, slug remembered
        crawler._admit(Found(None, "first"), "list"),        # so its slug URL is a duplicate
        crawler._admit(Found(None, "second"), "sitemap"),    # a slug-only post
        crawler._admit(Found(2, "second"), "rss"),           # the same post, now with its id
        crawler._admit(Found(3, "third", protected=True), "list"),
    ]
    assert [ref.url if ref else None for ref in admitted] == [
        "https://b.tistory.com/1", None, None, "https://b.tistory.com/entry/second", None,
        "https://b.tistory.com/3",
    ]
    last = admitted[-1]
    assert last is not None and last.protected and last.slug == "third" and last.source == "list"
    assert crawler.stats.total == 3 and crawler.stats.highest_id == 3
    assert crawler.stats.new_by_source == {"mobile_api": 1, "sitemap": 1, "list": 1}


# ------------------------------------------------------------------------------ pure parsers
def test_parse_entry_list_shapes() -> None:
    hosts = {"b.tistory.com"}
    origin = "https://b.tistory.com"
    page = parse_entry_list(
        {"data": {"items": [
            {"id": 9, "path": "/9", "summary": "보호되어 있는 글입니다."},
            {"id": "8", "url": "https://b.tistory.com", "subPath": "/entry/%ED%95%9C"},
            {"url": "https://b.tistory.com/7"},
            {"title": "no address"},
        ], "nextPage": 1, "isLast": False}},
        origin, hosts,
    )
    assert page is not None
    assert page.found == (Found(9, None, True), Found(8, "한", False), Found(7, None, False))
    assert (page.raw_count, page.next_page, page.is_last, page.next_id) == (4, 1, False, None)

    cursor = parse_entry_list({"data": {"items": [{"id": 3}], "nextId": 2, "isLast": False}}, origin, hosts)
    assert cursor is not None and cursor.next_id == "2"
    bare = parse_entry_list([{"id": 1}], origin, hosts)
    assert bare == parse_entry_list({"items": [{"id": 1}]}, origin, hosts)
    assert bare is not None and bare.found == (Found(1, None),)
    assert parse_entry_list({"error": "x"}, origin, hosts) is None
    assert parse_entry_list("text", origin, hosts) is None


def test_parse_sitemap_index_and_entities() -> None:
    index = ('<?xml version="1.0"?><sitemapindex><sitemap><loc>https://b.tistory.com/sitemap-1.xml</loc>'
             "</sitemap></sitemapindex>")
    assert parse_sitemap(index) == ([], ["https://b.tistory.com/sitemap-1.xml"])
    urlset = ("<urlset><url><loc> https://b.tistory.com/5?a=1&amp;b=2 </loc></url>"
              "<url><loc><![CDATA[https://b.tistory.com/entry/x]]></loc></url></urlset>")
    assert parse_sitemap(urlset) == (["https://b.tistory.com/5?a=1&b=2", "https://b.tistory.com/entry/x"], [])


def test_parse_rss_links() -> None:
    feed = ("<rss><channel><link>https://b.tistory.com/</link><item><title>t</title>"
            "<link>https://b.tistory.com/entry/a</link><guid isPermaLink=\"true\">https://b.tistory.com/12</guid>"
            "</item><item><link><![CDATA[https://b.tistory.com/11]]></link></item></channel></rss>")
    assert parse_rss_links(feed) == [
        ["https://b.tistory.com/entry/a", "https://b.tistory.com/12"], ["https://b.tistory.com/11"],
    ]


def test_extract_post_links_is_skin_independent_and_spots_protected_items() -> None:
    page = """<html><head></head><body>
      <ul><li class="x"><a href="/3"><strong>t</strong><p>보호되어 있는 글입니다.</p></a></li>
          <li class="x"><a href="/2?category=5">t2</a><p>hello</p></li></ul>
      <div class="post"><a href="https://b.tistory.com/entry/%EA%B0%80">가</a>
        <span>보호되어 있는 글입니다.</span></div>
      <div class="post"><a href="/1#comment5">x</a></div>
      <aside><a href="/2">again</a><a href="/category">c</a><a href="https://c.tistory.com/9">other</a></aside>
    </body></html>"""
    found = extract_post_links(page, "https://b.tistory.com/?page=1", {"b.tistory.com"})
    assert found == [
        Found(3, None, True), Found(2, None, False), Found(None, "가", True), Found(1, None, False),
    ]


def test_unclosed_elements_do_not_swallow_the_entries_after_them() -> None:
    sitemap = ("<urlset><url><loc>https://b.tistory.com/" + "x" * 3000 + "<url><loc>https://b.tistory.com/5</loc></url>"
               "<sitemap><loc>https://b.tistory.com/sitemap-2.xml</loc></sitemap><loc>garbage")
    assert parse_sitemap(sitemap) == (["https://b.tistory.com/5"], ["https://b.tistory.com/sitemap-2.xml"])
    feed = ("<rss><item><title>cut here <item><link>https://b.tistory.com/7</link></item>"
            "<item><guid>https://b.tistory.com/8</guid><link>https://b.tistory.com/8")
    assert parse_rss_links(feed) == [["https://b.tistory.com/7"]]


def test_malformed_links_on_a_list_page_are_reported_and_skipped() -> None:
    page = ('<ul><li><a href="http://[x/1">bad</a></li><li><a href="/2">t2</a></li>'
            '<li><a href="http://b.tistory.com:99999/3">bad port</a></li></ul>')
    reported: list[str] = []
    found = extract_post_links(page, "https://b.tistory.com/?page=1", {"b.tistory.com"}, reported.append)
    assert found == [Found(2, None, False)]
    assert reported == ["http://[x/1", "http://b.tistory.com:99999/3"]


def test_protected_items_are_found_among_thousands_of_links_in_one_block() -> None:
    links = "".join(f'<a href="/{n}">글 {n}</a>' for n in range(1, 3001))
    page = f'<div>{links}<div><a href="/9000">잠긴 글</a><p>보호되어 있는 글입니다.</p></div></div>'
    found = extract_post_links(page, "https://b.tistory.com/", {"b.tistory.com"})
    assert len(found) == 3001
    assert [f.post_id for f in found if f.protected] == [9000]


# ------------------------------------------------------------------------------ the fake itself
async def test_fake_post_pages_look_like_tistory(aiohttp_client: Any) -> None:
    """The engine team reuses FakeBlog: its post pages carry the markers the parser relies on."""
    posts = [
        FakePost(5, "제목 <5>", tags=("vibe coding", "태그"), category="Tools/개발 환경",
                 images=("https://blog.kakaocdn.net/dna/a/b/img.png?credential=x&expires=1",)),
        FakePost(6, "보호글", protected=True),
        FakePost(7, "비공개", private=True),
        FakePost(8, "슬러그", slug="한글 슬러그"),
    ]
    client = await aiohttp_client(FakeBlog(posts, skin="C").app())

    resp = await client.get("/5")
    tree = LexborHTMLParser(await resp.text())
    assert resp.status == 200
    assert tree.css_first('meta[property="og:title"]').attributes["content"] == "제목 <5>"
    assert tree.css_first('meta[property="article:txid"]').attributes["content"].endswith("_5")
    published = tree.css_first('meta[property="article:published_time"]').attributes["content"]
    assert published == "2024-03-05T10:20:30+09:00"
    assert '"entryId": 5' in tree.css_first("head script").text()
    assert '"categoryLabel": "Tools/개발 환경"' in tree.css_first("head script").text()
    assert [a.text() for a in tree.css('a[rel="tag"]')] == ["vibe coding", "태그"]
    body = tree.css_first("div.contents_style")
    assert body is not None and "tt_article_useless_p_margin" not in (body.attributes.get("class") or "")
    img = body.css_first("figure.imageblock span[data-url] img")
    assert img is not None and img.attributes["src"].startswith("https://blog.kakaocdn.net/dna/a/b/img.png")
    assert tree.css_first('script[type="application/ld+json"]') is not None
    assert (await client.get("/m/5")).status == 200

    protected = LexborHTMLParser(await (await client.get("/6")).text())
    assert protected.css_first("div.contents_style") is None
    assert protected.css_first('input[type="password"]') is not None

    private = await client.get("/7")
    assert private.status == 404 and "에러 메세지" in await private.text()
    assert (await client.get("/99")).status == 404

    by_slug = await client.get("/entry/%ED%95%9C%EA%B8%80%20%EC%8A%AC%EB%9F%AC%EA%B7%B8")
    assert by_slug.status == 200 and (await client.get("/8")).status == 200
    canonical = LexborHTMLParser(await by_slug.text()).css_first('link[rel="canonical"]').attributes["href"]
    assert canonical.endswith("/entry/%ED%95%9C%EA%B8%80%20%EC%8A%AC%EB%9F%AC%EA%B7%B8")


async def test_fake_sitemap_index_is_followed(make_crawler: MakeCrawler) -> None:
    blog = FakeBlog(make_posts(30), mobile_api=False, sitemap_index_size=7, sitemap_extra_non_posts=True)
    crawler, _ = await make_crawler(blog, max_list_pages=1)
    blog.list_page_size = 1

    refs = await collect(crawler)

    assert crawler.stats.found_by_source["sitemap"] == 30
    assert ids_of(refs) == list(range(1, 31))
    assert "/sitemap-1.xml" in blog.requests


# ------------------------------------------------------------------------------ re-runs, read-ahead
async def test_a_rerun_finds_posts_added_on_the_first_and_last_list_pages_and_made_public(
    make_crawler: MakeCrawler,
) -> None:
    """Only list pages can see these posts (no mobile API, a 5-post sitemap, no RSS): a re-run still
    reads every list page, ahead or not, so posts new on page 1, on the last page, in the middle (made
    public since) and on a page the first run could not read are all found."""
    posts = [p for p in make_posts(60, start=2) if p.post_id != 30]
    blog = FakeBlog(posts, mobile_api=False, sitemap_cap=5, rss_items=0, list_page_size=10)
    blog.fail["/?page=4"] = [503] * 20          # the first run loses this page after its retries
    first, _ = await make_crawler(blog)
    first_ids = ids_of(await collect(first))
    assert 25 not in first_ids and "list" in first.stats.failed_sources

    del blog.fail["/?page=4"]
    blog.add(FakePost(1, "older post, now public: on the last page"))
    blog.add(FakePost(30, "made public since: in the middle"))
    blog.add(FakePost(62, "new post: on page 1"))
    blog.requests.clear()
    rerun, _ = await make_crawler(blog)
    refs = await collect(rerun)

    assert ids_of(refs) == list(range(1, 63))
    assert {r.post_id for r in refs if r.source == "list"} >= {1, 25, 30}
    assert not rerun.stats.failed_sources
    # every list page once (7 pages + the repeated last one), none twice
    assert page_requests(blog, "/?page=") == [f"/?page={n}" for n in range(1, 9)]


async def test_a_post_only_list_pages_show_is_found_next_to_a_complete_looking_mobile_list(
    make_crawler: MakeCrawler,
) -> None:
    posts = make_posts(45)
    blog = FakeBlog(posts, sitemap_cap=5, rss_items=0, list_page_size=10)
    crawler, _ = await make_crawler(blog)
    real_listed = blog.listed
    # The mobile list and the sitemap lack post 7; only the HTML list pages show it.
    blog.listed = lambda *, notices=False: [p for p in real_listed(notices=notices) if p.post_id != 7]  # type: ignore[method-assign]
    list_pages = blog._list_response

    def list_response(request: Any, path: str, number: int | None, *, cover: bool = False) -> Any:
        blog.listed = real_listed  # type: ignore[method-assign]
        try:
            return list_pages(request, path, number, cover=cover)
        finally:
            blog.listed = lambda *, notices=False: [p for p in real_listed(notices=notices) if p.post_id != 7]  # type: ignore[method-assign]

    blog._list_response = list_response  # type: ignore[method-assign]

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 46))
    assert [r.source for r in refs if r.post_id == 7] == ["list"]


@pytest.mark.parametrize("paging", ["none", "lying"])
async def test_list_pages_without_or_with_a_wrong_paging_bar_are_all_read(
    make_crawler: MakeCrawler, paging: str,
) -> None:
    """The paging bar only tells how far to read ahead: without one, or with one that says 2 pages
    when there are 5, the walk still goes on until a page adds nothing."""
    blog = FakeBlog(make_posts(47), mobile_api=False, sitemap_cap=0, rss_items=0, list_page_size=10)
    real_paging = blog._paging
    blog._paging = (  # type: ignore[method-assign]
        (lambda path, number, pages: "") if paging == "none"
        else (lambda path, number, pages: real_paging(path, number, 2))
    )
    crawler, _ = await make_crawler(blog)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 48))
    assert page_requests(blog, "/?page=") == [f"/?page={n}" for n in range(1, 7)]


async def test_mobile_list_with_ids_out_of_order_is_read_to_its_end(make_crawler: MakeCrawler) -> None:
    """The mobile list's ids only bound how far to read ahead; a list not sorted by id (old posts
    re-dated, notices sharing the sequence) is still read to its last page."""
    blog = FakeBlog(make_posts(70), sitemap_cap=0, rss_items=0, list_page_size=100)
    real_listed = blog.listed
    # The four smallest ids come first: a walk trusting "fewer posts left than the smallest id" would stop.
    blog.listed = lambda *, notices=False: sorted(  # type: ignore[method-assign]
        real_listed(notices=notices), key=lambda p: (p.post_id > 4, -p.post_id)
    )
    crawler, _ = await make_crawler(blog, max_list_pages=1)

    refs = await collect(crawler)

    assert ids_of(refs) == list(range(1, 71))
    assert Counter(r.source for r in refs) == {"mobile_api": 70}
    assert page_requests(blog, "/m/api/entry/0/POST") == [
        f"/m/api/entry/0/POST?page={n}&size=20" for n in range(4)
    ]

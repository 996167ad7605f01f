"""Table tests for migrator.tistory.urls: every post URL form of tistory.md §3.1/§3.2, and what is not a post."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrator.tistory.urls import (
    PostUrl,
    blog_aliases,
    blog_origin,
    canonical_post_url,
    canonical_slug_url,
    classify_post_url,
    normalise_host,
    post_url_fragment,
)

HOSTS = frozenset({"ramen4598.tistory.com", "www.morenice.kr", "morenice.kr", "morenice.tistory.com"})
SLUG = "용사의-선택지가-이상하다"
SLUG_ENCODED = (
    "%EC%9A%A9%EC%82%AC%EC%9D%98-%EC%84%A0%ED%83%9D%EC%A7%80%EA%B0%80-%EC%9D%B4%EC%83%81%ED%95%98%EB%8B%A4"
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # numeric
        ("https://ramen4598.tistory.com/637", PostUrl(637, None)),
        ("http://ramen4598.tistory.com/637", PostUrl(637, None)),
        ("https://RAMEN4598.Tistory.com/637", PostUrl(637, None)),
        ("https://ramen4598.tistory.com/637/", PostUrl(637, None)),
        ("https://ramen4598.tistory.com/631?category=1038140", PostUrl(631, None)),
        ("https://ramen4598.tistory.com/623#comment22430197", PostUrl(623, None)),
        ("https://ramen4598.tistory.com/623/?category=1#comment1", PostUrl(623, None)),
        ("//ramen4598.tistory.com/12", PostUrl(12, None)),
        # mobile
        ("https://ramen4598.tistory.com/m/637", PostUrl(637, None)),
        ("https://ramen4598.tistory.com/m/637/", PostUrl(637, None)),
        # notice
        ("https://ramen4598.tistory.com/notice/104", PostUrl(104, None)),
        ("https://ramen4598.tistory.com/m/notice/104", PostUrl(104, None)),
        # slugs, raw and percent-encoded, mobile too
        (f"https://ramen4598.tistory.com/entry/{SLUG}", PostUrl(None, SLUG)),
        (f"https://ramen4598.tistory.com/entry/{SLUG_ENCODED}", PostUrl(None, SLUG)),
        (f"https://ramen4598.tistory.com/entry/{SLUG_ENCODED}?category=3#comment9", PostUrl(None, SLUG)),
        (f"https://ramen4598.tistory.com/m/entry/{SLUG_ENCODED}/", PostUrl(None, SLUG)),
        ("https://ramen4598.tistory.com/entry/test", PostUrl(None, "test")),
        ("https://ramen4598.tistory.com/entry/hello%20world", PostUrl(None, "hello world")),
        ("https://ramen4598.tistory.com/entry/123", PostUrl(None, "123")),       # a numeric slug stays a slug
        # custom domain and its tistory host
        ("https://www.morenice.kr/30", PostUrl(30, None)),
        ("https://morenice.kr/30", PostUrl(30, None)),
        ("https://morenice.tistory.com/m/30", PostUrl(30, None)),
    ],
)
def test_post_urls_are_recognised(url: str, expected: PostUrl) -> None:
    assert classify_post_url(url, HOSTS) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://ramen4598.tistory.com/",
        "https://ramen4598.tistory.com",
        "https://ramen4598.tistory.com/m",
        "https://ramen4598.tistory.com/m/",
        "https://ramen4598.tistory.com/category",
        "https://ramen4598.tistory.com/category/Tools/%EA%B0%9C%EB%B0%9C%20%ED%99%98%EA%B2%BD",
        "https://ramen4598.tistory.com/category?page=2",
        "https://ramen4598.tistory.com/?page=2",
        "https://ramen4598.tistory.com/tag",
        "https://ramen4598.tistory.com/tag/vibe%20coding",
        "https://ramen4598.tistory.com/guestbook",
        "https://ramen4598.tistory.com/search/python",
        "https://ramen4598.tistory.com/archive/202403",
        "https://ramen4598.tistory.com/pages/about",
        "https://ramen4598.tistory.com/rss",
        "https://ramen4598.tistory.com/sitemap.xml",
        "https://ramen4598.tistory.com/manage",
        "https://ramen4598.tistory.com/manage/post/637",
        "https://ramen4598.tistory.com/toolbar/popup/abuseReport/?entryId=637",
        "https://ramen4598.tistory.com/attachment/cfile3.uf@99.png",
        "https://ramen4598.tistory.com/m/api/entry/0/POST",
        "https://ramen4598.tistory.com/entry/",
        "https://ramen4598.tistory.com/entry/a/b",
        "https://ramen4598.tistory.com/notice",
        "https://ramen4598.tistory.com/0",
        "https://ramen4598.tistory.com/-5",
        "https://ramen4598.tistory.com/\uff11\uff12",            # full-width digits are not an id
        "https://ramen4598.tistory.com/1234567890123",             # too long to be an id
        # image and file hosts
        "http://cfile9.uf.tistory.com/image/12",
        "https://t1.daumcdn.net/cfile/tistory/1731AC524E07FB5824",
        "https://blog.kakaocdn.net/dna/5oSv2/dJMcahCLuga/img.png",
        "https://tistory1.daumcdn.net/tistory/5257724/attach/abc",
        # other blogs
        "https://other.tistory.com/637",
        "https://www.tistory.com/637",
        "https://ramen4598.tistory.com.evil.example/637",
        # not http
        "mailto:someone@example.com",
        "javascript:void(0)",
        "ftp://ramen4598.tistory.com/12",
        "#comment123",
        "#",
        "",
        "   ",
        # relative without a base
        "/637",
        "637",
    ],
)
def test_non_post_urls_give_none(url: str) -> None:
    assert classify_post_url(url, HOSTS) is None


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/637", PostUrl(637, None)),
        ("/631?category=1038140", PostUrl(631, None)),
        ("/623#comment22430197", PostUrl(623, None)),
        ("/m/25", PostUrl(25, None)),
        (f"/entry/{SLUG_ENCODED}", PostUrl(None, SLUG)),
        (f"/entry/{SLUG}", PostUrl(None, SLUG)),
        ("25", PostUrl(25, None)),            # relative to the base directory "/"
        ("/category", None),
        ("#comment1", None),
        ("https://other.tistory.com/5", None),
    ],
)
def test_relative_urls_resolve_against_base(href: str, expected: PostUrl | None) -> None:
    assert classify_post_url(href, HOSTS, base="https://ramen4598.tistory.com/?page=3") == expected


def test_hosts_may_be_given_with_port_or_case() -> None:
    assert classify_post_url("http://127.0.0.1:8080/5", {"127.0.0.1"}) == PostUrl(5, None)
    assert classify_post_url("http://127.0.0.1:8080/5", {"127.0.0.1:8080"}) == PostUrl(5, None)
    assert classify_post_url("https://Blog.Example.com/5", {"BLOG.example.com"}) == PostUrl(5, None)


def test_slug_is_nfc_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "한글-제목")
    assert decomposed != "한글-제목"
    target = classify_post_url(f"https://ramen4598.tistory.com/entry/{decomposed}", HOSTS)
    assert target == PostUrl(None, "한글-제목")


def test_raw_and_encoded_slug_have_one_canonical_url() -> None:
    raw = classify_post_url(f"https://ramen4598.tistory.com/entry/{SLUG}", HOSTS)
    encoded = classify_post_url(f"http://ramen4598.tistory.com/m/entry/{SLUG_ENCODED}?x=1", HOSTS)
    assert raw is not None and encoded is not None and raw.slug is not None and encoded.slug is not None
    origin = "https://ramen4598.tistory.com"
    assert canonical_slug_url(origin, raw.slug) == canonical_slug_url(origin, encoded.slug)
    assert canonical_slug_url(origin, raw.slug) == f"{origin}/entry/{SLUG_ENCODED}"


def test_canonical_slug_url_round_trips_through_classify() -> None:
    origin = "https://ramen4598.tistory.com"
    for slug in ("a/b", "100%-달성", "hello world", "C++ & Java?", "#1"):
        url = canonical_slug_url(origin + "/", slug)
        assert url.startswith(origin + "/entry/")
        assert classify_post_url(url, HOSTS) == PostUrl(None, slug)


def test_canonical_post_url() -> None:
    assert canonical_post_url("https://ramen4598.tistory.com", 637) == "https://ramen4598.tistory.com/637"
    assert canonical_post_url("https://ramen4598.tistory.com/", 7) == "https://ramen4598.tistory.com/7"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://ramen4598.tistory.com/637?category=1#c", "https://ramen4598.tistory.com"),
        ("http://Ramen4598.Tistory.com/m/637", "http://ramen4598.tistory.com"),
        ("ramen4598.tistory.com/637", "https://ramen4598.tistory.com"),
        ("https://www.morenice.kr", "https://www.morenice.kr"),
        ("http://127.0.0.1:8123/5", "http://127.0.0.1:8123"),
    ],
)
def test_blog_origin(url: str, origin: str) -> None:
    assert blog_origin(url) == origin


def test_blog_origin_rejects_hostless_input() -> None:
    with pytest.raises(ValueError, match="host"):
        blog_origin("https:///637")


def test_blog_aliases() -> None:
    assert blog_aliases("https://ramen4598.tistory.com") == {"ramen4598.tistory.com"}
    assert blog_aliases("https://morenice.tistory.com", ["https://www.morenice.kr/30"]) == {
        "morenice.tistory.com", "www.morenice.kr", "morenice.kr",
    }
    assert blog_aliases("https://panchokworkshop.com") == {"panchokworkshop.com", "www.panchokworkshop.com"}
    assert blog_aliases("http://127.0.0.1:8080", ["LOCALHOST", ""]) == {"127.0.0.1", "localhost"}


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://ramen4598.tistory.com/623#comment22430197", "comment22430197"),
        ("/5?category=1#section-2", "section-2"),
        ("https://ramen4598.tistory.com/623", ""),
        ("https://ramen4598.tistory.com/623#", ""),
    ],
)
def test_post_url_fragment(url: str, fragment: str) -> None:
    assert post_url_fragment(url) == fragment


MALFORMED_URLS = [
    "http://[x/1",
    "https://[::1/5",
    "//[x/5",
    "http://ramen4598.tistory.com:99999/5",
    "http://ramen4598.tistory.com:port/5",
    "http://]/5",
]


@pytest.mark.parametrize("url", MALFORMED_URLS)
def test_malformed_urls_are_classified_as_none_and_reported(url: str) -> None:
    reported: list[str] = []
    base = "https://ramen4598.tistory.com/?page=1"
    assert classify_post_url(url, HOSTS, base=base, on_malformed=reported.append) is None
    assert classify_post_url(url, HOSTS) is None
    assert reported == [url]


def test_a_malformed_base_is_not_fatal_either() -> None:
    assert classify_post_url("/5", HOSTS, base="http://[x/") is None


@pytest.mark.parametrize("value", ["http://[x/1", "[::1", "//[x"])
def test_host_helpers_never_raise(value: str) -> None:
    assert isinstance(normalise_host(value), str)
    assert post_url_fragment(value + "#frag") in ("", "frag")


@given(st.text(max_size=60), st.sampled_from(["", "http://", "https://", "//", "/", "http://["]))
def test_classification_is_total(tail: str, prefix: str) -> None:
    for base in (None, "https://ramen4598.tistory.com/", "http://[x/"):
        result = classify_post_url(prefix + tail, HOSTS, base=base)
        assert result is None or isinstance(result, PostUrl)

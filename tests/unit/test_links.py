"""links.py: future addresses of drafts, exact href replacement, and planning a post's links."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from migrator.core.links import (
    LinkDecision,
    encode_slug,
    find_hrefs,
    plan_links,
    public_url,
    replace_hrefs,
    with_fragment,
)


@dataclass
class P:
    id: int
    status: str
    slug: str
    link: str
    permalink_template: str | None = None
    generated_slug: str | None = None


WP = "https://wp.example"


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        # a published post: its link is the address
        (P(7, "publish", "hello", f"{WP}/hello/", f"{WP}/%postname%/"), f"{WP}/hello/"),
        (P(7, "private", "hello", f"{WP}/hello/", f"{WP}/%postname%/"), f"{WP}/hello/"),
        # a draft: the template with its slug, not the ?p= link it has now
        (P(7, "draft", "hello", f"{WP}/?p=7", f"{WP}/%postname%/"), f"{WP}/hello/"),
        (P(7, "pending", "hello", f"{WP}/?p=7", f"{WP}/%postname%/"), f"{WP}/hello/"),
        (P(7, "future", "hello", f"{WP}/?p=7", f"{WP}/2021/07/%postname%/"), f"{WP}/2021/07/hello/"),
        # the slug WordPress stores for Korean is lower-case percent-encoded already
        (P(7, "draft", "%ed%95%9c%ea%b8%80", f"{WP}/?p=7", f"{WP}/%postname%/"), f"{WP}/%ed%95%9c%ea%b8%80/"),
        # a decoded slug is encoded the way WordPress does (lower-case hex)
        (P(7, "draft", "", f"{WP}/?p=7", f"{WP}/%postname%/", "한글"), f"{WP}/%ed%95%9c%ea%b8%80/"),
        # plain permalinks: the template is the address
        (P(7, "draft", "hello", f"{WP}/?p=7", f"{WP}/?p=7"), f"{WP}/?p=7"),
        (P(7, "draft", "hello", f"{WP}/?p=7", f"{WP}/archives/7"), f"{WP}/archives/7"),
        # no template (not edit context): the link is all we have
        (P(7, "draft", "hello", f"{WP}/?p=7", None), f"{WP}/?p=7"),
        # a page-like template
        (P(7, "draft", "hello", f"{WP}/?p=7", f"{WP}/%pagename%/"), f"{WP}/hello/"),
    ],
)
def test_public_url(post, expected):
    assert public_url(post) == expected


def test_public_url_id_style():
    post = P(42, "draft", "hello", f"{WP}/?p=42", f"{WP}/%postname%/")
    assert public_url(post, style="id") == f"{WP}/?p=42"
    assert public_url(post, style="id", home="https://other.example/") == "https://other.example/?p=42"
    with pytest.raises(ValueError):
        public_url(post, style="nope")


def test_encode_slug():
    assert encode_slug("a-b_c") == "a-b_c"
    assert encode_slug("글") == "%ea%b8%80"
    assert encode_slug("%EA%B8%80-x") == "%ea%b8%80-x"
    assert encode_slug("100%") == "100%25"


def test_with_fragment():
    assert with_fragment("https://a/b/", "sec") == "https://a/b/#sec"
    assert with_fragment("https://a/b/", "") == "https://a/b/"
    assert with_fragment("https://a/b/#old", "new") == "https://a/b/#new"


def test_replace_hrefs_touches_only_href_values_in_tags():
    html = (
        '<p><a href="https://b.tistory.com/1">one</a> and <a class="x" href=\'https://b.tistory.com/1\'>again</a>'
        " <a href=https://b.tistory.com/1>bare</a></p>\n"
        '<pre><code>&lt;a href="https://b.tistory.com/1"&gt;</code></pre>\n'
        '<p>text https://b.tistory.com/1 and src="https://b.tistory.com/1"</p>'
        '<img src="https://b.tistory.com/1">\n'
        '<!-- tistory-post-abc migrated from https://b.tistory.com/1 <a href="https://b.tistory.com/1"> -->\n'
    )
    out, n = replace_hrefs(html, {"https://b.tistory.com/1": "https://wp/x/"})
    assert n == 3
    assert out.count('href="https://wp/x/"') == 3
    # code text, plain text, img src and the marker comment are untouched
    assert '&lt;a href="https://b.tistory.com/1"&gt;' in out
    assert "text https://b.tistory.com/1 and" in out
    assert '<img src="https://b.tistory.com/1">' in out
    assert (
        '<!-- tistory-post-abc migrated from https://b.tistory.com/1 <a href="https://b.tistory.com/1"> -->'
        in out
    )


def test_replace_hrefs_compares_unescaped_and_writes_escaped():
    html = '<a href="https://b.tistory.com/1?category=3&amp;x=1">q</a><a href="https://b.tistory.com/2">r</a>'
    out, n = replace_hrefs(html, {"https://b.tistory.com/1?category=3&x=1": "https://wp/?a=1&b=2"})
    assert n == 1
    assert out == '<a href="https://wp/?a=1&amp;b=2">q</a><a href="https://b.tistory.com/2">r</a>'


def test_replace_hrefs_no_match_returns_same_object_text():
    html = '<a href="https://elsewhere/">x</a>'
    assert replace_hrefs(html, {"https://b/1": "https://wp/"}) == (html, 0)
    assert replace_hrefs(html, {}) == (html, 0)


def test_replace_hrefs_skips_script_and_style_bodies_and_odd_markup():
    html = (
        '<script>var s = \'<a href="https://b/1">\';</script><style>a[href="https://b/1"]{}</style>'
        '<a data-x="y > z" href="https://b/1" >ok</a><a href>empty</a>< a href="https://b/1">'
    )
    out, n = replace_hrefs(html, {"https://b/1": "https://wp/"})
    assert n == 1
    assert '<a data-x="y > z" href="https://wp/" >ok</a>' in out
    assert out.startswith(
        '<script>var s = \'<a href="https://b/1">\';</script><style>a[href="https://b/1"]{}</style>'
    )
    assert out.endswith('< a href="https://b/1">')


def test_find_hrefs():
    assert find_hrefs('<a href="a&amp;b">x</a><area HREF=c><!-- <a href="d"> -->') == ["a&b", "c"]


B = "https://b.tistory.com"


def test_plan_first_run_rewrites_and_keeps_the_rest():
    content = (
        f'<p><a href="{B}/1">one</a> <a href="{B}/entry/%EA%B8%80#sec">two</a> <a href="{B}/9">gone</a></p>\n'
        "<!-- tistory-post-x migrated from https://b.tistory.com/3 -->\n"
    )
    decisions = [
        LinkDecision(f"{B}/1", "https://wp/one/", 11),
        LinkDecision(f"{B}/entry/%EA%B8%80#sec", "https://wp/%ea%b8%80/#sec", 12),
        LinkDecision(f"{B}/9", None, None, "not found on the blog"),
    ]
    new, rows = plan_links(content, decisions, {})
    assert 'href="https://wp/one/"' in new and 'href="https://wp/%ea%b8%80/#sec"' in new
    assert f'href="{B}/9"' in new
    assert new.endswith("<!-- tistory-post-x migrated from https://b.tistory.com/3 -->\n")
    assert [(r.href, r.written_href, r.change) for r in rows] == [
        (f"{B}/1", "https://wp/one/", "rewritten"),
        (f"{B}/entry/%EA%B8%80#sec", "https://wp/%ea%b8%80/#sec", "rewritten"),
        (f"{B}/9", None, "left"),
    ]
    assert rows[2].reason == "not found on the blog"

    # planning the result again changes nothing
    previous = {r.href: r.written_href for r in rows}
    again, rows2 = plan_links(new, decisions, previous)
    assert again == new
    assert [r.change for r in rows2] == ["current", "current", "left"]


def test_plan_moves_a_link_whose_target_address_changed():
    content = '<a href="https://wp/old-slug/">x</a>'
    decisions = [LinkDecision(f"{B}/1", "https://wp/new-slug/", 11)]
    new, rows = plan_links(content, decisions, {f"{B}/1": "https://wp/old-slug/"})
    assert new == '<a href="https://wp/new-slug/">x</a>'
    assert rows[0].change == "rewritten" and rows[0].written_href == "https://wp/new-slug/"


def test_plan_puts_the_tistory_link_back_when_the_target_is_gone():
    content = '<a href="https://wp/one/">x</a>'
    decisions = [LinkDecision(f"{B}/1", None, 11, "not migrated (undone)")]
    new, rows = plan_links(content, decisions, {f"{B}/1": "https://wp/one/"})
    assert new == f'<a href="{B}/1">x</a>'
    assert rows[0].change == "reverted" and rows[0].written_href is None


def test_plan_reports_a_link_the_operator_removed():
    decisions = [LinkDecision(f"{B}/1", "https://wp/one/", 11)]
    new, rows = plan_links("<p>no links any more</p>", decisions, {})
    assert new == "<p>no links any more</p>"
    assert rows[0].change == "left" and "no longer" in (rows[0].reason or "")

"""Text stays text (issue 8): titles, excerpts, image alt/captions and term names reach the fake
WordPress (which stores them as WordPress 6.1 does for an administrator) so that they read back as
exactly the text the blog shows, and none of them holds an element."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

from migrator.models import JobStatus
from tests.fakes.blog import FakePost, _summary
from tests.harness import make_world

TITLE = "Vector<int> & <b>bold</b> <img src=x onerror=alert(1)> A &amp; B"
ALT = "Vector<int> & <i>alt</i>"
CAPTION = "caption <script>alert(1)</script> & <b>x</b>"
TAGS = ("C<T>", "A & B", "<b>bold</b>", "100%ab")
CATEGORY = ("Q&A", "<i>x & y<b>")  # no "/": it separates levels


def _figure(url: str) -> str:
    u = html.escape(url)
    alt = html.escape(ALT)
    return (f'<p><figure class="imageblock alignCenter" data-filename="p.png"><span data-url="{u}" data-phocus="{u}">'
            f'<img src="{u}" data-alt="{alt}" alt="{alt}" width="200" height="200"/></span>'
            f"<figcaption>{html.escape(CAPTION)}</figcaption></figure></p>")


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)


def elements(markup: str) -> list[str]:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser.tags


def shows(stored: str) -> str:
    """What a browser shows for a stored WordPress HTML field: no element, entities decoded once."""
    assert elements(stored) == [], f"markup in {stored!r}"
    return html.unescape(stored)


async def test_title_excerpt_alt_caption_and_terms_read_back_as_text(aiohttp_server, tmp_path):
    world = await make_world(aiohttp_server, tmp_path)
    body = "<p>Vector&lt;int&gt; &amp; &lt;b&gt;not bold&lt;/b&gt;</p>" + _figure(world.image("p", 7))
    post = FakePost(1, TITLE, category="/".join(CATEGORY), tags=TAGS, body_html=body)
    world.blog.add(post)

    report = await world.run()
    assert report.status == JobStatus.COMPLETED, report.counters.failures

    [wp_post] = world.wp_posts()
    assert shows(wp_post["title"]) == TITLE  # raw, as the edit context returns it
    data = world.wp.post_json(wp_post, "edit", world.wp_url)
    assert shows(data["title"]["raw"]) == TITLE
    assert shows(data["title"]["rendered"]) == TITLE
    assert shows(data["excerpt"]["raw"]) == _summary(post)

    [media] = world.wp.media.values()
    assert shows(media["alt_text"]) == ALT
    assert shows(media["caption"]) == CAPTION

    names = {t["taxonomy"]: [] for t in world.wp.terms.values()}
    for term in world.wp.terms.values():
        names[term["taxonomy"]].append(shows(term["name"]))
    assert sorted(names["post_tag"]) == sorted(TAGS)
    assert set(CATEGORY) <= set(names["category"])
    by_id = {t["id"]: t for t in world.wp.terms.values()}
    [child_id] = wp_post["categories"]
    assert html.unescape(by_id[child_id]["name"]) == CATEGORY[1]
    assert html.unescape(by_id[by_id[child_id]["parent"]]["name"]) == CATEGORY[0]

    # a second run finds the same terms by name (no duplicates, nothing new)
    world.blog.add(FakePost(2, "second", category="/".join(CATEGORY), tags=TAGS))
    report = await world.run()
    assert report.status == JobStatus.COMPLETED, report.counters.failures
    assert len(world.wp.terms) == len(by_id)

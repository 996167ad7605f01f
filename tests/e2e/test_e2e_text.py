"""End-to-end, issue 8 "text stays text": a title and an excerpt holding `<`, `>` and `&` reach the
REAL WordPress as text. Read back, `title.raw` and `title.rendered` (and the excerpt's) show exactly
the text the blog shows, and hold no element. Runs against FakeWordPress too (param "fake")."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Site
from tests.e2e.migrate import Migration
from tests.fakes.blog import FakeBlog, FakePost, _summary
from tests.fakes.cdn import FakeCDN, make_png

pytestmark = pytest.mark.timeout(240)
REAL_AND_FAKE = pytest.mark.parametrize(
    "site", [pytest.param("real", marks=pytest.mark.e2e), "fake"], indirect=True
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)


def shown(markup: str, *, allowed: tuple[str, ...] = ()) -> str:
    """The text a browser shows for `markup`, which must hold no element but `allowed` ones."""
    parser = _Tags()
    parser.feed(markup)
    parser.close()
    assert [t for t in parser.tags if t not in allowed] == [], f"markup in {markup!r}"
    for tag in allowed:
        markup = markup.replace(f"<{tag}>", "").replace(f"</{tag}>", "")
    return html.unescape(markup).strip()


@REAL_AND_FAKE
def test_title_and_excerpt_with_markup_characters_read_back_exactly(
    site: Site, servers, token, floor, tmp_path: Path
):
    title = f"Vector<int> & <b>bold</b> · {token}"
    alt, caption = "Vector<int> & <i>alt</i> 100%ab", "A & B <b>caption</b>"
    cdn = FakeCDN()
    cdn.add(f"/dna/{token}/img.png", make_png(7), "image/png")
    image = f"{servers.serve(cdn.app()).url}/dna/{token}/img.png"
    figure = (
        f'<p><figure class="imageblock alignCenter" data-filename="t.png"><span data-url="{image}">'
        f'<img src="{image}" alt="{html.escape(alt)}" width="4" height="4"/></span>'
        f"<figcaption>{html.escape(caption)}</figcaption></figure></p>"
    )
    # The fake blog's description is the body's text: "if a < b && c" survives as text.
    body = f"{figure}\n<p>Vector&lt;int&gt; x</p>\nif a < b && c"
    post = FakePost(1, title, category="Q&A", tags=("C<T> & co",), body_html=body)
    excerpt = _summary(post)
    assert "<" in excerpt and "&" in excerpt
    blog = FakeBlog([post], host=f"{token}.tistory.com", blog_title=f"블로그 {token}")
    blog_url = servers.serve(blog.app()).url

    result = Migration(
        tmp_path, blog_url=blog_url, wp_url=site.url, wp_user=site.user, wp_password=site.app_password, workers=1
    ).run()
    assert result.code == 0, result.output

    [created] = site.reader.posts_since(floor)
    data = site.reader.get_ok(f"/posts/{created['id']}", context="edit")
    assert shown(data["title"]["raw"]) == title
    assert shown(data["title"]["rendered"]) == title
    assert shown(data["excerpt"]["raw"]) == excerpt
    assert shown(data["excerpt"]["rendered"], allowed=("p",)) == excerpt
    assert site.reader.tag_names(data["tags"]) == {"C<T> & co"}
    assert site.reader.category_path(data["categories"][0]) == ("Q&A",)
    [media] = site.reader.media_since(floor)
    assert shown(media["alt_text"]) == alt
    assert shown(media["caption"]["raw"]) == caption

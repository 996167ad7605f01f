"""End-to-end, issue 12: a Tistory static page (`/pages/<slug>`, in the blog's menu and sitemap)
arrives in the REAL WordPress as a page (/wp/v2/pages) with its slug and its images served by
WordPress, its links to posts and the posts' links to it pointing at WordPress; `undo` removes it.
Also run against FakeWordPress ("fake"), which must pass the same checks."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.e2e.checks import A_HREF, IMG_SRC
from tests.e2e.conftest import Site, Timing
from tests.e2e.migrate import Migration
from tests.e2e.scenario import _Images, figure
from tests.e2e.servers import BackgroundLoop
from tests.e2e.wpread import raw
from tests.fakes.blog import FakeBlog, FakePost
from tests.fakes.cdn import FakeCDN, make_png

pytestmark = pytest.mark.timeout(240)
REAL_AND_FAKE = pytest.mark.parametrize(
    "site", [pytest.param("real", marks=pytest.mark.e2e), "fake"], indirect=True
)


@REAL_AND_FAKE
def test_a_page_arrives_as_a_page_with_its_images_and_links(
    site: Site, servers: BackgroundLoop, token: str, floor: int, tmp_path: Path, timings: Timing
) -> None:
    cdn = FakeCDN()
    images = _Images(cdn, servers.serve(cdn.app()).url, token)
    pictures = [make_png(hash(token) % 1000 + n) for n in (1, 2)]
    urls = [images.add(p) for p in pictures]
    page_slug = f"소개-{token}"
    blog = FakeBlog(
        [
            FakePost(1, f"첫 글 · {token}", body_html="<p>hello</p>"),
            FakePost(2, f"둘째 글 · {token}", body_html=f'<p><a href="/pages/{page_slug}">소개</a></p>'),
            FakePost(
                3, f"소개 · {token}", page_slug=page_slug,
                body_html=figure(urls[0], "내 사진.png") + figure(urls[1], "두번째.png") + '<p><a href="/1">첫 글</a></p>',
            ),
        ],
        host=f"{token}.tistory.com",
    )
    migration = Migration(
        tmp_path, blog_url=servers.serve(blog.app()).url, wp_url=site.url, wp_user=site.user,
        wp_password=site.app_password, workers=2,
    )
    result = migration.run()
    timings.add_run(result.elapsed_s)
    assert result.code == 0, result.output

    pages = site.reader.pages_since(floor)
    posts = {raw(p["title"]): p for p in site.reader.posts_since(floor)}
    assert [raw(p["title"]) for p in pages] == [f"소개 · {token}"], "the page is not one WordPress page"
    page = pages[0]
    assert page["type"] == "page" and unquote(page["slug"]) == page_slug and page["parent"] == 0
    assert f"소개 · {token}" not in posts and set(posts) == {f"첫 글 · {token}", f"둘째 글 · {token}"}
    content = raw(page["content"])
    srcs = IMG_SRC.findall(content)
    assert len(srcs) == 2 and all(src.startswith(site.url) for src in srcs), srcs
    assert [site.reader.fetch(src)[2] for src in srcs] == pictures  # WordPress serves the page's images
    page_address = re.sub("%pagename%", page["slug"], page["permalink_template"])
    first_address = posts[f"첫 글 · {token}"]["permalink_template"].replace(
        "%postname%", posts[f"첫 글 · {token}"]["slug"] or posts[f"첫 글 · {token}"]["generated_slug"]
    )
    assert A_HREF.findall(content) == [first_address]
    assert A_HREF.findall(raw(posts[f"둘째 글 · {token}"]["content"])) == [page_address]

    undone = migration.run("undo", "--job", "1", "--yes")
    assert undone.code == 0, undone.output
    assert site.reader.pages_since(floor) == [] and site.reader.posts_since(floor) == []

"""End-to-end on the real WordPress (issue 8): a dead or refused file never costs its post.

A post with a dead (404) image is migrated, the file is reported, the run exits 0; when the file comes
back, the next run updates the post. A file WordPress refuses (AVIF on WordPress 6.1) is a missing
file too: the post is migrated, the run exits 0.
"""

from __future__ import annotations

import html
from datetime import UTC

import pytest

from tests.e2e.checks import assert_complete, assert_no_orphan_media, read_state
from tests.e2e.conftest import Site
from tests.e2e.scenario import AVIF_BYTES, ExpectedPost, _published, _seed, build_blog, figure
from tests.e2e.test_e2e_migrate import migration, run
from tests.e2e.wpread import raw
from tests.fakes.blog import FakePost
from tests.fakes.cdn import make_png

pytestmark = [pytest.mark.timeout(240), pytest.mark.e2e]


def _cdn_url(blog, path: str) -> str:
    return f"{blog.cdn_url}{path}?credential=c&expires=9999999999&allow_ip=&allow_referer=&signature=m"


def test_dead_image_post_is_migrated_reported_and_updated_later(site: Site, servers, token, floor, tmp_path, timings):
    reader = site.reader
    blog = build_blog(servers, token, posts=3)
    alive_bytes, dead_bytes = make_png(_seed(token, 901)), make_png(_seed(token, 902))
    blog.cdn.add(f"/dna/{token}/alive/img.png", alive_bytes)
    alive, dead = _cdn_url(blog, f"/dna/{token}/alive/img.png"), _cdn_url(blog, f"/dna/{token}/dead/img.png")
    when = _published(50)
    title = f"죽은 그림이 있는 글 · {token}"
    body = figure(alive, "살아 있는 사진.png") + "\n" + figure(dead, "사라진 사진.png")
    blog.blog.add(FakePost(post_id=50, title=title, category="여행/부산", published=when.isoformat(), body_html=body))
    m = migration(tmp_path, blog, site)

    first = run(m, timings)

    assert first.code == 0, first.output
    assert "with missing files" in first.output and dead in first.output and "404" in first.output, first.output
    state = read_state(reader, floor)
    [post] = state.by_title()[title]
    content = raw(post["content"])
    assert html.escape(dead, quote=True) in content or dead in content   # the original address stays
    assert html.escape(alive, quote=True) not in content                 # the living image is local
    assert_no_orphan_media(state)

    # The file comes back: the next run updates the same post, which is then complete.
    blog.cdn.add(f"/dna/{token}/dead/img.png", dead_bytes)
    second = run(m, timings)

    assert second.code == 0, second.output
    assert "came back" in second.output, second.output
    blog.public.append(ExpectedPost(
        post_id=50, title=title, date=when.replace(tzinfo=None).isoformat(),
        date_gmt=when.astimezone(UTC).replace(tzinfo=None).isoformat(), category=("여행", "부산"), tags=set(),
        images=[alive_bytes, dead_bytes],
    ))
    state = read_state(reader, floor)
    assert state.by_title()[title][0]["id"] == post["id"]
    assert_complete(state, blog, reader)


def test_a_file_wordpress_refuses_is_a_missing_file(site: Site, servers, token, floor, tmp_path, timings):
    """WordPress 6.1 refuses AVIF (500 rest_upload_sideload_error): the post is migrated anyway."""
    reader = site.reader
    blog = build_blog(servers, token, posts=2)
    own = make_png(_seed(token, 903))
    blog.cdn.add(f"/dna/{token}/own/img.png", own)
    blog.cdn.add(f"/dna/{token}/avif/img.png", AVIF_BYTES, "image/avif")
    own_url, avif_url = _cdn_url(blog, f"/dna/{token}/own/img.png"), _cdn_url(blog, f"/dna/{token}/avif/img.png")
    title = f"AVIF 그림이 있는 글 · {token}"
    body = figure(own_url, "거부 전 사진.png") + "\n" + figure(avif_url, "거부될 사진.avif")
    blog.blog.add(FakePost(post_id=60, title=title, published=_published(60).isoformat(), body_html=body))

    result = run(migration(tmp_path, blog, site), timings)

    assert result.code == 0, result.output
    assert "failed       0" in result.output and avif_url in result.output, result.output
    assert "WordPress refused" in result.output, result.output
    state = read_state(reader, floor)
    [post] = state.by_title()[title]
    content = raw(post["content"])
    assert html.escape(avif_url, quote=True) in content or avif_url in content
    assert own in state.files.values() and AVIF_BYTES not in state.files.values()
    assert_no_orphan_media(state)

"""End-to-end, issue 11 "posts native to WordPress": on the REAL WordPress, a migrated post's images come
back in `content.rendered` with `srcset` and `sizes` when they are larger than the medium size, and
every content image points at the attachment whose file it shows (`wp-image-<id>`); the raw content
is valid for the block editor's own validator."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from tests.blockcheck import problems_of
from tests.e2e.conftest import Site
from tests.e2e.migrate import Migration
from tests.fakes.blog import FakeBlog, FakePost
from tests.fakes.cdn import FakeCDN, make_png

pytestmark = [pytest.mark.timeout(300), pytest.mark.e2e]


def image_block(url: str, caption: str = "") -> str:
    u = html.escape(url)
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<p><figure class="imageblock alignCenter"><span data-url="{u}"><img src="{u}"/></span>{cap}</figure></p>'


def grid(*urls: str) -> str:
    spans = "".join(f'<span data-url="{html.escape(u)}"><img src="{html.escape(u)}"></span>' for u in urls)
    return f'<figure class="imagegridblock"><div class="image-container">{spans}</div></figure>'


def test_images_come_back_responsive_and_tied_to_their_attachments(
    site: Site, servers: Any, token: str, floor: int, tmp_path: Path, block_validator: Any
) -> None:
    cdn = FakeCDN()
    sizes = {"big": 1200, "small": 200, "grid1": 1000, "grid2": 900}
    for seed, (name, size) in enumerate(sizes.items()):
        cdn.add(f"/dna/{token}/{name}/img.png", make_png(seed, size), "image/png")
    cdn_url = servers.serve(cdn.app()).url
    url = {name: f"{cdn_url}/dna/{token}/{name}/img.png" for name in sizes}
    body = (image_block(url["big"], "큰 사진") + image_block(url["small"]) + grid(url["grid1"], url["grid2"])
            + "<p>글</p>")
    blog = FakeBlog([FakePost(1, f"사진 {token}", body_html=body)], host=f"{token}.tistory.com")
    blog_url = servers.serve(blog.app()).url

    result = Migration(tmp_path, blog_url=blog_url, wp_url=site.url, wp_user=site.user,
                       wp_password=site.app_password, workers=1).run()
    assert result.code == 0, result.output

    [created] = site.reader.posts_since(floor)
    data = site.reader.get_ok(f"/posts/{created['id']}", context="edit")
    assert problems_of(block_validator({"raw": data["content"]["raw"]})) == {}
    media = {m["id"]: m for m in site.reader.media_since(floor)}
    tags = re.findall(r"<img\s[^>]*>", data["content"]["rendered"])
    assert len(tags) == 4, tags
    responsive = 0
    for tag in tags:
        found = re.search(r'\bwp-image-(\d+)\b', tag)
        assert found is not None, f"image without its attachment: {tag}"
        attachment = media[int(found.group(1))]
        src = html.unescape(re.search(r'\ssrc="([^"]+)"', tag).group(1))  # type: ignore[union-attr]
        assert src == attachment["source_url"], "the image shows another attachment's file"
        details = attachment["media_details"]
        medium = details.get("sizes", {}).get("medium")
        if details["width"] > 300:
            assert medium is not None, f"WordPress made no medium size of a {details['width']} px image"
            assert "srcset=" in tag and "sizes=" in tag, tag
            assert medium["source_url"] in html.unescape(tag), "srcset does not offer the medium size"
            responsive += 1
        # WordPress adds the intrinsic size to every image it knows (no layout shift).
        assert f'width="{details["width"]}"' in tag and f'height="{details["height"]}"' in tag, tag
    assert responsive == 3

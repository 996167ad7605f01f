"""What a finished migration must look like in the real WordPress, checked through its REST API.

`read_state(reader, floor)` collects the posts and media created since `floor` (see wpread.py) and
downloads every media file once, like a visitor. The `assert_*` functions each check one promise
of the migration against a `BlogUnderTest`, with messages that say which post or file is wrong.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from tests.e2e.scenario import BlogUnderTest
from tests.e2e.wpread import WPReader, raw

__all__ = [
    "WPState",
    "assert_complete",
    "assert_images_local",
    "assert_no_duplicate_media",
    "assert_no_orphan_media",
    "assert_one_draft_per_post",
    "assert_post_fields",
    "read_state",
]

IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc=["']([^"']+)["']""", re.IGNORECASE)
ATTRIBUTE = re.compile(r"""\s[\w:-]+\s*=\s*["']([^"']*)["']""")
A_HREF = re.compile(r"""<a\b[^>]*?\bhref=["']([^"']+)["']""", re.IGNORECASE)


@dataclass
class WPState:
    posts: list[dict[str, Any]]
    media: dict[int, dict[str, Any]]
    files: dict[int, bytes]  # media id -> bytes served at its source_url
    wp_url: str

    def by_title(self) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for post in self.posts:
            # A title is HTML in WordPress: the text it shows is its raw form decoded once.
            found.setdefault(html.unescape(raw(post["title"])), []).append(post)
        return found

    def media_by_url(self) -> dict[str, int]:
        """Both spellings of every source_url (raw Korean and percent-encoded) -> media id."""
        urls: dict[str, int] = {}
        for media_id, media in self.media.items():
            url = media["source_url"]
            urls[url] = media_id
            urls[unquote(url)] = media_id
            parts = urlsplit(url)
            urls[parts._replace(path=quote(unquote(parts.path), safe="/")).geturl()] = media_id
        return urls


def read_state(reader: WPReader, floor: int) -> WPState:
    posts = reader.posts_since(floor)
    media = {m["id"]: m for m in reader.media_since(floor)}
    files: dict[int, bytes] = {}
    for media_id, item in media.items():
        status, ctype, data = reader.fetch(item["source_url"])
        assert status == 200, f"media {media_id} {item['source_url']} answers {status}"
        assert ctype.startswith("image/"), f"media {media_id} {item['source_url']} is served as {ctype}"
        files[media_id] = data
    return WPState(posts, media, files, reader.base)


def assert_one_draft_per_post(state: WPState, blog: BlogUnderTest) -> dict[str, dict[str, Any]]:
    """Exactly one draft per public post, nothing else (no protected or failed post, no stray draft)."""
    by_title = state.by_title()
    dupes = {t: [p["id"] for p in ps] for t, ps in by_title.items() if len(ps) > 1}
    assert not dupes, f"duplicate posts in WordPress: {dupes}"
    missing = blog.titles() - set(by_title)
    extra = set(by_title) - blog.titles()
    assert not missing, f"{len(missing)} posts missing from WordPress: {sorted(missing)[:5]}"
    assert not extra, f"posts in WordPress that should not be there: {sorted(extra)}"
    statuses = Counter(p["status"] for p in state.posts)
    assert statuses == Counter({"draft": len(blog.public)}), f"post statuses: {dict(statuses)}"
    return {title: posts[0] for title, posts in by_title.items()}


def _content_images(post: dict[str, Any]) -> list[str]:
    return IMG_SRC.findall(raw(post["content"]))


def assert_post_fields(state: WPState, blog: BlogUnderTest, reader: WPReader) -> None:
    """Title, dates, category hierarchy, tags, images in order and the featured image of every post."""
    posts = assert_one_draft_per_post(state, blog)
    urls = state.media_by_url()
    default_category = int(reader.settings().get("default_category") or 1)
    for expected in blog.public:
        post = posts[expected.title]
        where = f"post {expected.post_id} ({expected.title!r}, WordPress id {post['id']})"
        assert (post["date"], post["date_gmt"]) == (expected.date, expected.date_gmt), where
        if expected.category:
            assert len(post["categories"]) == 1, f"{where}: categories {post['categories']}"
            assert reader.category_path(post["categories"][0]) == expected.category, where
        else:
            assert post["categories"] in ([], [default_category]), f"{where}: categories {post['categories']}"
        assert reader.tag_names(post["tags"]) == expected.tags, where
        srcs = _content_images(post)
        ids = [urls.get(src) for src in srcs]
        missing = [src for src, i in zip(srcs, ids, strict=True) if i is None]
        assert not missing, f"{where}: images not in the media library: {missing}"
        got = [state.files[i] for i in ids if i is not None]
        assert got == expected.images, (
            f"{where}: the images differ from the blog's ({len(got)} vs {len(expected.images)})"
        )
        featured = post["featured_media"]
        assert featured == ids[0], f"{where}: featured_media {featured}, first image is media {ids[0]}"
        names = [unquote(state.media[i]["source_url"]) for i in ids if i]
        for stem in expected.named:
            # WordPress appends -1, -2 … when the name is taken in this month's uploads folder.
            pattern = re.compile(rf"/{re.escape(stem)}(-\d+)?\.png$")
            assert any(pattern.search(name) for name in names), f"{where}: no upload {stem}.png in {names}"
        hrefs = [h for h in A_HREF.findall(raw(post["content"])) if h.startswith(state.wp_url)]
        targets = [posts[blog.public[t - 1].title] for t in expected.links]
        assert len(hrefs) == len(targets), f"{where}: links to WordPress {hrefs}, expected {len(targets)}"
        for href, target in zip(hrefs, targets, strict=True):
            # A draft's future address: its permalink (pretty, by slug) or ?p=<id> (plain permalinks).
            address = href.split("#", 1)[0]
            assert address.endswith((f"/{target['slug']}/", f"?p={target['id']}")), (
                f"{where}: the link {href} does not lead to WordPress post {target['id']} ({target['slug']})"
            )
        if expected.code:
            content = raw(post["content"])
            assert re.search(r"<pre\b[^>]*>\s*<code\b", content), f"{where}: code block lost"
            assert "return a &lt; b  # 비교 &amp; 반환" in content, f"{where}: code text changed"


def assert_images_local(state: WPState, blog: BlogUnderTest) -> None:
    """Every <img> is a file of this WordPress's uploads; nothing points at the old blog or its CDN."""
    uploads = state.wp_url + "/wp-content/uploads/"
    foreign = [
        urlsplit(blog.blog_url).netloc,
        urlsplit(blog.cdn_url).netloc,
        "daumcdn.net",
        "kakaocdn.net",
        "tistory.com",
    ]
    for post in state.posts:
        title = raw(post["title"])
        for src in _content_images(post):
            assert src.startswith(uploads), f"{title}: image not served by WordPress: {src}"
        # Addresses only (src, href, srcset, data-*, style url()): a link's visible text may quote
        # the old URL, and the marker comment names its source on purpose.
        addresses = ATTRIBUTE.findall(re.sub(r"<!--.*?-->", "", raw(post["content"]), flags=re.S))
        for value in addresses:
            for host in foreign:
                assert host not in value, f"{title} still points at {host}: {value}"


def assert_no_orphan_media(state: WPState) -> None:
    """Every media item is used by some post: in its content or as its featured image."""
    used: set[int] = {p["featured_media"] for p in state.posts if p.get("featured_media")}
    urls = state.media_by_url()
    for post in state.posts:
        used.update(urls[src] for src in _content_images(post) if src in urls)
    orphans = set(state.media) - used
    assert not orphans, f"media no post uses: {[state.media[m]['source_url'] for m in sorted(orphans)]}"


def assert_no_duplicate_media(state: WPState, blog: BlogUnderTest) -> None:
    """One media item per distinct picture: the shared URL and the identical bytes were uploaded once."""
    copies = Counter(state.files.values())
    twice = [n for n in copies.values() if n > 1]
    assert not twice, f"{len(twice)} pictures were uploaded more than once"
    assert set(state.files.values()) == blog.all_image_bytes(), "media library and blog images differ"
    assert copies[blog.shared_image] == 1
    assert blog.twin_image is None or copies[blog.twin_image] == 1


def assert_complete(state: WPState, blog: BlogUnderTest, reader: WPReader) -> None:
    """Everything a finished migration of `blog` promises."""
    assert_post_fields(state, blog, reader)
    assert_images_local(state, blog)
    assert_no_orphan_media(state)
    assert_no_duplicate_media(state, blog)

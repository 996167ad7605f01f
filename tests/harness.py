"""A whole migration world for integration tests: fake blog + fake CDN + fake WordPress on 127.0.0.1.

    world = await make_world(aiohttp_server, tmp_path, posts)
    report = await world.run()                 # migrate --all in-process
    assert world.wp_titles() == {...}

Invariant checks (`assert_consistent`) look at what WordPress holds afterwards, the way a user
would: one draft per public post, no media that no post uses, no image still served by the CDN.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.commands.migrate import RunOptions, RunReport, run_migration
from migrator.config import Settings
from migrator.state.store import StateStore
from tests.fakes.blog import FakeBlog, FakePost
from tests.fakes.cdn import FakeCDN, make_png
from tests.fakes.wordpress import FakeWordPress

APP_PASSWORD = "abcd efgh ijkl mnop qrst uvwx"


@dataclass
class World:
    blog: FakeBlog
    cdn: FakeCDN
    wp: FakeWordPress
    blog_url: str
    cdn_url: str
    wp_url: str
    tmp: Path
    overrides: dict[str, Any] = field(default_factory=dict)

    def settings(self, **kw: Any) -> Settings:
        values: dict[str, Any] = {
            "blog_url": self.blog_url, "wp_base_url": self.wp_url, "wp_user": "admin",
            "wp_app_password": APP_PASSWORD, "worker_count": 3, "rate_limit": 0.0,
            "db_path": self.tmp / "migration.db", "retry_base_delay_s": 0.01, "retry_max_delay_s": 0.05,
            "request_timeout_s": 10.0, "shutdown_grace_s": 2.0, "parse_processes": 0,
            # The fakes live on 127.0.0.1; tests of the address guard turn it back on.
            "allow_private_file_hosts": True,
        }
        values.update(self.overrides)
        values.update(kw)
        return Settings(**values)

    async def run(self, *post_urls: str, settings: Settings | None = None, **options: Any) -> RunReport:
        return await run_migration(settings or self.settings(), RunOptions(post_urls=tuple(post_urls), **options))

    def image(self, name: str, seed: int, content_type: str = "image/png", data: bytes | None = None) -> str:
        path = f"/dna/{name}/img.png"
        self.cdn.add(path, data if data is not None else make_png(seed), content_type)
        return f"{self.cdn_url}{path}?credential=abc&expires=9999999999&signature=s{seed}"

    # ------------------------------------------------------------------ what WordPress holds
    def wp_posts(self) -> list[dict[str, Any]]:
        return [p for p in self.wp.posts.values() if p.get("status") != "trash"]

    def wp_titles(self) -> Counter[str]:
        # A title is HTML in WordPress: the text it shows is its raw form decoded once.
        return Counter(html.unescape(_raw(p["title"])) for p in self.wp_posts())

    def post_by_title(self, title: str) -> dict[str, Any]:
        matches = [p for p in self.wp_posts() if html.unescape(_raw(p["title"])) == title]
        assert len(matches) == 1, f"{len(matches)} posts titled {title!r}"
        return matches[0]

    def media_in_use(self) -> set[int]:
        used: set[int] = set()
        contents = [_raw(p["content"]) for p in self.wp_posts()]
        for media_id, media in self.wp.media.items():
            url = "/wp-content/uploads/" + media["file"]
            if any(url in c for c in contents) or any(p.get("featured_media") == media_id for p in self.wp_posts()):
                used.add(media_id)
        return used

    def assert_consistent(self, expected_titles: set[str]) -> None:
        titles = self.wp_titles()
        dupes = {t: n for t, n in titles.items() if n > 1}
        assert not dupes, f"duplicate posts in WordPress: {dupes}"
        assert set(titles) == expected_titles, f"posts differ: {set(titles) ^ expected_titles}"
        orphans = set(self.wp.media) - self.media_in_use()
        assert not orphans, f"media no post uses: {[self.wp.media[m]['file'] for m in orphans]}"
        cdn_host = self.cdn_url.split("//", 1)[1]
        for post in self.wp_posts():
            content = _raw(post["content"])
            assert cdn_host not in content, f"{_raw(post['title'])} still points at the CDN"
            for src in re.findall(r'src="([^"]+)"', content):
                assert src.startswith(self.wp_url), f"image not served by WordPress: {src}"
        hashes = Counter(self.wp.files.values())
        assert all(n == 1 for n in hashes.values()), "the same file was uploaded twice"

    async def store(self) -> StateStore:
        return await StateStore.open(self.tmp / "migration.db")


def _raw(field_value: Any) -> str:
    if isinstance(field_value, dict):
        return str(field_value.get("raw", field_value.get("rendered", "")))
    return str(field_value)


async def make_world(aiohttp_server: Any, tmp_path: Path, posts: list[FakePost] | None = None,
                     *, wp_middleware: Any = None, **blog_kw: Any) -> World:
    cdn = FakeCDN()
    cdn_server = await aiohttp_server(cdn.app())
    blog = FakeBlog(posts or [], **blog_kw)
    blog_server = await aiohttp_server(blog.app())
    wp = FakeWordPress(app_password=APP_PASSWORD)
    wp_app = wp.app()
    if wp_middleware is not None:
        wp_app.middlewares.append(wp_middleware)
    wp_server = await aiohttp_server(wp_app)
    return World(
        blog=blog, cdn=cdn, wp=wp, blog_url=str(blog_server.make_url("")).rstrip("/"),
        cdn_url=str(cdn_server.make_url("")).rstrip("/"), wp_url=str(wp_server.make_url("")).rstrip("/"),
        tmp=tmp_path,
    )

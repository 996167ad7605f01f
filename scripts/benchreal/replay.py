"""THE BOUND: a plain concurrent client replays the minimal request mix of the migrated blog.

What the tool left in the first WordPress is read back (its posts with their final content, its
terms, and the uploads the proxy saw: file name, type, hash) and replayed into a second, fresh
WordPress through the same counting proxy, with `workers` connections: the term creates, then one
upload per distinct file (same bytes, same file name, same alt text and caption), then one post
create per post with its final content (media addresses and ids, term ids and site address mapped
to the new site; title, excerpt, status, dates, slug, featured image as the tool left them).
A 5xx or a dropped connection is retried (at most 3 times), as any client would.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

POST_FIELDS = ("title", "content", "excerpt", "status", "slug", "comment_status", "ping_status", "format")


@dataclass
class Snapshot:
    """What the tool left in WordPress: what the replay has to recreate."""

    base_url: str
    categories: list[dict[str, Any]]
    tags: list[dict[str, Any]]
    posts: list[dict[str, Any]]
    uploads: list[dict[str, Any]]     # from the proxy, one per upload the tool made


@dataclass
class ReplayResult:
    seconds: dict[str, float] = field(default_factory=dict)   # per phase
    counts: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    unmapped_urls: int = 0    # media addresses in the content the replay could not map to the new site
    errors: list[str] = field(default_factory=list)

    @property
    def total_s(self) -> float:
        return sum(self.seconds.values())


async def _pages(session: aiohttp.ClientSession, url: str, params: dict[str, str]) -> list[dict[str, Any]]:
    # Ordered by id: the default order (by date, or by name for terms) has ties (every post of the
    # benchmark blog has the same date), and MariaDB may then list an item on two pages and skip another.
    items, page = [], 1
    while True:
        query = {**params, "orderby": "id", "order": "asc", "per_page": "100", "page": str(page)}
        async with session.get(url, params=query) as r:
            r.raise_for_status()
            items.extend(await r.json())
            pages = int(r.headers.get("X-WP-TotalPages", "1"))
        if page >= pages:
            return items
        page += 1


async def read_snapshot(base_url: str, auth: str, created_posts: list[int], uploads: list[dict[str, Any]]) -> Snapshot:
    """Read back, directly (not through the proxy), what the tool created in WordPress."""
    api = base_url.rstrip("/") + "/wp-json/wp/v2"
    async with aiohttp.ClientSession(headers={"Authorization": auth}) as s:
        categories = await _pages(s, f"{api}/categories", {"context": "edit", "hide_empty": "false"})
        tags = await _pages(s, f"{api}/tags", {"context": "edit", "hide_empty": "false"})
        wanted = set(created_posts)
        posts = [p for p in await _pages(s, f"{api}/posts", {"context": "edit", "status": "any"}) if p["id"] in wanted]
    categories = [c for c in categories if c["id"] != 1 or c["count"]]  # "Uncategorized" exists anyway
    return Snapshot(base_url.rstrip("/"), categories, tags, posts, uploads)


async def verify(base_url: str, auth: str, snapshot: Snapshot) -> dict[str, int]:
    """After the replay (not timed): does the new site hold the same posts, with every media address in
    their content pointing at one of its own files, and the featured images set?"""
    api = base_url.rstrip("/") + "/wp-json/wp/v2"
    async with aiohttp.ClientSession(headers={"Authorization": auth}) as s:
        posts = await _pages(s, f"{api}/posts", {"context": "edit", "status": "draft"})
        media = await _pages(s, f"{api}/media", {"context": "edit", "_fields": "id,source_url"})
    files = {m["source_url"] for m in media}
    found = [u for p in posts for u in re.findall(r"https?://[^\s\"'<>)]+/wp-content/uploads/[^\s\"'<>)]+", p["content"]["raw"])]
    slugs = {p["slug"] for p in snapshot.posts}
    return {
        "posts": len(posts), "distinct": len({p["id"] for p in posts}), "same_slugs": sum(1 for p in posts if p["slug"] in slugs), "media": len(media),
        "content_media_urls": len(found), "content_media_urls_on_site": sum(1 for u in found if u in files),
        "featured": sum(1 for p in posts if p.get("featured_media")),
        "featured_expected": sum(1 for p in snapshot.posts if p.get("featured_media")),
    }


class Replayer:
    def __init__(self, snapshot: Snapshot, file_bytes: Callable[[str], bytes], *, api_origin: str, site_url: str, auth: str,
                 workers: int) -> None:
        self.snap = snapshot
        self.file_bytes = file_bytes
        self.site_url = site_url.rstrip("/")      # the new site's own address (WP_HOME)
        self.api = api_origin.rstrip("/") + "/wp-json/wp/v2"   # where requests go: the counting proxy
        self.auth = auth
        self.workers = workers
        self.result = ReplayResult()
        self.term_ids: dict[tuple[str, int], int] = {("categories", 1): 1}
        self.media: dict[int, tuple[int, str]] = {}   # old media id -> (new id, new source_url)
        self.urls: dict[str, str] = {}                # old media URL -> new media URL

    async def _send(self, s: aiohttp.ClientSession, what: str, method: str, path: str, **kw: Any) -> dict[str, Any] | None:
        for attempt in range(4):
            try:
                async with s.request(method, self.api + path, **kw) as r:
                    body = await r.json(content_type=None)
                    if r.status < 500:
                        if r.status >= 300:
                            self.result.errors.append(f"{what}: {r.status} {body.get('code') if isinstance(body, dict) else body}")
                            return body if isinstance(body, dict) and r.status == 400 else None
                        return body
            except (TimeoutError, aiohttp.ClientError):
                pass
            if attempt < 3:
                self.result.retries += 1
                await asyncio.sleep(0.2 * (attempt + 1))
        self.result.errors.append(f"{what}: gave up after 4 attempts")
        return None

    async def _all(self, jobs: list[Callable[[], Awaitable[None]]]) -> None:
        gate = asyncio.Semaphore(self.workers)

        async def one(job: Callable[[], Awaitable[None]]) -> None:
            async with gate:
                await job()

        await asyncio.gather(*(one(job) for job in jobs))

    async def run(self) -> ReplayResult:
        connector = aiohttp.TCPConnector(limit=self.workers)
        timeout = aiohttp.ClientTimeout(total=600)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                         headers={"Authorization": self.auth}) as s:
            await self._phase("terms", self._terms(s))
            await self._phase("uploads", self._uploads(s))
            await self._phase("posts", self._posts(s))
        return self.result

    async def _phase(self, name: str, work: Awaitable[None]) -> None:
        t0 = time.monotonic()
        await work
        self.result.seconds[name] = time.monotonic() - t0

    async def _terms(self, s: aiohttp.ClientSession) -> None:
        async def create(taxonomy: str, term: dict[str, Any]) -> None:
            data: dict[str, Any] = {"name": term["name"], "slug": term["slug"]}
            if term.get("description"):
                data["description"] = term["description"]
            if term.get("parent"):
                data["parent"] = self.term_ids[("categories", term["parent"])]
            body = await self._send(s, f"{taxonomy} {term['name']}", "POST", f"/{taxonomy}", json=data)
            new_id = (body or {}).get("id") or ((body or {}).get("data") or {}).get("term_id")
            if new_id:
                self.term_ids[(taxonomy, term["id"])] = int(new_id)
            self.result.counts[taxonomy] = self.result.counts.get(taxonomy, 0) + 1

        # Parents before children: one level of the category tree at a time.
        pending = [c for c in self.snap.categories if c["id"] != 1]
        while pending:
            level = [c for c in pending if not c.get("parent") or ("categories", c["parent"]) in self.term_ids]
            if not level:
                self.result.errors.append(f"{len(pending)} categories whose parent is missing")
                break
            await self._all([lambda c=c: create("categories", c) for c in level])  # type: ignore[misc]
            pending = [c for c in pending if c not in level]
        await self._all([lambda t=t: create("tags", t) for t in self.snap.tags])  # type: ignore[misc]

    async def _uploads(self, s: aiohttp.ClientSession) -> None:
        first: dict[str, dict[str, Any]] = {}
        for made in self.snap.uploads:
            first.setdefault(made["sha256"], made)

        async def upload(u: dict[str, Any]) -> None:
            params = {k: v for k, v in u["query"].items() if k in ("alt_text", "caption", "title")}
            headers = {"Content-Type": u["content_type"], "Content-Disposition": f'attachment; filename="{u["filename"]}"'}
            body = await self._send(s, f"upload {u['filename']}", "POST", "/media", data=self.file_bytes(u["sha256"]),
                                    params=params, headers=headers)
            if body and "id" in body:
                for same in self.snap.uploads:
                    if same["sha256"] == u["sha256"]:
                        self.media[same["id"]] = (int(body["id"]), body["source_url"])
                        self.urls[same["source_url"]] = body["source_url"]

        self.result.counts["uploads"] = len(first)
        await self._all([lambda u=u: upload(u) for u in first.values()])  # type: ignore[misc]

    def _media_url(self, match: re.Match[str]) -> str:
        new = self.urls.get(match.group(0))
        if new is None:
            self.result.unmapped_urls += 1
            return match.group(0)
        return new

    def _content(self, raw: str) -> str:
        old = re.escape(self.snap.base_url)
        text = re.sub(old + r"/wp-content/uploads/[^\s\"'<>)]+", self._media_url, raw)
        text = re.sub(r"wp-image-(\d+)", lambda m: f"wp-image-{self.media.get(int(m.group(1)), (m.group(1),))[0]}", text)
        return text.replace(self.snap.base_url, self.site_url)

    async def _posts(self, s: aiohttp.ClientSession) -> None:
        async def create(post: dict[str, Any]) -> None:
            data: dict[str, Any] = {}
            for key in POST_FIELDS:
                value = post.get(key)
                data[key] = value.get("raw", "") if isinstance(value, dict) else value
            data["content"] = self._content(data["content"] or "")
            data["date_gmt" if post.get("date_gmt") else "date"] = post.get("date_gmt") or post.get("date")
            data["categories"] = [self.term_ids.get(("categories", c), c) for c in post.get("categories", [])]
            data["tags"] = [self.term_ids[("tags", t)] for t in post.get("tags", []) if ("tags", t) in self.term_ids]
            if post.get("featured_media"):
                data["featured_media"] = self.media.get(post["featured_media"], (0,))[0]
            await self._send(s, f"post {post['slug']}", "POST", "/posts", json=data)

        self.result.counts["posts"] = len(self.snap.posts)
        await self._all([lambda p=p: create(p) for p in sorted(self.snap.posts, key=lambda p: p["id"])])  # type: ignore[misc]

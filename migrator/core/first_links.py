"""Internal links decided when a post is created, so that its one write already holds them.

A link to another post of the blog is written as that post's WordPress address when it can be told:
- the target is migrated: its address was recorded from WordPress's answer when it was created;
- the target is not migrated yet, but the site's permalink structure is known (`core/permalinks`)
  and so are the target's slug and date: from the link itself (`/entry/<slug>`) or from a look at
  the target's page (one request to the blog, remembered for the run).
A static page (a WordPress page) is never predicted: its address does not follow the posts'
permalink structure, so a link to one is written once the page exists (or by the end pass).
Anything else stays the Tistory address, with the reason. Nothing here is final: the end-of-run pass
(`commands/rewrite_links`) compares what each post holds with its targets' real addresses and
visits only the posts where they differ, reading them back then and only then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import tzinfo

from migrator.core import links as linking
from migrator.core.permalinks import StructureWatch
from migrator.core.reading import PostReader, Readable
from migrator.core.slugs import planned_slug
from migrator.models import ItemStatus, PostRef
from migrator.state.store import Item, LinkRow, StateStore
from migrator.tistory.urls import is_page_url
from migrator.wordpress.client import local_and_gmt
from migrator.wordpress.records import WpPermalink, WpPost

__all__ = [
    "LINK_STYLE_KEY",
    "NOT_ON_BLOG",
    "LinkDecider",
    "OwnPost",
    "find_target",
    "id_address",
    "target_reason",
]

NOT_ON_BLOG = "not found on the blog (deleted, private, or never discovered)"
NOT_YET = "not migrated yet"
LINK_STYLE_KEY = "link_style"  # meta: the link style chosen last (`rewrite-links --style`)


def target_reason(item: Item | None) -> str | None:
    """Why a link to this item cannot point at WordPress (None: it can)."""
    if item is None:
        return NOT_ON_BLOG
    if item.status == ItemStatus.SKIPPED:
        return f"not migrated: skipped ({item.skip_reason or 'no reason recorded'})"
    if item.status == ItemStatus.FAILED:
        return f"not migrated: failed ({(item.error or 'unknown error')[:160]})"
    if item.status != ItemStatus.COMPLETED or not item.wp_post_id:
        return NOT_YET
    return None


async def find_target(store: StateStore, row: LinkRow) -> Item | None:
    """The item a recorded link points at (by Tistory post id, else by slug or address: a static
    page's link holds its canonical `/pages/<slug>` address only)."""
    if row.target_post_id is not None:
        return await store.item_by_post_id(row.target_post_id)
    if row.target_slug:
        return await store.item_by_slug(row.target_slug) or await store.item_by_url(row.target_url)
    if is_page_url(row.target_url):
        return await store.item_by_url(row.target_url)
    return None


def id_address(home: str, item: Item) -> str:
    """The `?p=` (posts) or `?page_id=` (pages) address of a migrated item (link style "id")."""
    return f"{home}/?{'page_id' if item.kind == 'page' else 'p'}={item.wp_post_id}"


@dataclass(frozen=True, slots=True)
class OwnPost:
    """The post being created: links to itself are predicted like any other."""

    item_id: int
    slug: str
    local_date: str
    kind: str = "post"


# What a look at a target's page tells: its planned slug and site-local date (None: unreadable).
_Basis = tuple[str, str] | None


class LinkDecider:
    """Shared by all workers of a run. `style` is the link style ("permalink" or "id")."""

    def __init__(
        self,
        *,
        store: StateStore,
        reader: PostReader,
        site_tz: Callable[[], tzinfo],
        sample: Callable[[], Awaitable[tuple[WpPermalink, str] | None]],
        home: str,
        style: str | None = None,
    ) -> None:
        self.store = store
        self.reader = reader
        self.site_tz = site_tz
        self.sample = sample
        self._priming = asyncio.Lock()
        self.home = home.rstrip("/")
        self.style = style
        self.structure = StructureWatch()
        self._looks: dict[str, asyncio.Future[_Basis]] = {}

    def address_of(self, post: WpPost) -> str:
        """The address readers will use once `post` (as WordPress answered) is published."""
        return linking.public_url(post, style="permalink", home=self.home)

    def learn(self, post: WpPost, local_date: str) -> None:
        self.structure.learn(post.permalink_template, post_id=post.id, local_date=local_date)

    async def decide(self, rows: Iterable[LinkRow], own: OwnPost) -> list[linking.LinkDecision]:
        if self.style is None:
            async with self._priming:
                if self.style is None:
                    await self._prime()
        decisions = []
        for row in rows:
            target = await find_target(self.store, row)
            address: str | None = None
            reason = target_reason(target)
            if target is not None and target.id == own.item_id:
                reason = NOT_YET
                address = self._predict(own.slug, own.local_date) if own.kind == "post" else None
            elif reason is None:
                assert target is not None
                address = id_address(self.home, target) if self.style == "id" else target.wp_address
                reason = None if address else "its address is decided by the end-of-run pass"
            elif reason in (NOT_YET, NOT_ON_BLOG) and not is_page_url(row.target_url):
                address = await self._predicted_address(row)
            target_id = target.id if target is not None else None
            if address:
                decisions.append(linking.LinkDecision(row.href, linking.with_fragment(address, row.fragment), target_id))
            else:
                decisions.append(linking.LinkDecision(row.href, None, target_id, reason))
        return decisions

    async def _prime(self) -> None:
        """Before the first decision: the link style, and the permalink structure from one post the site
        already has (a fresh WordPress has its "Hello world!"), so that even the first posts created
        hold their links right. One read per run."""
        style = await self.store.get_meta(LINK_STYLE_KEY) or "permalink"
        sample = await self.sample()
        if sample is not None:
            post, local_date = sample
            self.structure.learn(post.permalink_template, post_id=post.id, local_date=local_date)
        self.style = style

    def _predict(self, slug: str, local_date: str) -> str | None:
        if self.style != "permalink":
            return None  # `?p=<id>` needs the id, which exists once the post does
        return self.structure.predict(slug=slug, local_date=local_date)

    async def _predicted_address(self, row: LinkRow) -> str | None:
        structure = self.structure.structure
        if structure is None or self.style != "permalink":
            return None
        basis = await self._look(row)
        return None if basis is None else self._predict(*basis)

    async def _look(self, row: LinkRow) -> _Basis:
        key = f"id:{row.target_post_id}" if row.target_post_id is not None else f"slug:{row.target_slug}"
        future = self._looks.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._looks[key] = future
            try:
                future.set_result(await self._read_basis(row))
            except BaseException as exc:
                # Cancelled or broken: the next link to it looks again.
                del self._looks[key]
                future.set_exception(exc)
                future.exception()  # retrieved: no "never retrieved" warning for a lone waiter
                raise
        return await asyncio.shield(future)

    async def _read_basis(self, row: LinkRow) -> _Basis:
        ref = PostRef(url=row.target_url, post_id=row.target_post_id, slug=row.target_slug, source="link")
        reading = await self.reader.read(ref)
        if not isinstance(reading, Readable) or reading.parsed.source is None:
            return None
        source = reading.parsed.source
        if source.published is None:
            return None
        local, _ = local_and_gmt(source.published, self.site_tz())
        return planned_slug(source.slug, source.title, source.post_id), local

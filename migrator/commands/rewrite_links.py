"""The rewrite-links job: links between migrated posts are pointed at their WordPress addresses.

For every migrated post whose body linked to other posts of the blog (the `internal_links` the
pipeline recorded, in any URL form), each link whose target is migrated too is rewritten to the
target's address (see links.public_url), by updating the post's content through
`POST /wp/v2/posts/<id>`. Links to posts that are not migrated stay as they are and are listed with
the reason. What each post's content holds is recorded per post (`link_rewrites`, `link_passes`), so
the job resumes after a crash, a second run reads only the targets' addresses and writes nothing,
and a run after publishing (or after a slug was changed, or a target undone) moves the links again.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog

from migrator.config import Settings
from migrator.core import links as linking
from migrator.core.first_links import LINK_STYLE_KEY, NOT_ON_BLOG, find_target, id_address, target_reason
from migrator.errors import FatalError, PostError
from migrator.state.store import Item, LinkRewrite, LinkRow, StateStore
from migrator.wiring import Network, open_run
from migrator.wordpress.client import WordPressClient, WpPermalink

__all__ = [
    "LINK_STYLES",
    "NOT_ON_BLOG",
    "LeftLink",
    "LinkReport",
    "LinkRewriter",
    "render_link_report",
    "rewrite_after_run",
    "run_rewrite_links",
    "target_reason",
]

log = structlog.get_logger(__name__)

WP_POST_GONE = "its WordPress post is gone (deleted or in the trash)"
LINK_STYLES = ("permalink", "id")
_CHUNK = 500  # posts whose links and targets are held at once


@dataclass(frozen=True, slots=True)
class LeftLink:
    source_url: str
    href: str
    reason: str


@dataclass(slots=True)
class LinkReport:
    """What a rewrite-links pass did. `left` lists every link left as it was, with the reason."""

    posts_checked: int = 0  # migrated posts with internal links
    posts_read: int = 0  # of which the WordPress content had to be read
    posts_updated: int = 0  # posts whose content changed: by this pass, or when created since the last one
    rewritten: int = 0  # links changed by this pass
    current: int = 0  # links already pointing at the right WordPress address
    reverted: int = 0  # links put back to their Tistory URL (target no longer migrated)
    left: list[LeftLink] = field(default_factory=list)
    missing_posts: list[str] = field(default_factory=list)  # source posts gone from WordPress
    errors: list[tuple[str, str]] = field(default_factory=list)  # (source url, error)

    @property
    def changed_nothing(self) -> bool:
        return self.posts_updated == 0

    def left_by_reason(self) -> dict[str, int]:
        return dict(Counter(_reason_kind(x.reason) for x in self.left))

    def as_dict(self) -> dict[str, Any]:
        return {
            "posts_checked": self.posts_checked,
            "posts_read": self.posts_read,
            "posts_updated": self.posts_updated,
            "links_rewritten": self.rewritten,
            "links_current": self.current,
            "links_reverted": self.reverted,
            "links_left": len(self.left),
            "left_by_reason": self.left_by_reason(),
            "left": [{"source_url": x.source_url, "href": x.href, "reason": x.reason} for x in self.left],
            "missing_posts": list(self.missing_posts),
            "errors": [{"url": u, "error": e} for u, e in self.errors],
        }


def _reason_kind(reason: str) -> str:
    return reason.split(" (", 1)[0]


class LinkRewriter:
    """One pass over every migrated post with internal links. `style`: "permalink" or "id"."""

    def __init__(
        self,
        store: StateStore,
        wp: WordPressClient,
        *,
        style: str = "permalink",
        home: str | None = None,
        workers: int = 4,
    ) -> None:
        if style not in ("permalink", "id"):
            raise ValueError(f"unknown link style {style!r}")
        self.store = store
        self.wp = wp
        self.style = style
        self.home = home or wp.base_url
        self.workers = max(1, workers)
        self.report = LinkReport()
        self._targets: dict[tuple[int | None, str | None], Item | None] = {}

    def __repr__(self) -> str:
        r = self.report
        return f"LinkRewriter(style={self.style!r}, checked={r.posts_checked}, updated={r.posts_updated})"

    async def run(self, only: Iterable[int] | None = None) -> LinkReport:
        """Raises FatalError (e.g. the credentials stopped working); one post's failure is recorded.

        `only`: item ids of the posts to look at (default: every migrated post with internal links).
        """
        sources = await self.store.items_with_links()
        if only is not None:
            wanted_ids = set(only)
            sources = [s for s in sources if s.id in wanted_ids]
        # A chunk at a time, `workers` posts in flight: memory stays flat in the blog's size.
        for start in range(0, len(sources), _CHUNK):
            await self._run_chunk(sources[start : start + _CHUNK])
        r = self.report
        log.info(
            "links_rewritten",
            posts_checked=r.posts_checked,
            posts_updated=r.posts_updated,
            rewritten=r.rewritten,
            current=r.current,
            reverted=r.reverted,
            left=len(r.left),
            errors=len(r.errors),
        )
        return r

    async def _run_chunk(self, sources: list[Item]) -> None:
        self._targets.clear()
        links_of = {item.id: await self.store.links_of_item(item.id) for item in sources}
        for rows in links_of.values():
            for row in rows:
                await self._target(row)
        wanted = [t for t in self._targets.values() if t is not None and target_reason(t) is None]
        addresses = await self.wp.get_permalinks([t.wp_post_id for t in wanted if t.wp_post_id and t.kind == "post"])
        pages = [t.wp_post_id for t in wanted if t.wp_post_id and t.kind == "page"]
        if pages:  # pages live on their own route (a page id is no post's)
            addresses.update(await self.wp.get_permalinks(pages, kind="page"))
        queue = iter(sources)

        async def worker() -> None:
            for item in queue:  # shared iterator: each post taken by one worker
                await self._process(item, self._decide(links_of[item.id], addresses))

        async with asyncio.TaskGroup() as tg:
            for _ in range(min(self.workers, len(sources))):
                tg.create_task(worker())

    # ------------------------------------------------------------------ decisions
    async def _target(self, row: LinkRow) -> Item | None:
        key = _target_key(row)
        if key not in self._targets:
            self._targets[key] = await find_target(self.store, row)
        return self._targets[key]

    def _decide(self, rows: list[LinkRow], addresses: dict[int, WpPermalink]) -> list[linking.LinkDecision]:
        decisions = []
        for row in rows:
            target = self._targets.get(_target_key(row))
            reason = target_reason(target)
            target_id = target.id if target is not None else None
            if reason is None and target is not None and target.wp_post_id not in addresses:
                reason = WP_POST_GONE
            if reason is not None:
                decisions.append(linking.LinkDecision(row.href, None, target_id, reason))
                continue
            assert target is not None and target.wp_post_id is not None
            url = (
                id_address(self.home, target) if self.style == "id"
                else linking.public_url(addresses[target.wp_post_id], style=self.style, home=self.home)
            )
            new_href = linking.with_fragment(url, row.fragment)
            decisions.append(linking.LinkDecision(row.href, new_href, target_id))
        return decisions

    # ------------------------------------------------------------------ one post
    async def _process(self, item: Item, decisions: list[linking.LinkDecision]) -> None:
        self.report.posts_checked += 1
        assert item.wp_post_id is not None
        try:
            recorded = {r.href: r for r in await self.store.link_rewrites(item.id)}
            done = await self.store.link_pass(item.id)
            # A post migrated again (after an undo) has new content: what was recorded no longer holds.
            fresh = (
                done is None
                or done.wp_post_id != item.wp_post_id
                or done.item_finished_at != item.finished_at
            )
            previous = {} if fresh else {h: r.written_href for h, r in recorded.items()}
            # Links written when the post was created are reported by the first pass after it.
            unreported = not fresh and done is not None and done.checked_at == 0
            if all(d.new_href == previous.get(d.href) for d in decisions):
                # The content already holds what we want (or there is nothing to point at WordPress
                # yet): no WordPress request at all.
                rows = [
                    linking.PlannedRow(
                        d.href, d.new_href, d.target_item_id, d.reason,
                        ("rewritten" if unreported else "current") if d.new_href is not None else "left",
                    )
                    for d in decisions
                ]
                changed = any(_changed(recorded.get(r.href), r) for r in rows)
                if fresh or changed or unreported or len(recorded) != len(rows):
                    await self._record(item, rows)
                if unreported and any(r.change == "rewritten" for r in rows):
                    self.report.posts_updated += 1
                self._tally(item, rows)
                return
            post = await self.wp.get_post(item.wp_post_id, kind=item.kind)
            self.report.posts_read += 1
            if post is None:
                self.report.missing_posts.append(item.canonical_url)
                log.warning("link_source_missing", source_url=item.canonical_url, wp_post_id=item.wp_post_id)
                return
            content = post.content_raw or ""
            new_content, rows = linking.plan_links(content, decisions, previous)
            if unreported:
                rows = [r if r.change != "current" else dataclasses.replace(r, change="rewritten") for r in rows]
            if new_content != content:
                # WordPress stores a revision for this update (drafts too) and refuses to delete
                # revisions over REST: the reason links are decided when a post is created.
                await self.wp.update_post(item.wp_post_id, {"content": new_content}, kind=item.kind)
            if new_content != content or any(r.change == "rewritten" for r in rows):
                self.report.posts_updated += 1
            await self._record(item, rows)
            self._tally(item, rows)
        except FatalError:
            raise
        except PostError as exc:
            self.report.errors.append((item.canonical_url, f"{exc.__class__.__name__}: {exc}"))
            log.warning(
                "links_not_rewritten",
                source_url=item.canonical_url,
                error=exc.__class__.__name__,
                error_msg=str(exc),
            )

    async def _record(self, item: Item, rows: list[linking.PlannedRow]) -> None:
        assert item.wp_post_id is not None
        await self.store.record_link_pass(
            item.id,
            wp_post_id=item.wp_post_id,
            item_finished_at=item.finished_at,
            rows=[LinkRewrite(item.id, r.href, r.written_href, r.target_item_id, r.reason) for r in rows],
        )

    def _tally(self, item: Item, rows: list[linking.PlannedRow]) -> None:
        for row in rows:
            if row.change == "rewritten":
                self.report.rewritten += 1
            elif row.change == "current":
                self.report.current += 1
            else:
                if row.change == "reverted":
                    self.report.reverted += 1
                reason = row.reason or "left as it was"
                self.report.left.append(LeftLink(item.canonical_url, row.href, reason))


def _target_key(row: LinkRow) -> tuple[int | None, str | None]:
    """What names a link's target: its post id, else its slug, else (a static page) its address."""
    if row.target_post_id is not None:
        return row.target_post_id, None
    return None, row.target_slug or row.target_url


def _changed(old: LinkRewrite | None, new: linking.PlannedRow) -> bool:
    if old is None:
        return True
    before = (old.written_href, old.target_item_id, old.reason)
    return before != (new.written_href, new.target_item_id, new.reason)


def render_link_report(report: LinkReport, *, max_listed: int = 20) -> str:
    """The human summary of a rewrite-links pass."""
    r = report
    if r.posts_checked == 0:
        return "Internal links: no migrated post links to another post of the blog."
    if r.changed_nothing and not r.errors:
        head = (
            f"Internal links: nothing to change ({r.current} already point at WordPress, "
            f"{len(r.left)} left as they are)."
        )
    else:
        head = (
            f"Internal links: {r.rewritten} rewritten"
            + (f", {r.reverted} put back to their Tistory address" if r.reverted else "")
            + f" in {r.posts_updated} post{'' if r.posts_updated == 1 else 's'}; "
            + f"{r.current} already current; "
            + f"{len(r.left)} left as they are."
        )
    lines = [head]
    if r.left:
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(r.left_by_reason().items()))
        lines.append(f"  Left as they are ({kinds}):")
        for x in r.left[:max_listed]:
            lines.append(f"    {x.source_url}: {x.href} ({x.reason})")
        if len(r.left) > max_listed:
            lines.append(
                f"    … and {len(r.left) - max_listed} more (`migrate rewrite-links --json` lists all)"
            )
    for url in r.missing_posts[:max_listed]:
        lines.append(f"  {url}: its WordPress post is gone; its links were not checked")
    for url, error in r.errors[:max_listed]:
        lines.append(f"  {url}: not updated: {error}")
    return "\n".join(lines)


async def rewrite_after_run(store: StateStore, wp: WordPressClient, *, workers: int) -> LinkReport:
    """The pass at the end of `migrate --all`, in the link style chosen last (default permalink).

    Never raises (but for cancellation): the posts are migrated whatever happens here, and a later
    `migrate rewrite-links` finishes the job.
    """
    try:
        style = await store.get_meta(LINK_STYLE_KEY) or "permalink"
        return await LinkRewriter(store, wp, style=style, workers=workers).run()
    except (PostError, FatalError) as exc:
        log.warning("links_not_rewritten", error=exc.__class__.__name__, error_msg=str(exc))
        report = LinkReport()
        report.errors.append(("(all posts)", f"{exc.__class__.__name__}: {exc}"))
        return report


async def run_rewrite_links(
    settings: Settings, *, style: str | None = None, network: Network | None = None
) -> LinkReport:
    """`migrate rewrite-links`: one pass on its own (holding the database lock like a run).

    `style` None keeps the style used last. Raises FatalError (bad credentials, busy database).
    """

    async with open_run(settings, network) as run:
        if style is not None:
            await run.store.set_meta(LINK_STYLE_KEY, style)
        chosen = style or await run.store.get_meta(LINK_STYLE_KEY) or "permalink"
        rewriter = LinkRewriter(run.store, run.wp, style=chosen, workers=settings.worker_count)
        return await rewriter.run()

"""The migration of ONE post, in the steps of the design's sequence diagram:
read (fetch → classify → parse, `core/reading`) → record the item → internal links → terms
(`core/terms`) → media (`core/media`, the post's files uploaded concurrently) → links decided
(`core/first_links`) → ONE create with the final content, featured image, terms, dates and slug → done.

One write per post is what WordPress's time is spent on: a draft created empty and updated later
costs two more writes and a revision each (issue 10). Files are therefore uploaded before their post
exists, which leaves them unattached in the media library (an attachment's parent can only be set
once the post exists, at the price of one more write per file); the post names each by id and URL.

Crash safety comes from three habits, applied to every object created in WordPress:
1. an intent is written durably to the job database BEFORE the create request;
2. every created object carries a deterministic marker derived from the source (`core/markers`);
3. when an intent has no recorded result (we crashed in between), the marker is looked up in
   WordPress and the object adopted instead of created again.
A failure rolls back what this post created (`core/rollback`) and records why. Nothing here counts:
`migrate` returns an `Outcome` and the engine counts it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import structlog

from migrator.core import links as linking
from migrator.core import offload
from migrator.core.comments import CommentSync
from migrator.core.first_links import LinkDecider, OwnPost
from migrator.core.locks import KeyedLocks
from migrator.core.markers import (
    MEDIA_MARKER_PREFIX,
    POST_MARKER_PREFIX,
    marker_comment,
    media_marker,
    post_marker,
)
from migrator.core.media import MediaResult, MediaSync
from migrator.core.outcomes import MediaCounts, Outcome, OutcomeKind, RunCounters
from migrator.core.reading import NotRead, PostReader, Readable, Unreadable, skip_kind
from migrator.core.rollback import Rollback
from migrator.core.slugs import upload_stem, wp_slug_for
from migrator.core.terms import TermResolver, term_key
from migrator.errors import FatalError, ParseError, PostError, RateLimited, TransientError
from migrator.models import CleanPost, ItemStatus, MissingFile, PostRef, SourcePost
from migrator.state.store import Item, LinkRewrite, LinkRow, StateStore
from migrator.tistory import clean as cleaning
from migrator.tistory import urls
from migrator.tistory.source import SourceClient
from migrator.wordpress.blocks import MediaInfo, marker_block, render_blocks
from migrator.wordpress.client import WordPressClient, WpPost, local_and_gmt
from migrator.wordpress.text import as_html_text

# Names other modules have imported from here since before the split are re-exported.
__all__ = [
    "MEDIA_MARKER_PREFIX",
    "POST_MARKER_PREFIX",
    "KeyedLocks",
    "Outcome",
    "PostMigrator",
    "RunCounters",
    "media_marker",
    "post_marker",
    "skip_kind",
    "term_key",
    "upload_stem",
    "wp_slug_for",
]

log = structlog.get_logger(__name__)
T = TypeVar("T")


class PostMigrator:
    """Migrates posts one at a time per call; shared by all workers of a run."""

    # The engine hands it posts an earlier run skipped: `migrate` reads them again (see there).
    rechecks_skipped = True

    def __init__(
        self,
        *,
        store: StateStore,
        source: SourceClient,
        wp: WordPressClient,
        job_id: int,
        origin: str,
        adopt_posts: bool = False,
        adopt_media: bool = False,
        post_timeout_s: float = 900.0,
        cpu: offload.CpuPool | None = None,
        post_status: str = "draft",
        comments: CommentSync | None = None,
        content_format: str = "blocks",
    ) -> None:
        self.store = store
        self.content_format = content_format
        self.wp = wp
        self.job_id = job_id
        self.origin = origin
        self.adopt_posts = adopt_posts
        self.post_timeout_s = post_timeout_s
        self.post_status = post_status
        self.comments = comments
        self.create_retries = 3
        self.rate_limited_retries = 12  # the post timeout bounds them too
        cpu = cpu or offload.CpuPool(0)
        # On Ctrl-C an in-flight post is rolled back; on a forced abort it is left for the resume.
        self.rollback_on_cancel = True
        self.reader = PostReader(source=source, cpu=cpu, timeout_s=post_timeout_s)
        self.terms = TermResolver(store=store, wp=wp, job_id=job_id)
        self.media = MediaSync(
            store=store, source=source, wp=wp, job_id=job_id, cpu=cpu,
            create_once=self._create_once, adopt_media=adopt_media,
        )
        self.rollback = Rollback(store=store, wp=wp, media=self.media)
        self.first_links = LinkDecider(
            store=store, reader=self.reader, site_tz=lambda: wp.site_tz, sample=wp.permalink_sample,
            home=wp.base_url,
        )
        self._claimed: set[str] = set()

    # ------------------------------------------------------------------ entry point
    async def migrate(self, ref: PostRef) -> Outcome:
        """Migrate one discovered post. Never raises PostError (it becomes the outcome); FatalError and
        cancellation propagate.

        A post skipped by an earlier run is read again (one request): one made public later, or
        misjudged, is migrated; one still unreadable stays skipped. Only clear evidence skips a post;
        an answer that proves nothing fails it, and the next run tries again (see core/reading).
        """
        known = await self._item_of(ref)
        if known is not None and await self._settled(known):
            return Outcome(OutcomeKind.DUPLICATE, known.canonical_url, known.wp_post_id)
        reading = await self.reader.read(ref)
        if isinstance(reading, NotRead):
            return await self._fail_unread(ref, known, reading.reason)
        if isinstance(reading, Unreadable):
            return await self._skip(ref, reading)
        source = reading.parsed.source
        assert source is not None  # Readable: the page parsed
        item = await self._record_item(ref, source, reading.page_url)
        if await self._settled(item):
            return Outcome(OutcomeKind.DUPLICATE, item.canonical_url, item.wp_post_id)
        if source.identity in self._claimed:
            return Outcome(OutcomeKind.DUPLICATE, item.canonical_url)  # the same post under two URLs
        self._claimed.add(source.identity)
        try:
            if item.status == ItemStatus.COMPLETED:  # migrated before, without some of its files
                return await self._retry_missing(item, source, reading)
            return await self._migrate_item(item, source, reading)
        finally:
            self._claimed.discard(source.identity)

    async def _item_of(self, ref: PostRef) -> Item | None:
        return await (
            self.store.item_by_post_id(ref.post_id) if ref.post_id else self.store.item_by_url(ref.url)
        )

    async def _settled(self, item: Item) -> bool:
        """Migrated, with all its files: nothing to do."""
        return item.status == ItemStatus.COMPLETED and not await self.store.has_missing_files(item.id)

    async def _record_item(self, ref: PostRef, source: SourcePost, page_url: str) -> Item:
        if source.kind == "page":  # known by its slug: the id a page may carry is not its identity
            assert source.slug is not None
            return await self.store.upsert_item(
                post_id=None, canonical_url=urls.canonical_page_url(self.origin, source.slug), slug=source.slug,
                discovered_by=ref.source, aliases=(ref.url, page_url), kind="page",
            )
        return await self.store.upsert_item(
            post_id=source.post_id,
            canonical_url=urls.canonical_post_url(self.origin, source.post_id),
            slug=source.slug,
            discovered_by=ref.source,
            aliases=(ref.url, page_url),
        )

    async def _skip(self, ref: PostRef, unreadable: Unreadable) -> Outcome:
        """Record a post that is not readable (not a failure: nothing to retry until it changes)."""
        post_id = unreadable.post_id if ref.kind == "post" else None
        await self.store.record_unreadable(
            urls.canonical_post_url(self.origin, post_id) if post_id else ref.url,
            post_id=post_id,
            reason=unreadable.reason,
            job_id=self.job_id,
            discovered_by=ref.source,
            kind=ref.kind,
        )
        return Outcome(OutcomeKind.SKIPPED, ref.url, reason=unreadable.reason, skip_kind=unreadable.kind)

    async def _fail_unread(self, ref: PostRef, known: Item | None, reason: str) -> Outcome:
        if known is not None:
            await self.store.fail_item(known.id, reason)
        elif ref.post_id is not None or ref.kind == "page":
            item = await self.store.upsert_item(
                post_id=ref.post_id,
                canonical_url=urls.canonical_post_url(self.origin, ref.post_id) if ref.post_id else ref.url,
                slug=ref.slug,
                discovered_by=ref.source,
                kind=ref.kind,
            )
            item = await self.store.begin_attempt(item.id, self.job_id)
            await self.store.fail_item(item.id, reason)
        log.warning("post_failed", source_url=ref.url, error_msg=reason)
        return Outcome(OutcomeKind.FAILED, ref.url, reason=reason)

    # ------------------------------------------------------------------ one attempt
    async def _migrate_item(self, item: Item, source: SourcePost, reading: Readable) -> Outcome:
        item = await self.store.begin_attempt(item.id, self.job_id, title=source.title)
        tally = MediaCounts()
        with structlog.contextvars.bound_contextvars(source_url=item.canonical_url, attempt=item.attempts):
            try:
                async with asyncio.timeout(self.post_timeout_s):
                    final, missing = await self._run_steps(item, source, reading, tally)
            except asyncio.CancelledError:
                await asyncio.shield(self._interrupted(item.id))
                raise
            except FatalError:
                raise
            except Exception as exc:  # PostError, or a bug: either way this post only
                return await self._fail_attempt(item, exc, tally)
            log.info("post_migrated", wp_post_id=final.id, title=source.title)
            if self.comments is not None:  # after the post's timeout: never fails nor rolls back the post
                await self.comments.sync_post(item, final.id, final.status)
        return Outcome(OutcomeKind.COMPLETED, item.canonical_url, final.id, media=tally, missing=missing)

    async def _run_steps(
        self, item: Item, source: SourcePost, reading: Readable, tally: MediaCounts
    ) -> tuple[WpPost, tuple[MissingFile, ...]]:
        body = reading.parsed.body
        if body is None:
            raise ParseError(reading.parsed.error or "the body could not be cleaned")
        links = self._internal_links(body, source)
        await self.store.replace_links(item.id, item.canonical_url, links)
        fields = await self._post_fields(source)  # terms
        marker = post_marker(source)
        existing = await self._existing_post(item, marker)
        media = await self.media.ensure_all(
            item, source, body, None, reading.page_url, stem=upload_stem(source), tally=tally
        )
        own = OwnPost(item.id, fields["slug"], fields.get("date", ""), item.kind)
        content, rows = await self._content(item, body, media, marker, links, own)
        wanted = {**fields, "content": content}
        if media.featured_id is not None:
            wanted["featured_media"] = media.featured_id
        if existing is None:
            post = await self._create(item, marker, wanted)
        else:
            post = await self._update_if_changed(existing, wanted, item.kind)
        if item.kind == "post":  # a page's template (`%pagename%`) says nothing of the posts' structure
            self.first_links.learn(post, fields["date"])
        await self._complete(item, post, source, media, slug=fields["slug"], rows=rows)
        return post, tuple(media.missing)

    async def _fail_attempt(self, item: Item, exc: Exception, tally: MediaCounts) -> Outcome:
        """A failed attempt: roll back what it created and record why."""
        if isinstance(exc, TimeoutError):
            exc = TransientError(f"the post took longer than {self.post_timeout_s:g} s")
        if isinstance(exc, PostError):
            reason = f"{exc.__class__.__name__}: {exc}"
            log.warning("post_failed", error=exc.__class__.__name__, error_msg=reason)
        else:
            reason = f"internal error ({exc.__class__.__name__}: {exc}); please report it"
            log.exception("post_failed", error=exc.__class__.__name__, error_msg=reason)
        if not await self.rollback.safely(item.id):
            reason += " (rollback incomplete: it is finished at the next run)"
        await self.store.fail_item(item.id, reason)
        return Outcome(OutcomeKind.FAILED, item.canonical_url, reason=reason, media=tally)

    async def _interrupted(self, item_id: int) -> None:
        if self.rollback_on_cancel:
            await self.rollback.safely(item_id, timeout_s=10.0)
        await self.store.release_item(item_id)

    async def _retry_missing(self, item: Item, source: SourcePost, reading: Readable) -> Outcome:
        """A post migrated with missing files: try those files again and, when one comes back, update
        the post's content. The post itself is never re-created nor rolled back here."""
        before = {f.source_key for _, f in await self.store.missing_files(item.id)}
        tally = MediaCounts()
        with structlog.contextvars.bound_contextvars(source_url=item.canonical_url):
            try:
                async with asyncio.timeout(self.post_timeout_s):
                    missing = await self._refresh_files(item, source, reading, before, tally)
            except FatalError:
                raise
            except (PostError, TimeoutError) as exc:
                # The post stays migrated as it was (with its missing files); the next run tries again.
                log.warning("missing_files_retry_failed", error=exc.__class__.__name__, error_msg=str(exc))
                return Outcome(OutcomeKind.ALREADY_DONE, item.canonical_url, item.wp_post_id, media=tally)
        after = {f.source_key for f in missing}
        came_back = len(before - after)
        log.info("missing_files_retried", came_back=came_back, still_missing=len(after))
        return Outcome(
            OutcomeKind.ALREADY_DONE, item.canonical_url, item.wp_post_id,
            media=tally, missing=missing, files_recovered=came_back,
        )

    async def _refresh_files(
        self, item: Item, source: SourcePost, reading: Readable, before: set[str], tally: MediaCounts
    ) -> tuple[MissingFile, ...]:
        body = reading.parsed.body
        if body is None or item.wp_post_id is None or item.marker is None:
            raise ParseError(reading.parsed.error or "the post cannot be updated")
        media = await self.media.ensure_all(
            item, source, body, None, reading.page_url, stem=upload_stem(source), tally=tally
        )
        if {f.source_key for f in media.missing} != before:
            links = await self.store.links_of_item(item.id)
            own = OwnPost(item.id, item.wp_slug or wp_slug_for(source), "", item.kind)
            content, rows = await self._content(item, body, media, item.marker, links, own)
            update: dict[str, Any] = {"content": content}
            if media.featured_id is not None:
                update["featured_media"] = media.featured_id
            final = await self.wp.update_post(item.wp_post_id, update, kind=item.kind)
            await self._complete(item, final, source, media, slug=item.wp_slug, rows=rows)
        else:
            await self.store.replace_missing_files(item.id, media.missing)  # fresh reasons
        return tuple(media.missing)

    # ------------------------------------------------------------------ the steps
    def _internal_links(self, body: CleanPost, source: SourcePost) -> list[LinkRow]:
        hosts = set(source.blog_hosts) | {(urlsplit(self.origin).hostname or "").lower()}
        rows: dict[str, LinkRow] = {}
        for href in body.links:
            target = urls.classify_post_url(href, hosts, pages=True)
            if target is None:
                continue
            if target.kind == "page" and target.slug:
                page_url = urls.canonical_page_url(self.origin, target.slug)
                rows.setdefault(href, LinkRow(href, page_url, None, None, urls.post_url_fragment(href)))
                continue
            if target.post_id is not None:
                target_url = urls.canonical_post_url(self.origin, target.post_id)
            elif target.slug:
                target_url = urls.canonical_slug_url(self.origin, target.slug)
            else:
                continue
            rows.setdefault(
                href, LinkRow(href, target_url, target.post_id, target.slug, urls.post_url_fragment(href))
            )
        return list(rows.values())

    async def _post_fields(self, source: SourcePost) -> dict[str, Any]:
        """The post's fields but its content; its categories and tags are found or created first. A
        page has neither (WordPress pages take no terms): it is a top-level page instead."""
        fields: dict[str, Any] = {
            # Plain text, escaped once: WordPress keeps these fields as HTML (see wordpress/text.py).
            "title": as_html_text(source.title),
            "status": self.post_status,
            "slug": wp_slug_for(source),
            "excerpt": as_html_text(source.excerpt),
        }
        if source.published is not None:  # a page without a date gets WordPress's "now"
            fields["date"], fields["date_gmt"] = local_and_gmt(source.published, self.wp.site_tz)
        if source.kind == "page":
            fields["parent"] = 0
        else:
            fields["categories"] = await self.terms.categories(source.category_path)
            fields["tags"] = await self.terms.tags(source.tags)
        return fields

    async def _existing_post(self, item: Item, marker: str) -> WpPost | None:
        """The post an earlier attempt created (recorded, or found by its marker when the answer to its
        create was lost); None when there is none and it must be created."""
        if item.wp_post_id:
            existing = await self.wp.get_post(item.wp_post_id, kind=item.kind)
            if existing is not None:
                return existing
            await self.store.clear_wp_post(item.id)  # deleted in WordPress meanwhile: create anew
        elif item.post_intent or self.adopt_posts:
            found = await self.wp.find_posts_by_marker(marker, kind=item.kind)
            if found:
                keep, extra = found[0], found[1:]
                for dup in extra:  # cannot happen with intents; repairs databases from older bugs
                    await self.wp.delete_post(dup.id, kind=item.kind)
                await self.store.record_post_intent(item.id, self.job_id, marker)
                await self.store.record_wp_post(item.id, keep.id, keep.slug, keep.link)
                log.info("post_adopted", wp_post_id=keep.id)
                return keep
        return None

    async def _create(self, item: Item, marker: str, fields: dict[str, Any]) -> WpPost:
        """The one write of a post: intent first, then the create, exactly once (see _create_once)."""
        await self.store.record_post_intent(item.id, self.job_id, marker)

        async def lookup() -> WpPost | None:
            found = await self.wp.find_posts_by_marker(marker, kind=item.kind)
            return found[0] if found else None

        post = await self._create_once(lambda: self.wp.create_post(fields, kind=item.kind), lookup)
        await self.store.record_wp_post(item.id, post.id, post.slug, post.link)
        return post

    async def _update_if_changed(self, existing: WpPost, fields: dict[str, Any], kind: str) -> WpPost:
        """A post an earlier attempt created: brought to `fields` unless it already holds them (a
        create whose answer was lost holds exactly what we would send: no write then)."""
        same_content = existing.content_raw is not None and existing.content_raw == fields["content"]
        same_featured = existing.featured_media == int(fields.get("featured_media") or 0)
        if same_content and same_featured:
            return existing
        update = {k: v for k, v in fields.items() if k != "status"}
        return await self.wp.update_post(existing.id, update, kind=kind)

    async def _content(
        self, item: Item, body: CleanPost, media: MediaResult, marker: str, links: list[LinkRow], own: OwnPost
    ) -> tuple[str, list[linking.PlannedRow]]:
        """The post's final content: its files at their WordPress addresses, its links to other posts
        decided now (`core/first_links`), and the marker that finds it after a lost answer."""
        # Files that could not be had are not replaced: their links keep the original address (and
        # images their alt text), so the post reads as it did on Tistory while they last.
        html = cleaning.replace_urls(body.html, {src: m.url for src, m in media.media_map.items()})
        rows: list[linking.PlannedRow] = []
        if links:
            html, rows = linking.plan_links(html, await self.first_links.decide(links, own), {})
        comment = marker_comment(marker, item.canonical_url)
        if self.content_format == "blocks":
            files = {m.url: MediaInfo(m.media_id, m.width, m.height, m.mime) for m in media.media_map.values()}
            return render_blocks(html, files) + "\n\n" + marker_block(comment) + "\n", rows
        return html.rstrip() + "\n" + comment + "\n", rows

    async def _complete(
        self, item: Item, final: WpPost, source: SourcePost, media: MediaResult, *, slug: str | None,
        rows: list[linking.PlannedRow],
    ) -> None:
        # Missing files and links first: a crash before complete_item leaves the post unfinished (redone
        # whole), never completed without its list of files to try again or of the links it holds.
        finished_at = time.time()
        await self.store.replace_missing_files(item.id, media.missing)
        if rows:
            await self.store.record_link_pass(
                item.id, wp_post_id=final.id, item_finished_at=finished_at,
                rows=[LinkRewrite(item.id, r.href, r.written_href, r.target_item_id, r.reason) for r in rows],
                at_creation=True,
            )
        await self.store.complete_item(
            item, wp_post_id=final.id, wp_slug=final.slug or slug, wp_link=final.link,
            title=source.title, images=media.image_count, wp_address=self.first_links.address_of(final),
            finished_at=finished_at,
        )

    async def _create_once(
        self, create: Callable[[], Awaitable[T]], lookup: Callable[[], Awaitable[T | None]]
    ) -> T:
        """Create something in WordPress exactly once. After an ambiguous failure (timeout, dropped
        connection, 5xx: WordPress may have acted before the answer was lost) look the object up by
        its marker before trying again, so an in-process retry cannot duplicate it either."""
        attempt = slowed = 0
        while True:
            try:
                return await create()
            except TransientError as exc:
                if isinstance(exc, RateLimited) and exc.status == 429:
                    # 429 "too many requests" says the request was not acted on (a 503 may come from
                    # a proxy after WordPress acted): wait as asked and send it again, without a
                    # lookup and without spending an ambiguous-failure retry; bursts of 429s while
                    # other workers write would otherwise fail posts that were never attempted.
                    slowed += 1
                    if slowed > self.rate_limited_retries:
                        raise
                    await asyncio.sleep(self.wp.http.retry_delay(slowed, exc))
                    continue
                attempt += 1
                found = await lookup()
                if found is not None:
                    log.info("lost_answer_recovered", attempt=attempt)
                    return found
                if attempt > self.create_retries:
                    raise
                await asyncio.sleep(self.wp.http.retry_delay(attempt, exc))

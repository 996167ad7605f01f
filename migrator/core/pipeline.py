"""The migration of ONE post: fetch → parse → clean → links → draft → media → final update → done.

Crash safety comes from three habits, applied to every object created in WordPress:
1. an intent is written durably to the job database BEFORE the create request;
2. every created object carries a deterministic marker derived from the source (an HTML comment in
   the post content, an HTML comment in the media description), invisible to readers;
3. when an intent has no recorded result (we crashed in between), the marker is looked up in
   WordPress and the object adopted instead of created again.
A failure rolls back what this post created (draft, media no other post uses) and records why.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import structlog

from migrator.core import offload
from migrator.core.media import (
    MEDIA_MARKER_PREFIX,
    KeyedLocks,
    MediaResult,
    MediaSync,
    digest,
    marker_comment,
    media_marker,
)
from migrator.errors import (
    FatalError,
    MigratorError,
    ParseError,
    PostError,
    TransientError,
)
from migrator.models import CleanPost, ItemStatus, MissingFile, PostRef, SourcePost
from migrator.state.store import Item, LinkRow, StateStore
from migrator.tistory import clean as cleaning
from migrator.tistory import parse as parsing
from migrator.tistory import urls
from migrator.tistory.source import GONE_STATUSES, SourceClient
from migrator.wordpress.client import WordPressClient, WpPost, local_and_gmt
from migrator.wordpress.text import as_html_text, as_plain_field

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

POST_MARKER_PREFIX = "tistory-post-"


def blog_identity(source: SourcePost) -> str:
    """The blog's *.tistory.com host when known (stable even if the custom domain changes)."""
    for host in source.blog_hosts:
        if host.endswith(".tistory.com"):
            return host
    return (urlsplit(source.canonical_url).hostname or "").lower()


def post_marker(source: SourcePost) -> str:
    return POST_MARKER_PREFIX + digest(f"{blog_identity(source)}/{source.post_id}")


def upload_stem(source: SourcePost) -> str:
    """What generic upload names are built from: the post's slug, else `tistory-<id>`."""
    return wp_slug_for(source) if source.slug else f"tistory-{source.post_id}"


def wp_slug_for(source: SourcePost) -> str:
    """The slug the post gets: the Tistory /entry/ slug, else one derived from the title, as WordPress
    itself would on publishing (so permalinks and redirects are known while it is a draft)."""
    base = source.slug or source.title
    text = unicodedata.normalize("NFC", base).lower()
    text = re.sub(r"[^\w\s-]", "", text, flags=re.UNICODE)
    text = re.sub(r"[\s_-]+", "-", text).strip("-")
    # WordPress keeps at most 200 bytes of percent-encoded slug; stay well inside it.
    while len(text.encode("utf-8")) * 3 > 190 and "-" in text:
        text = text.rsplit("-", 1)[0]
    if len(text.encode("utf-8")) * 3 > 190:
        text = text[:20]
    return text or f"post-{source.post_id}"


@dataclass(slots=True)
class RunCounters:
    """What a run did, for the progress display, the summary and the jobs row."""

    discovered: int = 0
    completed: int = 0
    failed: int = 0
    skipped: int = 0
    already_done: int = 0
    images_uploaded: int = 0
    images_reused: int = 0
    attachments_uploaded: int = 0
    in_flight: int = 0
    skip_reasons: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failures: list[tuple[str, str]] = field(default_factory=list)  # (url, reason), bounded
    skipped_posts: list[tuple[str, str]] = field(default_factory=list)
    # Posts migrated without some of their files: (post url, file url, reason), bounded.
    missing_files: list[tuple[str, str, str]] = field(default_factory=list)
    posts_with_missing_files: int = 0
    files_recovered: int = 0

    def note_failure(self, url: str, reason: str) -> None:
        self.failed += 1
        if len(self.failures) < 1000:
            self.failures.append((url, reason))

    def note_missing(self, post_url: str, files: list[MissingFile]) -> None:
        if not files:
            return
        self.posts_with_missing_files += 1
        for f in files:
            if len(self.missing_files) < 1000:
                self.missing_files.append((post_url, f.url, f.reason))

    def note_skip(self, url: str, reason: str) -> None:
        self.skipped += 1
        self.skip_reasons[reason] += 1
        if len(self.skipped_posts) < 1000:
            self.skipped_posts.append((url, reason))


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # ItemStatus value, or "already_done" / "duplicate"
    url: str
    wp_post_id: int | None = None
    reason: str | None = None


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
        counters: RunCounters,
        adopt_posts: bool = False,
        adopt_media: bool = False,
        post_timeout_s: float = 900.0,
        cpu: offload.CpuPool | None = None,
    ) -> None:
        self.store = store
        self.source = source
        self.wp = wp
        self.job_id = job_id
        self.origin = origin
        self.counters = counters
        self.adopt_posts = adopt_posts
        self.adopt_media = adopt_media
        self.post_timeout_s = post_timeout_s
        self.create_retries = 3
        self.cpu = cpu or offload.CpuPool(0)
        # On Ctrl-C an in-flight post is rolled back; on a forced abort it is left for the resume.
        self.rollback_on_cancel = True
        self.media = MediaSync(
            store=store, source=source, wp=wp, job_id=job_id, counters=counters, cpu=self.cpu,
            create_once=self._create_once, adopt_media=adopt_media,
        )
        self.asset_locks = self.media.asset_locks
        self.term_locks = KeyedLocks()
        self._term_cache: dict[tuple[str, str], int] = {}
        self._claimed: set[int] = set()

    # ------------------------------------------------------------------ entry point
    async def migrate(self, ref: PostRef) -> Outcome:
        """Migrate one discovered post. Never raises PostError (it becomes the outcome); FatalError and
        cancellation propagate.

        A post skipped by an earlier run is read again (one request): one made public later, or
        misjudged, is migrated; one still unreadable stays skipped. Only clear evidence skips a post
        (404/410, Tistory's error page, the protected block, a page without the post's data); a server
        error, 429, timeout or reset that outlasts the retries fails it, and the next run tries again.
        """
        known = await (
            self.store.item_by_post_id(ref.post_id) if ref.post_id else self.store.item_by_url(ref.url)
        )
        if (
            known is not None
            and known.status == ItemStatus.COMPLETED
            and not await self.store.has_missing_files(known.id)
        ):
            return Outcome("already_done", known.canonical_url, known.wp_post_id)
        try:
            # Reading and parsing count against the post's time budget too (a hostile page must not
            # hold a worker outside it).
            async with asyncio.timeout(self.post_timeout_s):
                page = await self.source.fetch_page(ref.url)
                parsed = (
                    await self.cpu.run(offload.parse_page, page.text, page.url) if page.status == 200 else None
                )
        except FatalError:
            raise
        except TimeoutError:
            slow = f"TransientError: reading the page took longer than {self.post_timeout_s:g} s"
            return await self._fail_unfetched(ref, known, slow)
        except PostError as exc:
            return await self._fail_unfetched(ref, known, _describe(exc))
        if parsed is None:
            reason = _unreadable_answer(ref, page.status, page.text)
            if reason is None:
                return await self._fail_unfetched(
                    ref, known, f"PermanentError: unexpected answer for a post page (HTTP {page.status})"
                )
            return await self._skip(ref, ref.post_id, reason, reason.split(" (")[0])
        if parsed.skip_reason is not None:
            return await self._skip(ref, ref.post_id or parsed.post_id, parsed.skip_reason,
                                    skip_kind(parsed.skip_reason))
        if parsed.source is None:
            return await self._fail_unfetched(ref, known, parsed.error or "unreadable page")
        source = parsed.source

        canonical = urls.canonical_post_url(self.origin, source.post_id)
        item = await self.store.upsert_item(
            post_id=source.post_id,
            canonical_url=canonical,
            slug=source.slug,
            discovered_by=ref.source,
            aliases=(ref.url, page.url),
        )
        retry_files = item.status == ItemStatus.COMPLETED and await self.store.has_missing_files(item.id)
        if item.status == ItemStatus.COMPLETED and not retry_files:
            return Outcome("already_done", item.canonical_url, item.wp_post_id)
        if source.post_id in self._claimed:
            return Outcome("duplicate", item.canonical_url)  # the same post found under two URLs
        self._claimed.add(source.post_id)
        try:
            if retry_files:
                return await self._retry_missing(item, source, parsed, page.url)
            return await self._migrate_item(item, source, parsed, page.url)
        finally:
            self._claimed.discard(source.post_id)

    async def _skip(self, ref: PostRef, post_id: int | None, reason: str, kind: str) -> Outcome:
        """Record a post that is not readable (not a failure: nothing to retry until it changes)."""
        await self.store.record_unreadable(
            urls.canonical_post_url(self.origin, post_id) if post_id else ref.url,
            post_id=post_id,
            reason=reason,
            job_id=self.job_id,
            discovered_by=ref.source,
        )
        self.counters.note_skip(ref.url, kind)
        return Outcome(ItemStatus.SKIPPED, ref.url, reason=reason)

    async def _fail_unfetched(self, ref: PostRef, known: Item | None, reason: str) -> Outcome:
        if known is not None:
            await self.store.fail_item(known.id, reason)
        elif ref.post_id is not None:
            item = await self.store.upsert_item(
                post_id=ref.post_id,
                canonical_url=urls.canonical_post_url(self.origin, ref.post_id),
                slug=ref.slug,
                discovered_by=ref.source,
            )
            item = await self.store.begin_attempt(item.id, self.job_id)
            await self.store.fail_item(item.id, reason)
        self.counters.note_failure(ref.url, reason)
        log.warning("post_failed", source_url=ref.url, error_msg=reason)
        return Outcome(ItemStatus.FAILED, ref.url, reason=reason)

    async def _migrate_item(
        self, item: Item, source: SourcePost, parsed: offload.ParsedPage, page_url: str
    ) -> Outcome:
        item = await self.store.begin_attempt(item.id, self.job_id, title=source.title)
        bound = structlog.contextvars.bound_contextvars(source_url=item.canonical_url, attempt=item.attempts)
        with bound:
            try:
                try:
                    async with asyncio.timeout(self.post_timeout_s):
                        if parsed.body is None:
                            raise ParseError(parsed.error or "the body could not be cleaned")
                        wp_post = await self._run_steps(item, source, parsed.body, page_url)
                except TimeoutError:
                    raise TransientError(f"the post took longer than {self.post_timeout_s:g} s") from None
            except asyncio.CancelledError:
                await asyncio.shield(self._interrupted(item.id))
                raise
            except FatalError:
                raise
            except Exception as exc:  # PostError, or a bug: either way this post only
                reason = (
                    _describe(exc)
                    if isinstance(exc, PostError)
                    else (f"internal error ({exc.__class__.__name__}: {exc}); please report it")
                )
                if isinstance(exc, PostError):
                    log.warning("post_failed", error=exc.__class__.__name__, error_msg=reason)
                else:
                    log.exception("post_failed", error=exc.__class__.__name__, error_msg=reason)
                if not await self.rollback_safely(item.id):
                    reason += " (rollback incomplete: it is finished at the next run)"
                await self.store.fail_item(item.id, reason)
                self.counters.note_failure(item.canonical_url, reason)
                return Outcome(ItemStatus.FAILED, item.canonical_url, reason=reason)
            log.info("post_migrated", wp_post_id=wp_post.id, title=source.title)
            self.counters.completed += 1
            return Outcome(ItemStatus.COMPLETED, item.canonical_url, wp_post.id)

    async def rollback_safely(self, item_id: int, timeout_s: float = 120.0) -> bool:
        """Roll back, reporting instead of raising: a failed rollback is retried at the next run
        (the intents and markers are still recorded)."""
        try:
            async with asyncio.timeout(timeout_s):
                await self.rollback(item_id)
            return True
        except (PostError, TimeoutError) as exc:
            log.warning("rollback_incomplete", error=exc.__class__.__name__, error_msg=str(exc))
            return False

    async def _interrupted(self, item_id: int) -> None:
        if self.rollback_on_cancel:
            await self.rollback_safely(item_id, timeout_s=10.0)
        await self.store.release_item(item_id)

    # ------------------------------------------------------------------ the steps
    async def _run_steps(self, item: Item, source: SourcePost, body: CleanPost, page_url: str) -> WpPost:
        await self.store.replace_links(item.id, item.canonical_url, self._internal_links(body, source))

        category_ids = await self._ensure_categories(source.category_path)
        tag_ids = [await self._ensure_term("tags", tag) for tag in source.tags]
        date, date_gmt = local_and_gmt(source.published, self.wp.site_tz)
        marker = post_marker(source)
        fields: dict[str, Any] = {
            # Plain text, escaped once: WordPress keeps these fields as HTML (see wordpress/text.py).
            "title": as_html_text(source.title),
            "status": "draft",
            "slug": wp_slug_for(source),
            "excerpt": as_html_text(source.excerpt),
            "date": date,
            "date_gmt": date_gmt,
            "categories": category_ids,
            "tags": tag_ids,
        }
        draft = await self._ensure_draft(item, marker, fields)

        media = await self.media.ensure_all(item, source, body, draft.id, page_url, stem=upload_stem(source))
        final_fields = {**fields, "content": self._final_content(body, media, marker, item)}
        final_fields.pop("status")
        if media.featured_id is not None:
            final_fields["featured_media"] = media.featured_id
        final = await self.wp.update_post(draft.id, final_fields)
        # Missing files first: a crash before complete_item leaves the post unfinished (redone whole),
        # never completed without its list of files to try again.
        await self.store.replace_missing_files(item.id, media.missing)
        await self.store.complete_item(
            item,
            wp_post_id=final.id,
            wp_slug=final.slug or fields["slug"],
            wp_link=final.link,
            title=source.title,
            images=media.image_count,
        )
        self.counters.note_missing(item.canonical_url, media.missing)
        return final

    @staticmethod
    def _final_content(body: CleanPost, media: MediaResult, marker: str, item: Item) -> str:
        # Files that could not be had are not replaced: their links keep the original address (and
        # images their alt text), so the post reads as it did on Tistory while they last.
        html = cleaning.replace_urls(body.html, {src: m.url for src, m in media.media_map.items()})
        return html.rstrip() + "\n" + marker_comment(marker, item.canonical_url) + "\n"

    async def _retry_missing(
        self, item: Item, source: SourcePost, parsed: offload.ParsedPage, page_url: str
    ) -> Outcome:
        """A post migrated with missing files: try those files again and, when one comes back, update
        the post's content. The post itself is never re-created nor rolled back here."""
        before = {f.source_key for _, f in await self.store.missing_files(item.id)}
        bound = structlog.contextvars.bound_contextvars(source_url=item.canonical_url)
        with bound:
            try:
                async with asyncio.timeout(self.post_timeout_s):
                    if parsed.body is None or item.wp_post_id is None or item.marker is None:
                        raise ParseError(parsed.error or "the post cannot be updated")
                    media = await self.media.ensure_all(
                        item, source, parsed.body, item.wp_post_id, page_url, stem=upload_stem(source)
                    )
                    after = {f.source_key for f in media.missing}
                    if after != before:
                        fields: dict[str, Any] = {
                            "content": self._final_content(parsed.body, media, item.marker, item)
                        }
                        if media.featured_id is not None:
                            fields["featured_media"] = media.featured_id
                        final = await self.wp.update_post(item.wp_post_id, fields)
                        await self.store.replace_missing_files(item.id, media.missing)
                        await self.store.complete_item(
                            item, wp_post_id=final.id, wp_slug=final.slug or item.wp_slug, wp_link=final.link,
                            title=source.title, images=media.image_count,
                        )
                    else:
                        await self.store.replace_missing_files(item.id, media.missing)  # fresh reasons
            except FatalError:
                raise
            except (PostError, TimeoutError) as exc:
                # The post stays migrated as it was (with its missing files); the next run tries again.
                log.warning("missing_files_retry_failed", error=exc.__class__.__name__, error_msg=str(exc))
                self.counters.already_done += 1
                return Outcome("already_done", item.canonical_url, item.wp_post_id)
        log.info("missing_files_retried", came_back=len(before - after), still_missing=len(after))
        self.counters.note_missing(item.canonical_url, media.missing)
        if before - after:
            self.counters.files_recovered += len(before - after)
        self.counters.already_done += 1
        return Outcome(ItemStatus.COMPLETED, item.canonical_url, item.wp_post_id)

    def _internal_links(self, body: CleanPost, source: SourcePost) -> list[LinkRow]:
        hosts = set(source.blog_hosts) | {(urlsplit(self.origin).hostname or "").lower()}
        rows: dict[str, LinkRow] = {}
        for href in body.links:
            target = urls.classify_post_url(href, hosts)
            if target is None:
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

    # ------------------------------------------------------------------ terms
    async def _ensure_categories(self, path: tuple[str, ...]) -> list[int]:
        parent = 0
        key = ""
        for name in path:
            key = f"{key}/{term_key(name)}" if key else term_key(name)
            parent = await self._ensure_term("categories", name, parent=parent, key=key)
        return [parent] if path else []

    async def _ensure_term(self, taxonomy: str, name: str, *, parent: int = 0, key: str | None = None) -> int:
        key = key or term_key(name)
        cached = self._term_cache.get((taxonomy, key))
        if cached is not None:
            return cached
        async with self.term_locks.hold(f"{taxonomy}:{key}"):
            term_id = await self.store.get_term(taxonomy, key)
            if term_id is None:
                term_id, created = await self.wp.ensure_term(taxonomy, as_plain_field(name), parent=parent)
                await self.store.put_term(
                    taxonomy, key, term_id, created_by_job=self.job_id if created else None
                )
                log.debug("term_ready", taxonomy=taxonomy, name=name, term_id=term_id, created=created)
            self._term_cache[(taxonomy, key)] = term_id
            return term_id

    # ------------------------------------------------------------------ the draft
    async def _ensure_draft(self, item: Item, marker: str, fields: dict[str, Any]) -> WpPost:
        if item.wp_post_id:
            existing = await self.wp.get_post(item.wp_post_id)
            if existing is not None:
                return existing
            await self.store.clear_wp_post(item.id)  # deleted in WordPress meanwhile: create anew
        elif item.post_intent or self.adopt_posts:
            found = await self.wp.find_posts_by_marker(marker)
            if found:
                keep, extra = found[0], found[1:]
                for dup in extra:  # cannot happen with intents; repairs databases from older bugs
                    await self.wp.delete_post(dup.id)
                await self.store.record_post_intent(item.id, self.job_id, marker)
                await self.store.record_wp_post(item.id, keep.id, keep.slug, keep.link)
                log.info("draft_adopted", wp_post_id=keep.id)
                return keep
        await self.store.record_post_intent(item.id, self.job_id, marker)
        content = marker_comment(marker, item.canonical_url)

        async def lookup() -> WpPost | None:
            found = await self.wp.find_posts_by_marker(marker)
            return found[0] if found else None

        draft = await self._create_once(lambda: self.wp.create_post({**fields, "content": content}), lookup)
        await self.store.record_wp_post(item.id, draft.id, draft.slug, draft.link)
        return draft

    async def _create_once(
        self, create: Callable[[], Awaitable[T]], lookup: Callable[[], Awaitable[T | None]]
    ) -> T:
        """Create something in WordPress exactly once. After an ambiguous failure (timeout, dropped
        connection, 5xx: WordPress may have acted before the answer was lost) look the object up by
        its marker before trying again, so an in-process retry cannot duplicate it either."""
        attempt = 0
        while True:
            try:
                return await create()
            except TransientError as exc:
                attempt += 1
                found = await lookup()
                if found is not None:
                    log.info("lost_answer_recovered", attempt=attempt)
                    return found
                if attempt > self.create_retries:
                    raise
                await asyncio.sleep(self.wp.http.retry_delay(attempt, exc))

    # ------------------------------------------------------------------ rollback
    async def rollback(self, item_id: int) -> None:
        """Remove from WordPress what this post created: its draft, and media no other post uses.

        Safe to repeat (404 = already gone) and safe after a crash (markers find unrecorded objects).
        """
        item = await self.store.get_item(item_id)
        if item is None:
            return
        keep_users: dict[int, int | None] = {}
        for asset in await self.store.assets_of_item(item.id):
            if asset.owner_item_id != item.id:
                continue
            if asset.status == "uploaded" and asset.media_id:
                # Decide and delete while holding every lock through which another post could pick
                # this media up (its sources, its content hash): otherwise a post could reuse it
                # between our "nobody else uses it" and the delete.
                async with self.media.locks_for(asset):
                    current = await self.store.get_asset(asset.id)
                    if current is None or current.status != "uploaded" or current.media_id != asset.media_id:
                        continue
                    users = await self.store.other_users_of_media(asset.media_id, item.id)
                    if users:
                        keep_users[asset.media_id] = next((u.wp_post_id for u in users if u.wp_post_id), None)
                        await self.store.transfer_media_owner(asset.media_id, users[0].id)
                        continue
                    await self.wp.delete_media(asset.media_id)
                    await self.store.reset_assets_of_media(asset.media_id)
            elif asset.status == "uploading":
                async with self.asset_locks.hold("src:" + asset.source_key):
                    for media in await self.wp.find_media_by_marker(media_marker(asset.source_key)):
                        await self.wp.delete_media(media.id)
                    await self.store.reset_asset(asset.id)
        for media_id, new_parent in keep_users.items():
            if new_parent:  # shared media stays, attached to a post that still uses it
                await self.wp.update_media(media_id, {"post": new_parent})
        if item.wp_post_id:
            await self.wp.delete_post(item.wp_post_id)
        if item.post_intent and item.marker:
            # A create whose answer we never recorded may still have succeeded.
            for post in await self.wp.find_posts_by_marker(item.marker):
                await self.wp.delete_post(post.id)
        await self.store.unlink_item_assets(item.id)
        await self.store.replace_missing_files(item.id, [])
        await self.store.clear_wp_post(item.id)
        log.info("post_rolled_back", wp_post_id=item.wp_post_id)


def term_key(name: str) -> str:
    """How a category/tag name is keyed in the database (WordPress compares names case-insensitively)."""
    return unicodedata.normalize("NFC", name).strip().casefold()


def _unreadable_answer(ref: PostRef, status: int, text: str) -> str | None:
    """Why a non-200 answer proves the post unreadable, or None when it proves nothing (then the post
    fails and is tried again next run)."""
    if status in GONE_STATUSES:
        return "protected (password)" if ref.protected else f"deleted or private (HTTP {status})"
    evidence = parsing.unreadable_reason(text)
    return f"{evidence.split(' (')[0]} (HTTP {status})" if evidence else None


def skip_kind(reason: str) -> str:
    """The group a skip reason is counted under in summaries (protected, private, deleted, ...)."""
    lowered = reason.lower()
    for kind in ("protected", "private", "deleted", "not found", "notice"):
        if kind in lowered:
            return kind
    return reason[:60]


def _describe(exc: MigratorError) -> str:
    return f"{exc.__class__.__name__}: {exc}"

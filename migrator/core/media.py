"""Images and attachments of a post into the WordPress media library, with the crash-safety habits of
the pipeline (an intent before each upload, a marker in each media description, adoption of media a
crash left unrecorded) and the rule that a dead file never costs the post (issue 8): a file that
cannot be had — gone, too large, at a non-public address, of a type we do not upload, refused by
WordPress — is reported as missing and its link keeps the original address.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog

from migrator.core import offload
from migrator.core.locks import KeyedLocks
from migrator.core.markers import marker_comment, media_marker
from migrator.core.outcomes import MediaCounts
from migrator.errors import FatalError, FileUnavailable, ImageExpired, PermanentError
from migrator.http import SpooledFile
from migrator.models import CleanPost, MissingFile, SourcePost
from migrator.state.store import Asset, Item, StateStore
from migrator.tistory import images as imaging
from migrator.tistory.parse import page_slug_of as parse_page_slug
from migrator.tistory.source import SourceClient
from migrator.wordpress.client import WordPressClient, WpMedia
from migrator.wordpress.text import as_html_text, as_plain_field

__all__ = ["Media", "MediaResult", "MediaSync"]

log = structlog.get_logger(__name__)

@dataclass(frozen=True, slots=True)
class Media:
    media_id: int
    url: str
    uploaded: bool
    # What the upload's answer said (block content uses them); unknown for files reused from earlier runs.
    width: int | None = None
    height: int | None = None
    mime: str = ""


@dataclass(frozen=True, slots=True)
class _FileJob:
    src: str            # as it appears in the cleaned HTML (what gets replaced)
    url: str            # what to download
    filename: str | None
    alt: str
    caption: str
    kind: str           # "image" or "attachment"


@dataclass(slots=True)
class MediaResult:
    media_map: dict[str, Media] = field(default_factory=dict)   # src -> media
    featured_id: int | None = None
    image_count: int = 0
    missing: list[MissingFile] = field(default_factory=list)


class MediaSync:
    """Uploads (or reuses, or adopts) the files of posts; shared by all workers of a run.

    `create_once` is the pipeline's exactly-once create (a lookup by marker after an ambiguous failure).
    What it uploads or reuses is added to the caller's `MediaCounts` as it goes (the engine counts it).
    """

    def __init__(
        self,
        *,
        store: StateStore,
        source: SourceClient,
        wp: WordPressClient,
        job_id: int,
        cpu: offload.CpuPool,
        create_once: Callable[..., Awaitable[Any]],
        adopt_media: bool = False,
    ) -> None:
        self.store = store
        self.source = source
        self.wp = wp
        self.job_id = job_id
        self.cpu = cpu
        self.create_once = create_once
        self.adopt_media = adopt_media
        self.asset_locks = KeyedLocks()
        self.per_post = 4  # files of one post in flight at once

    async def ensure_all(
        self, item: Item, source: SourcePost, body: CleanPost, wp_post_id: int | None, page_url: str, *,
        stem: str, tally: MediaCounts,
    ) -> MediaResult:
        """Upload (or reuse) every image and attachment, `per_post` at a time (the HTTP clients' per-host
        limits still apply). A file that cannot be had is not a failure of the post: it is listed in
        `missing` and its link keeps the original address. `wp_post_id` None: the files are uploaded
        before their post exists, unattached."""
        result = MediaResult(image_count=len(body.images))
        jobs = [_FileJob(r.src, r.original_url, r.filename, r.alt, r.caption, "image") for r in body.images]
        jobs += [_FileJob(a.href, a.url, a.filename, "", "", "attachment") for a in body.attachments]
        unique: dict[str, tuple[int, _FileJob]] = {}
        for index, job in enumerate(jobs, start=1):
            unique.setdefault(job.src, (index, job))
        refresh = _Refresh(lambda: self.fresh_urls(page_url))
        limit = asyncio.Semaphore(self.per_post)

        async def one(index: int, job: _FileJob) -> Media | MissingFile | Exception:
            async with limit:
                try:
                    return await self._ensure_job(
                        item, job, index=index, stem=stem, wp_post_id=wp_post_id, page_url=page_url,
                        tally=tally, refresh=refresh,
                    )
                except Exception as exc:  # handed back, raised below in document order
                    return exc

        # Every file is let finish (or fail) before a failure fails the post: the rollback then finds
        # each upload either done or never started, not cut off halfway. Failures are rare.
        got_all = await asyncio.gather(*(one(index, job) for index, job in unique.values()))
        failures = [g for g in got_all if isinstance(g, Exception)]
        if failures:
            raise next((f for f in failures if isinstance(f, FatalError)), failures[0])
        by_key: dict[str, Media] = {}
        for (_, job), got in zip(unique.values(), got_all, strict=True):  # document order: featured
            assert not isinstance(got, Exception)
            if isinstance(got, MissingFile):
                if all(m.url != got.url for m in result.missing):
                    result.missing.append(got)
                continue
            result.media_map[job.src] = got
            by_key[imaging.image_source_key(job.url)] = got
            if job.kind == "image" and result.featured_id is None:
                result.featured_id = got.media_id
        await self._featured(item, source, result, by_key, index=len(jobs) + 1, stem=stem,
                             wp_post_id=wp_post_id, page_url=page_url, tally=tally)
        return result

    async def _ensure_job(
        self, item: Item, job: _FileJob, *, index: int, stem: str, wp_post_id: int | None, page_url: str,
        tally: MediaCounts, refresh: _Refresh,
    ) -> Media | MissingFile:
        ensure = functools.partial(
            self.ensure_asset, item, filename=job.filename, alt=job.alt, caption=job.caption,
            kind=job.kind, stem=stem, index=index, wp_post_id=wp_post_id, page_url=page_url, tally=tally,
        )
        key = imaging.image_source_key(job.url)
        try:
            try:
                return await ensure(job.url)
            except ImageExpired as expired:
                fresh = (await refresh.get()).get(key)
                if not fresh or fresh == job.url:
                    raise FileUnavailable(
                        "the link was refused (expired?) and the page gave no fresh one",
                        url=job.url, status=expired.status,
                    ) from None
                try:
                    return await ensure(fresh)
                except ImageExpired as again:
                    raise FileUnavailable(
                        "the link was refused even fresh from the page", url=job.url, status=again.status
                    ) from None
        except FileUnavailable as exc:
            reason = exc.message + (f" (HTTP {exc.status})" if exc.status else "")
            log.warning("file_missing", kind=job.kind, file_url=job.url, reason=reason)
            return MissingFile(key, job.url, reason, job.kind)

    async def _featured(
        self, item: Item, source: SourcePost, result: MediaResult, by_key: dict[str, Media], *, index: int,
        stem: str, wp_post_id: int | None, page_url: str, tally: MediaCounts,
    ) -> None:
        """The og:image is the featured image: one of the body's files, or uploaded on its own."""
        if not source.featured_image_url or imaging.is_placeholder_image(source.featured_image_url):
            return
        featured_key = imaging.image_source_key(source.featured_image_url)
        same = by_key.get(featured_key)
        if same is not None:
            result.featured_id = same.media_id
        elif all(m.source_key != featured_key for m in result.missing):
            try:
                extra = await self.ensure_asset(
                    item, source.featured_image_url, filename=None, alt=source.title, caption="",
                    kind="image", stem=stem, index=index, wp_post_id=wp_post_id, page_url=page_url,
                    tally=tally,
                )
                result.featured_id = extra.media_id
            except (ImageExpired, PermanentError) as exc:
                # The og:image is a thumbnail of the post, not content: losing it must not fail
                # the post; the first body image stands in.
                log.warning("featured_image_unavailable", error_msg=str(exc))

    async def fresh_urls(self, page_url: str) -> dict[str, str]:
        """Signed CDN links expire: fetch the page again and map each image's stable key to its new URL."""
        page = await self.source.fetch_page(page_url)
        if page.status != 200:
            return {}
        kind = "page" if parse_page_slug(page_url) else "post"
        parsed = await self.cpu.run(offload.parse_page, page.text, page.url, kind)
        if parsed.source is None or parsed.body is None:
            return {}
        source, body = parsed.source, parsed.body
        fresh = {imaging.image_source_key(r.original_url): r.original_url for r in body.images}
        fresh.update({imaging.image_source_key(a.url): a.url for a in body.attachments})
        if source.featured_image_url:
            fresh.setdefault(imaging.image_source_key(source.featured_image_url), source.featured_image_url)
        return fresh

    async def ensure_asset(
        self,
        item: Item,
        url: str,
        *,
        filename: str | None,
        alt: str,
        caption: str,
        kind: str,
        stem: str,
        index: int,
        wp_post_id: int | None,
        page_url: str,
        tally: MediaCounts,
    ) -> Media:
        """One file in WordPress: reused, adopted or uploaded. Raises FileUnavailable when it cannot be
        had (gone, too large, blocked address, type refused by us or by WordPress)."""
        key = imaging.image_source_key(url)
        async with self.asset_locks.hold("src:" + key):
            asset = await self.store.asset_for_source(
                source_key=key, source_url=url, kind=kind, item_id=item.id, job_id=self.job_id
            )
            if asset.status == "uploaded" and asset.media_id and asset.media_url:
                tally.images_reused += 1
                return Media(asset.media_id, asset.media_url, uploaded=False)
            marker = media_marker(key)
            if asset.status == "uploading" or self.adopt_media:
                adopted = await self.adopt(asset, marker)
                if adopted is not None:
                    return adopted
            spooled = await self.source.download(url, referer=page_url)
            try:
                mime, ext = _upload_type(spooled, kind, filename, url)
                media = await self._upload(
                    item, asset, spooled, mime=mime, name=imaging.upload_filename(
                        filename, fallback_stem=stem, index=index, ext=ext),
                    alt=alt, caption=caption, marker=marker, wp_post_id=wp_post_id, tally=tally,
                )
            finally:
                spooled.discard()
            if media.uploaded:
                if kind == "image":
                    tally.images_uploaded += 1
                else:
                    tally.attachments_uploaded += 1
            return media

    async def _upload(
        self, item: Item, asset: Asset, spooled: SpooledFile, *, mime: str, name: str, alt: str,
        caption: str, marker: str, wp_post_id: int | None, tally: MediaCounts,
    ) -> Media:
        content_hash = spooled.sha256
        async with self.asset_locks.hold("hash:" + content_hash):
            twin = await self.store.uploaded_asset_by_hash(content_hash)
            if twin is not None and twin.media_id and twin.media_url:
                await self.store.mark_asset_uploaded(
                    asset.id, media_id=twin.media_id, media_url=twin.media_url,
                    content_hash=content_hash, reused_from=twin.id,
                )
                tally.images_reused += 1
                return Media(twin.media_id, twin.media_url, uploaded=False)
            unrecorded = await self._unrecorded_twin(asset, content_hash)
            if unrecorded is not None:
                tally.images_reused += 1
                return unrecorded
            await self.store.mark_asset_uploading(
                asset.id, content_hash=content_hash, owner_item_id=item.id, job_id=self.job_id, filename=name
            )
            try:
                media = await self.create_once(
                    lambda: self.wp.upload_media(
                        spooled.open(),  # type: ignore[arg-type]  # streamed from disk, not held in memory
                        filename=name, mime=mime, alt_text=as_plain_field(alt), caption=as_html_text(caption),
                        description=marker_comment(marker), post=wp_post_id,
                    ),
                    lambda: self.find_by_marker(marker),
                )
            except PermanentError as exc:
                if not _refuses_the_file(exc):
                    raise  # not about this file (e.g. the post is gone): the post fails, rolled back
                # WordPress refused the file (type, size, image it cannot process): a missing file.
                # Look once more by marker so a refusal that still created the media leaves no orphan.
                found = await self.adopt(asset, marker)
                if found is not None:
                    return found
                reason = f"WordPress refused the file: {exc.message}"
                await self.store.reset_asset(asset.id, error=reason)
                raise FileUnavailable(reason, url=asset.source_url, status=exc.status) from None
            await self.store.mark_asset_uploaded(
                asset.id, media_id=media.id, media_url=media.source_url,
                content_hash=content_hash, owner_item_id=item.id,
            )
        log.debug("media_uploaded", wp_media_id=media.id, filename=name)
        return Media(media.id, media.source_url, uploaded=True, width=media.width, height=media.height,
                     mime=media.mime_type)

    @asynccontextmanager
    async def locks_for(self, asset: Asset) -> AsyncIterator[None]:
        # Always sources in sorted order, then the hash: the order _ensure_asset takes them in (one
        # source, then the hash), so the two can never wait on each other in a circle.
        sharing = await self.store.assets_with_media(asset.media_id) if asset.media_id else []
        keys = sorted({asset.source_key, *(a.source_key for a in sharing)})
        async with contextlib.AsyncExitStack() as stack:
            for key in keys:
                await stack.enter_async_context(self.asset_locks.hold("src:" + key))
            if asset.content_hash:
                await stack.enter_async_context(self.asset_locks.hold("hash:" + asset.content_hash))
            yield

    async def _unrecorded_twin(self, asset: Asset, content_hash: str) -> Media | None:
        """The same bytes under another source whose upload a killed run started: if WordPress holds
        it (found by that source's marker), reuse it rather than upload the picture a second time.
        Called under the hash lock; that source's own adoption later finds the same media."""
        for other in await self.store.uploading_assets_by_hash(content_hash, other_than=asset.id):
            found = await self.find_by_marker(media_marker(other.source_key))
            if found is not None:
                await self.store.mark_asset_uploaded(
                    asset.id, media_id=found.id, media_url=found.source_url,
                    content_hash=content_hash, reused_from=other.id,
                )
                log.info("media_adopted_from_twin", wp_media_id=found.id)
                return Media(found.id, found.source_url, uploaded=False)
        return None

    async def find_by_marker(self, marker: str) -> WpMedia | None:
        found = await self.wp.find_media_by_marker(marker)
        return found[0] if found else None

    async def adopt(self, asset: Asset, marker: str) -> Media | None:
        found = await self.wp.find_media_by_marker(marker)
        if not found:
            return None
        keep, extra = found[0], found[1:]
        for dup in extra:
            await self.wp.delete_media(dup.id)
        await self.store.mark_asset_uploaded(asset.id, media_id=keep.id, media_url=keep.source_url)
        log.info("media_adopted", wp_media_id=keep.id)
        return Media(keep.id, keep.source_url, uploaded=False)


class _Refresh:
    """The post's page read again for fresh signed links: at most once per post, shared by its files."""

    def __init__(self, fetch: Callable[[], Awaitable[dict[str, str]]]) -> None:
        self._fetch = fetch
        self._lock = asyncio.Lock()
        self._urls: dict[str, str] | None = None

    async def get(self) -> dict[str, str]:
        async with self._lock:
            if self._urls is None:
                self._urls = await self._fetch()
            return self._urls


def _upload_type(spooled: SpooledFile, kind: str, filename: str | None, url: str) -> tuple[str, str]:
    """(mime, extension) decided from the bytes (and, for attachments, the name); FileUnavailable when
    the bytes are not what they claim or the type is not one we upload."""
    if kind == "image":
        sniffed = imaging.sniff_media_type(spooled.head, spooled.content_type)
        if sniffed is None:
            raise FileUnavailable(f"not a picture (got {spooled.content_type or 'no type'})", url=url)
        return sniffed
    verdict = imaging.attachment_upload_type(spooled.head, spooled.content_type, filename)
    if isinstance(verdict, str):
        raise FileUnavailable(verdict, url=url)
    return verdict


def _refuses_the_file(exc: PermanentError) -> bool:
    """A WordPress upload error about the file itself (its type, size or content), not about us or
    the post: `rest_upload_*` codes (sideload error, file type, file too big...), 413, 415."""
    return exc.status in (413, 415) or "rest_upload" in exc.message or "file type" in exc.message.lower()

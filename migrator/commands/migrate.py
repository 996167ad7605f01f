"""The composition root: opens the database, the HTTP sessions and the clients, runs the engine, closes all.

Only this module wires dependencies together; every other module receives what it needs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import structlog

from migrator.commands.comments import comment_sync, finish_comments
from migrator.commands.rewrite_links import LinkReport, rewrite_after_run
from migrator.config import Settings
from migrator.core.comments import CommentTotals
from migrator.core.engine import Engine, EngineResult
from migrator.core.markers import MEDIA_MARKER_PREFIX, POST_MARKER_PREFIX
from migrator.core.offload import CpuPool, default_processes
from migrator.core.outcomes import Migrator, RunCounters
from migrator.core.pipeline import PostMigrator
from migrator.errors import ConfigError, FatalError
from migrator.models import JobStatus, PostRef
from migrator.state.store import StateStore
from migrator.tistory import urls
from migrator.tistory.crawl import Crawler, verify_tistory_blog
from migrator.tistory.source import SourceClient
from migrator.wiring import Clients, Network, open_run
from migrator.wordpress.client import WordPressClient

__all__ = ["RunOptions", "RunReport", "parse_processes", "refs_for_urls", "run_job", "run_migration"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RunOptions:
    post_urls: tuple[str, ...] = ()  # empty = the whole blog
    probe_ids: bool = False
    retry_failed: bool = True
    reset_failed: bool = False
    post_status: str | None = None  # the status posts are created with; None: the settings' (WP_POST_STATUS)
    content_format: str | None = None  # "blocks" or "html"; None = the settings' (CONTENT_FORMAT)


@dataclass(slots=True)
class RunReport:
    job_id: int
    status: JobStatus
    counters: RunCounters
    elapsed_s: float
    migrate_s: float = 0.0  # discovery + posts (the engine), without the link pass
    discovery: dict[str, Any] = field(default_factory=dict)
    fatal: FatalError | None = None
    requests: dict[str, int] = field(default_factory=dict)
    wp_writes: int = 0
    links: LinkReport | None = None  # the rewrite-links pass at the end of `--all`
    comments: CommentTotals | None = None  # the comments carried after each post


def refs_for_urls(post_urls: tuple[str, ...], origin: str) -> list[PostRef]:
    hosts = urls.blog_aliases(origin)
    refs = []
    for raw in post_urls:
        parts = urlsplit(raw.strip())
        target = urls.classify_post_url(raw, set(hosts) | {(parts.hostname or "").lower()}, pages=True)
        if target is None:
            raise ConfigError(
                f"--post: {raw!r} is not the address of a Tistory post (/123, /entry/<slug> or /pages/<slug>)"
            )
        # Fetch it where the user pointed (either host of the blog, /notice/ or /m/ form, without query
        # or fragment); it is recorded under the blog origin and its numeric id once the page is read.
        if target.kind == "page":
            page_url = urls.canonical_page_url(f"{parts.scheme}://{parts.netloc}", target.slug or "")
            refs.append(PostRef(page_url, None, target.slug, source="cli", kind="page"))
        elif target.post_id is not None:
            refs.append(PostRef(f"{parts.scheme}://{parts.netloc}{parts.path}", target.post_id, source="cli"))
        else:
            slug_url = urls.canonical_slug_url(f"{parts.scheme}://{parts.netloc}", target.slug or "")
            refs.append(PostRef(slug_url, None, target.slug, source="cli"))
    return refs


async def _iterate(refs: list[PostRef]) -> AsyncIterator[PostRef]:
    for ref in refs:
        yield ref


def parse_processes(settings: Settings) -> int:
    """How many processes parse pages: the setting, or one per spare core when several workers run."""
    if settings.parse_processes >= 0:
        return int(settings.parse_processes)
    return default_processes() if settings.worker_count > 1 else 0


async def run_job(
    settings: Settings,
    options: RunOptions,
    *,
    store: StateStore,
    source: SourceClient,
    migrator: Migrator,
    counters: RunCounters,
    job_id: int,
    on_start: Any = None,
    on_tick: Any = None,
) -> tuple[EngineResult, Crawler | None]:
    """Run a started job (real or dry) and record how it ended. The engine is fed by the crawler for
    `--all`, or by the given URLs for `--post` (then posts unfinished by earlier runs are not resumed)."""
    single = bool(options.post_urls)
    crawler = None
    if single:
        refs = _iterate(refs_for_urls(options.post_urls, settings.blog_url))
    else:
        crawler = Crawler(source, settings.blog_url, probe=options.probe_ids)
        refs = crawler.discover()
    engine = Engine(
        store=store,
        migrator=migrator,
        counters=counters,
        job_id=job_id,
        workers=settings.worker_count,
        max_attempts=settings.max_attempts,
        queue_size=settings.queue_size,
        grace_s=settings.shutdown_grace_s,
        post_timeout_s=settings.post_timeout_s,
        retry_failed=options.retry_failed,
        resume_unfinished=not single,
        on_tick=on_tick,
        discovery_stats=(crawler.stats.as_dict if crawler is not None else None),
    )
    if on_start is not None:
        on_start(engine)
    result = await engine.run(refs)
    await store.finish_job(job_id, result.status, error=str(result.fatal) if result.fatal else None)
    return result, crawler


async def run_migration(
    settings: Settings,
    options: RunOptions,
    *,
    network: Network | None = None,
    on_start: Any = None,
    on_tick: Any = None,
) -> RunReport:
    """Run `migrate --all` or `migrate --post`. Raises FatalError subclasses before the job starts
    (bad credentials, busy database); later fatal errors end the job as aborted in the report."""
    started = time.monotonic()
    if options.content_format is not None:
        settings = settings.with_overrides(content_format=options.content_format)
    single = bool(options.post_urls)
    if single:
        refs_for_urls(options.post_urls, settings.blog_url)  # a bad --post URL stops before any network call
    async with open_run(settings, network) as run, contextlib.AsyncExitStack() as stack:
        store, clients = run.store, run.clients
        assert clients is not None
        await clients.wp.load_site_timezone()
        # WordPress was checked by open_run; the blog is checked before any job row or post exists.
        await verify_tistory_blog(clients.source, settings.blog_url)
        await store.close_dead_jobs()
        requeued = await store.requeue_stale()
        if options.reset_failed:
            await store.reset_failed_attempts()
        job_id = await store.start_job(
            "post" if single else "all", blog_url=settings.blog_url, wp_base_url=settings.wp_base_url
        )
        counters = RunCounters()
        cpu = await stack.enter_async_context(CpuPool(parse_processes(settings)))
        migrator = await _post_migrator(
            settings, store, clients, job_id=job_id, cpu=cpu, resumed=requeued,
            post_status=options.post_status or settings.post_status,
        )
        await _finish_leftover_rollbacks(store, migrator)
        result, crawler = await run_job(
            settings, options, store=store, source=clients.source, migrator=migrator, counters=counters,
            job_id=job_id, on_start=on_start, on_tick=on_tick,
        )
        if not single and result.status in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_FAILURES):
            # Comment passes a kill cut short (or that failed) are taken up again.
            assert migrator.comments is not None
            await finish_comments(store, migrator.comments, only_unfinished=True, workers=settings.worker_count)
        discovery = crawler.stats.as_dict() if crawler is not None else {}
        links = None
        if not single and result.status in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_FAILURES):
            # Internal links can point at WordPress only once their targets are migrated.
            links = await rewrite_after_run(store, clients.wp, workers=settings.worker_count)
        report = RunReport(
            job_id=job_id,
            status=result.status,
            counters=counters,
            elapsed_s=time.monotonic() - started,
            migrate_s=result.elapsed_s,
            discovery=discovery,
            fatal=result.fatal,
            requests={**clients.tistory_http.stats.per_host, **clients.wp_http.stats.per_host},
            wp_writes=clients.wp_http.stats.writes,
            links=links,
            comments=migrator.comments.totals if migrator.comments is not None else None,
        )
        return report


async def _post_migrator(
    settings: Settings, store: StateStore, clients: Clients, *, job_id: int, cpu: CpuPool, resumed: int,
    post_status: str = "draft",
) -> PostMigrator:
    """The real migrator for this job, told whether WordPress holds marked objects we do not know."""
    adopt_posts, adopt_media = await _adoption_needed(clients.wp, store)
    migrator = PostMigrator(
        store=store,
        source=clients.source,
        wp=clients.wp,
        job_id=job_id,
        origin=settings.blog_url,
        adopt_posts=adopt_posts,
        adopt_media=adopt_media,
        post_timeout_s=settings.post_timeout_s,
        cpu=cpu,
        post_status=post_status,
        comments=comment_sync(settings, store, clients, job_id=job_id),
        content_format=settings.content_format,
    )
    log.info(
        "run_started",
        job_id=job_id,
        blog=settings.blog_url,
        wordpress=settings.wp_base_url,
        workers=settings.worker_count,
        rate_limit=settings.rate_limit,
        resumed_items=resumed,
        adopt_posts=adopt_posts,
        adopt_media=adopt_media,
    )
    return migrator


async def _adoption_needed(wp: WordPressClient, store: StateStore) -> tuple[bool, bool]:
    """If WordPress holds more of our marked objects than the database knows (the database was lost or
    replaced), look every post and image up by its marker before creating it."""
    known_posts = await store.count_created_posts()
    marked_posts = await wp.count_posts(search=POST_MARKER_PREFIX)
    assets = await store.asset_counts()
    known_media = assets.get("uploaded", 0) + assets.get("uploading", 0)
    marked_media = await wp.count_media(search=MEDIA_MARKER_PREFIX)
    return marked_posts > known_posts, marked_media > known_media


async def _finish_leftover_rollbacks(store: StateStore, migrator: PostMigrator) -> None:
    """A failed post whose rollback was cut short (crash, network) still has things in WordPress."""
    for item in await store.items(status="failed"):
        if (
            item.wp_post_id
            or item.post_intent
            or any(
                a.owner_item_id == item.id and a.status in ("uploaded", "uploading")
                for a in await store.assets_of_item(item.id)
            )
        ):
            await migrator.rollback.safely(item.id)

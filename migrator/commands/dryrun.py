"""`migrate --dry-run`: discover, fetch, parse and clean like a real run, and write nothing to WordPress.

`DryRunMigrator` stands in for `PostMigrator` inside the same Engine (same discovery, queue,
workers and Ctrl-C handling). Instead of creating drafts it adds each post to a `DryRunPlan`:
the categories and tags that do not exist yet (in the job database or in WordPress, which is only
read), the images and files by their stable source key (shared ones counted once, ones an earlier
run uploaded counted as reused), and the internal links. The job database gets a `dry-run` job row
and nothing else: no post is marked done, so the real run still does everything.

The duration estimate counts the requests the real run would send to each host and divides by
the configured rate limit (requests per second per host), and compares that with the latencies
measured during the dry run spread over the workers; the larger figure wins.
"""

from __future__ import annotations

import contextlib
import html as htmllib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import structlog

from migrator.commands.migrate import RunOptions, parse_processes, refs_for_urls, run_job
from migrator.commands.summary import duration_text
from migrator.config import Settings
from migrator.core import offload
from migrator.core.engine import Engine
from migrator.core.outcomes import Outcome, OutcomeKind, RunCounters
from migrator.core.reading import NotRead, PostReader, Unreadable
from migrator.core.terms import term_key
from migrator.models import CleanPost, ItemStatus, JobStatus, PostRef
from migrator.state.store import StateStore
from migrator.tistory import images as imaging
from migrator.tistory import urls
from migrator.tistory.crawl import verify_tistory_blog
from migrator.tistory.source import SourceClient
from migrator.wiring import Network, open_run

__all__ = [
    "DryRunMigrator",
    "DryRunPlan",
    "DryRunReport",
    "Estimate",
    "estimate",
    "render_dry_run",
    "run_dry_run",
]

log = structlog.get_logger(__name__)

# WordPress requests per migrated post besides its media: create the draft, final update, and on
# average one read (adoption checks, link pass).
_WP_REQUESTS_PER_POST = 3


def _name_key(name: str) -> str:
    return term_key(htmllib.unescape(name))


@dataclass(slots=True)
class DryRunPlan:
    """What the real run would create, filled in post by post."""

    posts: list[tuple[str, str]] = field(default_factory=list)  # (source url, title)
    new_categories: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> path
    new_tags: dict[str, str] = field(default_factory=dict)  # key -> name
    image_uses: Counter[str] = field(default_factory=Counter)  # source key -> posts
    attachment_uses: Counter[str] = field(default_factory=Counter)
    host_of: dict[str, str] = field(default_factory=dict)  # source key -> host
    reused_keys: set[str] = field(default_factory=set)  # uploaded by an earlier run
    internal_links: int = 0
    page_seconds: list[float] = field(default_factory=list)

    @property
    def images(self) -> int:
        return len(self.image_uses)

    @property
    def shared_images(self) -> int:
        return sum(1 for n in self.image_uses.values() if n > 1)

    def uploads(self) -> set[str]:
        return (set(self.image_uses) | set(self.attachment_uses)) - self.reused_keys


@dataclass(frozen=True, slots=True)
class Estimate:
    seconds: float
    by_rate_s: float
    by_latency_s: float
    requests: dict[str, int]
    busiest_host: str


def estimate(
    plan: DryRunPlan,
    *,
    blog_host: str,
    wp_host: str,
    rate: float,
    wp_rate: float | None,
    workers: int,
    wp_latency_s: float,
) -> Estimate:
    """How long the real run should take at the configured rate limit (see the module docstring)."""
    uploads = plan.uploads()
    requests: Counter[str] = Counter()
    requests[blog_host] += len(plan.posts)
    for key in uploads:
        requests[plan.host_of.get(key, "cdn")] += 1
    terms = len(plan.new_categories) + len(plan.new_tags)
    requests[wp_host] += _WP_REQUESTS_PER_POST * len(plan.posts) + len(uploads) + terms
    by_rate = 0.0
    busiest = blog_host
    for host, n in requests.items():
        host_rate = wp_rate if host == wp_host and wp_rate is not None else rate
        seconds = n / host_rate if host_rate > 0 else 0.0
        if seconds > by_rate:
            by_rate, busiest = seconds, host
    page_s = sum(plan.page_seconds) / len(plan.page_seconds) if plan.page_seconds else 0.0
    # Uploads and CDN downloads are assumed to take about as long as a page and a WordPress call.
    per_post = page_s + _WP_REQUESTS_PER_POST * wp_latency_s
    work = len(plan.posts) * per_post + len(uploads) * (page_s + wp_latency_s)
    by_latency = work / max(1, workers)
    return Estimate(max(by_rate, by_latency), by_rate, by_latency, dict(requests), busiest)


class DryRunMigrator:
    """A `Migrator` for the Engine that plans instead of writing; it reads pages with the real run's
    `PostReader`, so it skips and fails posts on the same evidence."""

    # Skipped posts of earlier runs are reported by the engine, not read again.
    rechecks_skipped = False

    def __init__(
        self,
        *,
        store: StateStore,
        source: SourceClient,
        origin: str,
        plan: DryRunPlan,
        existing_categories: dict[tuple[int, str], int],
        existing_tags: set[str],
        cpu: offload.CpuPool | None = None,
        post_timeout_s: float = 900.0,
    ) -> None:
        self.store = store
        self.origin = origin
        self.plan = plan
        self.existing_categories = existing_categories
        self.existing_tags = existing_tags
        self.reader = PostReader(source=source, cpu=cpu or offload.CpuPool(0), timeout_s=post_timeout_s)
        self.rollback_on_cancel = True  # nothing to roll back; read by the Engine
        self._seen: set[str] = set()  # nothing is recorded, so a post found twice is known by this only

    async def migrate(self, ref: PostRef) -> Outcome:
        known = await (
            self.store.item_by_post_id(ref.post_id) if ref.post_id else self.store.item_by_url(ref.url)
        )
        if known is not None and known.status in (ItemStatus.COMPLETED, ItemStatus.SKIPPED):
            return Outcome(OutcomeKind.DUPLICATE, known.canonical_url, known.wp_post_id)
        reading = await self.reader.read(ref)
        if isinstance(reading, NotRead):
            return Outcome(OutcomeKind.FAILED, ref.url, reason=reading.reason)
        self.plan.page_seconds.append(reading.fetch_s)
        if isinstance(reading, Unreadable):
            return Outcome(OutcomeKind.SKIPPED, ref.url, reason=reading.reason, skip_kind=reading.kind)
        source, body = reading.parsed.source, reading.parsed.body
        assert source is not None  # Readable: the page parsed
        if body is None:
            return Outcome(OutcomeKind.FAILED, ref.url, reason=reading.parsed.error or "unreadable page")
        if source.identity in self._seen:
            return Outcome(OutcomeKind.DUPLICATE, ref.url)
        self._seen.add(source.identity)
        url = (
            urls.canonical_page_url(self.origin, source.slug or "") if source.kind == "page"
            else urls.canonical_post_url(self.origin, source.post_id)
        )
        self.plan.posts.append((url, source.title))
        await self._terms(source.category_path, source.tags)
        await self._media(body, source.featured_image_url)
        hosts = set(source.blog_hosts) | {(urlsplit(self.origin).hostname or "").lower()}
        self.plan.internal_links += sum(1 for href in body.links if urls.classify_post_url(href, hosts, pages=True))
        return Outcome(OutcomeKind.COMPLETED, url)

    async def _terms(self, path: tuple[str, ...], tags: tuple[str, ...]) -> None:
        parent: int | None = 0
        key = ""
        for name in path:
            key = f"{key}/{term_key(name)}" if key else term_key(name)
            known = await self.store.get_term("categories", key)
            if known is not None:
                parent = known  # created or found by an earlier run
                continue
            found = self.existing_categories.get((parent, _name_key(name))) if parent is not None else None
            if found is not None:
                parent = found
                continue
            parent = None  # this level is new, so is every level below it
            self.plan.new_categories.setdefault(key, path[: key.count("/") + 1])
        for tag in tags:
            k = term_key(tag)
            if k in self.existing_tags or await self.store.get_term("tags", k) is not None:
                continue
            self.plan.new_tags.setdefault(k, tag.strip())

    async def _media(self, body: CleanPost, featured: str | None) -> None:
        keys: list[tuple[str, str, str]] = [
            (imaging.image_source_key(r.original_url), r.original_url, "image") for r in body.images
        ]
        keys += [(imaging.image_source_key(a.url), a.url, "attachment") for a in body.attachments]
        if featured and not imaging.is_placeholder_image(featured):
            fkey = imaging.image_source_key(featured)
            if all(k != fkey for k, _, _ in keys):
                keys.append((fkey, featured, "image"))
        for key, url, kind in dict.fromkeys(keys):
            uses = self.plan.image_uses if kind == "image" else self.plan.attachment_uses
            uses[key] += 1
            self.plan.host_of.setdefault(key, (urlsplit(url).netloc or "cdn").lower())
            asset = await self.store.asset_by_source_key(key)
            if asset is not None and asset.status == "uploaded" and asset.media_id:
                self.plan.reused_keys.add(key)


@dataclass(slots=True)
class DryRunReport:
    job_id: int
    status: JobStatus
    counters: RunCounters
    plan: DryRunPlan
    estimate: Estimate
    elapsed_s: float
    wp_writes: int = 0

    def as_dict(self) -> dict[str, Any]:
        p, e = self.plan, self.estimate
        return {
            "job_id": self.job_id,
            "status": str(self.status),
            "posts": len(p.posts),
            "already_done": self.counters.already_done,
            "skipped": self.counters.skipped,
            "skip_reasons": dict(self.counters.skip_reasons),
            "unreadable": self.counters.failed,
            "new_categories": ["/".join(path) for path in p.new_categories.values()],
            "new_tags": sorted(p.new_tags.values()),
            "images": p.images,
            "shared_images": p.shared_images,
            "attachments": len(p.attachment_uses),
            "uploads": len(p.uploads()),
            "reused_from_earlier_runs": len(p.reused_keys),
            "internal_links": p.internal_links,
            "estimate_s": round(e.seconds, 1),
            "estimate_by_rate_s": round(e.by_rate_s, 1),
            "estimate_by_latency_s": round(e.by_latency_s, 1),
            "requests_by_host": e.requests,
            "wordpress_writes": self.wp_writes,
        }


def render_dry_run(report: DryRunReport, *, rate: float, max_listed: int = 20) -> str:
    d = report.as_dict()
    lines = [
        f"Dry run (job {d['job_id']}, nothing written to WordPress) in {duration_text(report.elapsed_s)}:",
        f"  posts to migrate   {d['posts']}"
        + (f"  ({d['already_done']} already migrated)" if d["already_done"] else ""),
        f"  skipped            {d['skipped']}"
        + (
            "  (" + ", ".join(f"{k}: {v}" for k, v in sorted(d["skip_reasons"].items())) + ")"
            if d["skip_reasons"]
            else ""
        ),
        f"  unreadable         {d['unreadable']}",
        f"  new categories     {len(d['new_categories'])}" + _listing(d["new_categories"], max_listed),
        f"  new tags           {len(d['new_tags'])}" + _listing(d["new_tags"], max_listed),
        f"  images             {d['images']} "
        f"({d['shared_images']} used by more than one post, uploaded once)",
        f"  files              {d['attachments']}",
        f"  uploads            {d['uploads']}"
        + (
            f" ({d['reused_from_earlier_runs']} reused from earlier runs)"
            if d["reused_from_earlier_runs"]
            else ""
        ),
        f"  internal links     {d['internal_links']}",
        f"Estimated duration: {duration_text(d['estimate_s'])} "
        + (
            f"at {rate:g} requests/s per host (busiest: {report.estimate.busiest_host}, "
            f"{report.estimate.requests.get(report.estimate.busiest_host, 0)} requests)"
            if rate > 0
            else "with no rate limit (from the latencies measured now)"
        ),
    ]
    if report.counters.failures:
        lines.append("Unreadable posts:")
        lines += [f"  {u}: {r}" for u, r in report.counters.failures[:max_listed]]
    return "\n".join(lines)


def _listing(names: list[str], limit: int) -> str:
    if not names:
        return ""
    shown = ", ".join(names[:limit])
    return f": {shown}" + (f", … (+{len(names) - limit})" if len(names) > limit else "")


async def _existing_terms(wp: Any) -> tuple[dict[tuple[int, str], int], set[str]]:
    categories = {
        (int(t.get("parent") or 0), _name_key(str(t.get("name", "")))): int(t["id"])
        for t in await wp.list_terms("categories")
    }
    tags = {_name_key(str(t.get("name", ""))) for t in await wp.list_terms("tags")}
    return categories, tags


async def run_dry_run(
    settings: Settings,
    options: RunOptions,
    *,
    network: Network | None = None,
    on_start: Callable[[Engine], object] | None = None,
    on_tick: Callable[[], object] | None = None,
) -> DryRunReport:
    """`migrate --all --dry-run` (or with `--post`). Raises FatalError before the job starts."""

    started = time.monotonic()
    single = bool(options.post_urls)
    if single:
        refs_for_urls(options.post_urls, settings.blog_url)  # a bad --post URL stops before any network call
    t0 = time.monotonic()
    async with open_run(settings, network) as run, contextlib.AsyncExitStack() as stack:
        store, clients = run.store, run.clients
        assert clients is not None
        wp_latency = time.monotonic() - t0
        await verify_tistory_blog(clients.source, settings.blog_url)  # as the real run: exit 2 if not Tistory
        categories, tags = await _existing_terms(clients.wp)
        job_id = await store.start_job(
            "dry-run", blog_url=settings.blog_url, wp_base_url=settings.wp_base_url
        )
        counters = RunCounters()
        plan = DryRunPlan()
        cpu = await stack.enter_async_context(offload.CpuPool(parse_processes(settings)))
        migrator = DryRunMigrator(
            store=store,
            source=clients.source,
            origin=settings.blog_url,
            plan=plan,
            existing_categories=categories,
            existing_tags=tags,
            cpu=cpu,
            post_timeout_s=settings.post_timeout_s,
        )
        result, _ = await run_job(
            settings, options, store=store, source=clients.source, migrator=migrator, counters=counters,
            job_id=job_id, on_start=on_start, on_tick=on_tick,
        )
        wp_host = (urlsplit(settings.wp_base_url).netloc or "").lower()
        blog_host = (urlsplit(settings.blog_url).netloc or "").lower()
        est = estimate(
            plan,
            blog_host=blog_host,
            wp_host=wp_host,
            rate=settings.rate_limit,
            wp_rate=settings.wp_rate_limit,
            workers=settings.worker_count,
            wp_latency_s=wp_latency,
        )
        report = DryRunReport(
            job_id,
            result.status,
            counters,
            plan,
            est,
            time.monotonic() - started,
            wp_writes=clients.wp_http.stats.writes,
        )
        log.info(
            "dry_run_finished",
            **{k: v for k, v in report.as_dict().items() if isinstance(v, int | float | str)},
        )
        return report

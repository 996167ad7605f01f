"""`migrate comments`: carry the Tistory comments of posts migrated earlier.

For every migrated post WordPress now holds with a status that takes comments (published, private,
pending, scheduled), the post's Tistory comments are read again and the ones WordPress does not have
are added (the ones a run added before are known from the job database, or found by their marker
when their answer was lost). So it adds the comments of drafts published since, and the comments
written on Tistory since the last run; run again, it writes nothing. Drafts are counted as waiting.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import structlog

from migrator.config import Settings
from migrator.core.comments import CommentSync, CommentTotals
from migrator.errors import FatalError
from migrator.models import JobStatus
from migrator.state.store import Item, StateStore
from migrator.wiring import Clients, Network, open_run
from migrator.wordpress.comments import WpComments

__all__ = ["CommentsReport", "comment_sync", "finish_comments", "render_comments_report", "run_comments"]

log = structlog.get_logger(__name__)


# WordPress e-mails a post's author each comment someone else approves on it (checked on WordPress
# 6.1: wp_set_comment_status → wp_new_comment_notify_postauthor), never the approving author.
_OTHER_AUTHOR = (
    "not added: the post now belongs to another WordPress user (id {author}), whom WordPress would "
    "e-mail for every comment; run `migrate comments` as that user"
)


@dataclass(slots=True)
class CommentsReport:
    job_id: int
    status: JobStatus
    totals: CommentTotals
    gone: int              # migrated posts no longer in WordPress
    elapsed_s: float
    wp_writes: int


def comment_sync(settings: Settings, store: StateStore, clients: Clients, *, job_id: int) -> CommentSync:
    return CommentSync(
        store=store, source=clients.source, comments=WpComments(clients.wp), job_id=job_id,
        origin=settings.blog_url, timeout_s=settings.post_timeout_s,
    )


async def finish_comments(store: StateStore, sync: CommentSync, *, only_unfinished: bool, workers: int) -> int:
    """One comment pass over the migrated posts (`only_unfinished`: those whose last pass was cut
    short or failed). Returns how many migrated posts are no longer in WordPress."""
    posts = [i for i in await store.items(status="completed") if i.wp_post_id and i.post_id]
    if only_unfinished:
        unfinished = await store.items_with_unfinished_comments()
        posts = [i for i in posts if i.id in unfinished]
    if not posts:
        return 0
    states = await sync.wp.post_states([i.wp_post_id for i in posts if i.wp_post_id])
    me = await sync.wp.my_user_id()
    gate = asyncio.Semaphore(max(1, workers))

    async def one(item: Item) -> None:
        assert item.wp_post_id is not None
        status, author = states[item.wp_post_id]
        async with gate:
            if author != me:
                await sync.refuse_post(item, _OTHER_AUTHOR.format(author=author))
            else:
                await sync.sync_post(item, item.wp_post_id, status)

    async with asyncio.TaskGroup() as group:
        for item in posts:
            if item.wp_post_id in states:
                group.create_task(one(item))
    return sum(1 for i in posts if i.wp_post_id not in states)


async def run_comments(settings: Settings, *, network: Network | None = None) -> CommentsReport:
    """Run `migrate comments` as a job of its own (kind "comments": `undo --job N` removes what it added)."""
    started = time.monotonic()
    async with open_run(settings, network) as run:
        store, clients = run.store, run.clients
        assert clients is not None
        await store.close_dead_jobs()
        job_id = await store.start_job("comments", blog_url=settings.blog_url, wp_base_url=settings.wp_base_url)
        sync = comment_sync(settings, store, clients, job_id=job_id)
        try:
            gone = await finish_comments(store, sync, only_unfinished=False, workers=settings.worker_count)
        except* FatalError as failures:
            await store.finish_job(job_id, JobStatus.ABORTED, error=str(failures.exceptions[0]))
            raise failures.exceptions[0] from None
        except* (KeyboardInterrupt, asyncio.CancelledError):
            await asyncio.shield(store.finish_job(job_id, JobStatus.INTERRUPTED))
            raise
        status = JobStatus.COMPLETED_WITH_FAILURES if sync.totals.failed_posts else JobStatus.COMPLETED
        await store.finish_job(job_id, status, completed=sync.totals.posts)
        log.info("comments_done", job_id=job_id, created=sync.totals.created, posts=sync.totals.posts)
        return CommentsReport(
            job_id=job_id, status=status, totals=sync.totals, gone=gone,
            elapsed_s=time.monotonic() - started, wp_writes=clients.wp_http.stats.writes,
        )


def render_comments_report(report: CommentsReport) -> str:
    t = report.totals
    lines = [
        f"Job {report.job_id} (comments): {t.created} comments added to {t.posts} migrated posts "
        f"({t.migrated} in WordPress in all) in {report.elapsed_s:.1f} s.",
        f"  secret comments (not readable by guests, not carried): {t.secret}",
        f"  comments not carried (unreadable, or refused by WordPress): {t.unreadable}",
    ]
    if t.waiting_posts:
        lines.append(
            f"  {t.waiting_posts} posts are drafts: WordPress takes no comments on drafts; publish them "
            "and run `migrate comments` again"
        )
    if report.gone:
        lines.append(f"  {report.gone} migrated posts are no longer in WordPress")
    if t.failed_posts:
        lines.append(f"  {len(t.failed_posts)} posts whose comments stopped early (run it again):")
        lines += [f"    {url}: {why}" for url, why in t.failed_posts[:20]]
    return "\n".join(lines)

"""Carrying a migrated post's Tistory comments into WordPress, exactly once.

`CommentSync.sync_post` is called right after a post is completed (and by `migrate comments` for posts
migrated earlier). Each comment is created with the same three habits as posts and media: an intent
row before the request, a deterministic marker (`author_user_agent`), and a lookup of that marker
when an intent has no recorded answer (a lost answer, a kill). Parents are created and recorded
before their replies, so a reply is never orphaned.

A comment problem never fails the post: a post whose comments could not be read or written keeps
its counts and its error, and `migrate comments` tries again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

import structlog

from migrator.errors import FatalError, PostError, RateLimited, TransientError
from migrator.state.store import CommentRow, Item, StateStore
from migrator.tistory.comments import PostComments, SourceComment, UnrecognisedShape, fetch_comments
from migrator.tistory.source import SourceClient
from migrator.wordpress.comments import CommentRefused, WpComment, WpComments, comment_html, comment_marker

__all__ = ["COMMENTABLE_STATUSES", "CommentCounts", "CommentSync", "CommentTotals"]

log = structlog.get_logger(__name__)

# Post statuses WordPress takes comments on over REST (drafts and the trash are refused).
COMMENTABLE_STATUSES = frozenset({"publish", "private", "pending", "future"})
PASS_STARTED = "the comment pass was interrupted; the next run goes on"


@dataclass(slots=True)
class CommentCounts:
    """One post's comments after a pass."""

    found: int = 0          # public comments read from Tistory
    created: int = 0        # created in WordPress by this pass
    migrated: int = 0       # in WordPress in all (this pass and earlier ones)
    secret: int = 0
    unreadable: int = 0
    waiting: bool = False   # the post is a draft: its comments wait for it to be published
    error: str | None = None


@dataclass(slots=True)
class CommentTotals:
    """A run's comments, for the summary: the last pass of each post (a post taken up again at the
    end of the run counts once), with what every pass created."""

    per_post: dict[str, CommentCounts] = field(default_factory=dict)
    unrecognised_reported: bool = False

    def add(self, url: str, counts: CommentCounts) -> None:
        earlier = self.per_post.get(url)
        if earlier is not None:
            counts.created += earlier.created
        self.per_post[url] = counts

    @property
    def posts(self) -> int:
        return len(self.per_post)

    @property
    def created(self) -> int:
        return sum(c.created for c in self.per_post.values())

    @property
    def migrated(self) -> int:
        return sum(c.migrated for c in self.per_post.values())

    @property
    def secret(self) -> int:
        return sum(c.secret for c in self.per_post.values())

    @property
    def unreadable(self) -> int:
        return sum(c.unreadable for c in self.per_post.values())

    @property
    def waiting_posts(self) -> int:
        return sum(1 for c in self.per_post.values() if c.waiting)

    @property
    def failed_posts(self) -> list[tuple[str, str]]:
        return [(url, c.error) for url, c in self.per_post.items() if c.error][:1000]


class CommentSync:
    """Shared by all workers of a run; one call per post."""

    def __init__(
        self,
        *,
        store: StateStore,
        source: SourceClient,
        comments: WpComments,
        job_id: int,
        origin: str,
        timeout_s: float = 900.0,
    ) -> None:
        self.store = store
        self.source = source
        self.wp = comments
        self.job_id = job_id
        self.origin = origin
        self.timeout_s = timeout_s
        self.totals = CommentTotals()
        self.rate_limited_retries = 12
        self.create_retries = 3

    async def sync_post(self, item: Item, wp_post_id: int, status: str) -> CommentCounts:
        """Add the post's Tistory comments WordPress does not have yet. Never raises but FatalError and
        cancellation: what went wrong is in the counts (and the job database), and the next
        `migrate comments` goes on from there."""
        counts = CommentCounts()
        if item.post_id is None:
            return counts
        if status in COMMENTABLE_STATUSES:
            # Marked as started: a pass a kill cuts short is taken up by the next `migrate --all`.
            await self.store.mark_comment_pass_started(item.id, PASS_STARTED)
        with structlog.contextvars.bound_contextvars(source_url=item.canonical_url, wp_post_id=wp_post_id):
            try:
                async with asyncio.timeout(self.timeout_s):
                    await self._sync(item, item.post_id, wp_post_id, status, counts)
            except FatalError:
                raise
            except UnrecognisedShape as exc:
                counts.error = f"comments not read: {exc}"
                self._report_shape_once(exc)
            except (PostError, TimeoutError) as exc:
                counts.error = f"comments stopped: {exc.__class__.__name__}: {exc}"
                log.warning("comments_failed", error_msg=counts.error)
            await self.store.record_comment_counts(
                item.id, found=counts.found, migrated=counts.migrated, secret=counts.secret,
                unreadable=counts.unreadable, waiting=counts.waiting, error=counts.error,
            )
        self.totals.add(item.canonical_url, counts)
        return counts

    async def refuse_post(self, item: Item, why: str) -> CommentCounts:
        """Leave a post's comments out of this pass, saying why (kept with its counts)."""
        known = await self.store.comments_of_item(item.id)
        counts = CommentCounts(migrated=sum(1 for r in known.values() if r.status == "created"), error=why)
        await self.store.record_comment_counts(
            item.id, found=0, migrated=counts.migrated, secret=0, unreadable=0, waiting=False, error=why
        )
        self.totals.add(item.canonical_url, counts)
        return counts

    def _report_shape_once(self, exc: UnrecognisedShape) -> None:
        if not self.totals.unrecognised_reported:
            self.totals.unrecognised_reported = True
            log.warning(
                "comments_shape_unrecognised",
                error_msg=f"Tistory's comment answer was not recognised ({exc}); comments of such posts "
                "are skipped (reported once per run)",
            )

    async def _sync(self, item: Item, post_id: int, wp_post_id: int, status: str, counts: CommentCounts) -> None:
        known = await self.store.comments_of_item(item.id)
        if status not in COMMENTABLE_STATUSES:
            counts.waiting = True
            counts.migrated = sum(1 for row in known.values() if row.status == "created")
            return
        found = await fetch_comments(self.source, self.origin, post_id)
        counts.found, counts.secret, counts.unreadable = len(found.comments), found.secret, found.unreadable
        await self._create_missing(item, post_id, wp_post_id, found, known, counts)

    async def _create_missing(
        self, item: Item, post_id: int, wp_post_id: int, found: PostComments, known: dict[int, CommentRow],
        counts: CommentCounts,
    ) -> None:
        wp_ids = {sid: row.wp_comment_id for sid, row in known.items() if row.status == "created"}
        in_wordpress: list[WpComment] | None = None  # listed once, only when an intent needs it
        for comment in found.comments:
            if comment.comment_id in wp_ids:
                continue
            parent_wp = 0
            if comment.parent_id is not None:
                if comment.parent_id not in wp_ids:
                    counts.unreadable += 1  # its parent is not here (unreadable, refused): never orphaned
                    continue
                parent_wp = wp_ids[comment.parent_id] or 0
            row = known.get(comment.comment_id)
            marker = comment_marker(post_id, comment.comment_id)
            adopted = None
            if row is not None and row.status == "creating":
                if in_wordpress is None:
                    in_wordpress = await self.wp.of_post(wp_post_id)
                adopted = _by_marker(in_wordpress, marker)
            created = adopted or await self._create(item, wp_post_id, comment, parent_wp, marker)
            if created is None:
                counts.unreadable += 1
                continue
            await self.store.record_comment_created(item.id, comment.comment_id, created.id)
            wp_ids[comment.comment_id] = created.id
            counts.created += int(adopted is None)
        counts.migrated = len(wp_ids)

    async def _create(
        self, item: Item, wp_post_id: int, comment: SourceComment, parent_wp: int, marker: str
    ) -> WpComment | None:
        """Create one comment (intent first); None when WordPress refuses this one comment."""
        await self.store.record_comment_intent(
            item.id, comment.comment_id, comment.parent_id, wp_post_id=wp_post_id, job_id=self.job_id
        )
        fields = {
            "post": wp_post_id,
            "parent": parent_wp,
            "author_name": comment.author_name,
            "author_url": comment.author_url,
            # WordPress requires an e-mail with a name (require_name_email) and refuses a second
            # comment with the same author, e-mail, parent and text; Tistory gives none. A reserved,
            # never-delivered address (RFC 2606 .invalid) unique to the comment satisfies both.
            "author_email": f"{marker}@tistory.invalid",
            "author_user_agent": marker,
            "date_gmt": comment.written.replace(tzinfo=None).isoformat(timespec="seconds"),
            "content": comment_html(comment.text),
            "status": "approved",
        }
        try:
            return await self._create_once(fields, wp_post_id, marker)
        except CommentRefused as exc:
            if exc.code == "comment_duplicate":
                # Identical to a comment WordPress holds (same author, text and parent): a comment
                # written twice on Tistory. Not created again; counted.
                await self.store.forget_comment(item.id, comment.comment_id)
                log.info("comment_duplicate_skipped", comment_id=comment.comment_id)
                return None
            if exc.code in ("rest_comment_draft_post", "rest_comment_trash_post", "rest_comment_invalid_post_id",
                            "rest_comment_closed"):
                raise  # the post cannot take comments now: stop this post's pass
            await self.store.forget_comment(item.id, comment.comment_id)
            log.warning("comment_refused", comment_id=comment.comment_id, error_msg=str(exc))
            return None

    async def _create_once(self, fields: dict[str, object], wp_post_id: int, marker: str) -> WpComment:
        attempt = slowed = 0
        while True:
            try:
                return await self.wp.create(fields)
            except TransientError as exc:
                if isinstance(exc, RateLimited) and exc.status == 429:
                    slowed += 1  # not acted on: send again without a lookup
                    if slowed > self.rate_limited_retries:
                        raise
                    await asyncio.sleep(self.wp.wp.http.retry_delay(slowed, exc))
                    continue
                attempt += 1
                found = await self.wp.find_by_marker(wp_post_id, marker)
                if found is not None:
                    log.info("lost_answer_recovered", what="comment", attempt=attempt)
                    return found
                if attempt > self.create_retries:
                    raise
                await asyncio.sleep(self.wp.wp.http.retry_delay(attempt, exc))


def _by_marker(comments: Iterable[WpComment], marker: str) -> WpComment | None:
    return next((c for c in comments if c.user_agent == marker and c.status != "trash"), None)

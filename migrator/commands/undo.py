"""`migrate undo --job N`: delete from WordPress what one job created, and make its posts pending again.

What a job created is known from the job database, never guessed: drafts whose intent the job
wrote (`items.created_by_job`), media it uploaded itself (`image_assets.job_id`, not reused from an
earlier upload), and categories/tags WordPress created for it (`terms.created_by_job`). Posts and
media of other jobs, media the job only reused, and terms that existed before are never touched.
Media the job uploaded that a post of another job uses now is kept (and handed to that job); a
created term is deleted only when no post in WordPress carries it any more (one kept for that reason
is looked at again by the next undo). Links that other
posts got pointed at the deleted drafts are put back to their Tistory addresses.

Every step is safe to repeat (a 404 means already gone) and the state is updated after each
deletion, so an undo cut short is finished by running it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from migrator.commands.rewrite_links import LinkReport, LinkRewriter
from migrator.config import Settings
from migrator.core.pipeline import media_marker
from migrator.errors import ConfigError, PostError
from migrator.state.store import CommentRow, Item, Job, StateStore, TermRow
from migrator.wiring import Network, open_clients, open_run
from migrator.wordpress.client import WordPressClient
from migrator.wordpress.comments import WpComments, comment_marker

__all__ = [
    "KeptMedia",
    "MediaToDelete",
    "UndoPlan",
    "UndoResult",
    "execute_undo",
    "plan_undo",
    "render_plan",
    "render_result",
    "run_undo",
]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class MediaToDelete:
    media_id: int | None  # None: an upload whose answer was never recorded (found by its marker)
    source_key: str
    filename: str | None
    media_url: str | None


@dataclass(frozen=True, slots=True)
class KeptMedia:
    media_id: int
    filename: str | None
    used_by: Item  # a post of another job that uses it


@dataclass(slots=True)
class UndoPlan:
    job: Job
    posts: list[Item] = field(default_factory=list)
    media: list[MediaToDelete] = field(default_factory=list)
    kept_media: list[KeptMedia] = field(default_factory=list)
    terms: list[TermRow] = field(default_factory=list)
    # Comments the job added to posts that stay (those of deleted posts go with them).
    comments: list[tuple[CommentRow, int | None]] = field(default_factory=list)  # (row, Tistory post id)
    already_undone: bool = False

    @property
    def empty(self) -> bool:
        return not (self.posts or self.media or self.terms or self.comments)


@dataclass(slots=True)
class UndoResult:
    job_id: int
    posts_deleted: int = 0
    comments_deleted: int = 0
    media_deleted: int = 0
    terms_deleted: list[str] = field(default_factory=list)
    terms_kept: list[tuple[str, str]] = field(default_factory=list)  # (term, why)
    links: LinkReport | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.errors


async def plan_undo(store: StateStore, job_id: int) -> UndoPlan:
    """What `undo` would delete. Raises ConfigError for an unknown job."""
    job = await store.get_job(job_id)
    if job is None:
        raise ConfigError(f"there is no job {job_id} in {store.path} (see `migrate status`)")
    plan = UndoPlan(job=job, already_undone=job_id in await store.undone_jobs())
    plan.posts = await store.items_created_by_job(job_id)
    undone_items = {i.id for i in plan.posts}
    for row in await store.comments_created_by_job(job_id):
        if row.item_id not in undone_items:
            item = await store.get_item(row.item_id)
            plan.comments.append((row, item.post_id if item else None))
    seen: set[int] = set()
    for asset in await store.media_uploaded_by_job(job_id):
        if asset.media_id is None:
            plan.media.append(MediaToDelete(None, asset.source_key, asset.filename, None))
            continue
        if asset.media_id in seen:
            continue
        seen.add(asset.media_id)
        other = _other_user(await store.items_using_media(asset.media_id), undone_items)
        if other is not None:
            plan.kept_media.append(KeptMedia(asset.media_id, asset.filename, other))
        else:
            plan.media.append(
                MediaToDelete(asset.media_id, asset.source_key, asset.filename, asset.media_url)
            )
    # Terms of jobs undone before that were kept because this job's posts used them go too now.
    terms = await store.terms_created_by_job(job_id)
    for undone_job in await store.undone_jobs():
        if undone_job != job_id:
            terms += await store.terms_created_by_job(undone_job)
    # Deepest categories first: a parent can go only once its children are gone.
    plan.terms = sorted(terms, key=lambda t: (t.taxonomy, -t.key.count("/")))
    return plan


def _other_user(users: list[Item], undone: set[int]) -> Item | None:
    """A post outside the undo that shows this media in WordPress."""
    for user in users:
        if user.id not in undone and user.wp_post_id is not None:
            return user
    return None


async def execute_undo(
    store: StateStore, wp: WordPressClient, plan: UndoPlan, *, workers: int = 4
) -> UndoResult:
    """Delete what the plan lists. Raises FatalError (credentials); other failures are in the result."""
    result = UndoResult(plan.job.id)
    comments = WpComments(wp)
    for row, post_id in plan.comments:
        try:
            result.comments_deleted += await _delete_comment(store, comments, row, post_id)
        except PostError as exc:
            result.errors.append(f"comment {row.wp_comment_id or row.source_id}: {exc}")
    for item in plan.posts:
        try:
            await _delete_post(store, wp, item)
            result.posts_deleted += 1
        except PostError as exc:
            result.errors.append(f"post {item.canonical_url}: {exc}")
    for media in plan.media:
        try:
            result.media_deleted += await _delete_media(store, wp, media)
        except PostError as exc:
            result.errors.append(f"media {media.filename or media.source_key}: {exc}")
    for kept in plan.kept_media:
        # Another job's post uses it now: it is that job's to undo.
        await store.reassign_media(
            kept.media_id,
            owner_item_id=kept.used_by.id,
            job_id=kept.used_by.created_by_job or kept.used_by.job_id,
        )
    for term in plan.terms:
        try:
            await _delete_term(store, wp, term, result)
        except PostError as exc:
            result.errors.append(f"{_term_label(term)}: {exc}")
    affected = await store.items_linking_to_unmigrated()
    if affected:
        try:
            result.links = await LinkRewriter(store, wp, workers=workers).run(only=affected)
            result.errors += [f"links of {url}: {err}" for url, err in result.links.errors]
        except PostError as exc:
            result.errors.append(f"links: {exc}")
    if result.complete:
        await store.mark_job_undone(plan.job.id)
    log.info(
        "job_undone",
        job_id=plan.job.id,
        posts=result.posts_deleted,
        media=result.media_deleted,
        terms=len(result.terms_deleted),
        errors=len(result.errors),
    )
    return result


async def _delete_post(store: StateStore, wp: WordPressClient, item: Item) -> None:
    if item.wp_post_id:
        await wp.delete_post(item.wp_post_id, kind=item.kind)
    if item.post_intent and item.marker:
        # A create whose answer was never recorded may still have made a draft.
        for post in await wp.find_posts_by_marker(item.marker, kind=item.kind):
            await wp.delete_post(post.id, kind=item.kind)
    await store.reset_item_for_undo(item.id)
    await store.forget_comments_of_item(item.id)  # WordPress deleted them with the post
    log.info("post_undone", source_url=item.canonical_url, wp_post_id=item.wp_post_id)


async def _delete_media(store: StateStore, wp: WordPressClient, media: MediaToDelete) -> int:
    deleted = 0
    if media.media_id is not None:
        deleted += int(await wp.delete_media(media.media_id))
        await store.reset_assets_of_media(media.media_id)
        return max(deleted, 1)
    for found in await wp.find_media_by_marker(media_marker(media.source_key)):
        deleted += int(await wp.delete_media(found.id))
    asset = await store.asset_by_source_key(media.source_key)
    if asset is not None:
        await store.reset_asset(asset.id)
    return deleted


async def _delete_comment(store: StateStore, comments: WpComments, row: CommentRow, post_id: int | None) -> int:
    deleted = 0
    if row.wp_comment_id is not None:
        deleted += int(await comments.delete(row.wp_comment_id))
    elif post_id is not None:  # a create whose answer was never recorded: found by its marker
        found = await comments.find_by_marker(row.wp_post_id, comment_marker(post_id, row.source_id))
        if found is not None:
            deleted += int(await comments.delete(found.id))
    await store.forget_comment(row.item_id, row.source_id)
    await store.clear_comment_counts(row.item_id)  # the next `migrate comments` counts them anew
    return deleted


def _term_label(term: TermRow) -> str:
    return f"{'category' if term.taxonomy == 'categories' else 'tag'} {term.key}"


async def _delete_term(store: StateStore, wp: WordPressClient, term: TermRow, result: UndoResult) -> None:
    label = _term_label(term)
    if await wp.get_term(term.taxonomy, term.wp_id) is None:
        await store.forget_term(term.taxonomy, term.key)  # deleted in WordPress meanwhile
        return
    users = await wp.count_posts_with_term(term.taxonomy, term.wp_id)
    if users:
        result.terms_kept.append((label, f"{users} other post{'s' if users != 1 else ''} use it"))
        return
    if term.taxonomy == "categories" and await wp.count_child_terms(term.wp_id):
        result.terms_kept.append((label, "it has subcategories another job uses"))
        return
    await wp.delete_term(term.taxonomy, term.wp_id)
    await store.forget_term(term.taxonomy, term.key)
    result.terms_deleted.append(label)


# --------------------------------------------------------------------------- text
def render_plan(plan: UndoPlan, *, max_listed: int = 50) -> str:
    job = plan.job
    lines = [
        f"Job {job.id} ({job.kind}, {job.status}{', undone before' if plan.already_undone else ''}) "
        f"created in WordPress:"
    ]
    if plan.empty:
        lines.append("  nothing that is still there: nothing to undo.")
        return "\n".join(lines)
    if plan.comments:
        lines.append(f"  {len(plan.comments)} comments it added to posts of other jobs, to delete")
    lines.append(f"  {len(plan.posts)} drafts to delete:")
    for item in plan.posts[:max_listed]:
        wp_id = f"post {item.wp_post_id}" if item.wp_post_id else "unrecorded draft (found by its marker)"
        lines.append(f"    {wp_id}: {item.title or '(untitled)'}  <- {item.canonical_url}")
    if len(plan.posts) > max_listed:
        lines.append(f"    … and {len(plan.posts) - max_listed} more")
    lines.append(f"  {len(plan.media)} media files to delete")
    for media in plan.media[:max_listed]:
        lines.append(f"    media {media.media_id or '(unrecorded)'}: {media.filename or media.source_key}")
    if len(plan.media) > max_listed:
        lines.append(f"    … and {len(plan.media) - max_listed} more")
    if plan.kept_media:
        lines.append(f"  {len(plan.kept_media)} media files it uploaded stay (posts of other jobs use them):")
        for kept in plan.kept_media[:max_listed]:
            lines.append(f"    media {kept.media_id}: used by {kept.used_by.canonical_url}")
    if plan.terms:
        lines.append(
            f"  {len(plan.terms)} categories/tags it created, deleted unless another post uses them:"
        )
        lines.append("    " + ", ".join(f"{t.key}" for t in plan.terms[:max_listed]))
    lines.append("The posts become pending again: a later `migrate --all` migrates them anew.")
    return "\n".join(lines)


def render_result(result: UndoResult) -> str:
    lines = [
        f"Job {result.job_id}: deleted {result.posts_deleted} drafts, {result.media_deleted} "
        f"media files, {len(result.terms_deleted)} categories/tags"
        + (f", {result.comments_deleted} comments." if result.comments_deleted else ".")
    ]
    for label, why in result.terms_kept:
        lines.append(f"  kept {label}: {why}")
    if result.links is not None and (result.links.reverted or result.links.posts_updated):
        lines.append(f"  {result.links.reverted} links in other posts put back to their Tistory address")
    if result.errors:
        lines.append("Not finished (run the same undo again):")
        lines += [f"  {e}" for e in result.errors]
    return "\n".join(lines)


async def run_undo(
    settings: Settings,
    job_id: int,
    *,
    confirm: Callable[[UndoPlan], bool],
    network: Network | None = None,
    show: Callable[[str], object] | None = None,
) -> tuple[UndoPlan, UndoResult | None]:
    """`migrate undo`: plan, show the plan (`show(text)`), ask `confirm(plan)`, then delete.

    Holds the database lock (no run may go on meanwhile). Returns the plan and the result (None when
    there was nothing to do or the operator said no). Raises ConfigError (unknown job), FatalError.
    """

    # The plan is shown (and refused) without touching the network; WordPress is opened on "yes".
    async with open_run(settings, network, connect=False) as run:
        await run.store.close_dead_jobs()
        plan = await plan_undo(run.store, job_id)
        if show is not None:
            show(render_plan(plan))
        if plan.empty or not confirm(plan):
            return plan, None
        async with open_clients(settings, network) as clients:
            await clients.wp.check_auth()
            return plan, await execute_undo(run.store, clients.wp, plan, workers=settings.worker_count)

"""What migrating one post came to (`Outcome`), what a run did (`RunCounters`, counted by the engine
alone, from the outcomes), and what the engine needs from a migrator (`Migrator`).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

from migrator.models import MissingFile, PostRef

__all__ = ["MediaCounts", "Migrator", "Outcome", "OutcomeKind", "RunCounters"]

# The lists kept for the summary stop growing here (a run over a huge blog keeps flat memory).
_LISTED = 1000


class OutcomeKind(enum.StrEnum):
    COMPLETED = "completed"        # migrated by this run
    ALREADY_DONE = "already_done"  # migrated by an earlier run (its missing files may have been retried)
    FAILED = "failed"              # tried again by the next run
    SKIPPED = "skipped"            # not readable (protected, private, deleted): nothing to retry
    DUPLICATE = "duplicate"        # another reference to a post this run handles: counted there


@dataclass(slots=True)
class MediaCounts:
    """The files of one post, tallied while they are synced (a post that fails half-way keeps the
    count of what it uploaded before, as the summary always did)."""

    images_uploaded: int = 0
    images_reused: int = 0
    attachments_uploaded: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything the counters need to know about one post."""

    kind: OutcomeKind
    url: str
    wp_post_id: int | None = None
    reason: str | None = None       # why it failed or was skipped
    skip_kind: str | None = None    # the group a skip is counted under in summaries
    media: MediaCounts = field(default_factory=MediaCounts)
    missing: tuple[MissingFile, ...] = ()  # files the post was migrated without
    files_recovered: int = 0        # missing files of an earlier run that came back


class Migrator(Protocol):
    """What the Engine runs: the real `PostMigrator` and `DryRunMigrator` both are one."""

    # Cleared by a forced abort: an in-flight post is then left for the resume, not rolled back.
    rollback_on_cancel: bool

    @property
    def rechecks_skipped(self) -> bool:
        """True when posts skipped by an earlier run are handed over again (to be read once more)."""
        ...

    async def migrate(self, ref: PostRef) -> Outcome:
        """Migrate one post. PostError never escapes (it is the outcome); FatalError and cancellation do."""
        ...


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

    def record(self, outcome: Outcome) -> None:
        """Count one post's outcome (called by the engine only)."""
        if outcome.kind == OutcomeKind.COMPLETED:
            self.completed += 1
        elif outcome.kind == OutcomeKind.ALREADY_DONE:
            self.already_done += 1
        elif outcome.kind == OutcomeKind.FAILED:
            self.note_failure(outcome.url, outcome.reason or "unknown error")
        elif outcome.kind == OutcomeKind.SKIPPED:
            self.note_skip(outcome.url, outcome.skip_kind or outcome.reason or "skipped")
        self.images_uploaded += outcome.media.images_uploaded
        self.images_reused += outcome.media.images_reused
        self.attachments_uploaded += outcome.media.attachments_uploaded
        self.note_missing(outcome.url, outcome.missing)
        self.files_recovered += outcome.files_recovered

    def note_failure(self, url: str, reason: str) -> None:
        self.failed += 1
        if len(self.failures) < _LISTED:
            self.failures.append((url, reason))

    def note_missing(self, post_url: str, files: tuple[MissingFile, ...] | list[MissingFile]) -> None:
        if not files:
            return
        self.posts_with_missing_files += 1
        for f in files:
            if len(self.missing_files) < _LISTED:
                self.missing_files.append((post_url, f.url, f.reason))

    def note_skip(self, url: str, reason: str) -> None:
        self.skipped += 1
        self.skip_reasons[reason] += 1
        if len(self.skipped_posts) < _LISTED:
            self.skipped_posts.append((url, reason))

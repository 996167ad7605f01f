"""The reading half of migrating a post: one page request, then what the answer proves.

Shared by the real and the dry-run migrator. It writes nothing (no store write, no counter): it
returns what the page told, and the migrator decides what to record.

- `Readable`: the page parsed (its body may still have failed to clean: `parsed.body` is None then);
- `Unreadable`: clear evidence the post cannot be read (404/410, Tistory's error page, the
  protected block, a page without the post's data): skipped, not retried until it changes;
- `NotRead`: the answer proved nothing (a server error, 429, timeout or reset that outlasted the
  retries, an unexpected status): the post fails and the next run tries again.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from migrator.core import offload
from migrator.errors import FatalError, PostError
from migrator.models import PostRef
from migrator.tistory import parse as parsing
from migrator.tistory.source import GONE_STATUSES, SourceClient

__all__ = ["NotRead", "PageReading", "PostReader", "Readable", "Unreadable", "skip_kind"]


@dataclass(frozen=True, slots=True)
class Readable:
    parsed: offload.ParsedPage  # `source` is set; `body` is None when cleaning failed (see `error`)
    page_url: str               # where the page was finally read (after redirects)
    fetch_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Unreadable:
    reason: str
    kind: str                   # the group it is counted under in summaries
    post_id: int | None         # known from the reference or the page
    fetch_s: float = 0.0


@dataclass(frozen=True, slots=True)
class NotRead:
    reason: str


PageReading = Readable | Unreadable | NotRead


class PostReader:
    """Reads posts' pages; parsing runs in the CPU pool. Reading counts against the post's time budget
    too (a hostile page must not hold a worker outside it)."""

    def __init__(self, *, source: SourceClient, cpu: offload.CpuPool, timeout_s: float) -> None:
        self.source = source
        self.cpu = cpu
        self.timeout_s = timeout_s

    async def read(self, ref: PostRef) -> PageReading:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout_s):
                page = await self.source.fetch_page(ref.url)
                fetch_s = time.monotonic() - started
                parsed = (
                    await self.cpu.run(offload.parse_page, page.text, page.url, ref.kind)
                    if page.status == 200 else None
                )
        except FatalError:
            raise
        except TimeoutError:
            return NotRead(f"TransientError: reading the page took longer than {self.timeout_s:g} s")
        except PostError as exc:
            return NotRead(f"{exc.__class__.__name__}: {exc}")
        private = _login_wall(ref, page.status, page.url)
        if private is not None:
            return Unreadable(private, "private", ref.post_id, fetch_s)
        if parsed is None:
            reason = _unreadable_answer(ref, page.status, page.text)
            if reason is None:
                return NotRead(f"PermanentError: unexpected answer for a post page (HTTP {page.status})")
            return Unreadable(reason, reason.split(" (")[0], ref.post_id, fetch_s)
        if parsed.skip_reason is not None:
            return Unreadable(parsed.skip_reason, skip_kind(parsed.skip_reason), ref.post_id or parsed.post_id,
                              fetch_s)
        if parsed.source is None:
            return NotRead(parsed.error or "unreadable page")
        return Readable(parsed, page.url, fetch_s)


def _login_wall(ref: PostRef, status: int, final_url: str) -> str | None:
    """A private post asks a guest to log in: Tistory answers 401, or redirects to its login page
    (docs/tistory.md §5). That is clear evidence, not a fault: skipped, and read again next run."""
    if status == 401:
        return "private (HTTP 401: the post needs a login)"
    if final_url.rstrip("/") != ref.url.rstrip("/"):  # redirected: to a login page?
        segments = {s.lower() for s in urlsplit(final_url).path.split("/")}
        if segments & {"login", "auth", "signin"}:
            return "private (redirected to a login page)"
    return None


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

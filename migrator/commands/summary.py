"""Human-readable output built from a run's results: the end-of-run summary."""

from __future__ import annotations

from typing import Any

from migrator.commands.rewrite_links import render_link_report
from migrator.core.progress import duration_text
from migrator.models import JobStatus
from migrator.safe_output import terminal_safe

__all__ = ["duration_text", "render_summary", "summary_dict"]

_STATUS_TEXT = {
    JobStatus.COMPLETED: "finished",
    JobStatus.COMPLETED_WITH_FAILURES: "finished with failed posts",
    JobStatus.INTERRUPTED: "interrupted (run `migrate --all` again to resume)",
    JobStatus.ABORTED: "aborted",
}


def summary_dict(report: Any) -> dict[str, Any]:
    c = report.counters
    minutes = max(report.elapsed_s, 1e-6) / 60.0
    return {
        "job_id": report.job_id,
        "status": str(report.status),
        "discovered": c.discovered,
        "migrated": c.completed,
        "already_done": c.already_done,
        "skipped": c.skipped,
        "skip_reasons": dict(c.skip_reasons),
        "failed": c.failed,
        "failures": [{"url": u, "reason": r} for u, r in c.failures],
        "images_uploaded": c.images_uploaded,
        "images_reused": c.images_reused,
        "attachments_uploaded": c.attachments_uploaded,
        "posts_with_missing_files": c.posts_with_missing_files,
        "missing_files": [{"post_url": p, "url": u, "reason": r} for p, u, r in c.missing_files],
        "files_recovered": c.files_recovered,
        "elapsed_s": round(report.elapsed_s, 1),
        "posts_per_min": round(c.completed / minutes, 1),
        "discovery": report.discovery,
        "error": str(report.fatal) if report.fatal else None,
        "links": report.links.as_dict() if getattr(report, "links", None) is not None else None,
        "comments": _comments_dict(getattr(report, "comments", None)),
    }


def _comments_dict(totals: Any) -> dict[str, Any] | None:
    if totals is None:
        return None
    return {
        "posts": totals.posts,
        "created": totals.created,
        "migrated": totals.migrated,
        "secret": totals.secret,
        "unreadable": totals.unreadable,
        "posts_waiting": totals.waiting_posts,
        "failed_posts": [{"url": u, "reason": r} for u, r in totals.failed_posts],
    }


def _comment_lines(d: dict[str, Any] | None, max_listed: int) -> list[str]:
    if not d or not d["posts"]:
        return []
    line = (
        f"  comments     {d['created']} added ({d['migrated']} in WordPress), {d['secret']} secret "
        f"(not readable by guests), {d['unreadable']} unreadable"
    )
    if d["posts_waiting"]:
        line += f"; {d['posts_waiting']} drafts wait (publish, then `migrate comments`)"
    failed = [f"{f['url']}: {f['reason']}" for f in d["failed_posts"]]
    return [line, *_listed("Posts whose comments stopped early (`migrate comments` goes on):", failed,
                           max_listed, "migrate report")]


def render_summary(report: Any, *, max_listed: int = 20) -> str:
    d = summary_dict(report)
    status_text = _STATUS_TEXT.get(report.status, d["status"])
    if report.status == JobStatus.COMPLETED and d["posts_with_missing_files"]:
        status_text = (
            f"finished: every post migrated, {d['posts_with_missing_files']} of them with missing files "
            "(listed below; not an error)"
        )
    lines = [
        f"Job {d['job_id']} {status_text} in {duration_text(d['elapsed_s'], decimals=1)}.",
        f"  discovered   {d['discovered']}",
        f"  migrated     {d['migrated']}  ({d['posts_per_min']} posts/min)",
        f"  already done {d['already_done']}  (migrated by an earlier run, not fetched again)",
        f"  skipped      {d['skipped']}"
        + (
            "  (" + ", ".join(f"{k}: {v}" for k, v in sorted(d["skip_reasons"].items())) + ")"
            if d["skip_reasons"]
            else ""
        ),
        f"  failed       {d['failed']}",
        f"  images       {d['images_uploaded']} uploaded, {d['images_reused']} reused"
        + (f"; {d['attachments_uploaded']} attachments uploaded" if d["attachments_uploaded"] else ""),
    ]
    lines += _comment_lines(d["comments"], max_listed)
    found = (d["discovery"] or {}).get("found_by_source") or {}
    if found:
        lines.append("  found by     " + ", ".join(f"{k} {v}" for k, v in found.items()))
    skipped = [f"{u}: {r}" for u, r in report.counters.skipped_posts if "earlier run" not in r]
    lines += _listed(
        "Skipped posts (not migrated, not errors):", skipped, max_listed, "migrate report --state skipped"
    )
    lines += _missing_files(d, max_listed)
    if d["files_recovered"]:
        lines.append(f"Files that came back since an earlier run: {d['files_recovered']} (their posts were updated)")
    failures = [f"{f['url']}: {f['reason']}" for f in d["failures"]]
    lines += _listed("Failed posts:", failures, max_listed, "migrate report")
    if d["error"]:
        lines.append(f"Stopped by: {d['error']}")
    if getattr(report, "links", None) is not None:
        lines.append(render_link_report(report.links, max_listed=max_listed))
    return terminal_safe("\n".join(lines))  # reasons and URLs come from pages anyone can write


def _listed(title: str, entries: list[str], max_listed: int, see: str) -> list[str]:
    if not entries:
        return []
    lines = [title, *(f"  {e}" for e in entries[:max_listed])]
    if len(entries) > max_listed:
        lines.append(f"  … and {len(entries) - max_listed} more (see `{see}`)")
    return lines


def _missing_files(d: dict[str, Any], max_listed: int) -> list[str]:
    if not d["missing_files"]:
        return []
    lines = [
        f"Migrated with missing files ({d['posts_with_missing_files']} posts; their links keep the Tistory "
        "address; the next run tries these files again):"
    ]
    post = None
    for entry in d["missing_files"][: max_listed * 3]:
        if entry["post_url"] != post:
            post = entry["post_url"]
            lines.append(f"  {post}")
        lines.append(f"    {entry['url']}: {entry['reason']}")
    if len(d["missing_files"]) > max_listed * 3:
        lines.append("  … and more (see `migrate report --state missing_files`)")
    return lines

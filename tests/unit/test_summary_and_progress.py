"""What the user reads: the end-of-run summary and the live progress line."""

from __future__ import annotations

from types import SimpleNamespace

from migrator.commands.migrate import RunReport
from migrator.commands.rewrite_links import LeftLink, LinkReport
from migrator.commands.summary import duration_text, render_summary, summary_dict
from migrator.core.pipeline import RunCounters
from migrator.core.progress import Progress
from migrator.models import JobStatus


def counters() -> RunCounters:
    c = RunCounters(discovered=12, completed=7, already_done=2, images_uploaded=9, images_reused=3)
    c.note_failure("https://b.tistory.com/5", "HTTP 500 from WordPress")
    c.note_skip("https://b.tistory.com/6", "protected")
    c.note_skip("https://b.tistory.com/8", "deleted")
    return c


def report(**kw: object) -> RunReport:
    base: dict[str, object] = {
        "job_id": 3,
        "status": JobStatus.COMPLETED_WITH_FAILURES,
        "counters": counters(),
        "elapsed_s": 125.0,
        "discovery": {"found_by_source": {"sitemap": 10, "list": 2}},
    }
    base.update(kw)
    return RunReport(**base)  # type: ignore[arg-type]


def test_summary_lists_every_outcome_with_reasons_and_urls() -> None:
    text = render_summary(report())
    assert text.splitlines()[0] == "Job 3 finished with failed posts in 2 min 5 s."
    assert "  discovered   12" in text
    assert "  migrated     7  (3.4 posts/min)" in text
    assert "  already done 2" in text
    assert "  skipped      2  (deleted: 1, protected: 1)" in text
    assert "  failed       1" in text
    assert "  images       9 uploaded, 3 reused" in text
    assert "  found by     sitemap 10, list 2" in text
    assert "  https://b.tistory.com/5: HTTP 500 from WordPress" in text
    assert "  https://b.tistory.com/6: protected" in text


def test_summary_caps_long_lists_and_says_where_the_rest_is() -> None:
    c = RunCounters()
    for n in range(30):
        c.note_failure(f"https://b.tistory.com/{n}", "boom")
    text = render_summary(report(counters=c), max_listed=5)
    assert text.count(": boom") == 5
    assert "… and 25 more (see `migrate report`)" in text


def test_summary_shows_the_link_pass_once() -> None:
    links = LinkReport(posts_checked=4, posts_updated=2, rewritten=3)
    links.left.append(LeftLink("https://b.tistory.com/1", "https://b.tistory.com/99", "target not migrated"))
    text = render_summary(report(links=links))
    assert text.count("Internal links:") == 1
    assert summary_dict(report(links=links))["links"]["links_rewritten"] == 3


def test_summary_dict_is_plain_data() -> None:
    d = summary_dict(report(status=JobStatus.COMPLETED))
    assert (d["job_id"], d["status"], d["migrated"], d["failed"], d["skipped"]) == (3, "completed", 7, 1, 2)
    assert d["failures"] == [{"url": "https://b.tistory.com/5", "reason": "HTTP 500 from WordPress"}]


def test_duration_text() -> None:
    assert duration_text(41.26) == "41 s"
    assert duration_text(41.26, decimals=1) == "41.3 s"
    assert duration_text(192) == "3 min 12 s"
    assert duration_text(7500) == "2 h 5 min"
    assert [duration_text(s, compact=True) for s in (41.7, 192, 7500)] == ["41s", "3m12s", "2h05m"]


def test_progress_line_before_and_after_discovery_ends() -> None:
    c = counters()
    progress = Progress(c, live=False)
    engine = SimpleNamespace(discovery_done=False)
    progress.attach(engine)
    line = progress.line()
    assert line.startswith("9/12+ done, 1 failed, 2 skipped, 9+3 img, ")
    assert "ETA" not in line  # unknown while posts are still being found
    engine.discovery_done = True
    progress.started -= 60.0  # one minute in: 7 migrated → 7/min, 12 - 7 - 1 - 2 - 2 = 0 left
    c.discovered = 19  # 7 more to go at 7/min
    line = progress.line()
    assert line.startswith("9/19 done, ")
    assert line.endswith("7/min, ETA 1m00s")


def test_progress_line_fits_an_80_column_terminal_on_a_big_run() -> None:
    c = RunCounters(discovered=123_456, completed=98_765, failed=1_234, skipped=5_678, already_done=1_000,
                    images_uploaded=234_567, images_reused=34_567)
    progress = Progress(c, live=False)
    progress.attach(SimpleNamespace(discovery_done=True))
    progress.started -= 3 * 3600
    line = progress.line()
    assert line.startswith("99.8k/123k done, 1234 failed, 5678 skipped, 234k+34.6k img, ")
    assert len(line) < 80  # the live display is this line alone: it never wraps on an 80-column terminal


def test_progress_line_leaves_out_zero_failures_and_skips() -> None:
    progress = Progress(RunCounters(discovered=2000, completed=1500, images_uploaded=2700), live=False)
    progress.attach(SimpleNamespace(discovery_done=False))
    assert progress.line().startswith("1500/2000+ done, 2700+0 img, ")

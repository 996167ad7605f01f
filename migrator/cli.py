"""The `migrate` command: parses flags into Settings, runs one coroutine, maps the outcome to an exit code.

Exit codes: 0 all done, 1 finished with failed posts (or stopped by a fatal error mid-run),
2 configuration or usage error (bad credentials, and a WP_BASE_URL that is not a usable WordPress:
unreachable, redirecting, REST API blocked, found before the blog is touched), 130 interrupted.
The subcommands (rewrite-links, redirects, undo, status, report) use the same codes: 1 when some
post could not be updated or deleted (undo: also when the operator said no), 2 for a bad option,
bad credentials, an unknown job or a missing or busy job database.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from migrator.config import Settings, load_settings, settings_warnings
from migrator.errors import AuthError, ConfigError, FatalError, PostError, SiteError, StateError
from migrator.logs import configure_logging
from migrator.models import JobStatus

__all__ = ["cli", "main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"migrate: error: {message}", err=True)
    sys.exit(code)


def _settings(
    ctx: click.Context,
    *,
    need_blog: bool = True,
    need_wordpress: bool = True,
    blog_url_hint: str | None = None,
) -> Settings:
    opts = ctx.find_root().params
    flags = {
        "TISTORY_BLOG_URL": opts.get("blog_url"),
        "WP_BASE_URL": opts.get("wp_url"),
        "WP_APP_USER": opts.get("wp_user"),
        "WORKER_COUNT": None if opts.get("workers") is None else str(opts["workers"]),
        "RATE_LIMIT": None if opts.get("rate_limit") is None else str(opts["rate_limit"]),
        "MIGRATION_DB_PATH": opts.get("db"),
        "WP_POST_STATUS": opts.get("post_status"),
        "CONTENT_FORMAT": opts.get("content_format"),
    }
    try:
        settings = load_settings(
            flags,
            dotenv_path=Path(opts.get("env_file") or ".env"),
            need_blog=need_blog,
            need_wordpress=need_wordpress,
            blog_url_hint=blog_url_hint,
        )
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
        raise  # unreachable; keeps type checkers happy
    if need_wordpress:
        for warning in settings_warnings(settings):
            click.echo(f"migrate: warning: {warning}", err=True)
    return settings


def _configure_logs(ctx: click.Context, settings: Settings | None = None) -> None:
    opts = ctx.find_root().params
    secrets = (
        (settings.wp_app_password, settings.telegram_bot_token or "", settings.webhook_url or "")
        if settings
        else ()
    )
    configure_logging(
        json_lines=bool(opts.get("log_json")),
        verbose=bool(opts.get("verbose")),
        quiet=bool(opts.get("quiet")),
        secrets=secrets,
    )


@click.group(invoke_without_command=True, context_settings=CONTEXT_SETTINGS)
@click.option("--all", "all_posts", is_flag=True, help="Migrate every public post of the blog.")
@click.option(
    "--post",
    "post_urls",
    multiple=True,
    metavar="URL",
    help="Migrate one post or static page (any URL form: /123, /entry/<slug>, /m/123, /pages/<slug>). "
    "Repeatable.",
)
@click.option("--blog-url", metavar="URL", help="The Tistory blog [env TISTORY_BLOG_URL].")
@click.option("--wp-url", metavar="URL", help="The WordPress site [env WP_BASE_URL].")
@click.option(
    "--wp-user",
    metavar="NAME",
    help="WordPress user [env WP_APP_USER]. The application password "
    "is read only from WP_APP_PASSWORD (environment or .env), never from a flag.",
)
@click.option("--workers", type=int, metavar="N", help="Concurrent posts [env WORKER_COUNT, default 4].")
@click.option(
    "--rate-limit",
    type=float,
    metavar="R",
    help="Requests per second to each remote host, 0 = no cap [env RATE_LIMIT, default 2].",
)
@click.option("--db", metavar="PATH", help="Job database [env MIGRATION_DB_PATH, default ./migration.db].")
@click.option(
    "--status",
    "post_status",
    metavar="STATUS",
    help="Create posts as draft, pending, private or publish (publish keeps the Tistory date, so they "
    "appear published at that date). Comments come along with every status but draft "
    "[env WP_POST_STATUS, default draft].",
)
@click.option(
    "--content-format",
    type=click.Choice(["blocks", "html"]),
    help="Post content as block-editor blocks, or as plain HTML (one Classic block in the editor) "
    "[env CONTENT_FORMAT, default blocks].",
)
@click.option("--env-file", metavar="PATH", default=".env", show_default=True, help="Settings file.")
@click.option(
    "--probe-ids",
    is_flag=True,
    help="Also try every id from 1 to the newest one (finds posts no listing shows; slow).",
)
@click.option(
    "--retry-failed/--no-retry-failed",
    default=True,
    show_default=True,
    help="Try posts that failed in earlier runs again (while MAX_ATTEMPTS allows).",
)
@click.option("--reset-attempts", is_flag=True, help="Forget earlier failed attempts (with --retry-failed).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Discover, fetch, parse and clean, then report what would be created (posts, categories, "
    "tags, images) and how long the real run would take. Writes nothing to WordPress.",
)
@click.option("--log-json", is_flag=True, help="Structured JSON log lines on stderr.")
@click.option("--no-progress", is_flag=True, help="No live progress display, even on a terminal.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.option("-q", "--quiet", is_flag=True, help="Warnings and errors only.")
@click.version_option(package_name="migrator", prog_name="migrate")
@click.pass_context
def cli(ctx: click.Context, all_posts: bool, post_urls: tuple[str, ...], **_: Any) -> None:
    """Move a Tistory blog into WordPress as drafts, crash-safe and resumable.

    \b
      migrate --all                                   the whole blog
      migrate --post=https://name.tistory.com/123     one post
      migrate --all                                   again after a crash or Ctrl-C: resumes
      migrate --all --dry-run                         what would be created, and how long it takes
      migrate status                                  jobs and progress (also during a run)
    """
    if ctx.invoked_subcommand is not None:
        return
    if all_posts == bool(post_urls):
        click.echo(ctx.get_help(), err=True)
        _fail("say what to migrate: --all or --post=URL (not both)", EXIT_USAGE)
    hint = _origin_of(post_urls[0]) if post_urls else None
    settings = _settings(ctx, blog_url_hint=hint)
    _configure_logs(ctx, settings)
    if ctx.params.get("dry_run"):
        sys.exit(_run_dry_run(ctx, settings, post_urls))
    sys.exit(_run_migrate(ctx, settings, post_urls))


def _origin_of(url: str) -> str | None:
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    _fail(f"--post needs a full post URL such as https://name.tistory.com/123, got {url!r}", EXIT_USAGE)
    return None


def _run_options(ctx: click.Context, post_urls: tuple[str, ...], settings: Settings) -> Any:
    from migrator.commands.migrate import RunOptions

    opts = ctx.find_root().params
    return RunOptions(
        post_urls=tuple(post_urls),
        post_status=settings.post_status,
        probe_ids=bool(opts.get("probe_ids")),
        retry_failed=bool(opts.get("retry_failed", True)),
        reset_failed=bool(opts.get("reset_attempts")),
    )


class _ProgressHooks:
    """The engine's on_start/on_tick callbacks, driving the progress display of a real or dry run."""

    def __init__(self, ctx: click.Context) -> None:
        opts = ctx.find_root().params
        self.show = not opts.get("no_progress") and not opts.get("log_json") and sys.stderr.isatty()
        self.progress: Any = None

    def on_start(self, engine: Any) -> None:
        from migrator.core.progress import Progress

        self.progress = Progress(engine.counters, live=self.show)
        self.progress.attach(engine)

    def on_tick(self) -> None:
        if self.progress is not None:
            self.progress.tick()

    def close(self) -> None:
        if self.progress is not None:
            self.progress.close()


def _run_migrate(ctx: click.Context, settings: Settings, post_urls: tuple[str, ...]) -> int:
    from migrator.commands.migrate import run_migration
    from migrator.commands.notify import notify_run_end
    from migrator.commands.summary import render_summary

    options = _run_options(ctx, post_urls, settings)
    hooks = _ProgressHooks(ctx)

    async def migrate_and_notify() -> Any:
        report = await run_migration(settings, options, on_start=hooks.on_start, on_tick=hooks.on_tick)
        await notify_run_end(settings, report)
        return report

    try:
        report = _run_async(migrate_and_notify)
    finally:
        hooks.close()
    click.echo(render_summary(report))
    if report.status == JobStatus.INTERRUPTED:
        return EXIT_INTERRUPTED
    if report.status == JobStatus.ABORTED:
        if isinstance(report.fatal, AuthError | ConfigError | SiteError):
            return EXIT_USAGE
        return EXIT_FAILED
    if report.status == JobStatus.COMPLETED_WITH_FAILURES:
        return EXIT_FAILED
    return EXIT_OK


# ---- issue 5: --dry-run and the subcommands run after (or beside) a migration
def _run_dry_run(ctx: click.Context, settings: Settings, post_urls: tuple[str, ...]) -> int:
    from migrator.commands.dryrun import render_dry_run, run_dry_run

    options = _run_options(ctx, post_urls, settings)
    hooks = _ProgressHooks(ctx)
    try:
        report = _run_async(
            lambda: run_dry_run(settings, options, on_start=hooks.on_start, on_tick=hooks.on_tick)
        )
    finally:
        hooks.close()
    click.echo(render_dry_run(report, rate=settings.rate_limit))
    return EXIT_INTERRUPTED if report.status == JobStatus.INTERRUPTED else EXIT_OK


def _run_async(make: Any) -> Any:
    """asyncio.run with the errors of migrator mapped to exit codes (see the module docstring)."""
    try:
        return asyncio.run(make())
    except KeyboardInterrupt:
        click.echo("migrate: interrupted; run the same command again to resume safely", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except (ConfigError, AuthError, SiteError, StateError) as exc:
        _fail(str(exc), EXIT_USAGE)
    except FatalError as exc:
        _fail(str(exc), EXIT_FAILED)
    except PostError as exc:
        # A request outside any post's work (e.g. the counts before the run) that kept failing: a
        # message, not a traceback; running the command again resumes.
        _fail(f"{exc} (run the same command again to resume)", EXIT_FAILED)


def _db_option(func: Any) -> Any:
    return click.option(
        "--db", "sub_db", metavar="PATH", help="Job database [env MIGRATION_DB_PATH, default ./migration.db]."
    )(func)


def _sub_settings(ctx: click.Context, *, need_wordpress: bool, need_blog: bool = False) -> Settings:
    root = ctx.find_root()
    if ctx.params.get("sub_db"):
        # `migrate status --db X` works as well as `migrate --db X status`.
        root.params["db"] = ctx.params["sub_db"]
    settings = _settings(ctx, need_blog=need_blog, need_wordpress=need_wordpress)
    _configure_logs(ctx, settings)
    return settings


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@cli.command("rewrite-links", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--link-style",
    type=click.Choice(["permalink", "id"]),
    default=None,
    help="permalink: the post's address (a draft's: the one it gets when published). id: "
    "<site>/?p=<id>, which WordPress redirects to the permalink. Remembered for later runs "
    "[default: the last one used, else permalink].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (every link left, with why).")
@_db_option
@click.pass_context
def rewrite_links_cmd(ctx: click.Context, link_style: str | None, as_json: bool, **_: Any) -> None:
    """Point links between migrated posts at their WordPress addresses.

    Every link in a migrated post to another migrated post (/123, /entry/<slug>, /m/..., either host
    of the blog, with a query or a #fragment, which is kept) is rewritten in WordPress. Links to
    posts that are not migrated stay as they are and are listed with the reason. This runs by itself
    at the end of `migrate --all`; run it again after publishing or renaming posts. A second run
    changes nothing and says so.
    """
    import json

    from migrator.commands.rewrite_links import render_link_report, run_rewrite_links

    settings = _sub_settings(ctx, need_wordpress=True)
    report = _run_async(lambda: run_rewrite_links(settings, style=link_style))
    click.echo(
        json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if as_json else render_link_report(report)
    )
    sys.exit(EXIT_FAILED if report.errors else EXIT_OK)


@cli.command("redirects", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "nginx", "apache", "redirection"]),
    required=True,
    help="csv: every old URL on every host; nginx: a `map` for the http{} block; apache: "
    "`Redirect 301` lines; redirection: the Redirection plugin's JSON import.",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of standard output.")
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="HOST",
    help="Another host name the blog answered on (the known ones come from the job database). Repeatable.",
)
@_db_option
@click.pass_context
def redirects_cmd(ctx: click.Context, fmt: str, output: str | None, hosts: tuple[str, ...], **_: Any) -> None:
    """Write redirects from every old Tistory address of each migrated post to its WordPress address.

    Old addresses: /123, /m/123, /entry/<slug> and /m/entry/<slug> (raw and percent-encoded), on
    every host of the blog. A draft redirects to the address it gets when it is published (its
    slug under the site's permalink structure, as WordPress shows it): run this again after
    publishing or renaming posts. Reads WordPress and the job database; writes nothing.
    """
    from migrator.commands.redirects import render, run_redirects

    settings = _sub_settings(ctx, need_wordpress=True)
    result = _run_async(lambda: run_redirects(settings, extra_hosts=hosts))
    _write(render(fmt, result), output)
    click.echo(
        f"migrate: {len(result.redirects)} old addresses of {len(result.posts)} posts"
        + (f" ({result.drafts} drafts: addresses they get when published)" if result.drafts else "")
        + (f"; {len(result.gone)} migrated posts are gone from WordPress" if result.gone else "")
        + (f" -> {output}" if output else ""),
        err=True,
    )


@cli.command("comments", context_settings=CONTEXT_SETTINGS)
@_db_option
@click.pass_context
def comments_cmd(ctx: click.Context, **_: Any) -> None:
    """Add the Tistory comments of migrated posts that WordPress now takes comments on.

    WordPress takes no comments on drafts: publish the drafts (or migrate with --status publish,
    private or pending) and run this. It also picks up comments written on Tistory since the last
    run; run again, it adds nothing. Secret comments are not readable by guests and are only counted.
    `undo --job N` removes the comments a job added.
    """
    from migrator.commands.comments import render_comments_report, run_comments

    settings = _sub_settings(ctx, need_wordpress=True, need_blog=True)
    report = _run_async(lambda: run_comments(settings))
    click.echo(render_comments_report(report))
    sys.exit(EXIT_FAILED if report.totals.failed_posts else EXIT_OK)


@cli.command("undo", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--job", "job_id", type=int, required=True, metavar="N", help="The job to undo (see `migrate status`)."
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_db_option
@click.pass_context
def undo_cmd(ctx: click.Context, job_id: int, yes: bool, **_: Any) -> None:
    """Delete from WordPress what one job created, so a later run migrates those posts again.

    Deletes the job's drafts, the media it uploaded, the comments it added, and the categories and
    tags it created that no other post uses. Lists all of it first and asks. Never touches what the job did not create
    (posts of other jobs, media it reused, terms that existed before). Safe to run again if cut short.
    """
    from migrator.commands.undo import render_result, run_undo

    settings = _sub_settings(ctx, need_wordpress=True)

    def confirm(plan: Any) -> bool:
        if yes:
            return True
        try:
            return click.confirm("Delete these from WordPress?", default=False, err=True)
        except click.Abort:
            return False

    plan, result = _run_async(lambda: run_undo(settings, job_id, confirm=confirm, show=click.echo))
    if result is None:
        if not plan.empty:
            click.echo("Nothing deleted.", err=True)
            sys.exit(EXIT_FAILED)
        sys.exit(EXIT_OK)
    click.echo(render_result(result))
    sys.exit(EXIT_OK if result.complete else EXIT_FAILED)


@cli.command("status", context_settings=CONTEXT_SETTINGS)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_db_option
@click.pass_context
def status_cmd(ctx: click.Context, as_json: bool, **_: Any) -> None:
    """The jobs so far, their state, counts and progress. Works while a run is going on."""
    import json

    from migrator.commands.status import load_status, render_status

    settings = _sub_settings(ctx, need_wordpress=False)
    snapshot = _run_async(lambda: load_status(settings.db_path))
    click.echo(
        json.dumps(snapshot.as_dict(), ensure_ascii=False, indent=2) if as_json else render_status(snapshot)
    )


@cli.command("report", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of standard output.")
@click.option(
    "--state",
    type=click.Choice(["pending", "running", "completed", "failed", "skipped", "missing_files"]),
    help="Only posts in this state (missing_files: migrated with missing files).",
)
@_db_option
@click.pass_context
def report_cmd(ctx: click.Context, fmt: str, output: str | None, state: str | None, **_: Any) -> None:
    """Per post: source URL, state, WordPress post id and URL, images, error or skip reason.

    Also the internal links rewritten and left per post. Works while a run is going on.
    """
    from migrator.commands.report import load_report, render_report

    settings = _sub_settings(ctx, need_wordpress=False)
    rows = _run_async(lambda: load_report(settings.db_path, status=state))
    _write(render_report(rows, fmt), output)


# ---- end issue 5 commands


def main() -> None:
    cli(prog_name="migrate")

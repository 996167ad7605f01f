"""The `migrate` command: parses flags into Settings, runs one coroutine, maps the outcome to an exit code.

Exit codes: 0 all done, 1 finished with failed posts (or stopped by a fatal error mid-run),
2 configuration or usage error (bad credentials included), 130 interrupted.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from migrator.config import Settings, load_settings
from migrator.errors import AuthError, ConfigError, FatalError, StateError
from migrator.logs import configure_logging
from migrator.models import JobStatus

__all__ = ["cli", "main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _fail(message: str, code: int) -> None:
    click.echo(f"migrate: error: {message}", err=True)
    sys.exit(code)


def _settings(ctx: click.Context, *, need_blog: bool = True, need_wordpress: bool = True,
              blog_url_hint: str | None = None) -> Settings:
    opts = ctx.find_root().params
    flags = {
        "TISTORY_BLOG_URL": opts.get("blog_url"),
        "WP_BASE_URL": opts.get("wp_url"),
        "WP_APP_USER": opts.get("wp_user"),
        "WORKER_COUNT": None if opts.get("workers") is None else str(opts["workers"]),
        "RATE_LIMIT": None if opts.get("rate_limit") is None else str(opts["rate_limit"]),
        "MIGRATION_DB_PATH": opts.get("db"),
    }
    try:
        return load_settings(
            flags, dotenv_path=Path(opts.get("env_file") or ".env"), need_blog=need_blog,
            need_wordpress=need_wordpress, blog_url_hint=blog_url_hint,
        )
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
        raise  # unreachable; keeps type checkers happy


def _configure_logs(ctx: click.Context, settings: Settings | None = None) -> None:
    opts = ctx.find_root().params
    secrets = (settings.wp_app_password, settings.telegram_bot_token or "") if settings else ()
    configure_logging(
        json_lines=bool(opts.get("log_json")), verbose=bool(opts.get("verbose")), quiet=bool(opts.get("quiet")),
        secrets=secrets,
    )


@click.group(invoke_without_command=True, context_settings=CONTEXT_SETTINGS)
@click.option("--all", "all_posts", is_flag=True, help="Migrate every public post of the blog.")
@click.option("--post", "post_urls", multiple=True, metavar="URL",
              help="Migrate one post (any URL form: /123, /entry/<slug>, /m/123). Repeatable.")
@click.option("--blog-url", metavar="URL", help="The Tistory blog [env TISTORY_BLOG_URL].")
@click.option("--wp-url", metavar="URL", help="The WordPress site [env WP_BASE_URL].")
@click.option("--wp-user", metavar="NAME", help="WordPress user [env WP_APP_USER]. The application password "
              "is read only from WP_APP_PASSWORD (environment or .env), never from a flag.")
@click.option("--workers", type=int, metavar="N", help="Concurrent posts [env WORKER_COUNT, default 4].")
@click.option("--rate-limit", type=float, metavar="R",
              help="Requests per second to each remote host, 0 = no cap [env RATE_LIMIT, default 2].")
@click.option("--db", metavar="PATH", help="Job database [env MIGRATION_DB_PATH, default ./migration.db].")
@click.option("--env-file", metavar="PATH", default=".env", show_default=True, help="Settings file.")
@click.option("--probe-ids", is_flag=True,
              help="Also try every id from 1 to the newest one (finds posts no listing shows; slow).")
@click.option("--retry-failed/--no-retry-failed", default=True, show_default=True,
              help="Try posts that failed in earlier runs again (while MAX_ATTEMPTS allows).")
@click.option("--reset-attempts", is_flag=True, help="Forget earlier failed attempts (with --retry-failed).")
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
    """
    if ctx.invoked_subcommand is not None:
        return
    if all_posts == bool(post_urls):
        click.echo(ctx.get_help(), err=True)
        _fail("say what to migrate: --all or --post=URL (not both)", EXIT_USAGE)
    hint = _origin_of(post_urls[0]) if post_urls else None
    settings = _settings(ctx, blog_url_hint=hint)
    _configure_logs(ctx, settings)
    sys.exit(_run_migrate(ctx, settings, post_urls))


def _origin_of(url: str) -> str | None:
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    _fail(f"--post needs a full post URL such as https://name.tistory.com/123, got {url!r}", EXIT_USAGE)
    return None


def _run_migrate(ctx: click.Context, settings: Settings, post_urls: tuple[str, ...]) -> int:
    from migrator.pipeline import RunCounters
    from migrator.progress import Progress
    from migrator.report import render_summary
    from migrator.runner import RunOptions, run_migration

    opts = ctx.find_root().params
    options = RunOptions(
        post_urls=tuple(post_urls), probe_ids=bool(opts.get("probe_ids")),
        retry_failed=bool(opts.get("retry_failed", True)), reset_failed=bool(opts.get("reset_attempts")),
    )
    progress: list[Progress] = []

    def on_start(engine: Any) -> None:
        show = not opts.get("no_progress") and not opts.get("log_json") and sys.stderr.isatty()
        progress.append(Progress(engine.counters, live=show))
        progress[0].attach(engine)

    def on_tick() -> None:
        if progress:
            progress[0].tick()

    try:
        report = asyncio.run(run_migration(settings, options, on_start=on_start, on_tick=on_tick))
    except KeyboardInterrupt:
        click.echo("migrate: interrupted; run the same command again to resume safely", err=True)
        return EXIT_INTERRUPTED
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
    except (AuthError, StateError) as exc:
        _fail(str(exc), EXIT_USAGE)
    except FatalError as exc:
        _fail(str(exc), EXIT_FAILED)
    finally:
        if progress:
            progress[0].close()
    click.echo(render_summary(report))
    if report.status == JobStatus.INTERRUPTED:
        return EXIT_INTERRUPTED
    if report.status == JobStatus.ABORTED:
        if isinstance(report.fatal, AuthError | ConfigError):
            return EXIT_USAGE
        return EXIT_FAILED
    if report.status == JobStatus.COMPLETED_WITH_FAILURES:
        return EXIT_FAILED
    return EXIT_OK


def main() -> None:
    cli(prog_name="migrate")

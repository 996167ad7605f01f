"""End-of-run notifications: the run's summary to Telegram and/or a generic webhook (JSON POST).

Optional (TELEGRAM_BOT_TOKEN + TELEGRAM_CHAT_ID, NOTIFY_WEBHOOK_URL). A notification that cannot be
delivered is logged and never changes the outcome of the run. The bot token sits in the Telegram
URL path, so no URL and no raw error text of this module reaches a log line unredacted; webhook
URLs are treated as secrets too (Slack and Discord put theirs in the path).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import structlog

from migrator.errors import MigratorError, PermanentError, TransientError
from migrator.http import HttpClient, make_session
from migrator.logs import redact

__all__ = ["TELEGRAM_MAX_CHARS", "Notification", "notify", "notify_run_end", "run_notification"]

log = structlog.get_logger(__name__)

TELEGRAM_MAX_CHARS = 4096
_TIMEOUT_S = 15.0


@dataclass(frozen=True, slots=True)
class Notification:
    """What is sent: `text` for people (Telegram, chat webhooks), `data` for programs.

    `delivery_id` is one per notification (one per run end) and the same on every retry of it, so
    a receiver that got a delivery whose answer was lost can recognise the retry."""

    event: str
    text: str
    data: dict[str, Any]
    delivery_id: str = field(default_factory=lambda: uuid.uuid4().hex)


def run_notification(report: Any) -> Notification:
    """The notification for a finished `migrate --all/--post` run (a runner.RunReport)."""
    from migrator.commands.summary import render_summary, summary_dict

    # The summary renders the internal-links section itself (once); adding it here printed it twice.
    return Notification("migration_finished", render_summary(report, max_listed=10), summary_dict(report))


def _secrets(settings: Any) -> tuple[str, ...]:
    return tuple(s for s in (settings.telegram_bot_token, settings.webhook_url) if s)


async def notify(settings: Any, note: Notification, *, timeout_s: float = _TIMEOUT_S) -> dict[str, bool]:
    """Send `note` to every configured channel. Returns channel -> delivered; never raises
    (except on cancellation)."""
    channels: dict[str, bool] = {}
    want_telegram = bool(settings.telegram_bot_token and settings.telegram_chat_id)
    if settings.telegram_bot_token and not settings.telegram_chat_id:
        log.warning("notification_skipped", channel="telegram", error_msg="TELEGRAM_CHAT_ID is not set")
    if not want_telegram and not settings.webhook_url:
        return channels
    secrets = _secrets(settings)
    try:
        async with make_session(timeout_s=timeout_s, headers={"User-Agent": "migrator/0.1"}) as session:
            # max_retries=0: HttpClient logs retried URLs, and the Telegram URL holds the token.
            http = HttpClient(
                session,
                service="notification",
                rate_limit=0,
                max_retries=0,
                auth_statuses=(),
            )
            if want_telegram:
                channels["telegram"] = await _deliver(
                    "telegram",
                    secrets,
                    lambda: _telegram(http, settings, note),
                )
            if settings.webhook_url:
                channels["webhook"] = await _deliver(
                    "webhook",
                    secrets,
                    lambda: _webhook(http, settings, note),
                )
    except Exception as exc:  # a notification must never fail the run, whatever went wrong
        log.warning(
            "notification_failed",
            channel="all",
            error=exc.__class__.__name__,
            error_msg=redact(str(exc), secrets),
        )
    return channels


async def notify_run_end(settings: Any, report: Any) -> dict[str, bool]:
    """Notify about a finished run; never raises."""
    try:
        note = run_notification(report)
    except Exception as exc:
        log.warning("notification_failed", channel="all", error=exc.__class__.__name__, error_msg=str(exc))
        return {}
    return await notify(settings, note)


async def _deliver(channel: str, secrets: tuple[str, ...], send: Any) -> bool:
    for attempt in (1, 2):
        try:
            await send()
            log.info("notification_sent", channel=channel)
            return True
        except TransientError as exc:
            if attempt == 1:
                await asyncio.sleep(1.0)
                continue
            _log_failure(channel, exc, secrets)
        except MigratorError as exc:
            _log_failure(channel, exc, secrets)
            break
    return False


def _log_failure(channel: str, exc: MigratorError, secrets: tuple[str, ...]) -> None:
    # exc.message, not str(exc): the string form appends the URL (the token is in it).
    log.warning(
        "notification_failed",
        channel=channel,
        error=exc.__class__.__name__,
        http_status=exc.status,
        error_msg=redact(exc.message, secrets),
    )


async def _telegram(http: HttpClient, settings: Any, note: Notification) -> None:
    url = f"{settings.telegram_api_url.rstrip('/')}/bot{settings.telegram_bot_token}/sendMessage"
    text = note.text
    if len(text) > TELEGRAM_MAX_CHARS:
        text = text[: TELEGRAM_MAX_CHARS - 2] + "\n…"
    resp = await http.request(
        "POST",
        url,
        json={"chat_id": settings.telegram_chat_id, "text": text, "disable_web_page_preview": True},
        allow=(400, 401, 403, 404, 429),
    )
    try:
        body = resp.json()
    except PermanentError:
        body = {}
    if resp.status == 200 and isinstance(body, dict) and body.get("ok") is not False:
        return
    description = body.get("description", "") if isinstance(body, dict) else ""
    message = f"Telegram refused the message: {description or 'no description'}"
    if resp.status == 429:
        raise TransientError(message, status=429)
    raise PermanentError(message, status=resp.status)


async def _webhook(http: HttpClient, settings: Any, note: Notification) -> None:
    # "text" makes Slack/Mattermost-style incoming webhooks show the summary as it is.
    payload = {"event": note.event, "text": note.text, **note.data, "delivery_id": note.delivery_id}
    await http.request(
        "POST",
        settings.webhook_url,
        json=payload,
        headers={"X-Migrator-Delivery": note.delivery_id},
        ok=(200, 201, 202, 204),
    )

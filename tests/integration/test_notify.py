"""Notifications against a fake Telegram Bot API and a fake webhook: delivered with the run's summary,
failures logged (never raised), the bot token never in a log line."""

from __future__ import annotations

import io
import json
import socket
from dataclasses import dataclass

import pytest
import structlog

from migrator.commands.notify import TELEGRAM_MAX_CHARS, Notification, notify, notify_run_end
from migrator.logs import configure_logging
from tests.fakes.blog import FakePost
from tests.fakes.notify import FakeNotify
from tests.harness import make_world


@dataclass
class S:
    telegram_bot_token: str | None
    telegram_chat_id: str | None
    webhook_url: str | None
    telegram_api_url: str


@pytest.fixture
def logs():
    buf = io.StringIO()
    # No secrets given to the logger: the module must keep the token out by itself.
    configure_logging(json_lines=True, verbose=True, stream=buf)
    yield buf
    structlog.reset_defaults()


def events(buf: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]


@pytest.fixture
async def fake(aiohttp_server):
    f = FakeNotify()
    server = await aiohttp_server(f.app())
    f.base = str(server.make_url("")).rstrip("/")
    return f


def settings_for(fake, **kw) -> S:
    values = {
        "telegram_bot_token": fake.token,
        "telegram_chat_id": "-100123",
        "webhook_url": f"{fake.base}/hook",
        "telegram_api_url": fake.base,
    }
    values.update(kw)
    return S(**values)


NOTE = Notification(
    "migration_finished", "Job 3 finished.\n  migrated 5", {"job_id": 3, "status": "completed"}
)


async def test_both_channels_get_the_summary(fake, logs):
    delivered = await notify(settings_for(fake), NOTE)
    assert delivered == {"telegram": True, "webhook": True}
    assert fake.messages == [{"chat_id": "-100123", "text": NOTE.text}]
    assert fake.hooks == [
        {
            "event": "migration_finished",
            "text": NOTE.text,
            "job_id": 3,
            "status": "completed",
            "delivery_id": NOTE.delivery_id,
        }
    ]
    assert [e["channel"] for e in events(logs) if e["event"] == "notification_sent"] == [
        "telegram",
        "webhook",
    ]


async def test_a_transient_failure_is_retried_once(fake, logs):
    fake.fail_telegram = [502]
    fake.fail_webhook = [503, 503]
    delivered = await notify(settings_for(fake), NOTE)
    assert delivered == {"telegram": True, "webhook": False}
    assert len(fake.messages) == 1 and fake.hooks == []
    failed = [e for e in events(logs) if e["event"] == "notification_failed"]
    assert [(e["channel"], e["http_status"]) for e in failed] == [("webhook", 503)]


async def test_a_wrong_token_is_logged_without_the_token(fake, logs):
    settings = settings_for(fake, telegram_bot_token="999:the-wrong-secret", webhook_url=None)
    delivered = await notify(settings, NOTE)
    assert delivered == {"telegram": False}
    text = logs.getvalue()
    assert "the-wrong-secret" not in text
    failed = [e for e in events(logs) if e["event"] == "notification_failed"]
    assert failed[0]["http_status"] == 401 and "Unauthorized" in failed[0]["error_msg"]


async def test_unreachable_servers_never_raise_and_never_leak(fake, logs):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    settings = settings_for(
        fake,
        telegram_api_url=f"http://127.0.0.1:{port}",
        webhook_url=f"http://127.0.0.1:{port}/hooks/secret-path-token",
    )
    delivered = await notify(settings, NOTE, timeout_s=2)
    assert delivered == {"telegram": False, "webhook": False}
    text = logs.getvalue()
    assert fake.token not in text and "secret-path-token" not in text
    assert text.count("notification_failed") == 2


async def test_long_summaries_are_cut_to_telegram_size(fake, logs):
    long = Notification("migration_finished", "x" * 10000, {})
    assert (await notify(settings_for(fake, webhook_url=None), long)) == {"telegram": True}
    assert len(fake.messages[0]["text"]) <= TELEGRAM_MAX_CHARS and fake.messages[0]["text"].endswith("…")


async def test_nothing_configured_sends_nothing_and_a_token_without_chat_warns(fake, logs):
    assert await notify(settings_for(fake, telegram_bot_token=None, webhook_url=None), NOTE) == {}
    assert await notify(settings_for(fake, telegram_chat_id=None, webhook_url=None), NOTE) == {}
    assert fake.requests == []
    assert any(e["event"] == "notification_skipped" for e in events(logs))


async def test_a_run_sends_its_summary_and_its_outcome_is_unaffected(aiohttp_server, tmp_path, fake):
    world = await make_world(aiohttp_server, tmp_path)
    world.blog.add(FakePost(1, "One"))
    world.blog.add(FakePost(2, "Two", body_html='<p><a href="/1">one</a></p>'))
    settings = world.settings(
        telegram_bot_token=fake.token,
        telegram_chat_id="7",
        telegram_api_url=fake.base,
        webhook_url=f"{fake.base}/hook",
    )
    # As the CLI does: the finished report is handed to notify_run_end.
    report = await world.run(settings=settings)
    await notify_run_end(settings, report)
    assert report.counters.completed == 2
    assert "Job 1 finished" in fake.messages[0]["text"]
    assert fake.messages[0]["text"].count("Internal links: 1 rewritten") == 1  # once, not twice
    hook = fake.hooks[0]
    assert (hook["job_id"], hook["status"], hook["migrated"]) == (1, "completed", 2)
    assert hook["links"]["links_rewritten"] == 1
    # a failing notification does not change the outcome
    fake.fail_telegram = [500, 500]
    fake.fail_webhook = [0, 0]
    world.blog.add(FakePost(3, "Three"))
    report = await world.run(settings=settings)
    await notify_run_end(settings, report)
    assert report.counters.completed == 1 and str(report.status) == "completed"


async def test_a_retried_webhook_delivery_carries_the_same_id(fake, logs):
    fake.fail_webhook = [503]  # the first attempt fails (the receiver may have acted on it)
    note = Notification("migration_finished", "Job 4 finished.", {"job_id": 4})
    delivered = await notify(settings_for(fake, telegram_bot_token=None), note)
    assert delivered == {"webhook": True}
    [first, retry] = fake.hook_deliveries
    assert first and first == retry  # stable across the retry
    assert fake.hooks[0]["delivery_id"] == first

    # another run end is another delivery
    other = Notification("migration_finished", "Job 5 finished.", {"job_id": 5})
    assert await notify(settings_for(fake, telegram_bot_token=None), other) == {"webhook": True}
    assert fake.hook_deliveries[-1] not in (None, first)
    assert fake.hooks[-1]["delivery_id"] == fake.hook_deliveries[-1]

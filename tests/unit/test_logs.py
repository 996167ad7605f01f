"""logs: exception logs never show frames' local variables, and secrets are masked everywhere,
exception text included (issue 8)."""

from __future__ import annotations

import io
import json

import pytest
import structlog

from migrator.logs import configure_logging

PASSWORD = "Abcd Efgh 1jkl Mnop Qrst Uvw2"
TOKEN = "123456:AAbbCCddEEffGGhh-secret-bot-token"


def _fail_with_secrets_in_locals(token: str) -> None:
    api_key = "sk-live-LOCALVALUE-9f8e7d6c5b4a"  # a local holding something secret-looking
    page = "<html>a whole page held in a local</html>"
    assert api_key and page
    raise RuntimeError(f"refused: {token} (application password {PASSWORD})")


@pytest.fixture(autouse=True)
def _reset_structlog():
    yield
    structlog.reset_defaults()


@pytest.mark.parametrize("json_lines", [True, False])
def test_exception_logs_show_no_locals_and_mask_secrets(json_lines: bool) -> None:
    out = io.StringIO()
    configure_logging(json_lines=json_lines, secrets=(TOKEN, PASSWORD), stream=out)
    log = structlog.get_logger("t")
    try:
        _fail_with_secrets_in_locals(TOKEN)
    except RuntimeError:
        log.exception("post_failed", source_url="https://b.tistory.com/1")
    text = out.getvalue()
    assert "post_failed" in text and "RuntimeError" in text and "_fail_with_secrets_in_locals" in text
    assert "LOCALVALUE" not in text and "whole page" not in text  # no locals
    assert TOKEN not in text and PASSWORD not in text and "secret-bot-token" not in text
    assert "***" in text
    if json_lines:
        event = json.loads(text.strip().splitlines()[-1])
        frames = [f for exc in event["exception"] for f in exc["frames"]]
        assert frames and all(not f.get("locals") for f in frames)


def test_console_log_lines_carry_no_terminal_controls() -> None:
    out = io.StringIO()
    configure_logging(stream=out)
    structlog.get_logger("t").info("post_migrated", title="\x1b[31mred\x1b[0m\u202e")
    assert "\x1b" not in out.getvalue() and "\u202e" not in out.getvalue()
    assert "red" in out.getvalue()

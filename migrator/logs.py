"""Logging setup: the only `structlog.configure` call. JSON lines with --log-json, readable lines otherwise.

Logs go to stderr, looked up at write time so a live progress display that redirects stderr keeps
its bars below the log lines.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, TextIO

import structlog

from migrator.safe_output import terminal_safe

__all__ = ["configure_logging", "redact"]

# Anything that looks like an application password ("abcd efgh ijkl mnop qrst uvwx") or a Basic
# auth header is masked in every event, as a second line of defence.
_APP_PASSWORD = re.compile(r"\b[a-zA-Z0-9]{4}(?: [a-zA-Z0-9]{4}){5}\b")
_BASIC = re.compile(r"(Basic\s+)[A-Za-z0-9+/=]{8,}")
_SECRET_KEYS = ("password", "authorization", "token", "secret")


class _StderrProxy:
    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _BASIC.sub(r"\1***", text)
    # Six four-letter lower-case words are prose; a generated password has digits or capitals.
    return _APP_PASSWORD.sub(
        lambda m: "***" if any(c.isdigit() or c.isupper() for c in m.group(0)) else m.group(0), text
    )


def _redacted(value: Any, secrets: tuple[str, ...]) -> Any:
    """`value` with secrets masked in every string it holds (rendered tracebacks are lists of dicts)."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {
            key: "***" if _is_secret_key(key) else _redacted(item, secrets) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redacted(item, secrets) for item in value]
    return value


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and any(word in key.lower() for word in _SECRET_KEYS)


def _redactor(secrets: tuple[str, ...]) -> Any:
    def processor(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
        return _redacted(event, secrets)

    return processor


def _terminal_safe_values(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    # Titles and messages come from pages anyone can write; ConsoleRenderer prints most strings raw.
    return {key: terminal_safe(value) if isinstance(value, str) else value for key, value in event.items()}


# Exceptions are rendered BEFORE the redactor runs (so their text is redacted too), and never with
# the frames' local variables: a local may hold the password, a token or a whole page.
_JSON_EXCEPTIONS = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
)


def configure_logging(
    *,
    json_lines: bool = False,
    verbose: bool = False,
    quiet: bool = False,
    secrets: tuple[str, ...] = (),
    stream: TextIO | None = None,
) -> None:
    level = logging.DEBUG if verbose else (logging.WARNING if quiet else logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # plain text (traceback.format_exception: no locals) for the console
        _JSON_EXCEPTIONS if json_lines else structlog.processors.format_exc_info,
        _redactor(tuple(s for s in secrets if s)),
    ]
    if json_lines:
        renderer: list[Any] = [structlog.processors.JSONRenderer(ensure_ascii=False)]
    else:
        renderer = [
            _terminal_safe_values,
            structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback),
        ]
    structlog.configure(
        processors=[*shared, *renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=stream or _StderrProxy()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )

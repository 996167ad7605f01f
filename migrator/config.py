"""Settings: the only module that reads the environment and `.env`; validates before any network call.

Precedence: CLI flag > environment variable > `.env` in the working directory > default.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from migrator.errors import ConfigError

__all__ = ["DEFAULTS", "POST_STATUSES", "Settings", "is_loopback_host", "load_settings", "read_dotenv", "settings_warnings"]

# Defaults chosen to be polite to Tistory: 2 requests/s per host and 4 workers. Tistory answers
# bursts with 429 (see docs), and a 1,000-post blog still moves in well under an hour.
DEFAULTS: dict[str, str] = {
    "WORKER_COUNT": "4",
    "RATE_LIMIT": "2",
    "MIGRATION_DB_PATH": "./migration.db",
    "MAX_ATTEMPTS": "4",
    "REQUEST_TIMEOUT": "60",
    "WP_RATE_LIMIT": "",
    "POST_TIMEOUT": "900",
    "ALLOW_PRIVATE_FILE_HOSTS": "0",
    "WP_POST_STATUS": "draft",
    "CONTENT_FORMAT": "blocks",
}

# The statuses posts can be created with. WordPress takes comments on all but drafts (see
# docs/tistory-comments.md); `publish` with the Tistory date (in the past) publishes at that date.
POST_STATUSES = ("draft", "pending", "private", "publish")

VARIABLES = (
    "TISTORY_BLOG_URL", "WP_BASE_URL", "WP_APP_USER", "WP_APP_PASSWORD", "WORKER_COUNT",
    "RATE_LIMIT", "WP_RATE_LIMIT", "MIGRATION_DB_PATH", "MAX_ATTEMPTS", "REQUEST_TIMEOUT", "POST_TIMEOUT",
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID", "NOTIFY_WEBHOOK_URL", "TELEGRAM_API_URL",
    "ALLOW_PRIVATE_FILE_HOSTS", "WP_POST_STATUS", "CONTENT_FORMAT",
)
CONTENT_FORMATS = ("blocks", "html")


@dataclass(frozen=True, slots=True)
class Settings:
    blog_url: str                       # normalised origin, e.g. https://name.tistory.com
    wp_base_url: str                    # site root, e.g. https://example.com (no /wp-json)
    wp_user: str
    wp_app_password: str = field(repr=False)
    worker_count: int = 4
    rate_limit: float = 2.0             # requests per second per remote host; 0 = unlimited
    wp_rate_limit: float | None = None  # the WordPress host's own cap; None = rate_limit
    db_path: Path = Path("migration.db")
    max_attempts: int = 4
    request_timeout_s: float = 60.0
    post_timeout_s: float = 900.0
    retry_base_delay_s: float = 1.0
    retry_max_delay_s: float = 60.0
    shutdown_grace_s: float = 15.0
    queue_size: int = 0                 # 0 = 2 * worker_count
    parse_processes: int = -1           # processes that parse pages; -1 = one per spare core, 0 = inline
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_chat_id: str | None = None
    webhook_url: str | None = field(default=None, repr=False)
    # Where the Telegram Bot API lives (a local Bot API server, or a fake one in tests).
    telegram_api_url: str = "https://api.telegram.org"
    # Images and attachments are fetched from public addresses only (plus the blog and Tistory's CDNs);
    # True turns that check off, for local test setups whose fakes live on 127.0.0.1.
    allow_private_file_hosts: bool = False
    post_status: str = "draft"          # the WordPress status posts are created with (POST_STATUSES)
    # "blocks": post content as block-editor blocks (wordpress/blocks); "html": the cleaned HTML as is
    # (the editor opens it as one Classic block).
    content_format: str = "blocks"

    def with_overrides(self, **kw: object) -> Settings:
        return replace(self, **kw)  # type: ignore[arg-type]


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a `.env` file: KEY=VALUE lines, `#` comments, optional quotes, optional `export `."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc.__class__.__name__}") from None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        key, sep, value = line.partition("=")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def _without_userinfo(value: str) -> str:
    """The URL with any `user:password@` replaced, for messages: credentials are never echoed."""
    return re.sub(r"(//)[^/?#]*@", r"\1…@", value)


def _origin(value: str, variable: str) -> str:
    try:
        parts = urlsplit(value.strip())
        netloc = parts.netloc
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address
        parts, netloc = None, value.strip().split("//", 1)[-1].split("/", 1)[0]
    if "@" in netloc:
        raise ConfigError(
            f"{variable} must not contain a user name or password (…@ before the host): give the address alone; "
            "the WordPress user goes in WP_APP_USER and the application password in WP_APP_PASSWORD",
            variable=variable,
        )
    try:
        valid = parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)
        valid = valid and parts is not None and (parts.port or 1) > 0
    except ValueError:
        valid = False
    if not valid or parts is None:
        raise ConfigError(f"{variable} must be an http(s) URL, got {_without_userinfo(value)!r}", variable=variable)
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}"


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def settings_warnings(settings: Settings) -> list[str]:
    """Things worth a warning (not an error) before the run starts."""
    warnings: list[str] = []
    parts = urlsplit(settings.wp_base_url)
    if parts.scheme == "http" and parts.hostname and not is_loopback_host(parts.hostname):
        warnings.append(
            f"WP_BASE_URL is http:// ({parts.hostname}): the application password travels unencrypted and "
            "anyone on the way can read it; use https:// if the site has it"
        )
    return warnings


def _int(raw: str, variable: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{variable} must be a whole number, got {raw!r}", variable=variable) from None
    if not low <= value <= high:
        raise ConfigError(f"{variable} must be between {low} and {high}, got {value}", variable=variable)
    return value


def _float(raw: str, variable: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{variable} must be a number, got {raw!r}", variable=variable) from None
    if not low <= value <= high or value != value:
        raise ConfigError(f"{variable} must be between {low:g} and {high:g}, got {raw}", variable=variable)
    return value


def _db_path(raw: str) -> Path:
    if not raw:
        raise ConfigError("MIGRATION_DB_PATH is empty", variable="MIGRATION_DB_PATH")
    db_path = Path(raw).expanduser()
    if db_path.exists() and db_path.is_dir():
        raise ConfigError(f"MIGRATION_DB_PATH points at a directory: {db_path}", variable="MIGRATION_DB_PATH")
    if not db_path.parent.exists():
        raise ConfigError(
            f"MIGRATION_DB_PATH: the folder {db_path.parent} does not exist", variable="MIGRATION_DB_PATH"
        )
    return db_path


def _post_status(raw: str) -> str:
    status = raw.lower()
    if status not in POST_STATUSES:
        raise ConfigError(
            f"WP_POST_STATUS (--status) must be one of {', '.join(POST_STATUSES)}, got {raw!r}",
            variable="WP_POST_STATUS",
        )
    return status


def load_settings(
    flags: Mapping[str, str | None] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    dotenv_path: Path | None = None,
    need_blog: bool = True,
    need_wordpress: bool = True,
    blog_url_hint: str | None = None,
) -> Settings:
    """Build Settings from flags (keyed by variable name), the environment and `.env`.

    Raises ConfigError naming the first bad or missing variable. `blog_url_hint` (the origin of a
    `--post` URL) stands in for TISTORY_BLOG_URL when that is not set.
    """
    env = dict(os.environ if environ is None else environ)
    merged: dict[str, str] = dict(DEFAULTS)
    # An empty value (`WORKER_COUNT=`) means "not set": the default stays.
    dotenv = read_dotenv(dotenv_path if dotenv_path is not None else Path(".env"))
    merged.update({k: v for k, v in dotenv.items() if v.strip()})
    merged.update({k: v for k, v in env.items() if (k in VARIABLES or k in DEFAULTS) and v.strip()})
    merged.update({k: v for k, v in (flags or {}).items() if v is not None})

    def get(name: str) -> str:
        return (merged.get(name) or "").strip()

    blog = get("TISTORY_BLOG_URL") or (blog_url_hint or "")
    if need_blog and not blog:
        raise ConfigError("TISTORY_BLOG_URL is not set (the Tistory blog to migrate)", variable="TISTORY_BLOG_URL")
    blog_url = _origin(blog, "TISTORY_BLOG_URL") if blog else ""

    wp_base = get("WP_BASE_URL")
    user = get("WP_APP_USER")
    password = merged.get("WP_APP_PASSWORD") or ""
    if need_wordpress:
        if not wp_base:
            raise ConfigError("WP_BASE_URL is not set (your WordPress site's address)", variable="WP_BASE_URL")
        if not user:
            raise ConfigError("WP_APP_USER is not set (the WordPress user name)", variable="WP_APP_USER")
        if not password.strip():
            raise ConfigError(
                "WP_APP_PASSWORD is not set (an application password: WordPress → Users → Profile)",
                variable="WP_APP_PASSWORD",
            )
    wp_base_url = _origin(wp_base, "WP_BASE_URL") if wp_base else ""
    for suffix in ("/wp-json", "/index.php"):  # the REST root or the front script given instead of the site
        if wp_base_url.endswith(suffix):
            wp_base_url = wp_base_url[: -len(suffix)]

    workers = _int(get("WORKER_COUNT"), "WORKER_COUNT", 1, 64)
    rate = _float(get("RATE_LIMIT"), "RATE_LIMIT", 0, 1000)
    db_path = _db_path(get("MIGRATION_DB_PATH"))
    post_status = _post_status(get("WP_POST_STATUS"))
    return Settings(
        blog_url=blog_url,
        wp_base_url=wp_base_url,
        wp_user=user,
        wp_app_password=password.strip(),
        worker_count=workers,
        rate_limit=rate,
        db_path=db_path,
        max_attempts=_int(get("MAX_ATTEMPTS"), "MAX_ATTEMPTS", 1, 50),
        request_timeout_s=_float(get("REQUEST_TIMEOUT"), "REQUEST_TIMEOUT", 1, 3600),
        post_timeout_s=_float(get("POST_TIMEOUT"), "POST_TIMEOUT", 10, 86400),
        wp_rate_limit=_float(get("WP_RATE_LIMIT"), "WP_RATE_LIMIT", 0, 1000) if get("WP_RATE_LIMIT") else None,
        telegram_bot_token=get("TELEGRAM_BOT_TOKEN") or None,
        telegram_chat_id=get("TELEGRAM_CHAT_ID") or None,
        webhook_url=get("NOTIFY_WEBHOOK_URL") or None,
        telegram_api_url=(
            _origin(get("TELEGRAM_API_URL"), "TELEGRAM_API_URL") if get("TELEGRAM_API_URL")
            else "https://api.telegram.org"
        ),
        allow_private_file_hosts=get("ALLOW_PRIVATE_FILE_HOSTS").lower() in ("1", "true", "yes", "on"),
        post_status=post_status,
        content_format=_content_format(get("CONTENT_FORMAT")),
    )


def _content_format(value: str) -> str:
    lowered = value.lower()
    if lowered not in CONTENT_FORMATS:
        raise ConfigError(
            f"CONTENT_FORMAT must be one of {', '.join(CONTENT_FORMATS)}, got {value!r}", variable="CONTENT_FORMAT"
        )
    return lowered

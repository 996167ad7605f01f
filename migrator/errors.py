"""The one exception tree of migrator, grouped by what the caller must do.

    MigratorError
    ├── FatalError              abort the whole run
    │   ├── ConfigError         bad or missing configuration (exit 2, before any network call)
    │   │   └── SourceNotTistory  TISTORY_BLOG_URL answers, but is not a Tistory blog (exit 2)
    │   ├── AuthError           WordPress refused our credentials (exit 2)
    │   ├── SiteError           WP_BASE_URL is not a usable WordPress: unreachable, redirects, no REST API (exit 2)
    │   ├── StateError          the SQLite state cannot be opened or migrated
    │   └── SourceBlocked       Tistory refuses the whole blog (403, access restricted)
    └── PostError               affects one post; the engine records it and goes on
        ├── TransientError      timeouts, connection errors, 429, 5xx: retry with backoff
        │   └── RateLimited     429 / 503 with a Retry-After delay
        ├── PermanentError      retrying will not help (404 image, WP 400, broken page): failed
        │   └── ParseError      the page is not a readable Tistory post
        ├── ImageExpired        a signed CDN URL answered 403: re-fetch the page for fresh links
        └── SkipPost            not an error: protected / private / deleted post (status skipped)

Details (service, URL, HTTP status) live in attributes, never in parallel class trees.
Messages never contain secrets: the application password is never passed to any of these.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ConfigError",
    "FatalError",
    "FileUnavailable",
    "ImageExpired",
    "MigratorError",
    "ParseError",
    "PermanentError",
    "PostError",
    "RateLimited",
    "SiteError",
    "SkipPost",
    "SourceBlocked",
    "SourceNotTistory",
    "StateError",
    "TransientError",
]


class MigratorError(Exception):
    """Base of every error migrator raises on purpose."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"(HTTP {self.status})")
        if self.url:
            parts.append(f"[{self.url}]")
        return " ".join(parts)


class FatalError(MigratorError):
    """Abort the run: every later post would fail the same way."""


class ConfigError(FatalError):
    """Configuration is missing or invalid; `variable` names the culprit."""

    def __init__(self, message: str, *, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


class SourceNotTistory(ConfigError):
    """The configured blog address is some other site: every link would become a failed post."""

    def __init__(self, message: str) -> None:
        super().__init__(message, variable="TISTORY_BLOG_URL")


class AuthError(FatalError):
    """WordPress answered 401/403 to our credentials."""


class SiteError(FatalError):
    """WP_BASE_URL cannot be used as it is (not WordPress, REST API blocked, unreachable, redirects
    elsewhere): found before the blog is touched; the message names the cause and the fix."""


class StateError(FatalError):
    """The job database cannot be opened, migrated or written."""


class SourceBlocked(FatalError):
    """Tistory refuses the blog as a whole (403 on pages, access-restricted blog)."""


class PostError(MigratorError):
    """A failure confined to one post."""


class TransientError(PostError):
    """Worth retrying later: timeouts, resets, 429, 5xx."""


class RateLimited(TransientError):
    """The server asked us to slow down; `retry_after_s` is its requested delay, if it gave one."""

    def __init__(
        self, message: str, *, retry_after_s: float | None = None, url: str | None = None,
        status: int | None = 429,
    ) -> None:
        super().__init__(message, url=url, status=status)
        self.retry_after_s = retry_after_s


class PermanentError(PostError):
    """Retrying will not help: the post is marked failed with this reason."""


class ParseError(PermanentError):
    """The page could not be read as a Tistory post."""


class ImageExpired(PostError):
    """A signed image URL was refused (403/410): the page must be fetched again for fresh links."""


class FileUnavailable(PermanentError):
    """One image or attachment cannot be had (gone, too large, refused type, blocked address,
    refused by WordPress): the post is migrated without it and the file is reported as missing."""


class SkipPost(PostError):
    """Control flow: the post is not migrated, and that is not a failure (`reason` says why)."""

    def __init__(self, reason: str, *, url: str | None = None) -> None:
        super().__init__(reason, url=url)
        self.reason = reason

"""SourceClient: everything migrator reads from Tistory and its CDNs (pages, JSON lists, image bytes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator.errors import FileUnavailable, ImageExpired, PermanentError, SourceBlocked
from migrator.http import HttpClient, SpooledFile, download_file
from migrator.netguard import AddressGuard

__all__ = ["GONE_STATUSES", "MAX_DOWNLOAD_BYTES", "Page", "SourceClient"]

# Tistory answers private or deleted posts with assorted statuses (not verified which); they are
# handed back for the caller to judge (only 404/410, or a body showing the error page or the protected
# block, make a post unreadable). 5xx, 429, timeouts and resets are retried by HttpClient and raise
# TransientError when they persist: never mistaken for "deleted".
NOT_A_POST_STATUSES = (301, 302, 400, 401, 404, 410)
GONE_STATUSES = (404, 410)
MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Page:
    status: int
    url: str          # final URL after redirects
    text: str


class SourceClient:
    """Reads the blog. `pages` is the HttpClient for the blog's hosts, `files` the one for CDNs."""

    def __init__(
        self,
        pages: HttpClient,
        files: HttpClient | None = None,
        *,
        guard: AddressGuard | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self.pages = pages
        self.files = files or pages
        # None: no address check (only for callers that build their own clients, e.g. unit tests).
        self.guard = guard
        self.max_bytes = max_bytes

    def __repr__(self) -> str:
        return f"SourceClient(pages={self.pages!r})"

    async def fetch_page(self, url: str) -> Page:
        """GET a page. 404/410/401 etc. are returned (the caller decides); 403 on a page means blocked.

        Raises SourceBlocked when Tistory refuses us (403) and TransientError when 5xx/429/timeouts/
        connection errors persist after retries.
        """
        resp = await self.pages.request(
            "GET", url, headers={"Accept": "text/html,application/xhtml+xml"},
            allow=(*NOT_A_POST_STATUSES, 403),
        )
        if resp.status == 403:
            raise SourceBlocked(
                "Tistory refused the request (403): the blog may be access-restricted or we are blocked",
                url=url, status=403,
            )
        return Page(resp.status, resp.url, resp.text())

    async def fetch_json(self, url: str) -> Any | None:
        """GET a JSON document; None for 404 or a body that is not JSON (skins/versions differ)."""
        resp = await self.pages.request(
            "GET", url, headers={"Accept": "application/json"}, allow=(400, 404, 410, 403)
        )
        if resp.status != 200:
            return None
        try:
            return resp.json()
        except PermanentError:
            return None

    async def fetch_text(self, url: str) -> str | None:
        """GET a text resource (sitemap, RSS); None when it does not exist."""
        resp = await self.pages.request("GET", url, allow=(400, 403, 404, 410))
        return resp.text() if resp.status == 200 else None

    async def download(self, url: str, *, referer: str | None = None) -> SpooledFile:
        """GET a file (image, attachment) into a temporary file; the caller discards it.

        403/410 on a signed URL → ImageExpired (the page is fetched again for a fresh link); other
        refusals, a file over MAX_DOWNLOAD_BYTES or at a non-public address → FileUnavailable.
        """
        headers = {"Accept": "image/avif,image/webp,image/*,*/*;q=0.8"}
        if referer:
            headers["Referer"] = referer
        spooled = await download_file(
            self.files, url, max_bytes=self.max_bytes or MAX_DOWNLOAD_BYTES, headers=headers, guard=self.guard,
            allow=(400, 401, 403, 404, 410, 451),
        )
        if spooled.status in (403, 410):
            raise ImageExpired("the file URL was refused (expired signature?)", url=url, status=spooled.status)
        if spooled.status != 200:
            raise FileUnavailable("the file could not be downloaded", url=url, status=spooled.status)
        return spooled

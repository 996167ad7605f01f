"""HTTP plumbing: session factory, per-host rate limiting, retries with backoff, status → error mapping.

The only place (with the clients) that catches aiohttp and asyncio timeout errors; everything above
sees the classes of `migrator.errors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import json as jsonlib
import os
import random
import ssl as ssl_module
import tempfile
import time
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urljoin, urlsplit

import aiohttp
import structlog
from aiolimiter import AsyncLimiter

from migrator.errors import AuthError, FileUnavailable, PermanentError, RateLimited, TransientError
from migrator.netguard import AddressGuard, BlockedAddress

__all__ = [
    "BROWSER_HEADERS",
    "HostLimiters",
    "HttpClient",
    "HttpStats",
    "Response",
    "SpooledFile",
    "download_file",
    "make_session",
    "parse_retry_after",
]

log = structlog.get_logger(__name__)

# Tistory's CDNs are reported to block empty or non-browser user agents; a desktop UA also avoids
# being redirected to /m/ pages.
BROWSER_HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0 Safari/537.36 migrator/0.1"
    ),
    "Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8",
}

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def make_session(
    *,
    timeout_s: float,
    limit_per_host: int = 8,
    resolver: aiohttp.abc.AbstractResolver | None = None,
    ssl: ssl_module.SSLContext | None = None,
    headers: Mapping[str, str] | None = None,
    auto_decompress: bool = True,
) -> aiohttp.ClientSession:
    """One session per remote service, keep-alive on, bounded connections per host.

    Tests pass a resolver (host → local fake server) and an SSL context trusting their test CA.
    """
    connector_kw: dict[str, Any] = {"limit": 0, "limit_per_host": limit_per_host, "ttl_dns_cache": 300}
    if resolver is not None:
        connector_kw["resolver"] = resolver
    if ssl is not None:
        connector_kw["ssl"] = ssl
    connector = aiohttp.TCPConnector(**connector_kw)
    timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(timeout_s, 20), sock_read=timeout_s)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        headers=dict(headers or {}),
        auto_decompress=auto_decompress,
        raise_for_status=False,
    )


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    def text(self) -> str:
        charset = "utf-8"
        ctype = self.headers.get("Content-Type", "")
        if "charset=" in ctype:
            charset = ctype.split("charset=", 1)[1].split(";", 1)[0].strip().strip('"') or "utf-8"
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        try:
            return jsonlib.loads(self.body.decode("utf-8", errors="replace").lstrip("\ufeff"))
        except ValueError:
            raise PermanentError(
                "expected JSON, got something else", url=self.url, status=self.status
            ) from None

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _error_detail(resp: Response) -> str:
    """WordPress-style `code: message` from an error body, without echoing request data."""
    try:
        data = jsonlib.loads(resp.body[:20000].decode("utf-8", errors="replace"))
    except ValueError:
        return ""
    if isinstance(data, dict) and ("code" in data or "message" in data):
        return f"{data.get('code', '')}: {data.get('message', '')}".strip(": ")
    return ""


class HostLimiters:
    """One aiolimiter per remote host, shared by every client and worker of a run.

    `rate` requests per second per host (0 = unlimited); `overrides` sets another rate for chosen
    hosts (e.g. the user's own WordPress). A 429 with Retry-After pauses the whole host.
    """

    def __init__(self, rate: float, overrides: Mapping[str, float] | None = None) -> None:
        self.rate = rate
        self.overrides = {h.lower(): r for h, r in (overrides or {}).items()}
        self._limiters: dict[str, AsyncLimiter | None] = {}
        self._paused_until: dict[str, float] = {}

    def _limiter(self, host: str) -> AsyncLimiter | None:
        if host not in self._limiters:
            rate = self.overrides.get(host, self.rate)
            if rate <= 0:
                self._limiters[host] = None
            else:
                # capacity 1 per 1/rate seconds: a smooth rate without bursts (bursts are what
                # make Tistory answer 429).
                self._limiters[host] = AsyncLimiter(1, 1.0 / rate)
        return self._limiters[host]

    def pause(self, host: str, seconds: float) -> None:
        self._paused_until[host] = max(self._paused_until.get(host, 0.0), time.monotonic() + seconds)

    async def wait_turn(self, host: str) -> None:
        while True:
            paused = self._paused_until.get(host, 0.0) - time.monotonic()
            if paused <= 0:
                break
            await asyncio.sleep(paused)
        limiter = self._limiter(host)
        if limiter is not None:
            await limiter.acquire()


@dataclass(slots=True)
class HttpStats:
    requests: int = 0
    writes: int = 0
    retries: int = 0
    per_host: dict[str, int] = field(default_factory=dict)
    bytes_in: int = 0


class HttpClient:
    """Requests to one remote service: per-host rate limit, retries with jittered backoff, error mapping."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        service: str,
        rate_limit: float,
        max_retries: int = 6,  # ~1 min of backoff at the default delays: a glitch costs time, not the post
        base_delay_s: float = 0.5,
        max_delay_s: float = 30.0,
        default_headers: Mapping[str, str] | None = None,
        limiters: HostLimiters | None = None,
        permanent_codes: Collection[str] = (),
        auth_statuses: Collection[int] = (401, 403),
        classify: Callable[[Response], str | None] | None = None,
        follow_redirects: bool = True,
    ) -> None:
        self.session = session
        self.service = service
        self.rate_limit = rate_limit
        self.max_retries = max_retries
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.default_headers = dict(default_headers or {})
        self.stats = HttpStats()
        self.limiters = limiters if limiters is not None else HostLimiters(rate_limit)
        self.permanent_codes = frozenset(permanent_codes)
        # Statuses that mean "our credentials are refused" (fatal for the run). WordPress answers 403
        # also for one object we may not touch (e.g. uploading to a post that was deleted), which
        # must fail that post only, so its client passes (401,).
        self.auth_statuses = frozenset(auth_statuses)
        # The service's own reading of an error answer: "transient" (retry, e.g. WordPress's
        # upload-folder race answered with 500 rest_upload_sideload_error), "permanent", or None
        # for the generic status rules.
        self.classify = classify
        # WordPress requests never follow redirects: the REST root is found once and a redirect would
        # either drop the Authorization header (another origin) or land on an HTML page.
        self.follow_redirects = follow_redirects

    def __repr__(self) -> str:
        return f"HttpClient(service={self.service!r}, requests={self.stats.requests})"

    def _is_permanent(self, resp: Response) -> bool:
        """WordPress answers some permanent refusals with 500 (e.g. rest_upload_sideload_error)."""
        kind = self.classify(resp) if self.classify is not None else None
        if kind is not None:
            return kind == "permanent"
        if not self.permanent_codes:
            return False
        detail = _error_detail(resp)
        return detail.split(":", 1)[0] in self.permanent_codes

    def _is_retryable(self, resp: Response) -> bool:
        if self.classify is not None and self.classify(resp) == "transient":
            return True
        return resp.status in RETRY_STATUSES and not self._is_permanent(resp)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.max_delay_s, self.base_delay_s * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)

    def retry_delay(self, attempt: int, failure: TransientError) -> float:
        """How long to wait before attempt `attempt` (1-based) after `failure`: jittered exponential
        backoff, or the server's Retry-After when it gave one."""
        delay = self._backoff(attempt - 1)
        if isinstance(failure, RateLimited) and failure.retry_after_s is not None:
            delay = max(delay, min(failure.retry_after_s, self.max_delay_s * 4))
        return delay

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        ok: Collection[int] = (200, 201),
        allow: Collection[int] = (),
        max_retries: int | None = None,
    ) -> Response:
        """Send one request, retrying transient failures; return it when its status is expected.

        Raises: AuthError (401/403), PermanentError (other unexpected statuses), RateLimited or
        TransientError once the retries are used up.
        """
        # host:port, so that two services on one host (tests, benchmarks) keep separate limits and counts.
        host = (urlsplit(url).netloc or "").lower()
        retries = self.max_retries if max_retries is None else max_retries
        merged_headers = {**self.default_headers, **(headers or {})}
        is_write = method.upper() not in ("GET", "HEAD", "OPTIONS")
        attempt = 0
        while True:
            await self.limiters.wait_turn(host)
            self.stats.requests += 1
            self.stats.per_host[host] = self.stats.per_host.get(host, 0) + 1
            if is_write:
                self.stats.writes += 1
            sent = await self._send(method, url, params=params, json=json, data=data, headers=merged_headers)
            if isinstance(sent, Response):
                if sent.status in ok or sent.status in allow:
                    return sent
                failure = self._judge(sent, url, host)  # raises when retrying cannot help
            else:
                failure = sent
            if attempt >= retries:
                raise failure
            delay_s = self._backoff(attempt)
            if isinstance(failure, RateLimited) and failure.retry_after_s is not None:
                delay_s = max(delay_s, min(failure.retry_after_s, self.max_delay_s * 4))
            attempt += 1
            self.stats.retries += 1
            log.debug(
                "http_retry_scheduled",
                service=self.service,
                url=url,
                attempt=attempt,
                http_status=failure.status,
                retry_in_s=round(delay_s, 2),
            )
            await asyncio.sleep(delay_s)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        json: Any,
        data: Any,
        headers: Mapping[str, str],
    ) -> Response | TransientError:
        """One request on the wire: its answer, or the transient failure (timeout, connection error)."""
        failure: TransientError
        try:
            async with self.session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                headers=headers,
                allow_redirects=self.follow_redirects,
            ) as raw:
                body = await raw.read()
                self.stats.bytes_in += len(body)
                return Response(raw.status, raw.headers, body, str(raw.url))
        except TimeoutError as exc:
            failure = TransientError(f"{self.service}: request timed out", url=url)
            failure.__cause__ = exc
        except aiohttp.ClientError as exc:
            failure = TransientError(f"{self.service}: {exc.__class__.__name__}", url=url)
            failure.__cause__ = exc
        return failure

    def _judge(self, resp: Response, url: str, host: str) -> TransientError:
        """An unexpected answer: the failure to retry, or raise AuthError/PermanentError at once."""
        if self._is_retryable(resp):
            delay = parse_retry_after(resp.headers.get("Retry-After"))
            if resp.status in (429, 503):
                if delay:
                    self.limiters.pause(host, min(delay, self.max_delay_s * 4))
                return RateLimited(
                    f"{self.service}: too many requests", retry_after_s=delay, url=url, status=resp.status
                )
            return TransientError(
                f"{self.service}: server error {_error_detail(resp)}".rstrip(), url=url, status=resp.status
            )
        detail = _error_detail(resp)
        if 300 <= resp.status < 400 and not self.follow_redirects:
            where = resp.headers.get("Location", "")
            raise PermanentError(
                f"{self.service}: redirected to {where or 'another address'}", url=url, status=resp.status
            )
        if resp.status in self.auth_statuses:
            raise AuthError(
                f"{self.service} refused the request {detail}".rstrip(), url=url, status=resp.status
            )
        raise PermanentError(
            f"{self.service}: unexpected answer {detail}".rstrip(), url=url, status=resp.status
        )


# ---------------------------------------------------------------------------- bounded file downloads
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 256 * 1024
_HEAD_BYTES = 64 * 1024  # what type sniffing looks at


@dataclass(slots=True)
class SpooledFile:
    """A downloaded file, on disk (never whole in memory). `path` is None when `status` is not 200."""

    status: int
    url: str
    content_type: str
    path: Path | None = None
    size: int = 0
    sha256: str = ""
    head: bytes = b""

    def open(self) -> BinaryIO:
        assert self.path is not None, "no body"
        return open(self.path, "rb")

    def discard(self) -> None:
        if self.path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            self.path = None


class _Decoder:
    """gzip/deflate decoding in bounded steps: a small compressed chunk never expands in one go
    (a gzip bomb is counted, and stopped, as it inflates)."""

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._z = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            self._z = zlib.decompressobj(47 if encoding != "deflate" else 15)
            self._raw_deflate = encoding == "deflate"
            self._started = False
        else:
            raise ValueError(encoding)

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        if self._z is None:
            yield chunk
            return
        if not self._started and self._raw_deflate and chunk:
            self._started = True
            if (chunk[0] & 0x0F) != 8:  # "deflate" without the zlib header, as some servers send it
                self._z = zlib.decompressobj(-15)
        data = chunk
        while data:
            out = self._z.decompress(data, _CHUNK)
            if out:
                yield out
            data = self._z.unconsumed_tail
        # leftover buffered output of the last step
        while True:
            out = self._z.decompress(b"", _CHUNK)
            if not out:
                break
            yield out


def _too_large(max_bytes: int) -> str:
    return f"too large (more than {max_bytes // (1024 * 1024)} MB)"


async def download_file(
    client: HttpClient,
    url: str,
    *,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    guard: AddressGuard | None = None,
    allow: Collection[int] = (),
    max_redirects: int = 5,
) -> SpooledFile:
    """GET a file into a temporary file, following redirects one hop at a time.

    Every hop is checked by `guard` (public addresses only, see netguard); the size is checked
    against Content-Length before reading and against the decoded byte count while reading, so
    neither a huge file nor a gzip bomb is ever held in memory. The session should not decompress
    on its own (`make_session(auto_decompress=False)`): decoding happens here, in bounded steps.
    Statuses in `allow` come back without a body. Raises FileUnavailable (too large, blocked
    address, redirect loop), PermanentError (other statuses) or TransientError after retries.
    """
    merged = {**client.default_headers, **(headers or {}), "Accept-Encoding": "gzip, deflate"}
    attempt = 0
    while True:
        try:
            return await _download_once(client, url, merged, max_bytes, guard, allow, max_redirects)
        except TransientError as failure:
            if attempt >= client.max_retries:
                raise
            attempt += 1
            client.stats.retries += 1
            await asyncio.sleep(client.retry_delay(attempt, failure))


async def _download_once(
    client: HttpClient,
    url: str,
    headers: Mapping[str, str],
    max_bytes: int,
    guard: AddressGuard | None,
    allow: Collection[int],
    max_redirects: int,
) -> SpooledFile:
    current = url
    for _hop in range(max_redirects + 1):
        if guard is not None and (refusal := guard.check_url(current)):
            raise FileUnavailable(refusal, url=url)
        host = (urlsplit(current).netloc or "").lower()
        await client.limiters.wait_turn(host)
        client.stats.requests += 1
        client.stats.per_host[host] = client.stats.per_host.get(host, 0) + 1
        try:
            async with client.session.get(current, headers=headers, allow_redirects=False) as raw:
                status = raw.status
                if status in REDIRECT_STATUSES and raw.headers.get("Location"):
                    current = urljoin(str(raw.url), raw.headers["Location"])
                    continue
                ctype = raw.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
                if status != 200:
                    if status in allow:
                        return SpooledFile(status, str(raw.url), ctype)
                    if status in RETRY_STATUSES:
                        retry_after = parse_retry_after(raw.headers.get("Retry-After"))
                        if status in (429, 503):
                            raise RateLimited(
                                f"{client.service}: too many requests",
                                retry_after_s=retry_after,
                                url=url,
                                status=status,
                            )
                        raise TransientError(f"{client.service}: server error", url=url, status=status)
                    raise PermanentError(f"{client.service}: unexpected answer", url=url, status=status)
                if raw.content_length is not None and raw.content_length > max_bytes:
                    raise FileUnavailable(_too_large(max_bytes), url=url)
                return await _spool(client, raw, ctype, max_bytes, url)
        except TimeoutError as exc:
            raise TransientError(f"{client.service}: request timed out", url=url) from exc
        except (OSError, aiohttp.ClientError) as exc:
            blocked = _blocked_cause(exc)
            if blocked is not None:
                raise FileUnavailable(str(blocked), url=url) from None
            raise TransientError(f"{client.service}: {exc.__class__.__name__}", url=url) from exc
    raise FileUnavailable(f"more than {max_redirects} redirects", url=url)


def _blocked_cause(exc: BaseException) -> BlockedAddress | None:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, BlockedAddress):
            return seen
        seen = getattr(seen, "os_error", None) or seen.__cause__
    return None


async def _spool(
    client: HttpClient, raw: aiohttp.ClientResponse, ctype: str, max_bytes: int, url: str
) -> SpooledFile:
    try:
        decoder = _Decoder(raw.headers.get("Content-Encoding", ""))
    except ValueError:
        raise FileUnavailable(
            f"unsupported Content-Encoding {raw.headers.get('Content-Encoding')!r}", url=url
        ) from None
    fd, name = tempfile.mkstemp(prefix="migrator-download-")
    result = SpooledFile(200, str(raw.url), ctype, Path(name))
    digest = hashlib.sha256()
    head = bytearray()
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in raw.content.iter_chunked(_CHUNK):
                client.stats.bytes_in += len(chunk)
                for piece in decoder.feed(chunk):
                    result.size += len(piece)
                    if result.size > max_bytes:
                        raise FileUnavailable(_too_large(max_bytes), url=url)
                    digest.update(piece)
                    if len(head) < _HEAD_BYTES:
                        head += piece[: _HEAD_BYTES - len(head)]
                    out.write(piece)
    except BaseException:
        result.discard()
        raise
    result.sha256 = digest.hexdigest()
    result.head = bytes(head)
    return result

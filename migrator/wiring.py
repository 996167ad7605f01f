"""The composition root: the one place that opens the job database, the HTTP sessions and the clients.

Every command runs inside `open_run(settings)`: take the database lock, open the store, open one
aiohttp session per remote service (sharing one per-host rate limiter), check the WordPress
credentials before anything is fetched from the blog, and close everything in reverse order.
Every other module receives what it needs from here.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import ssl as ssl_module
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from migrator.config import Settings
from migrator.errors import StateError
from migrator.http import BROWSER_HEADERS, HostLimiters, HttpClient, make_session
from migrator.netguard import AddressGuard, GuardedResolver
from migrator.state.store import StateStore
from migrator.tistory.source import SourceClient
from migrator.wordpress.client import PERMANENT_WP_CODES, WordPressClient, classify_wordpress_answer

__all__ = ["Clients", "Network", "Run", "db_lock", "open_clients", "open_run"]


@dataclass(frozen=True, slots=True)
class Network:
    """How to reach the services: tests pass a resolver mapping real host names to local fakes."""

    resolver: aiohttp.abc.AbstractResolver | None = None
    ssl: ssl_module.SSLContext | None = None


@dataclass(slots=True)
class Clients:
    source: SourceClient
    wp: WordPressClient
    tistory_http: HttpClient
    wp_http: HttpClient


@dataclass(slots=True)
class Run:
    """What a command works with: the job database and, unless it asked for none, the clients."""

    store: StateStore
    clients: Clients | None

    @property
    def wp(self) -> WordPressClient:
        assert self.clients is not None, "opened without clients"
        return self.clients.wp


@contextlib.contextmanager
def db_lock(db_path: Path) -> Iterator[None]:
    """One run per database at a time: a second `migrate` on the same state would race the first."""
    lock_path = db_path.with_name(db_path.name + ".lock")
    try:
        handle = open(lock_path, "a+")
    except OSError as exc:
        raise StateError(f"cannot create the lock file {lock_path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StateError(
                f"another migrate is already running on {db_path} (lock {lock_path}); wait for it or stop it"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


@contextlib.asynccontextmanager
async def open_clients(settings: Settings, network: Network | None = None) -> AsyncIterator[Clients]:
    """One aiohttp session per remote service for the whole run, sharing one per-host rate limiter."""
    network = network or Network()
    wp_host = (urlsplit(settings.wp_base_url).netloc or "").lower()
    overrides = {wp_host: settings.wp_rate_limit} if settings.wp_rate_limit is not None else {}
    limiters = HostLimiters(settings.rate_limit, overrides)
    per_host = max(8, settings.worker_count * 2)
    async with contextlib.AsyncExitStack() as stack:

        async def session(
            headers: dict[str, str], *, resolver: aiohttp.abc.AbstractResolver | None = None, **kw: bool
        ) -> aiohttp.ClientSession:
            return await stack.enter_async_context(
                make_session(
                    timeout_s=settings.request_timeout_s,
                    limit_per_host=per_host,
                    resolver=resolver or network.resolver,
                    ssl=network.ssl,
                    headers=headers,
                    **kw,
                )
            )

        def client(sess: aiohttp.ClientSession, service: str, **extra: object) -> HttpClient:
            return HttpClient(
                sess,
                service=service,
                rate_limit=settings.rate_limit,
                limiters=limiters,
                base_delay_s=settings.retry_base_delay_s,
                max_delay_s=settings.retry_max_delay_s,
                **extra,  # type: ignore[arg-type]
            )

        tistory_http = client(await session(BROWSER_HEADERS), "tistory")
        wp_http = client(
            await session({"User-Agent": "migrator/0.1 (+Tistory to WordPress)"}),
            "wordpress",
            permanent_codes=PERMANENT_WP_CODES,
            auth_statuses=(401,),
            classify=classify_wordpress_answer,
            follow_redirects=False,
        )
        wp = WordPressClient(
            wp_http,
            settings.wp_base_url,
            settings.wp_user,
            settings.wp_app_password,
            timeout_s=settings.request_timeout_s,
        )
        # Files (images, attachments) come through their own session: its resolver refuses non-public
        # addresses at connect time, and it leaves decompression to the bounded download.
        guard = AddressGuard(
            {urlsplit(settings.blog_url).hostname or ""}, enabled=not settings.allow_private_file_hosts
        )
        files_session = await session(
            BROWSER_HEADERS, resolver=GuardedResolver(guard, network.resolver), auto_decompress=False
        )
        files_http = client(files_session, "files")
        source = SourceClient(tistory_http, files_http, guard=guard)
        yield Clients(source, wp, tistory_http, wp_http)


@contextlib.asynccontextmanager
async def open_run(
    settings: Settings,
    network: Network | None = None,
    *,
    lock: bool = True,
    connect: bool = True,
) -> AsyncIterator[Run]:
    """Lock → open the store → open the clients → preflight WordPress → (work) → close.

    The preflight (`WordPressClient.check_auth`) finds the REST root the site advertises and checks
    the credentials; every WordPress problem it finds is a SiteError/AuthError (exit 2) raised
    before the blog is touched.

    `lock=False` for commands that only read while a run may be going on; `connect=False` for those
    that need no network. Raises FatalError subclasses (busy database, bad credentials, unreachable
    WordPress) before the caller touches anything.
    """
    with db_lock(settings.db_path) if lock else contextlib.nullcontext():
        store = await StateStore.open(settings.db_path)
        try:
            if not connect:
                yield Run(store, None)
                return
            async with open_clients(settings, network) as clients:
                await clients.wp.check_auth()
                yield Run(store, clients)
        finally:
            await store.close()

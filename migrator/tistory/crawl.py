"""Post discovery: every public post of a Tistory blog, streamed as PostRefs while it is found.

No single public listing is complete (tistory.md §4), so several sources are read in turn and
deduplicated by numeric id (slug-only URLs by decoded slug):

1. the mobile JSON list `/m/api/entry/0/POST` (then `/NOTICE`), skin-independent;
2. `/sitemap.xml` (nested sitemap indexes too), capped at ~1,000 URLs by Tistory;
3. HTML list pages `/?page=N` (then `/category?page=N` when the home page gave at most one page:
   a cover home or a tiny blog), where every link that names a post counts, whatever the skin.
   Paging stops at the first page that adds no post the list crawl has not seen yet (an
   out-of-range page repeats the last one; sidebars repeat on every page) or at `max_list_pages`.
   Numbered pages (here and in the mobile list) are fetched a few ahead of the walk (`readahead`),
   which still reads every page in order with the same stopping rule: a re-run of a big blog is
   not a long chain of waits;
   List pages are read even when the mobile API looked complete: they are the only public
   listing that is never capped;
4. `/rss`, the newest ≤50 posts, mainly for the highest id;
5. optionally, numeric probing of the ids 1..highest that no listing showed.

Discovery never keeps page bodies: only sets of seen ids/slugs, so memory stays flat for 50,000
posts. A source that is missing or fails after retries is logged and skipped; `SourceBlocked`
(Tistory answering 403 to a page) aborts the run. Malformed links in any source are logged with where
they came from and skipped. Reading each listing's text is the pure, linear-time `listing` module.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Collection, Iterator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import structlog

from migrator.errors import AuthError, PermanentError, SourceNotTistory, TransientError
from migrator.models import PostRef
from migrator.tistory.listing import (
    PROTECTED_SUMMARY,
    EntryPage,
    Found,
    ascii_lower,
    extract_post_links,
    last_linked_page,
    parse_entry_list,
    parse_rss_links,
    parse_sitemap,
)
from migrator.tistory.parse import looks_like_tistory, stated_blog_urls
from migrator.tistory.readahead import ReadAhead
from migrator.tistory.source import Page, SourceClient
from migrator.tistory.urls import (
    blog_aliases,
    blog_origin,
    canonical_page_url,
    canonical_post_url,
    canonical_slug_url,
    classify_post_url,
    normalise_host,
)

__all__ = [
    "PROTECTED_SUMMARY",
    "Crawler",
    "DiscoveryStats",
    "EntryPage",
    "Found",
    "extract_post_links",
    "parse_entry_list",
    "parse_rss_links",
    "parse_sitemap",
    "verify_tistory_blog",
]

log = structlog.get_logger(__name__)

MOBILE_PAGE_SIZE = 20
MAX_API_PAGES = 10_000      # 200,000 posts; the "nothing new" rule normally ends paging long before
MAX_SITEMAPS = 200          # nested sitemaps followed at most (an index pointing at itself must end)
MAX_MALFORMED_LOGGED = 20   # malformed links logged one by one per run; the rest are only counted
# Pages of one listing fetched ahead of the walk (list pages, mobile JSON pages): the HTTP client's
# connections per host (8) and its rate limit still bound them.
READ_AHEAD = 8


@dataclass
class DiscoveryStats:
    """What discovery found so far; updated live, readable at any time (progress display, job row).

    `found_by_source` counts the distinct posts each source listed (a post listed by two sources
    counts for both); `new_by_source` counts the posts each source was first to find, so its
    values sum to `total`.
    """

    found_by_source: dict[str, int] = field(default_factory=dict)
    total: int = 0
    highest_id: int | None = None
    new_by_source: dict[str, int] = field(default_factory=dict)
    failed_sources: list[str] = field(default_factory=list)
    unavailable_sources: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "found_by_source": dict(self.found_by_source),
            "new_by_source": dict(self.new_by_source),
            "total": self.total,
            "highest_id": self.highest_id,
            "failed_sources": list(self.failed_sources),
            "unavailable_sources": list(self.unavailable_sources),
        }


class _Unavailable(Exception):
    """A source does not exist on this blog (404, not JSON, unknown shape): skip it quietly."""


def _blog_hosts_in_page(page_html: str) -> set[str]:
    """The blog's own hosts as Tistory states them in the first `<head>` (custom domain + tistory)."""
    end = ascii_lower(page_html).find("</head>")
    head = page_html[:end] if end >= 0 else page_html[:20000]
    return {host for host in map(normalise_host, stated_blog_urls(head)) if host}


def _is_tistory_host(host: str) -> bool:
    return host == "tistory.com" or host.endswith(".tistory.com")


def _hosts_of_page(final_url: str, page_html: str) -> set[str]:
    """Hosts a fetched blog page proves are the blog's: those its head names (never Tistory's own
    service hosts), and a redirect target outside tistory.com (the blog moved to its custom domain).
    A redirect to some *.tistory.com page (restricted or deleted blog notices) proves nothing."""
    hosts = {h for h in _blog_hosts_in_page(page_html) if h not in ("tistory.com", "www.tistory.com")}
    redirected = normalise_host(final_url)
    if redirected and not _is_tistory_host(redirected):
        hosts.add(redirected)
    return hosts


# ---------------------------------------------------------------------------------------- blog check
async def verify_tistory_blog(source: SourceClient, blog_url: str) -> None:
    """Stop before any post is read when `blog_url` is some other site (every `/2023`-like link of it
    would become a failed post). Evidence: Tistory's markup on the home page (its scripts, meta tags
    and static hosts, served on custom domains too), else a Tistory mobile JSON list.

    Raises SourceNotTistory (exit 2). A home page that cannot be read at all (server errors after
    retries) proves nothing either way: logged, and the run goes on.
    """
    origin = blog_origin(blog_url)
    try:
        home = await source.fetch_page(origin + "/")
    except (TransientError, PermanentError) as exc:
        log.warning("blog_check_inconclusive", url=origin, error=exc.__class__.__name__, error_msg=str(exc))
        return
    if looks_like_tistory(home.text):
        return
    try:
        data = await source.fetch_json(f"{origin}/m/api/entry/0/POST?page=0&size=1")
    except (TransientError, PermanentError, AuthError):
        data = None
    if isinstance(data, dict) and parse_entry_list(data, origin, blog_aliases(origin)) is not None:
        return
    raise SourceNotTistory(
        f"TISTORY_BLOG_URL {origin} is not a Tistory blog: its home page (HTTP {home.status}"
        f"{', at ' + home.url if home.url.rstrip('/') != origin else ''}) shows none of Tistory's markup "
        "and it has no Tistory post list; set the address of the blog (https://<name>.tistory.com "
        "or its custom domain)"
    )


# ---------------------------------------------------------------------------------------- crawler
class Crawler:
    """Streams every post of one blog it can find, deduplicated, as PostRefs.

    `origin` is any URL of the blog (its origin is used); `hosts` are extra host names it answers
    on (custom domain); hosts named by the blog's own pages and redirects are learned on the way.
    """

    def __init__(
        self, source: SourceClient, origin: str, *, hosts: Collection[str] = (),
        probe: bool = False, max_list_pages: int = 10_000, read_ahead: int = READ_AHEAD,
    ) -> None:
        self.source = source
        self.origin = blog_origin(origin)
        self.hosts: set[str] = set(blog_aliases(self.origin, hosts))
        self.probe = probe
        self.max_list_pages = max(1, max_list_pages)
        self.read_ahead = read_ahead
        self.stats = DiscoveryStats()
        self._seen_ids: set[int] = set()
        self._seen_slugs: set[str] = set()
        self._seen_pages: set[int | str] = set()
        self.malformed_links = 0

    def __repr__(self) -> str:
        stats = self.stats
        return f"Crawler(origin={self.origin!r}, total={stats.total}, highest_id={stats.highest_id})"

    async def discover(self) -> AsyncIterator[PostRef]:
        """Yield each newly found post as soon as a source lists it (sources in the module's order).

        Raises SourceBlocked (fatal) when Tistory refuses the blog; other source failures are logged.
        """
        sources: list[tuple[str, AsyncGenerator[Found, None]]] = [
            ("mobile_api", self._mobile_api("POST")),
            ("notice_api", self._mobile_api("NOTICE")),
            ("sitemap", self._sitemap()),
            ("list", self._list_pages()),
            ("rss", self._rss()),
        ]
        for name, found in sources:
            async for ref in self._run_source(name, found):
                yield ref
        if self.probe:
            async for ref in self._probe():
                yield ref
        log.info("discovery_finished", origin=self.origin, **self.stats.as_dict())

    # ------------------------------------------------------------------ bookkeeping
    def _admit(self, found: Found, source: str) -> PostRef | None:
        """The PostRef to yield when `found` is a post not yielded yet, else None."""
        if found.kind == "page":
            return self._admit_page(found, source)
        if found.post_id is not None:
            if self.stats.highest_id is None or found.post_id > self.stats.highest_id:
                self.stats.highest_id = found.post_id
            if found.post_id in self._seen_ids:
                if found.slug is not None:
                    self._seen_slugs.add(found.slug)   # so a later slug-only URL of it is known too
                return None
            self._seen_ids.add(found.post_id)
            if found.slug is not None:
                if found.slug in self._seen_slugs:
                    return None        # yielded earlier as a slug-only URL; now we also know its id
                self._seen_slugs.add(found.slug)
            url = canonical_post_url(self.origin, found.post_id)
            if source == "notice_api":
                # Notices live under /notice/<id> (same id sequence as posts); fetch them there.
                url = f"{self.origin}/notice/{found.post_id}"
        else:
            assert found.slug is not None
            if found.slug in self._seen_slugs:
                return None
            self._seen_slugs.add(found.slug)
            url = canonical_slug_url(self.origin, found.slug)
        self.stats.total += 1
        self.stats.new_by_source[source] = self.stats.new_by_source.get(source, 0) + 1
        return PostRef(url, found.post_id, found.slug, source=source, protected=found.protected)

    def _admit_page(self, found: Found, source: str) -> PostRef | None:
        """A static page (`/pages/<slug>`), known by its slug; recorded under its canonical URL."""
        assert found.slug is not None
        if found.key in self._seen_pages:
            return None
        self._seen_pages.add(found.key)
        self.stats.total += 1
        self.stats.new_by_source[source] = self.stats.new_by_source.get(source, 0) + 1
        url = canonical_page_url(self.origin, found.slug)
        return PostRef(url, None, found.slug, source=source, protected=found.protected, kind="page")

    async def _run_source(self, name: str, found_iter: AsyncGenerator[Found, None]) -> AsyncIterator[PostRef]:
        listed: set[int | str] = set()
        self.stats.found_by_source.setdefault(name, 0)
        self.stats.new_by_source.setdefault(name, 0)
        status = "ok"
        try:
            async with aclosing(found_iter) as founds:
                async for found in founds:
                    if found.key not in listed:
                        listed.add(found.key)
                        self.stats.found_by_source[name] = len(listed)
                    ref = self._admit(found, name)
                    if ref is not None:
                        yield ref
        except _Unavailable as exc:
            status = "unavailable"
            self.stats.unavailable_sources.append(name)
            log.info("discovery_source_unavailable", source=name, reason=str(exc))
        except (TransientError, PermanentError) as exc:
            # After HttpClient's retries: this source is lost for this run, the others may cover it.
            status = "failed"
            self.stats.failed_sources.append(name)
            log.warning(
                "discovery_source_failed", source=name, error=exc.__class__.__name__, error_msg=str(exc),
                http_status=exc.status,
            )
        log.info(
            "discovery_source_finished", source=name, status=status, found=len(listed),
            new=self.stats.new_by_source.get(name, 0), total=self.stats.total,
        )

    def _malformed(self, source: str, found_in: str) -> Callable[[str], None]:
        """A reporter for links urllib cannot read: each is skipped, and logged with where it came
        from (the first few per run; a hostile page must not flood the log)."""

        def report(url: str) -> None:
            self.malformed_links += 1
            if self.malformed_links <= MAX_MALFORMED_LOGGED:
                log.warning("malformed_link_skipped", source=source, found_in=found_in, url=url[:300])
            elif self.malformed_links == MAX_MALFORMED_LOGGED + 1:
                log.warning("malformed_links_not_logged_further", source=source, found_in=found_in)

        return report

    def _learn_hosts(self, hosts: Collection[str], why: str) -> None:
        new = {h for h in blog_aliases(self.origin, hosts) if h not in self.hosts}
        if new:
            self.hosts |= new
            log.info("blog_hosts_learned", hosts=sorted(new), learned_from=why)

    async def _json(self, url: str) -> Any | None:
        try:
            return await self.source.fetch_json(url)
        except AuthError:
            return None            # 401 on an optional public endpoint: treat as absent

    async def _text(self, url: str) -> str | None:
        try:
            return await self.source.fetch_text(url)
        except AuthError:
            return None

    # ------------------------------------------------------------------ sources
    async def _mobile_api(self, kind: str) -> AsyncGenerator[Found, None]:
        base = f"{self.origin}/m/api/entry/0/{kind}"

        def page_url(number: int) -> str:
            return f"{base}?page={number}&size={MOBILE_PAGE_SIZE}"

        # Numbered pages are read ahead; a `startId` cursor is only known from the page before it.
        async with ReadAhead(lambda n: self._json(page_url(n)), self.read_ahead, limit=0) as pages:
            async for found in self._mobile_api_pages(kind, pages, page_url):
                yield found

    async def _mobile_api_pages(
        self, kind: str, pages: ReadAhead[Any | None], page_url: Callable[[int], str],
    ) -> AsyncGenerator[Found, None]:
        page = 0
        cursor: str | None = None
        listed: set[int | str] = set()
        for number in range(MAX_API_PAGES):
            if cursor is not None:
                url = f"{self.origin}/m/api/entry/0/{kind}?startId={cursor}&size={MOBILE_PAGE_SIZE}"
                data = await self._json(url)
            else:
                url = page_url(page)
                data = await pages.get(page)
            parsed = (
                parse_entry_list(data, self.origin, self.hosts, self._malformed(kind, url))
                if data is not None else None
            )
            if parsed is None or (parsed.raw_count and not parsed.found):
                if number == 0:
                    raise _Unavailable("missing, not JSON or an unknown shape")
                log.warning("discovery_page_unreadable", source=kind, page=page, cursor=cursor)
                return
            new = [f for f in parsed.found if f.key not in listed]
            if not new:
                return             # empty, or a repeat of what we already read: the end
            for found in parsed.found:
                listed.add(found.key)
                yield found
            if parsed.is_last:
                return
            pages.limit = page + _pages_left_at_most(parsed)
            if parsed.next_id is not None:
                if parsed.next_id == cursor:
                    return
                cursor = parsed.next_id
            elif parsed.next_page is not None and parsed.next_page > page:
                page = parsed.next_page
            else:
                page += 1

    async def _sitemap(self) -> AsyncGenerator[Found, None]:
        queue = [f"{self.origin}/sitemap.xml"]
        fetched: set[str] = set()
        while queue and len(fetched) < MAX_SITEMAPS:
            url = queue.pop(0)
            fetched.add(url)
            text = await self._text(url)
            if text is None:
                if len(fetched) == 1:
                    raise _Unavailable("no /sitemap.xml")
                continue
            pages, nested = parse_sitemap(text)
            report = self._malformed("sitemap", url)
            for loc in nested:
                try:
                    absolute = urljoin(url, loc)
                except ValueError:
                    report(loc)
                    continue
                known = normalise_host(absolute) in self.hosts
                if known and absolute not in fetched and absolute not in queue:
                    queue.append(absolute)
            self._adopt_sitemap_host(pages)
            for loc in pages:
                target = classify_post_url(loc, self.hosts, base=url, on_malformed=report, pages=True)
                if target is not None:
                    yield Found(target.post_id, target.slug, kind=target.kind)

    def _adopt_sitemap_host(self, locs: list[str]) -> None:
        """A blog's own sitemap lists its posts under its primary address. When none of them is on a
        known host but all post-shaped ones share one other host, that host is the blog's custom
        domain (the user configured the tistory.com address): adopt it."""
        known = False
        others: set[str] = set()
        for loc in locs:
            host = normalise_host(loc)
            if host in self.hosts:
                known = True
                break
            if host and classify_post_url(loc, {host}) is not None:
                others.add(host)
        if not known and len(others) == 1:
            self._learn_hosts(others, "sitemap")

    async def _list_pages(self) -> AsyncGenerator[Found, None]:
        listed: set[int | str] = set()
        for path in ("/", "/category"):
            async with ReadAhead(self._list_page_reader(path), self.read_ahead, limit=1) as pages:
                pages_with_new = 0
                async for found in self._list_of(path, pages, listed):
                    if found is None:
                        pages_with_new += 1
                    else:
                        yield found
            if pages_with_new > 1:
                return              # the home page paged through the list; /category would repeat it
            # The home page listed nothing or one page only (cover home, tiny blog): /category is
            # the all-posts list on every skin; on a tiny blog its first page is all repeats (1 request).

    def _list_page_reader(self, path: str) -> Callable[[int], Awaitable[Page]]:
        def read(number: int) -> Awaitable[Page]:
            return self.source.fetch_page(f"{self.origin}{path}?page={number}")

        return read

    async def _list_of(
        self, path: str, pages: ReadAhead[Page], listed: set[int | str],
    ) -> AsyncGenerator[Found | None, None]:
        """The posts of one list, page after page in order, with None after each page that had new ones."""
        for number in range(1, self.max_list_pages + 1):
            page = await pages.get(number)
            if page.status != 200:
                return
            self._learn_hosts(_hosts_of_page(page.url, page.text), "list_page")
            found = extract_post_links(page.text, page.url, self.hosts, self._malformed("list", page.url))
            # The out-of-range page repeats the last one (and sidebars repeat on every page): a
            # page with nothing new ends the paging, so it always terminates.
            new = [f for f in found if f.key not in listed]
            if not new:
                return
            listed.update(f.key for f in found)
            hint = last_linked_page(page.text, path)
            pages.limit = min(self.max_list_pages, max(pages.limit or 0, hint))
            for item in found:
                yield item
            yield None

    async def _rss(self) -> AsyncGenerator[Found, None]:
        url = f"{self.origin}/rss"
        text = await self._text(url)
        if text is None:
            raise _Unavailable("no /rss")
        report = self._malformed("rss", url)
        for values in parse_rss_links(text):
            targets = [
                t for t in (classify_post_url(v, self.hosts, base=self.origin, on_malformed=report) for v in values) if t
            ]
            post_id = next((t.post_id for t in targets if t.post_id is not None), None)
            slug = next((t.slug for t in targets if t.slug is not None), None)
            if post_id is not None or slug is not None:
                yield Found(post_id, slug)

    async def _probe(self) -> AsyncIterator[PostRef]:
        """Candidate URLs for ids 1..highest that no listing showed; the worker skips missing ones."""
        highest = self.stats.highest_id or 0
        self.stats.found_by_source.setdefault("probe", 0)
        self.stats.new_by_source.setdefault("probe", 0)
        for post_id in _unseen(highest, self._seen_ids):
            self._seen_ids.add(post_id)
            self.stats.total += 1
            self.stats.found_by_source["probe"] += 1
            self.stats.new_by_source["probe"] += 1
            yield PostRef(url=canonical_post_url(self.origin, post_id), post_id=post_id, source="probe")
        log.info(
            "discovery_source_finished", source="probe", status="ok",
            found=self.stats.found_by_source["probe"], new=self.stats.new_by_source["probe"],
            total=self.stats.total, highest_id=highest,
        )


def _pages_left_at_most(parsed: EntryPage) -> int:
    """Pages of the mobile list that can follow this one: it lists newest first and ids are
    positive, so fewer posts than its smallest id are left. Caps the read-ahead only."""
    ids = [f.post_id for f in parsed.found if f.post_id is not None]
    if not ids:
        return 1
    return -(-(min(ids) - 1) // max(parsed.raw_count, 1))


def _unseen(highest: int, seen: set[int]) -> Iterator[int]:
    return (i for i in range(1, highest + 1) if i not in seen)

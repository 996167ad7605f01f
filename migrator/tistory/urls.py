"""Tistory URL rules: which URLs name a post of this blog, and the one canonical form of each.

Pure functions (no I/O). A post is named either by its numeric id (`/123`, `/m/123`, `/notice/123`,
`/m/notice/123`) or by a slug (`/entry/<slug>`, `/m/entry/<slug>`, the "문자" URL setting); a static
page by its slug (`/pages/<slug>`, kind "page", only for callers that ask for pages). Hosts,
query strings, fragments, trailing slashes, `/m/` prefixes and percent-encoding are canonicalised
away (tistory.md §3.2); slugs are compared in their decoded, NFC-normalised form.
"""

from __future__ import annotations

import functools
import ipaddress
import unicodedata
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit

__all__ = [
    "PostUrl",
    "blog_aliases",
    "blog_origin",
    "canonical_page_url",
    "canonical_post_url",
    "canonical_slug_url",
    "classify_post_url",
    "is_page_url",
    "normalise_host",
    "post_url_fragment",
    "url_is_wellformed",
]

# Ids are sequential per blog; more digits than this is not a post id but some other number.
_MAX_ID_DIGITS = 12


@dataclass(frozen=True, slots=True)
class PostUrl:
    """What a post URL says about its post: the numeric id, or the decoded slug (never both from a URL).
    A static page (`kind` "page") has no id in its URL, only its slug."""

    post_id: int | None
    slug: str | None
    kind: str = "post"


def normalise_host(value: str) -> str:
    """Lower-cased host name from a host, `host:port` or a whole URL; '' when there is none (or the
    value is malformed: this never raises)."""
    value = value.strip()
    if not value:
        return ""
    try:
        if "//" in value:
            host = urlsplit(value if "://" in value or value.startswith("//") else "//" + value).hostname
            return (host or "").rstrip(".").lower()
        host = urlsplit("//" + value).hostname or ""
    except ValueError:          # e.g. an unclosed IPv6 bracket: `http://[x/1`
        return ""
    return host.rstrip(".").lower()


def url_is_wellformed(url: str) -> bool:
    """Whether urllib can read the URL at all (host, port); `http://[x/1` or `http://h:99999/` cannot."""
    try:
        parts = urlsplit(url.strip())
        _ = parts.hostname, parts.port
    except ValueError:
        return False
    return True


def blog_origin(url: str) -> str:
    """`scheme://host[:port]` of any URL of the blog (https assumed when the scheme is missing).

    Raises ValueError when the URL has no host.
    """
    raw = url.strip()
    if "://" not in raw and not raw.startswith("//"):
        raw = "https://" + raw
    parts = urlsplit(raw)
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise ValueError(f"not a URL with a host: {url!r}")
    scheme = (parts.scheme or "https").lower()
    if ":" in host:                      # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _www_variant(host: str) -> str | None:
    """The www/no-www twin of a custom domain; None for tistory.com hosts, IPs and single labels."""
    if host.endswith(".tistory.com") or host == "tistory.com" or _is_ip(host) or "." not in host:
        return None
    if host.startswith("www."):
        rest = host[4:]
        return rest if "." in rest else None
    return "www." + host


def blog_aliases(origin: str, extra_hosts: Iterable[str] = ()) -> frozenset[str]:
    """Lower-cased host names the blog answers on.

    The origin's host and every extra host (hosts or URLs), plus the www/no-www variant of custom
    domains: a blog at `www.morenice.kr` is linked as `morenice.kr` too. `name.tistory.com` hosts get
    no variant (Tistory serves no `www.name.tistory.com`).
    """
    hosts: set[str] = set()
    for value in (origin, *extra_hosts):
        host = normalise_host(value)
        if not host:
            continue
        hosts.add(host)
        twin = _www_variant(host)
        if twin:
            hosts.add(twin)
    return frozenset(hosts)


def _post_id(segment: str) -> int | None:
    if not segment.isascii() or not segment.isdigit() or len(segment) > _MAX_ID_DIGITS:
        return None
    value = int(segment)
    return value if value > 0 else None


def classify_post_url(
    url: str, hosts: Collection[str], *, base: str | None = None,
    on_malformed: Callable[[str], None] | None = None, pages: bool = False,
) -> PostUrl | None:
    """The post a URL names, or None when it is not a post of this blog.

    Total: never raises, whatever the string (links come from pages we do not control). A URL urllib
    cannot read (`http://[x/1`) gives None, and `on_malformed(url)` is called so the caller can log
    where it came from.

    `hosts` are the blog's host names (see `blog_aliases`); relative URLs are resolved against
    `base` and rejected without one. Accepts http/https, any of `hosts`, a trailing slash, a query
    (`?category=…`), a fragment (`#comment…`), the `/m/` prefix, `/notice/<id>` and raw or
    percent-encoded slugs. Everything else (category, tag, search, guestbook, archive, static
    `/pages/…`, rss, sitemap, manage, toolbar, attachments, the `/m` home, other hosts, mailto:,
    javascript:, bare fragments) gives None. With `pages`, a static page `/pages/<slug>` gives
    `PostUrl(None, slug, "page")` (callers that cannot handle pages keep the default: None).
    """
    try:
        found = _classify(url, hosts, base)
        return None if found is not None and found.kind == "page" and not pages else found
    except ValueError:
        if on_malformed is not None:
            on_malformed(url)
        return None


# Characters urlsplit strips or rejects; a link holding one takes the full parse.
_UNSAFE = frozenset("\t\r\n\\")


def _host_of(parts: SplitResult) -> str:
    """The lower-cased host; raises ValueError on an invalid port (a malformed URL)."""
    _ = parts.port
    return (parts.hostname or "").rstrip(".").lower()


@functools.lru_cache(maxsize=256)
def _scheme_and_host(base: str) -> tuple[str, str]:
    parts = urlsplit(base)
    return parts.scheme.lower(), _host_of(parts)


def _classify(url: str, hosts: Collection[str], base: str | None) -> PostUrl | None:
    if not isinstance(url, str):
        return None
    raw = url.strip()
    if not raw or raw.startswith("#"):
        return None
    if base is not None and raw[0] == "/" and raw[1:2] != "/" and not _UNSAFE.intersection(raw):
        # Path-absolute, the usual list-page link (50,000 on a hostile page): no urlsplit needed.
        scheme, host = _scheme_and_host(base)
        path = raw.split("#", 1)[0].split("?", 1)[0]
        if scheme not in ("http", "https"):
            return None
        return _post_of(host, path, hosts)
    parts = urlsplit(raw)
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return None
    path = parts.path
    if not parts.netloc:
        if base is None:
            return None
        if raw.startswith("/"):
            # Path-absolute, the usual list-page link: the base's host, without a urljoin per link.
            scheme, host = _scheme_and_host(base)
        else:
            joined = urlsplit(urljoin(base, raw))
            scheme, host, path = joined.scheme.lower(), _host_of(joined), joined.path
        if scheme not in ("http", "https"):
            return None
    else:
        # Protocol-relative (//host/123) included: the scheme does not matter for identity.
        host = _host_of(parts)
    return _post_of(host, path, hosts)


def _post_of(host: str, path: str, hosts: Collection[str]) -> PostUrl | None:
    if not host or (host not in hosts and host not in {normalise_host(h) for h in hosts}):
        return None

    # Split before decoding, so an encoded "/" inside a slug stays inside the slug.
    segments = [unquote(s, errors="replace") if "%" in s else s for s in path.split("/") if s]
    if segments and segments[0] == "m":
        segments = segments[1:]
    if len(segments) == 1:
        post_id = _post_id(segments[0])
        return PostUrl(post_id, None) if post_id is not None else None
    if len(segments) == 2 and segments[0] == "notice":
        post_id = _post_id(segments[1])
        return PostUrl(post_id, None) if post_id is not None else None
    if len(segments) == 2 and segments[0] in ("entry", "pages"):
        slug = unicodedata.normalize("NFC", segments[1]).strip()
        if not slug:
            return None
        return PostUrl(None, slug, "post" if segments[0] == "entry" else "page")
    return None


def canonical_post_url(origin: str, post_id: int) -> str:
    """`{origin}/{post_id}`: the one URL under which a post with a known id is recorded."""
    return f"{origin.rstrip('/')}/{post_id}"


def canonical_slug_url(origin: str, slug: str) -> str:
    """`{origin}/entry/{percent-encoded slug}` for a decoded slug, always encoded the same way.

    The slug is NFC-normalised and every byte outside the unreserved set is percent-encoded (a
    `/` inside the slug too), so the raw and encoded spellings of one slug give one URL.
    """
    normalised = unicodedata.normalize("NFC", slug)
    return f"{origin.rstrip('/')}/entry/{quote(normalised, safe='')}"


def canonical_page_url(origin: str, slug: str) -> str:
    """`{origin}/pages/{percent-encoded slug}`: the one URL under which a static page is recorded (a
    page may carry no numeric id, so this URL is its identity)."""
    normalised = unicodedata.normalize("NFC", slug)
    return f"{origin.rstrip('/')}/pages/{quote(normalised, safe='')}"


def is_page_url(url: str) -> bool:
    """Whether a recorded canonical URL is a static page's (`canonical_page_url`)."""
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return False
    return path.startswith("/pages/") and len(path) > len("/pages/")


def post_url_fragment(url: str) -> str:
    """The fragment of a URL (`comment123` of `/5#comment123`), '' when there is none (or malformed)."""
    try:
        return urlsplit(url.strip()).fragment
    except ValueError:
        return ""

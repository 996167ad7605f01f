"""Redirect maps from every old Tistory address of each migrated post to its WordPress address.

Old addresses: `/123`, `/m/123`, `/entry/<slug>` and `/m/entry/<slug>` (raw and percent-encoded),
any other address a post was found under (e.g. `/notice/123`), on every host the blog answers on.
New address: the post's `link` once published; for a draft, the permalink it gets when published
(links.public_url: the permalink template with its slug). The map is read from WordPress each time
it is written, so running `migrate redirects` again after publishing (or after renaming a slug)
gives the final addresses.

Formats: `csv` (every host x every form, for people and scripts), `nginx` (a `map` on `$uri`,
which nginx decodes and strips of its query string), `apache` (mod_alias `Redirect 301`, which
compares the decoded path and matches whole path segments), `redirection` (the JSON import file of
the WordPress Redirection plugin, query strings ignored, trailing slash optional). The last three
key on the decoded path only, as their servers decode the request before matching.
"""

from __future__ import annotations

import csv
import io
import json
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import structlog

from migrator.config import Settings
from migrator.core.links import public_url
from migrator.models import ItemStatus
from migrator.safe_output import csv_cell
from migrator.state.store import StateStore
from migrator.tistory import urls
from migrator.wiring import Network, open_run
from migrator.wordpress.client import WordPressClient

__all__ = [
    "FORMATS",
    "PostAddress",
    "Redirect",
    "RedirectSet",
    "blog_origins",
    "build_redirects",
    "collect_addresses",
    "old_paths",
    "render",
    "run_redirects",
]

log = structlog.get_logger(__name__)

FORMATS = ("csv", "nginx", "apache", "redirection")
NGINX_VARIABLE = "$tistory_redirect"


@dataclass(frozen=True, slots=True)
class PostAddress:
    """A migrated post: where it was on Tistory and where it is (or will be) on WordPress."""

    source_url: str
    post_id: int | None
    slug: str | None  # decoded Tistory slug
    title: str
    wp_post_id: int
    status: str  # WordPress status (draft, publish, …)
    new_url: str
    extra_paths: tuple[str, ...] = ()
    kind: str = "post"  # "page": a static page (`/pages/<slug>`), now a WordPress page


@dataclass(frozen=True, slots=True)
class Redirect:
    old_url: str  # full URL (scheme://host/path), path as spelled in `old_path`
    old_path: str
    decoded: bool  # the path is in decoded form (what servers match against)
    new_url: str
    wp_post_id: int
    status: str
    source_url: str


@dataclass(slots=True)
class RedirectSet:
    posts: list[PostAddress] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # migrated, but no longer in WordPress
    origins: list[str] = field(default_factory=list)

    @property
    def drafts(self) -> int:
        return sum(1 for p in self.posts if p.status not in ("publish", "private"))


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def old_paths(
    post_id: int | None, slug: str | None, extra: Iterable[str] = (), kind: str = "post"
) -> list[tuple[str, bool]]:
    """(path, decoded?) of every Tistory address form of a post, decoded forms first, no duplicates.

    `extra` are other paths the post was found under (decoded or not). A page's slug is a `/pages/` one.
    """
    decoded: list[str] = []
    encoded: list[str] = []
    if post_id is not None:
        decoded += [f"/{post_id}", f"/m/{post_id}"]
    if slug:
        name = _nfc(slug)
        base = "pages" if kind == "page" else "entry"
        decoded += [f"/{base}/{name}", f"/m/{base}/{name}"]
        # Browsers send upper-case escapes; Tistory's own links use them too.
        enc = quote(name, safe="")
        encoded += [f"/{base}/{enc}", f"/m/{base}/{enc}"]
    for path in extra:
        if not path.startswith("/"):
            continue
        plain = _nfc(unquote(path, errors="replace")).rstrip("/") or "/"
        decoded.append(plain)
        if path.rstrip("/") != plain:
            encoded.append(path.rstrip("/"))
    out: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for path, is_decoded in [*((p, True) for p in decoded), *((p, False) for p in encoded)]:
        if path not in seen and path != "/":
            seen.add(path)
            out.append((path, is_decoded))
    return out


def blog_origins(known_urls: Iterable[str], extra_hosts: Iterable[str] = ()) -> list[str]:
    """`scheme://host[:port]` of every host the blog answers on, learnt from the URLs the job
    database holds (the blog address, post URLs, aliases, internal links) plus `extra_hosts`."""
    origins: dict[str, str] = {}
    for raw in known_urls:
        parts = urlsplit(raw.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            continue
        netloc = parts.netloc.lower()
        origins.setdefault(netloc, "https" if netloc.endswith(".tistory.com") else parts.scheme)
    for host in list(origins) + [h.strip().lower() for h in extra_hosts if h.strip()]:
        name = host.split("://", 1)[-1].split("/", 1)[0]
        origins.setdefault(name, "https")
        for twin in urls.blog_aliases(f"https://{name}"):
            origins.setdefault(twin, origins[name])
    return sorted(f"{scheme}://{netloc}" for netloc, scheme in origins.items())


def build_redirects(posts: Sequence[PostAddress], origins: Sequence[str]) -> list[Redirect]:
    """Every (origin x old path) of every post, except one that would redirect to itself."""
    out: list[Redirect] = []
    for post in posts:
        new = urlsplit(post.new_url)
        for path, decoded in old_paths(post.post_id, post.slug, post.extra_paths, post.kind):
            for origin in origins:
                old_url = origin + path
                if urlsplit(origin).netloc.lower() == new.netloc.lower() and _same_path(path, new.path):
                    continue  # the WordPress site took over the blog's host: no loop
                out.append(
                    Redirect(
                        old_url, path, decoded, post.new_url, post.wp_post_id, post.status, post.source_url
                    )
                )
    return out


def _same_path(a: str, b: str) -> bool:
    return _nfc(unquote(a)).rstrip("/") == _nfc(unquote(b)).rstrip("/")


# --------------------------------------------------------------------------- rendering
def render(fmt: str, result: RedirectSet, *, generated_at: float | None = None) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    renderer = {"csv": _csv, "nginx": _nginx, "apache": _apache, "redirection": _redirection}[fmt]
    return renderer(result, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(generated_at)))


def _server_rules(result: RedirectSet) -> list[tuple[str, Redirect]]:
    """(decoded path, redirect) once per path: what a server matching decoded paths needs."""
    seen: dict[str, Redirect] = {}
    for r in result.redirects:
        if r.decoded and r.old_path not in seen:
            seen[r.old_path] = r
    return list(seen.items())


def _header(result: RedirectSet, generated: str, comment: str) -> list[str]:
    drafts = result.drafts
    lines = [
        f"Tistory -> WordPress redirects written by migrator on {generated}:",
        f"{len(result.posts)} posts; old hosts: "
        + (", ".join(urlsplit(o).netloc for o in result.origins) or "none")
        + ".",
    ]
    if drafts:
        lines.append(f"{drafts} of them are drafts: they redirect to the address they get when published;")
        lines.append("run `migrate redirects` again after publishing or renaming posts.")
    return [f"{comment} {line}" for line in lines]


def _is_unsafe(ch: str) -> bool:
    """Characters a redirect file must not hold raw: whitespace, controls, format characters
    (bidi overrides), quotes and backslashes, which end or break a line, a token or a string."""
    return ch in "\"'\\`" or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Zs")


def _encode_unsafe(text: str) -> str:
    """`text` with its unsafe characters percent-encoded (UTF-8); everything else kept as it is."""
    return "".join(quote(ch, safe="") if _is_unsafe(ch) else ch for ch in text)


def _needs_pattern(path: str) -> bool:
    return any(_is_unsafe(ch) for ch in path)


def _byte_pattern(path: str) -> str:
    """A PCRE that matches exactly the decoded `path` (nginx `$uri`, Apache's decoded path) without
    holding any unsafe character: ASCII punctuation and unsafe characters as \\xHH escapes."""
    out = []
    for ch in path:
        if ch.isascii() and (ch.isalnum() or ch in "/-_"):
            out.append(ch)
        elif ch.isascii() or _is_unsafe(ch):
            out.extend(f"\\x{b:02X}" for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "^" + "".join(out) + "$"


def _csv(result: RedirectSet, generated: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["old_url", "new_url", "status", "wp_post_id", "source_url"])
    for r in result.redirects:
        row = [_encode_unsafe(r.old_url), _encode_unsafe(r.new_url), r.status, r.wp_post_id, r.source_url]
        writer.writerow([csv_cell(value) for value in row])
    return buf.getvalue()


def _nginx_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _nginx(result: RedirectSet, generated: str) -> str:
    rules = _server_rules(result)
    longest = max((len(path.encode("utf-8")) for path, _ in rules), default=0)
    bucket = 64
    while bucket < longest + 48:
        bucket *= 2
    max_size = 2048
    while max_size < 2 * len(rules):
        max_size *= 2
    lines = [
        *_header(result, generated, "#"),
        "# Include this file in the http { } block, and in the server { } of the old host names add:",
        f"#     if ({NGINX_VARIABLE}) {{ return 301 {NGINX_VARIABLE}; }}",
        "# $uri is decoded and has no query string: /entry/한글, /entry/%ED%95%9C%EA%B8%80 and",
        "# /123?category=4 all match. Remove the two *_hash_* lines if your configuration sets them already.",
        f"map_hash_bucket_size {bucket};",
        f"map_hash_max_size {max_size};",
        f"map $uri {NGINX_VARIABLE} {{",
        '    default "";',
    ]
    for path, r in rules:
        # A "$" in a map value would be read as a variable; %24 is the same URL. A path with
        # whitespace, quotes or controls is matched by a regex spelling them \xHH.
        key = "~" + _byte_pattern(path) if _needs_pattern(path) else path
        new_url = _encode_unsafe(r.new_url).replace("$", "%24")
        lines.append(f"    {_nginx_string(key)} {_nginx_string(new_url)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _apache_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _apache(result: RedirectSet, generated: str) -> str:
    lines = [
        *_header(result, generated, "#"),
        "# mod_alias: put these lines in the <VirtualHost> of the old host names (or its .htaccess).",
        "# Redirect compares the decoded path and keeps the query string.",
    ]
    for path, r in _server_rules(result):
        new_url = _encode_unsafe(r.new_url)
        if _needs_pattern(path):
            # Whitespace, quotes or controls: a regex spelling them \xHH ("$" would be a group).
            pattern = _byte_pattern(path)
            # Apache keeps a backslash that does not escape a quote: the pattern is written as is
            # (it holds no quote and no other backslash).
            target = _apache_string(new_url.replace("$", "%24"))
            lines.append(f'RedirectMatch 301 "{pattern}" {target}')
        else:
            lines.append(f"Redirect 301 {_apache_string(path)} {_apache_string(new_url)}")
    return "\n".join(lines) + "\n"


def _redirection(result: RedirectSet, generated: str) -> str:
    """The Redirection plugin's JSON import (Tools → Redirection → Import/Export), one group."""
    redirects: list[dict[str, Any]] = []
    for n, (path, r) in enumerate(_server_rules(result), start=1):
        path = _encode_unsafe(path)
        redirects.append(
            {
                "id": n,
                "url": path,
                "match_url": path.lower().rstrip("/") or "/",
                "match_data": {
                    "source": {
                        "flag_query": "ignore",
                        "flag_case": False,
                        "flag_trailing": True,
                        "flag_regex": False,
                    }
                },
                "action_code": 301,
                "action_type": "url",
                "action_data": {"url": _encode_unsafe(r.new_url)},
                "match_type": "url",
                "title": "Tistory " + r.source_url,
                "regex": False,
                "group_id": 1,
                "position": n - 1,
                "enabled": True,
            }
        )
    doc = {
        "plugin": {"version": "5.3", "date": generated},
        "groups": [
            {
                "id": 1,
                "name": "Tistory migration",
                "redirects": len(redirects),
                "module_id": 1,
                "moduleName": "WordPress",
                "enabled": True,
            }
        ],
        "redirects": redirects,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- collecting
async def collect_addresses(
    store: StateStore, wp: WordPressClient, *, extra_hosts: Iterable[str] = ()
) -> RedirectSet:
    """Every migrated post with its current WordPress address (read from WordPress now)."""
    items = [i for i in await store.items(status=ItemStatus.COMPLETED) if i.wp_post_id]
    addresses = await wp.get_permalinks([i.wp_post_id for i in items if i.wp_post_id and i.kind == "post"])
    pages = [i.wp_post_id for i in items if i.wp_post_id and i.kind == "page"]
    if pages:  # on their own route
        addresses.update(await wp.get_permalinks(pages, kind="page"))
    result = RedirectSet()
    result.origins = blog_origins(await store.blog_urls_known(), extra_hosts)
    for item in items:
        assert item.wp_post_id is not None
        address = addresses.get(item.wp_post_id)
        if address is None:
            result.gone.append(item.canonical_url)
            continue
        extra = []
        for alias in await store.aliases_of_item(item.id):
            path = urlsplit(alias).path
            if path:
                extra.append(path)
        result.posts.append(
            PostAddress(
                source_url=item.canonical_url,
                post_id=item.post_id,
                slug=item.slug,
                title=item.title or "",
                wp_post_id=item.wp_post_id,
                status=address.status,
                new_url=public_url(address),
                extra_paths=tuple(extra),
                kind=item.kind,
            )
        )
    result.redirects = build_redirects(result.posts, result.origins)
    return result


async def run_redirects(
    settings: Settings, *, extra_hosts: Iterable[str] = (), network: Network | None = None
) -> RedirectSet:
    """`migrate redirects`: reads the job database (a run may be going on) and WordPress; writes nothing."""

    async with open_run(settings, network, lock=False) as run:
        result = await collect_addresses(run.store, run.wp, extra_hosts=extra_hosts)
    log.info(
        "redirects_collected",
        posts=len(result.posts),
        redirects=len(result.redirects),
        drafts=result.drafts,
        gone=len(result.gone),
    )
    return result

"""Read one Tistory post page into a `SourcePost` (pure: HTML text in, dataclass out).

Owns the skin-independent metadata rules of docs/tistory.md section 6: the first
`window.T.entryInfo`, the `<meta>` tags of the first `<head>`, JSON-LD, `a[rel=tag]`, and the
first `div.contents_style` as the body. HTML-mode posts embed a whole second document inside the
body; everything here reads the first occurrence in document order, which is the page's own head.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from migrator.errors import ParseError, SkipPost
from migrator.models import SourcePost
from migrator.tistory.images import is_placeholder_image, original_image_url

__all__ = ["looks_like_tistory", "page_post_id", "page_slug_of", "parse_post", "stated_blog_urls", "unreadable_reason"]

KST = timezone(timedelta(hours=9))

# Every pattern here is anchored on a literal and bounded, so no search can rescan the page from
# each start (hostile pages: a 1 MB page of unclosed `window.TistoryBlog = {` must stay linear).
_ENTRY_INFO = re.compile(r"window\.T\.entryInfo\s{0,40}=\s{0,40}")
_T_CONFIG = re.compile(r"window\.T\.config\s{0,40}=\s{0,40}")
_BLOG_OBJECT = "window.TistoryBlog"
_BLOG_OBJECT_MAX = 4000          # the real object is ~200 characters
_BOUNDED_URL = r"""["'](https?://[^"'\\\s]{1,2048})["']"""
_DEFAULT_URL = re.compile(r'"DEFAULT_URL"\s{0,40}:\s{0,40}' + _BOUNDED_URL)
_BLOG_URL_PROPS = {
    name: re.compile(r"\b" + name + r"\s{0,40}:\s{0,40}" + _BOUNDED_URL) for name in ("url", "tistoryUrl")
}
_NUMERIC_PATH = re.compile(r"^/(?:m/)?(?:notice/)?(\d+)/?$")
_ENTRY_PATH = re.compile(r"^/(?:m/)?entry/([^/?#]+)/?$")
_PAGE_PATH = re.compile(r"^/(?:m/)?pages/([^/?#]+)/?$")
# Markers of a Tistory page (also served on custom domains) vs. arbitrary garbage.
_TISTORY_MARKERS = ("window.T.config", "window.TistoryBlog", "content=\"@TISTORY\"", "id=\"tt-body-")
# Tistory's static hosts and paths, present on every blog page whatever the skin (tistory.md §9, §12).
_TISTORY_ASSET_MARKERS = ("tistory_admin/", "tistory1.daumcdn.net/tistory", "t1.daumcdn.net/tistory",
                          "www.tistory.com/auth/login", '"TOP_SSL_URL":"https://www.tistory.com"')
_PROTECTED_TEXT = ("보호되어 있는 글입니다", "보호되어 있는 글 입니다", "This is a protected post")
_ERROR_TEXT = ("에러 메세지", "url을 찾을 수 없거나", "존재하지 않는", "비공개된 글입니다", "삭제된 글입니다")
_DEFAULT_OG_IMAGE = "tistory_admin/static/images/openGraph/opengraph.png"
# Host-bearing metas that name the blog itself (never `*_service_home`, which is www.tistory.com).
_HOST_METAS = ("og:url", "dg:plink", "article:pc_url", "article:mobile_url", "article:pc_view_url",
               "article:mobile_view_url")


# How far up from a password input we look for a comment/guestbook form (bounded: linear time).
_FORM_CONTEXT_DEPTH = 12

_UNDECODABLE = object()  # an assignment was found but its value is not JSON


def _js_object(text: str, pattern: re.Pattern[str]) -> tuple[bool, Any]:
    """(found, value) of the first `pattern` assignment, decoded with a real JSON parser
    (the object literals Tistory writes are JSON); value is `_UNDECODABLE` when it is not."""
    match = pattern.search(text)
    if not match:
        return False, None
    try:
        value, _ = json.JSONDecoder().raw_decode(text, match.end())
    except (ValueError, RecursionError):
        return True, _UNDECODABLE
    return True, value


def page_post_id(html_text: str) -> int | None:
    """The numeric post id of a page (entryInfo, else `dg:plink`, else `article:txid`); linear time."""
    _, entry_info = _js_object(html_text, _ENTRY_INFO)
    return _post_id(entry_info if isinstance(entry_info, dict) else {}, _Head(LexborHTMLParser(html_text)))


def _blog_object(text: str) -> str:
    """The text of the first `window.TistoryBlog = {…}` object, '' when absent (bounded length)."""
    start = text.find(_BLOG_OBJECT)
    if start < 0:
        return ""
    brace = text.find("{", start, start + len(_BLOG_OBJECT) + 80)
    if brace < 0:
        return ""
    end = text.find("}", brace, brace + _BLOG_OBJECT_MAX)
    return text[brace + 1:end] if end >= 0 else ""


def stated_blog_urls(text: str) -> list[str]:
    """The blog addresses Tistory's own scripts state (`T.config.DEFAULT_URL`, `TistoryBlog.url`,
    `TistoryBlog.tistoryUrl`), first occurrence of each, in that order. Linear time."""
    found: list[str] = []
    match = _DEFAULT_URL.search(text)
    if match:
        found.append(match.group(1))
    blog = _blog_object(text)
    for pattern in _BLOG_URL_PROPS.values():
        match = pattern.search(blog)
        if match:
            found.append(match.group(1))
    return found


_HEAD_SELECTOR = 'meta, link[rel="canonical"], script[type="application/ld+json"], div.contents_style'


class _Head:
    """The page's own metadata: `<meta>`s, canonical link and JSON-LD in document order, up to the
    first `div.contents_style` (an HTML-mode body carries a second document's head after it)."""

    def __init__(self, tree: LexborHTMLParser) -> None:
        self.props: dict[str, str] = {}
        self.canonical: str | None = None
        self.json_ld: list[str] = []
        for node in tree.css(_HEAD_SELECTOR):  # Lexbor returns matches in document order
            tag = node.tag
            if tag == "div":
                break
            attrs = node.attributes
            if tag == "meta":
                key = attrs.get("property") or attrs.get("name")
                content = attrs.get("content")
                if key and content is not None:
                    self.props.setdefault(key.strip().lower(), content)
            elif tag == "link":
                if self.canonical is None:
                    self.canonical = attrs.get("href")
            else:
                self.json_ld.append(node.text(deep=True) or "")

    def get(self, *keys: str) -> str | None:
        for key in keys:
            value = self.props.get(key)
            if value and value.strip():
                return value.strip()
        return None


def _json_ld(head: _Head) -> dict[str, Any]:
    """The first JSON-LD object that looks like the post (BlogPosting/Article), else {}."""
    for text in head.json_ld:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        if isinstance(data, dict):
            items = data.get("@graph", [data])
        else:
            items = data if isinstance(data, list) else []
        for item in items:
            if isinstance(item, dict) and ("headline" in item or "datePublished" in item):
                return item
    return {}


def _parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    # Tistory always sends +09:00; a bare value is Korean local time.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=KST)


def _host(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    return _hostname(url)


def _hostname(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def _path(url: str) -> str:
    try:
        return urlsplit(url.strip()).path
    except ValueError:
        return ""


def _slug_from(url: str | None) -> str | None:
    if not url:
        return None
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return None
    match = _ENTRY_PATH.match(path)
    return unquote(match.group(1)) if match else None


def _is_protected(tree: LexborHTMLParser, html_text: str) -> bool:
    """The skin's protected-post block: its text, or a password input that is not a comment form's."""
    if any(marker in html_text for marker in _PROTECTED_TEXT):
        return True
    for field in tree.css('input[type="password"]'):
        context = " ".join(
            f"{attrs.get('id') or ''} {attrs.get('class') or ''} {attrs.get('name') or ''}"
            for attrs in (n.attributes for n in [field, *_ancestors(field, _FORM_CONTEXT_DEPTH)])
        ).lower()
        if "comment" not in context and "guestbook" not in context and "reply" not in context:
            return True
    return False


def unreadable_reason(html_text: str) -> str | None:
    """Why a page Tistory answered with an unexpected status is clearly not a readable post (its
    error page, the protected block), or None when the page shows no such evidence."""
    if any(marker in html_text for marker in _PROTECTED_TEXT):
        return "protected post (password required)"
    if any(marker in html_text for marker in _ERROR_TEXT):
        return "private, deleted or missing post (error page)"
    return None


def looks_like_tistory(html_text: str) -> bool:
    """Whether a page carries Tistory's own markup (also true on a custom-domain blog)."""
    return any(marker in html_text for marker in _TISTORY_MARKERS + _TISTORY_ASSET_MARKERS)


def _skip_or_fail(tree: LexborHTMLParser, html_text: str, page_url: str, reason: str) -> None:
    """Raise SkipPost for Tistory pages that are not a readable post, ParseError for anything else."""
    if any(marker in html_text for marker in _PROTECTED_TEXT):
        raise SkipPost("protected post (password required)", url=page_url)
    if any(marker in html_text for marker in _ERROR_TEXT):
        raise SkipPost("private, deleted or missing post (error page)", url=page_url)
    if not any(marker in html_text for marker in _TISTORY_MARKERS):
        raise ParseError(f"not a Tistory post page: {reason}", url=page_url)
    if _is_protected(tree, html_text):
        raise SkipPost("protected post (password required)", url=page_url)
    raise SkipPost(f"not a readable post: {reason}", url=page_url)


def _post_id(entry_info: dict[str, Any], head: _Head) -> int | None:
    raw = entry_info.get("entryId")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    plink = head.get("dg:plink")
    if plink:
        match = _NUMERIC_PATH.match(_path(plink))
        if match:
            return int(match.group(1))
    txid = head.get("article:txid")
    if txid and re.fullmatch(r"\d+_\d+", txid):
        return int(txid.split("_")[1])
    return None


def _blog_hosts(html_text: str, head: _Head, page_url: str) -> tuple[str, ...]:
    candidates: list[str | None] = [_host(page_url)]
    _, config = _js_object(html_text, _T_CONFIG)
    if isinstance(config, dict) and isinstance(config.get("DEFAULT_URL"), str):
        candidates.append(_host(config["DEFAULT_URL"]))
    blog = _blog_object(html_text)
    for pattern in _BLOG_URL_PROPS.values():
        prop = pattern.search(blog)
        if prop:
            candidates.append(_host(prop.group(1)))
    candidates.append(_host(head.canonical))
    candidates.extend(_host(head.get(key)) for key in _HOST_METAS)
    hosts: list[str] = []
    for host in candidates:
        if host and host not in hosts and host != "www.tistory.com":
            hosts.append(host)
    return tuple(hosts)


def _tags(tree: LexborHTMLParser) -> tuple[str, ...]:
    tags: list[str] = []
    # A tag link inside the post body is content, not the post's tag list. Collected per body once:
    # climbing from every link to the root would be quadratic on a deeply nested hostile page.
    in_body: set[int] = set()
    nested: set[int] = set()
    for body in tree.css("div.contents_style"):
        if body.mem_id in nested:
            continue            # inside an outer body already collected: subtrees stay disjoint
        nested.update(node.mem_id for node in body.css("div.contents_style"))
        in_body.update(node.mem_id for node in body.css('a[rel~="tag"]'))
    for link in tree.css('a[rel~="tag"]'):
        if link.mem_id in in_body:
            continue
        text = " ".join((link.text(deep=True) or "").split())
        if text and text not in tags:
            tags.append(text)
    return tuple(tags)


def _ancestors(node: LexborNode, limit: int) -> list[LexborNode]:
    found: list[LexborNode] = []
    parent = node.parent
    while parent is not None and len(found) < limit:
        found.append(parent)
        parent = parent.parent
    return found


def parse_post(html_text: str, page_url: str, *, kind: str = "post") -> SourcePost:
    """Read one Tistory post page.

    Metadata comes only from the first `<head>` / first `window.T.entryInfo` (HTML-mode posts
    embed a whole second document). `body_html` is the inner HTML of the first
    `div.contents_style`, untouched.

    Raises:
        SkipPost: protected (password) post; private/deleted/error page; `entryInfo` missing or
            `null` on a Tistory page.
        ParseError: the page is not a readable Tistory post for any other reason (not Tistory at
            all, no body container, no title or publication date).

    `kind` "page": a static page (`/pages/<slug>`), read tolerantly (see `_page_rules`).
    """
    if not isinstance(html_text, str) or not html_text.strip():
        raise ParseError("empty page", url=page_url)
    try:
        if kind == "page":
            return _parse_page(html_text, page_url)
        return _parse(html_text, page_url)
    except (ValueError, RecursionError) as exc:  # garbage that slipped past the checks below
        raise ParseError(f"unreadable page: {exc.__class__.__name__}: {exc}", url=page_url) from exc


def _author(head: _Head, ld: dict[str, Any], html_text: str) -> str | None:
    """The byline: the skin's meta, else JSON-LD, else the blog owner's nickname in T.config."""
    author = head.get("by")
    if not author and isinstance(ld.get("author"), dict) and ld["author"].get("name"):
        author = str(ld["author"]["name"]).strip() or None
    if not author:
        _, config = _js_object(html_text, _T_CONFIG)
        blog = config.get("BLOG") if isinstance(config, dict) else None
        author = (blog.get("nickName") or None) if isinstance(blog, dict) else None
    return author


def _featured_image(head: _Head, ld: dict[str, Any]) -> str | None:
    """og:image (or JSON-LD image) resolved to its original, unless it is the blog's default picture."""
    og_image = head.get("og:image")
    if not og_image and isinstance(ld.get("image"), dict):
        ld_image = ld["image"].get("url")
        og_image = html.unescape(ld_image) if isinstance(ld_image, str) else None
    if not og_image:
        return None
    resolved = original_image_url(og_image)
    if _DEFAULT_OG_IMAGE in resolved or is_placeholder_image(resolved):
        return None
    return resolved


def _parse(html_text: str, page_url: str) -> SourcePost:
    tree = LexborHTMLParser(html_text)
    found, entry_info = _js_object(html_text, _ENTRY_INFO)
    if not found:
        _skip_or_fail(tree, html_text, page_url, "no window.T.entryInfo")
    if entry_info is _UNDECODABLE:
        raise ParseError("window.T.entryInfo is not valid JSON", url=page_url)
    if not isinstance(entry_info, dict):
        raise SkipPost("private, deleted or not a post page (entryInfo is null)", url=page_url)

    head = _Head(tree)
    page_slug = page_slug_of(head.get("og:url")) or page_slug_of(head.canonical)
    if page_slug is not None:  # a static page reached under its entry id (the id probe): not a post
        raise SkipPost(f"a static page: migrated as a page from /pages/{page_slug}", url=page_url)
    post_id = _post_id(entry_info, head)
    if post_id is None:
        raise ParseError("no numeric post id (entryInfo, dg:plink, article:txid)", url=page_url)

    body = tree.css_first("div.contents_style")
    if body is None:
        if _is_protected(tree, html_text):
            raise SkipPost("protected post (password required)", url=page_url)
        raise ParseError("no div.contents_style body container", url=page_url)

    ld = _json_ld(head)
    headline = html.unescape(str(ld["headline"])).strip() if ld.get("headline") else None
    title = head.get("og:title") or headline
    if not title:
        first_title = head.get("title")  # Tistory's own meta[name=title] comes before the skin's
        title = first_title if first_title and " :: " not in first_title else None
    if not title:
        raise ParseError("no title (og:title / JSON-LD headline)", url=page_url)

    published = (_parse_datetime(head.get("article:published_time"))
                 or _parse_datetime(ld.get("datePublished")))
    if published is None:
        raise ParseError("no publication date (article:published_time / datePublished)", url=page_url)
    modified = _parse_datetime(head.get("article:modified_time")) or _parse_datetime(ld.get("dateModified"))

    label = entry_info.get("categoryLabel")
    category_path = tuple(p.strip() for p in label.split("/") if p.strip()) if isinstance(label, str) else ()

    author = _author(head, ld, html_text)

    # A <meta> content is text once the HTML parser has decoded the attribute; decoding it again
    # would turn text such as "&lt;b&gt;" into markup. Only JSON-LD strings carry HTML entities.
    excerpt = head.get("description", "og:description") or ""
    if not excerpt and ld.get("description"):
        excerpt = html.unescape(str(ld["description"])).strip()

    slug = _slug_from(page_url) or _slug_from(head.get("og:url")) or _slug_from(head.canonical)

    featured = _featured_image(head, ld)

    parts = urlsplit(page_url)
    scheme = parts.scheme or "https"
    host = parts.netloc.lower()
    if not host:
        raise ParseError("page_url has no host", url=page_url)

    return SourcePost(
        post_id=post_id,
        canonical_url=f"{scheme}://{host}/{post_id}",
        title=title,
        published=published,
        modified=modified,
        category_path=category_path,
        tags=_tags(tree),
        author=author,
        excerpt=excerpt,
        slug=slug,
        body_html=body.inner_html or "",
        featured_image_url=featured,
        blog_hosts=_blog_hosts(html_text, head, page_url),
    )


# ---------------------------------------------------------------------------------- static pages
# A Tistory page is an entry like a post (one id sequence: kim-se-hee/tistory-mcp docs/api.md §4,
# `type: "page"` of /manage/post.json, answered with `/pages/{slogan}`), rendered by the skin's
# `<s_page_rep>` with the post's `[##_article_rep_*_##]` values, or by the post block when a skin has
# none (tistory/document-tistory-skin contents/page.md): the same body container as a post. Whether its
# page carries `entryInfo`, `dg:plink` or a publication date is not documented anywhere we found, so
# each is optional here: the slug (from the URL) is the page's identity, the id is kept when present.


def page_slug_of(url: str | None) -> str | None:
    """The decoded slug of a `/pages/<slug>` URL, None for any other URL."""
    if not url:
        return None
    match = _PAGE_PATH.match(_path(url))
    return unquote(match.group(1)) if match else None


def _parse_page(html_text: str, page_url: str) -> SourcePost:
    tree = LexborHTMLParser(html_text)
    found, entry_info = _js_object(html_text, _ENTRY_INFO)
    head = _Head(tree)
    slug = page_slug_of(page_url) or page_slug_of(head.get("og:url")) or page_slug_of(head.canonical)
    if slug is None:
        raise ParseError("not a /pages/<slug> address", url=page_url)
    body = tree.css_first("div.contents_style") or tree.css_first("div.tt_article_useless_p_margin")
    if body is None or (found and entry_info is None):
        _skip_or_fail(tree, html_text, page_url, "no page body")
    assert body is not None  # _skip_or_fail always raises
    info = entry_info if isinstance(entry_info, dict) else {}
    ld = _json_ld(head)
    headline = html.unescape(str(ld["headline"])).strip() if ld.get("headline") else None
    title = head.get("og:title") or headline or html.unescape(str(info.get("entryTitle") or "")).strip()
    if not title:
        raise ParseError("no title (og:title / JSON-LD headline / entryTitle)", url=page_url)
    published = _parse_datetime(head.get("article:published_time")) or _parse_datetime(ld.get("datePublished"))
    parts = urlsplit(page_url)
    if not parts.netloc:
        raise ParseError("page_url has no host", url=page_url)
    return SourcePost(
        post_id=_post_id(info, head) or 0,
        canonical_url=f"{parts.scheme or 'https'}://{parts.netloc.lower()}/pages/{slug}",
        title=title,
        published=published,
        modified=_parse_datetime(head.get("article:modified_time")) or _parse_datetime(ld.get("dateModified")),
        category_path=(),
        tags=(),
        author=_author(head, ld, html_text),
        excerpt=head.get("description", "og:description") or "",
        slug=unicodedata.normalize("NFC", slug).strip(),
        body_html=body.inner_html or "",
        featured_image_url=_featured_image(head, ld),
        blog_hosts=_blog_hosts(html_text, head, page_url),
        kind="page",
    )

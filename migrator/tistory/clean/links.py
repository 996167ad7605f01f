"""Stage 1 handlers for links: anchors, attachment links and file blocks, link cards."""

from __future__ import annotations

from urllib.parse import urlsplit

from selectolax.lexbor import LexborNode

from migrator.models import AttachmentRef
from migrator.tistory.clean.figures import same_image_href
from migrator.tistory.clean.nodes import Attrs, has_block_inside, text_of
from migrator.tistory.clean.snippets import attr, esc
from migrator.tistory.clean.urls import LINK_SCHEMES, filename_from_url, resolve
from migrator.tistory.clean.walker import Walker


def anchor(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    raw = (attrs.get("href") or "").strip()
    if raw.startswith("#") and len(raw) > 1:
        href: str | None = raw  # in-page anchor: stays relative
    else:
        href = resolve(raw, w.base, LINK_SCHEMES)
    if href is None or link is not None:
        w.children(node, inline, link)
        return
    images = node.css("img")
    if images:
        for img in images:
            candidate = same_image_href(w, img, href)
            if candidate != href:
                href = candidate
                break
    elif _is_attachment_url(w, href):
        name = text_of(node) or filename_from_url(href)
        _attachment(w, href, name, inline=True)
        return
    if has_block_inside(node):
        w.children(node, inline, href)  # push the link down into the block content
        return
    w.out.append(f'<a href="{attr(href)}">')
    w.children(node, True, None)
    w.out.append("</a>")


def _is_attachment_url(w: Walker, url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    query = parts.query.lower()
    if "attach=1" in query.split("&") or query == "download" or "download.blog" in parts.path:
        return True
    blog_host = host in w.blog_hosts or host.endswith(".tistory.com")
    return parts.path.startswith("/attachment/") and blog_host


def _attachment(w: Walker, href: str, filename: str, *, inline: bool) -> None:
    if href not in w.attachments:
        w.attachments[href] = AttachmentRef(href=href, url=href, filename=filename or None)
    link = f'<a href="{attr(href)}">{esc(filename or href)}</a>'
    if inline:
        w.snippet(link, block=False)
    else:
        w.snippet(f"<p>{link}</p>", block=True)


def file_block(w: Walker, node: LexborNode, attrs: Attrs, inline: bool) -> None:
    link_node = node.css_first("a[href]")
    href = resolve(link_node.attributes.get("href") if link_node is not None else None, w.base,
                   LINK_SCHEMES)
    name_node = node.css_first(".filename .name") or node.css_first(".name, .filename")
    filename = (text_of(name_node) if name_node is not None else "") or attrs.get("data-filename") or ""
    if href is None:
        if filename:
            w.out.append(f"<p>{esc(filename)}</p>" if not inline else esc(filename))
        return
    _attachment(w, href, filename or filename_from_url(href), inline=inline)


def link_card(w: Walker, node: LexborNode, attrs: Attrs, inline: bool) -> None:
    """An opengraph card: its title linked and its description; the card image is dropped."""
    link = node.css_first("a[href]")
    href = link.attributes.get("href") if link is not None else None
    url = resolve(attrs.get("data-og-url") or attrs.get("data-og-source-url") or href, w.base,
                  LINK_SCHEMES)
    title = (attrs.get("data-og-title") or text_of(node.css_first(".og-title"))).strip()
    desc = (attrs.get("data-og-description") or text_of(node.css_first(".og-desc"))).strip()
    if not url and not title:
        return
    label = f"<b>{esc(title or url or '')}</b>"
    body = f'<a href="{attr(url)}">{label}</a>' if url else label
    if desc:
        body += f"<br>{esc(desc)}"
    w.out.append(f"<blockquote><p>{body}</p></blockquote>" if not inline else body)

"""Stage 4: the final safety pass over the rendered HTML, which also collects links and used refs."""

from __future__ import annotations

from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from migrator.models import AttachmentRef, CleanPost, ImageRef
from migrator.tistory.clean.urls import LINK_SCHEMES, resolve

_UNSAFE_TAGS = ("script", "style", "iframe", "object", "embed", "applet", "meta", "link", "base",
                "form", "input", "button", "textarea", "select", "frame", "frameset", "svg", "math",
                "template", "noscript", "title", "head")
_URL_ATTRS = ("href", "src", "action", "formaction", "poster", "background", "cite", "srcset", "xlink:href")


def _strip_active_attributes(node: LexborNode) -> None:
    """Drop event handlers, styles and URL attributes that are not plain links/fragments."""
    attrs = node.attributes
    for name in attrs:
        lowered = name.lower()
        value = attrs[name] or ""
        if lowered.startswith("on") or lowered == "style":
            del node.attrs[name]
        elif lowered in _URL_ATTRS:
            if lowered in ("href", "src") and (value.startswith("#") or resolve(
                    value, "https://example.invalid/", LINK_SCHEMES) is not None):
                continue
            del node.attrs[name]


def finalize(rendered: str, images: dict[str, ImageRef], attachments: dict[str, AttachmentRef]) -> CleanPost:
    """Parse the rendered HTML once more: strip anything active, collect links and used refs."""
    tree = LexborHTMLParser(f"<body>{rendered}</body>")
    body = tree.body
    if body is None:
        return CleanPost(html="")
    for node in body.css(",".join(_UNSAFE_TAGS)):
        node.decompose()
    links: list[str] = []
    srcs: set[str] = set()
    hrefs: set[str] = set()
    for node in body.css("*"):
        _strip_active_attributes(node)
        if node.tag == "a":
            href = node.attributes.get("href")
            if href:
                hrefs.add(href)
                if urlsplit(href).scheme in ("http", "https") and href not in links:
                    links.append(href)
        elif node.tag == "img":
            src = node.attributes.get("src")
            if src:
                srcs.add(src)
    html = (body.inner_html or "").strip()
    kept_images = tuple(ref for ref in images.values() if ref.src in srcs)
    kept_attachments = tuple(ref for ref in attachments.values() if ref.href in hrefs)
    return CleanPost(html=html, images=kept_images, attachments=kept_attachments, links=tuple(links))

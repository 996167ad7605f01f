"""Stage 1 handlers for images: image blocks, grids, old-editor image paragraphs and lone <img>."""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from migrator.models import ImageRef
from migrator.tistory.clean.nodes import Attrs, ancestor, text_of
from migrator.tistory.clean.snippets import attr, esc
from migrator.tistory.clean.urls import IMAGE_SCHEMES, LINK_SCHEMES, resolve
from migrator.tistory.clean.walker import Walker
from migrator.tistory.images import (
    best_srcset_url,
    image_source_key,
    is_placeholder_image,
    original_image_url,
)


def best_image_source(w: Walker, img: LexborNode) -> str | None:
    """The original (full-size) URL of an image, from the editor's data attributes first."""
    attrs = img.attributes
    parent = img.parent
    parent_attrs = parent.attributes if parent is not None and parent.tag == "span" else {}
    candidates = [parent_attrs.get("data-url"), attrs.get("data-url"), attrs.get("src"),
                  attrs.get("data-src"), attrs.get("data-lazy-src"), attrs.get("data-original")]
    for candidate in candidates:
        url = resolve(candidate, w.base, IMAGE_SCHEMES)
        if url and not is_placeholder_image(url):
            return original_image_url(url)
    srcset = attrs.get("srcset") or attrs.get("data-srcset")
    if srcset:  # only when no plain source is usable: the thumb wrapper resolves to the same file
        url = resolve(best_srcset_url(srcset), w.base, IMAGE_SCHEMES)
        if url and not is_placeholder_image(url):
            return original_image_url(url)
    return None


def _register_image(w: Walker, img: LexborNode, original: str, caption: str) -> str:
    """Record an image once per post; returns the src string every occurrence must use."""
    key = image_source_key(original)
    known = w.images.get(key)
    if known is not None:
        return known.src
    attrs = img.attributes
    parent = img.parent
    parent_attrs = parent.attributes if parent is not None else {}
    figure = ancestor(img, "figure")
    figure_attrs = figure.attributes if figure is not None else {}
    filename = (attrs.get("data-filename") or parent_attrs.get("data-filename") or attrs.get("filename")
                or figure_attrs.get("data-filename") or None)
    alt = (parent_attrs.get("data-alt") or attrs.get("alt") or attrs.get("data-alt") or "").strip()
    w.images[key] = ImageRef(src=original, original_url=original, filename=filename, alt=alt,
                             caption=caption)
    return original


def _inner_link(w: Walker, img: LexborNode, stop: LexborNode) -> str | None:
    """href of an `<a>` between an image and its group node (an image linked somewhere)."""
    anchor = ancestor(img, "a", stop=stop)
    if anchor is None:
        return None
    href = resolve(anchor.attributes.get("href"), w.base, LINK_SCHEMES)
    if href is None:
        return None
    return same_image_href(w, img, href)


def same_image_href(w: Walker, img: LexborNode, href: str) -> str:
    """A link to the image file itself (old posts' lightbox) uses the image's src string, so
    the engine's replacement rewrites both."""
    found = best_image_source(w, img)
    if found is None or image_source_key(found) != image_source_key(href):
        return href
    known = w.images.get(image_source_key(found))
    return known.src if known is not None else found


def _is_tracking_pixel(attrs: Attrs) -> bool:
    width, height = (attrs.get("width") or "").strip(), (attrs.get("height") or "").strip()
    return width in ("0", "1", "1px") and height in ("0", "1", "1px")


def _image_tag(w: Walker, img: LexborNode, caption: str, link: str | None) -> str | None:
    attrs = img.attributes
    if _is_tracking_pixel(attrs):
        return None
    original = best_image_source(w, img)
    if original is None:
        return None
    src = _register_image(w, img, original, caption)
    parent = img.parent
    parent_attrs = parent.attributes if parent is not None else {}
    alt = (parent_attrs.get("data-alt") or attrs.get("alt") or attrs.get("data-alt") or "").strip()
    tag = f'<img src="{attr(src)}" alt="{attr(alt)}">'
    return f'<a href="{attr(link)}">{tag}</a>' if link else tag


def image_group(w: Walker, node: LexborNode, inline: bool, link: str | None) -> None:
    """Every image inside `node` in one figure, with the block's caption."""
    caption_node = node.css_first("figcaption") or node.css_first(".cap1")
    caption = text_of(caption_node) if caption_node is not None else ""
    tags = []
    for img in node.css("img"):
        if ancestor(img, "button", stop=node) is not None:
            continue
        tag = _image_tag(w, img, caption, link or _inner_link(w, img, node))
        if tag:
            tags.append(tag)
    if not tags:
        return
    if inline:
        extra = f"<br><em>{esc(caption)}</em>" if caption else ""
        w.snippet("".join(tags) + extra, block=False)
        return
    caption_html = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    w.snippet(f"<figure>{''.join(tags)}{caption_html}</figure>", block=True)


def img(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    tag = _image_tag(w, node, "", link)
    if tag is None:
        return
    if inline:
        w.snippet(tag, block=False)
    else:
        w.snippet(f"<figure>{tag}</figure>", block=True)

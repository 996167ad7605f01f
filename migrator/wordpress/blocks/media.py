"""Media blocks: image, gallery (Tistory image grids and slides), file (attachments), embed.

The cleaned HTML writes an image block as `<figure>` holding `<img>` (each maybe inside `<a>`) and an
optional `<figcaption>`; a grid is the same figure with several images. An attachment is a paragraph
holding only its link; a YouTube video a paragraph holding only its URL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from selectolax.lexbor import LexborNode

from migrator.wordpress.blocks.context import Context
from migrator.wordpress.blocks.embeds import provider_of
from migrator.wordpress.blocks.markup import (
    attr,
    block,
    element_children,
    inner,
    inner_blocks,
    meaningful_children,
    start_tag,
    text,
)
from migrator.wordpress.blocks.text import has_block_child


@dataclass(frozen=True, slots=True)
class _Picture:
    img: LexborNode
    link: str | None


def figure(node: LexborNode, ctx: Context) -> str | None:
    """A figure of images: one is an image block, several a gallery; anything else is not ours."""
    pictures: list[_Picture] = []
    caption = ""
    for child in meaningful_children(node):
        if child.tag == "figcaption":
            if caption or has_block_child(child):
                return None
            caption = inner(child).strip()
            continue
        picture = _picture(child)
        if picture is None:
            return None
        pictures.append(picture)
    return pictures_block(pictures, caption, ctx)


def lone_pictures(node: LexborNode, ctx: Context) -> str | None:
    """A paragraph holding only images (each maybe linked): image or gallery blocks."""
    pictures = []
    for child in meaningful_children(node):
        if child.tag == "br":
            continue
        picture = _picture(child)
        if picture is None:
            return None
        pictures.append(picture)
    return pictures_block(pictures, "", ctx)


def pictures_block(pictures: list[_Picture], caption: str, ctx: Context) -> str | None:
    if not pictures:
        return None
    if len(pictures) == 1:
        return image(pictures[0], caption, ctx)
    return gallery(pictures, caption, ctx)


def _picture(node: LexborNode) -> _Picture | None:
    if node.tag == "img":
        return _Picture(node, None) if node.attributes.get("src") else None
    if node.tag != "a":
        return None
    inside = meaningful_children(node)
    href = node.attributes.get("href")
    if len(inside) != 1 or inside[0].tag != "img" or not href or not inside[0].attributes.get("src"):
        return None
    return _Picture(inside[0], href)


def image(picture: _Picture, caption: str, ctx: Context, *, in_gallery: bool = False) -> str:
    src = picture.img.attributes.get("src") or ""
    alt = picture.img.attributes.get("alt") or ""
    info = ctx.media.get(src)
    attrs: dict[str, object] = {}
    figure_class = "wp-block-image"
    img_attrs: list[tuple[str, str | None]] = [("src", src), ("alt", alt)]
    if info is not None:
        # The attachment id and its class are what lets WordPress add srcset/sizes, width/height
        # and lazy loading when it renders the post (wp_filter_content_tags).
        size = "large" if in_gallery else "full"
        attrs.update({"id": info.id, "sizeSlug": size})
        figure_class += f" size-{size}"
        img_attrs.append(("class", f"wp-image-{info.id}"))
    attrs["linkDestination"] = "none" if picture.link is None else ("media" if picture.link == src else "custom")
    html = start_tag("img", img_attrs)
    if picture.link is not None:
        html = f'<a href="{attr(picture.link)}">{html}</a>'
    if caption:
        html += f'<figcaption class="wp-element-caption">{caption}</figcaption>'
    return block("core/image", f'<figure class="{figure_class}">{html}</figure>', attrs)


def gallery(pictures: list[_Picture], caption: str, ctx: Context) -> str:
    """A Tistory image grid or slide: one gallery of image blocks, its caption the gallery's."""
    images = [image(p, "", ctx, in_gallery=True) for p in pictures]
    links = {("none" if p.link is None else "custom") for p in pictures}
    attrs = {"linkTo": links.pop()} if len(links) == 1 else {}
    caption_html = (f'<figcaption class="blocks-gallery-caption wp-element-caption">{caption}</figcaption>'
                    if caption else "")
    return block(
        "core/gallery",
        f'<figure class="wp-block-gallery has-nested-images columns-default is-cropped">'
        f"{inner_blocks(images)}{caption_html}</figure>",
        attrs or None,
    )


def file(node: LexborNode, ctx: Context) -> str | None:
    """A paragraph holding only a text link to an uploaded file: a file block with its button."""
    inside = meaningful_children(node)
    if len(inside) != 1 or inside[0].tag != "a":
        return None
    anchor = inside[0]
    href = anchor.attributes.get("href") or ""
    info = ctx.media.get(href)
    if info is None or has_block_child(anchor) or anchor.css_first("img") is not None:
        return None
    name = inner(anchor).strip() or text(href)
    # The editor names the link after the block's client id; ours is derived from the file's address
    # so that a re-run writes the same content.
    file_id = "wp-block-file--media-" + str(uuid.uuid5(uuid.NAMESPACE_URL, href))
    return block(
        "core/file",
        f'<div class="wp-block-file"><a id="{file_id}" href="{attr(href)}">{name}</a>'
        f'<a href="{attr(href)}" class="wp-block-file__button wp-element-button" download '
        f'aria-describedby="{file_id}">{text(ctx.options.download_label)}</a></div>',
        {"id": info.id, "href": href},
    )


def embed(node: LexborNode, ctx: Context) -> str | None:
    """A paragraph holding only the address of an oEmbed provider's page (bare, or as a link that
    shows itself): an embed block, which WordPress turns into the provider's player."""
    inside = meaningful_children(node)
    if len(inside) != 1:
        return None
    only = inside[0]
    if only.tag == "-text":
        url = (only.text_content or "").strip()
    elif only.tag == "a" and not element_children(only):
        url = (only.attributes.get("href") or "").strip()
        if (only.text(deep=True) or "").strip() != url:
            return None
    else:
        return None
    provider = provider_of(url)
    if provider is None:
        return None
    slug, kind = provider
    attrs: dict[str, object] = {"url": url, "type": kind, "providerNameSlug": slug, "responsive": True}
    classes = f"wp-block-embed is-type-{kind} is-provider-{slug} wp-block-embed-{slug}"
    return block(
        "core/embed",
        f'<figure class="{classes}"><div class="wp-block-embed__wrapper">\n{text(url)}\n</div></figure>',
        attrs,
    )

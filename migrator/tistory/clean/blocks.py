"""Stage 1 dispatch: which handler each element and Tistory editor block goes to.

Containers (`<div>`, `<figure>`, ...) are where the editor's blocks live: the container handler
recognises them by class and `data-ke-type` and hands them to the stage modules.
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from migrator.tistory.clean.code import colorscripter, pre
from migrator.tistory.clean.embeds import iframe, media, video
from migrator.tistory.clean.figures import image_group, img
from migrator.tistory.clean.folds import moreless, native_details, old_moreless
from migrator.tistory.clean.links import anchor, file_block, link_card
from migrator.tistory.clean.nodes import BLOCK_CONTAINERS, INLINE_MARKUP, Attrs, classes
from migrator.tistory.clean.tables import table
from migrator.tistory.clean.text import (
    blockquote,
    br,
    definition,
    heading,
    hr,
    inline_markup,
    list_,
    orphan_li,
    paragraph,
)
from migrator.tistory.clean.walker import Handler, Walker


def _special_figure(w: Walker, node: LexborNode, attrs: Attrs, block_classes: set[str],
                    ke_type: str, inline: bool, link: str | None) -> bool:
    """A figure-like block that is a link card, video, file or image group; False if none."""
    if ke_type == "opengraph":
        link_card(w, node, attrs, inline)
        return True
    if ke_type == "video" or "data-video-host" in attrs or "data-video-url" in attrs:
        video(w, node, attrs, inline)
        return True
    if ke_type == "file" or "fileblock" in block_classes:
        file_block(w, node, attrs, inline)
        return True
    if node.css_first("img") is not None and node.css_first("table,pre,ul,ol,blockquote,p") is None:
        image_group(w, node, inline, link)
        return True
    return False


def container(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    tag = node.tag
    block_classes = classes(attrs)
    ke_type = (attrs.get("data-ke-type") or "").lower()
    if tag == "figure" or "imageblock" in block_classes or "imagegridblock" in block_classes:
        if _special_figure(w, node, attrs, block_classes, ke_type, inline, link):
            return
    if ke_type == "moreless":
        moreless(w, node, attrs, inline, link)
        return
    if "moreless_content" in block_classes:
        old_moreless(w, node, inline, link)
        return
    if "colorscripter-code" in block_classes:
        colorscripter(w, node, inline)
        return
    if ke_type == "file" or "fileblock" in block_classes:
        file_block(w, node, attrs, inline)
        return
    if inline:
        w.children(node, inline, link)
        return
    wrapper = "p" if tag in ("legend", "figcaption") else "div"  # stray captions read as text
    w.out.append(f"<{wrapper}>")
    w.children(node, wrapper == "p", link)
    w.out.append(f"</{wrapper}>")


_ELEMENTS: dict[str, Handler] = {
    "p": paragraph, "h1": heading, "h2": heading, "h3": heading,
    "h4": heading, "h5": heading, "h6": heading, "br": br,
    "hr": hr, "blockquote": blockquote, "ul": list_, "ol": list_,
    "li": orphan_li, "dt": definition, "dd": definition, "a": anchor,
    "img": img, "iframe": iframe, "video": media, "audio": media,
    "pre": pre, "table": table, "details": native_details,
    "xmp": pre, "listing": pre, "plaintext": pre,
}

# Every tag with a handler; any other element keeps its content only (span, font, unknown tags).
HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(BLOCK_CONTAINERS, container),
    **dict.fromkeys(INLINE_MARKUP, inline_markup),
    **_ELEMENTS,
}

"""What every block writer gets: the uploaded files, the options, and the way back to the dispatcher."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from selectolax.lexbor import LexborNode


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """A file of the post in the WordPress media library (from the upload's answer).

    `width`/`height` are the original's pixel size when WordPress reported it (images), else None.
    """

    id: int
    width: int | None
    height: int | None
    mime: str


@dataclass(frozen=True, slots=True)
class Options:
    # core/details exists from WordPress 6.3 on; older sites get the same <details> in Custom HTML.
    details_block: bool = False
    # The file block's button label (the editor writes the site language's "Download").
    download_label: str = "Download"


@dataclass(frozen=True, slots=True)
class Context:
    media: Mapping[str, MediaInfo]
    options: Options
    # The dispatcher, for blocks that hold blocks (quote, details): nodes → serialised blocks.
    render: Callable[[Sequence[LexborNode], Context], list[str]]

    def children(self, node: LexborNode) -> list[str]:
        return self.render(list(node.iter(include_text=True)), self)

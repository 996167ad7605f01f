"""Which addresses are oEmbed providers' pages, with the embed block's variation for them.

The list follows the embed variations of block-library 11 whose provider WordPress itself knows (its
oEmbed allow-list), restricted to the address forms of pages a post links to.
"""

from __future__ import annotations

import re

_PROVIDERS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), slug, kind) for pattern, slug, kind in (
        (r"^https?://(www\.|m\.)?youtube\.com/(watch\?|shorts/|playlist\?|live/)\S+$", "youtube", "video"),
        (r"^https?://youtu\.be/\S+$", "youtube", "video"),
        (r"^https?://(www\.|player\.)?vimeo\.com/\S+$", "vimeo", "video"),
        (r"^https?://(www\.)?dailymotion\.com/\S+$", "dailymotion", "video"),
        (r"^https?://dai\.ly/\S+$", "dailymotion", "video"),
        (r"^https?://(www\.)?ted\.com/talks/\S+$", "ted", "video"),
        (r"^https?://(www\.)?tiktok\.com/\S+$", "tiktok", "video"),
        (r"^https?://(www\.)?(twitter|x)\.com/\w+/status(es)?/\S+$", "twitter", "rich"),
        (r"^https?://open\.spotify\.com/\S+$", "spotify", "rich"),
        (r"^https?://(www\.)?soundcloud\.com/\S+$", "soundcloud", "rich"),
        (r"^https?://(www\.)?flickr\.com/photos/\S+$", "flickr", "photo"),
        (r"^https?://(www\.)?reddit\.com/r/[^/]+/comments/\S+$", "reddit", "rich"),
        (r"^https?://(www\.)?speakerdeck\.com/\S+$", "speaker-deck", "rich"),
    )
)


def provider_of(url: str) -> tuple[str, str] | None:
    """(provider slug, embed type) when `url` is a page of a known oEmbed provider."""
    if any(c in url for c in "<>\"'\\"):
        return None
    for pattern, slug, kind in _PROVIDERS:
        if pattern.match(url):
            return slug, kind
    return None

"""URLs in a post body: resolving attribute values safely, and recognising video/file URLs."""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp"})
IMAGE_SCHEMES = frozenset({"http", "https"})
_URL_JUNK = re.compile(r"[\x00-\x20\x7f]")
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
_KAKAO_TV = re.compile(r"play-tv\.kakao\.com/embed/player/cliplink/(\d+)")
_VIMEO = re.compile(r"player\.vimeo\.com/video/(\d+)")


def resolve(url: str | None, base: str, schemes: frozenset[str]) -> str | None:
    """Absolute, allowed-scheme URL for an attribute value, or None (dropped).

    Browsers ignore ASCII tabs/newlines inside URLs, so `java\\tscript:` is checked as
    `javascript:`; anything outside `schemes` (javascript, vbscript, data, file, ...) is refused.
    """
    if url is None:
        return None
    url = url.strip()
    if not url:
        return None
    probe = _URL_JUNK.sub("", url)
    if probe.startswith("//"):
        url = "https:" + url
    try:
        absolute = urljoin(base, url)
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    if scheme not in schemes:
        return None
    return absolute


def filename_from_url(url: str) -> str:
    path = urlsplit(url).path
    return unquote(path.rstrip("/").rsplit("/", 1)[-1]) if path else ""


def youtube_watch_url(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    video_id, start = "", ""
    query = dict(p.partition("=")[::2] for p in parts.query.split("&") if p)
    if host in ("youtube.com", "youtube-nocookie.com"):
        if parts.path.startswith(("/embed/", "/shorts/", "/live/", "/v/")):
            video_id = parts.path.split("/")[2]
        elif parts.path == "/watch":
            video_id = query.get("v", "")
        start = query.get("start", "") or query.get("t", "")
    elif host == "youtu.be":
        video_id = parts.path.strip("/").split("/")[0]
        start = query.get("t", "")
    if not _YOUTUBE_ID.match(video_id):
        return None
    start = start.rstrip("s")
    return f"https://www.youtube.com/watch?v={video_id}" + (f"&t={start}s" if start.isdigit() else "")


def kakao_tv_url(url: str | None) -> str | None:
    match = _KAKAO_TV.search(url or "")
    return f"https://tv.kakao.com/v/{match.group(1)}" if match else None


def vimeo_url(url: str | None) -> str | None:
    match = _VIMEO.search(url or "")
    return f"https://vimeo.com/{match.group(1)}" if match else None

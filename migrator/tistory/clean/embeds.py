"""Stage 1 handlers for embedded players: videos, iframes, Kakao maps, <video>/<audio>.

No player survives: YouTube becomes a bare watch URL (WordPress' oEmbed), the rest become links.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from selectolax.lexbor import LexborNode

from migrator.tistory.clean.nodes import Attrs
from migrator.tistory.clean.snippets import attr, esc
from migrator.tistory.clean.urls import (
    IMAGE_SCHEMES,
    filename_from_url,
    kakao_tv_url,
    resolve,
    vimeo_url,
    youtube_watch_url,
)
from migrator.tistory.clean.walker import Walker


def video(w: Walker, node: LexborNode, attrs: Attrs, inline: bool) -> None:
    """The editor's video block (YouTube, KakaoTV, others)."""
    iframe_node = node.css_first("iframe")
    iframe_src = iframe_node.attributes.get("src") if iframe_node is not None else None
    host = (attrs.get("data-video-host") or "").lower()
    watch = youtube_watch_url(attrs.get("data-video-url")) or youtube_watch_url(iframe_src)
    if watch and host in ("", "youtube"):
        _youtube(w, watch, inline)
        return
    url = resolve(attrs.get("data-video-url") or kakao_tv_url(iframe_src) or iframe_src, w.base,
                  IMAGE_SCHEMES)
    if url is None:
        return
    title = (attrs.get("data-video-title") or "").strip() or url
    w.out.append(f'<p><a href="{attr(url)}">{esc(title)}</a></p>' if not inline
                 else f'<a href="{attr(url)}">{esc(title)}</a>')


def _youtube(w: Walker, watch_url: str, inline: bool) -> None:
    # WordPress turns a bare YouTube URL alone in its paragraph into an oEmbed player; an
    # iframe would be stripped for authors without unfiltered_html.
    if inline:
        w.out.append(f'<a href="{attr(watch_url)}">{esc(watch_url)}</a>')
    else:
        w.snippet(f"<p>{esc(watch_url)}</p>", block=True)


def iframe(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    if (attrs.get("data-ke-type") or "").lower() == "map":
        _kakao_map(w, attrs, inline)
        return
    src = attrs.get("src")
    watch = youtube_watch_url(src)
    if watch:
        _youtube(w, watch, inline)
        return
    url = resolve(vimeo_url(src) or kakao_tv_url(src) or src, w.base, IMAGE_SCHEMES)
    if url is None:
        return
    anchor = f'<a href="{attr(url)}">{esc(attrs.get("title") or url)}</a>'
    w.out.append(anchor if inline else f"<p>{anchor}</p>")


def _kakao_map(w: Walker, attrs: Attrs, inline: bool) -> None:
    data = attrs.get("data-maps-data") or attrs.get("mapdata") or ""
    fields = {}
    for part in data.split("&"):
        key, _, value = part.partition("=")
        fields[key] = unquote(value).strip()
    address, title = fields.get("addr", ""), fields.get("title", "")
    if address or title:
        url = "https://map.kakao.com/?q=" + quote(address or title)
    elif fields.get("mapX") and fields.get("mapY"):
        url = (f"https://map.kakao.com/?urlX={quote(fields['mapX'])}&urlY={quote(fields['mapY'])}"
               f"&urlLevel={quote(fields.get('map_level') or '3')}")
    else:
        resolved = resolve(attrs.get("src"), w.base, IMAGE_SCHEMES)
        if resolved is None:
            return
        url = resolved
    label = " ".join(x for x in (title, f"({address})" if title and address else address) if x) or "지도"
    anchor = f'<a href="{attr(url)}">{esc(label)}</a>'
    w.out.append(anchor if inline else f"<p>{anchor}</p>")


def media(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    """<video>/<audio>: no player survives; keep a link to the file."""
    source = node.css_first("source[src]")
    url = resolve(attrs.get("src") or (source.attributes.get("src") if source is not None else None),
                  w.base, IMAGE_SCHEMES)
    if url:
        anchor = f'<a href="{attr(url)}">{esc(filename_from_url(url) or url)}</a>'
        w.out.append(anchor if inline else f"<p>{anchor}</p>")

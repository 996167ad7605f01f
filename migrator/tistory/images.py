"""Tistory/Kakao CDN image URLs, media-type sniffing and upload file names (pure, no I/O).

Owns: resolving a rendered image URL to the original file (`original_image_url`), picking the
largest `srcset` candidate, a dedupe key that survives re-signed URLs (`image_source_key`),
recognising placeholders/skin assets, and deciding the true type and a good file name for uploads.
URL families are described in docs/tistory.md section 9.2.
"""

from __future__ import annotations

import re
import unicodedata
from mimetypes import MimeTypes
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

__all__ = [
    "attachment_media_type",
    "attachment_upload_type",
    "best_srcset_url",
    "image_source_key",
    "is_placeholder_image",
    "original_image_url",
    "sniff_media_type",
    "upload_filename",
]

# img1.daumcdn.net/thumb/R1280x0/?fname=..., i1.daumcdn.net/thumb/C450x300/?fname=...
_THUMB_HOST = re.compile(r"^(?:img|i)\d*\.daumcdn\.net$")
# t1.daumcdn.net/cfile/tistory/99A3CF4B5C2AFDF806 (legacy uploads)
_CFILE_HOST = re.compile(r"^t\d*\.daumcdn\.net$")
_KAKAO_CDN_HOSTS = frozenset({"blog.kakaocdn.net", "k.kakaocdn.net"})
_ENCODED_SCHEME = re.compile(r"^https?%3a", re.IGNORECASE)
# Never content: editor placeholders, Tistory's own static files, skin assets, trackers.
_PLACEHOLDER_PATTERNS = (
    re.compile(r"no-image-v\d+\.png", re.IGNORECASE),
    re.compile(r"/tistory_admin/(?:static|userblog|assets|www|lib|frontend)/", re.IGNORECASE),
    re.compile(r"^//tistory\d*\.daumcdn\.net/tistory/\d+/skin/", re.IGNORECASE),
    re.compile(r"^//t\d*\.daumcdn\.net/(?:tiara|tistory_admin)/", re.IGNORECASE),
    re.compile(r"^//[^/]*(?:google-analytics\.com|doubleclick\.net|googlesyndication\.com)/", re.IGNORECASE),
    re.compile(r"^//(?:www\.)?facebook\.com/tr\b", re.IGNORECASE),
)


def _split(url: str) -> SplitResult:
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    return urlsplit(url)


def _query_param(query: str, name: str) -> str | None:
    """Raw (still percent-encoded) value of `name`; parse_qs would turn '+' into spaces."""
    prefix = name + "="
    for part in query.split("&"):
        if part.startswith(prefix):
            return part[len(prefix):]
    return None


def original_image_url(url: str) -> str:
    """The URL of the original file behind a rendered Tistory image URL.

    Resize-proxy URLs (`img1.daumcdn.net/thumb/...?fname=<encoded>`) resolve to their decoded
    `fname` (recursively, so double-encoded signed `dna` queries come out single-encoded, exactly
    as Tistory's `data-url` has them); legacy `t1.daumcdn.net/cfile/tistory/ID` gets `?original`;
    `blog.kakaocdn.net` / `k.kakaocdn.net` URLs are already full size and stay unchanged.
    Protocol-relative URLs get `https:`; an explicit `http:` is kept.
    """
    url = url.strip()
    for _ in range(5):  # bounded: a thumb of a thumb of ... is resolved a few levels deep
        parts = _split(url)
        host = (parts.hostname or "").lower()
        if _THUMB_HOST.match(host) and parts.path.startswith("/thumb/"):
            fname = _query_param(parts.query, "fname")
            if fname:
                inner = unquote(fname)
                while _ENCODED_SCHEME.match(inner):  # encoded once more than usual
                    inner = unquote(inner)
                url = inner.strip()
                continue
        if _CFILE_HOST.match(host) and parts.path.startswith("/cfile/"):
            return urlunsplit((parts.scheme, parts.netloc, parts.path, "original", ""))
        break
    # Every other family is already the original: return it as given (only `//` gets `https:`).
    return "https:" + url if url.startswith("//") else url


_SRCSET_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$", re.IGNORECASE)
_SRCSET_SEPARATORS = re.compile(r"[\s,]*")
_SRCSET_URL = re.compile(r"\S+")
_SRCSET_DESCRIPTORS = re.compile(r"[^,]*")


def best_srcset_url(srcset: str) -> str | None:
    """The candidate of a `srcset` with the largest width (`w`) or density (`x`) descriptor.

    Width descriptors win over density ones; a candidate without a descriptor counts as `1x`.
    URLs may contain commas, so candidates are split the way the HTML spec does (URL = a run of
    non-space characters, then descriptors up to the next comma).
    """
    best: tuple[int, float, str] | None = None
    pos, n = 0, len(srcset)
    while pos < n:
        pos = _SRCSET_SEPARATORS.match(srcset, pos).end()  # type: ignore[union-attr]
        url_match = _SRCSET_URL.match(srcset, pos)
        if url_match is None:
            break
        url, pos = url_match.group(), url_match.end()
        descriptors = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            desc_match = _SRCSET_DESCRIPTORS.match(srcset, pos)
            descriptors, pos = desc_match.group(), desc_match.end()  # type: ignore[union-attr]
        if not url:
            continue
        rank: tuple[int, float] = (0, 1.0)
        for descriptor in descriptors.split():
            match = _SRCSET_DESCRIPTOR.match(descriptor)
            if match:
                value = float(match.group(1))
                rank = (1, value) if match.group(2).lower() == "w" else (0, value)
        if best is None or rank > best[:2]:
            best = (rank[0], rank[1], url)
    return best[2] if best else None


_SIGNATURE_PARAMS = frozenset({
    "credential", "expires", "signature", "allow_ip", "allow_referer", "x-amz-algorithm", "x-amz-credential",
    "x-amz-date", "x-amz-expires", "x-amz-signature", "x-amz-signedheaders", "x-amz-security-token",
    "key-pair-id", "policy",
})


def image_source_key(url: str) -> str:
    """A stable identity of an image for dedupe across runs.

    The URL is first resolved with `original_image_url`. Signed `blog.kakaocdn.net/dna` URLs get a
    new credential/expires/signature query every month, so Kakao CDN `dn`/`dna` URLs and legacy
    `cfile` URLs are keyed without their query; anything else is keyed as scheme-less
    `host + path + ?query` with a lower-cased host.
    """
    parts = _split(original_image_url(url))
    host = (parts.hostname or "").lower()
    if parts.port:
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    if host in _KAKAO_CDN_HOSTS and path.startswith(("/dn/", "/dna/")):
        return host + path
    if _CFILE_HOST.match(host) and path.startswith("/cfile/"):
        return host + path
    # Other hosts: keep the query (it can select the file) but drop the parameters that only sign
    # the link for a while (Kakao's on any host they front, S3/CloudFront style), so the same file
    # signed twice is one image.
    kept = [pair for pair in parts.query.split("&") if pair and pair.split("=", 1)[0].lower() not in _SIGNATURE_PARAMS]
    return host + path + (f"?{'&'.join(kept)}" if kept else "")


def is_placeholder_image(url: str) -> bool:
    """True for URLs that are never post content: `no-image-v1.png`, Tistory static/admin files,
    the default `opengraph.png`, skin assets and common tracking pixels."""
    url = url.strip()
    if not url:
        return True
    schemeless = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", "", url, count=1)
    # A thumb wrapper around a placeholder is a placeholder too.
    candidates = {schemeless, re.sub(r"^[a-zA-Z]+:", "", original_image_url(url), count=1)}
    return any(p.search(c) for p in _PLACEHOLDER_PATTERNS for c in candidates)


# (magic test, mime, extension), most specific first.
def _magic(data: bytes) -> tuple[str, str] | None:
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif", "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff", "tiff"
    if head.startswith(b"BM") and len(head) >= 26 and head[6:10] == b"\x00\x00\x00\x00":
        return "image/bmp", "bmp"
    if head[4:8] == b"ftyp":
        brands = {head[i:i + 4] for i in range(8, min(len(head), 32), 4)}
        if brands & {b"avif", b"avis"}:
            return "image/avif", "avif"
        if brands & {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}:
            return "image/heic", "heic"
        if brands & {b"mif1", b"msf1"}:
            return "image/heif", "heif"
    if head.startswith(b"\x00\x00\x01\x00") and len(head) >= 6 and head[4:6] != b"\x00\x00":
        return "image/x-icon", "ico"
    return None


# Image types we accept from a Content-Type header when the bytes have no known signature.
_TRUSTED_IMAGE_TYPES = {
    "image/jpeg": "jpg", "image/jpg": "jpg", "image/pjpeg": "jpg", "image/png": "png",
    "image/gif": "gif", "image/webp": "webp", "image/bmp": "bmp", "image/x-ms-bmp": "bmp",
    "image/tiff": "tiff", "image/avif": "avif", "image/heic": "heic", "image/heif": "heif",
    "image/x-icon": "ico", "image/vnd.microsoft.icon": "ico",
}
_TEXT_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*[<{\[]")


def _looks_like_text(data: bytes) -> bool:
    """HTML/XML/JSON error pages, or mostly printable ASCII: certainly not an image."""
    if _TEXT_START.match(data[:256]):
        return True
    sample = data[:512]
    if not sample:
        return True
    printable = sum(1 for b in sample if 32 <= b < 127 or b in (9, 10, 13))
    return printable / len(sample) > 0.95


def _base_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def sniff_media_type(data: bytes, content_type: str | None) -> tuple[str, str] | None:
    """(mime, extension) of downloaded image bytes, or None when they are not an image.

    Magic bytes decide first; only bytes without a known signature fall back to a known raster
    `image/*` Content-Type, and never when they look like text (an HTML error page served as
    `image/png` is not an image). SVG is refused: WordPress rejects it and it can carry scripts.
    The file name is never consulted.
    """
    found = _magic(data)
    if found:
        return found
    if not data or _looks_like_text(data):
        return None
    ext = _TRUSTED_IMAGE_TYPES.get(_base_type(content_type))
    return (_base_type(content_type), ext) if ext else None


_MIME_TABLE = MimeTypes()  # built-in table only: independent of the host's /etc/mime.types
_PREFERRED_EXT = {
    "image/jpeg": "jpg", "text/plain": "txt", "application/zip": "zip", "application/pdf": "pdf",
    "application/x-hwp": "hwp", "application/haansofthwp": "hwp", "application/vnd.hancom.hwp": "hwp",
    "application/vnd.hancom.hwpx": "hwpx", "application/x-7z-compressed": "7z",
    "application/x-rar-compressed": "rar", "application/vnd.rar": "rar",
}
_ZIP_CONTAINERS = {"docx", "xlsx", "pptx", "hwpx", "odt", "ods", "odp", "epub", "jar", "apk", "xpi"}
_OLE_CONTAINERS = {"doc", "xls", "ppt", "hwp", "msg"}
_EXT_OK = re.compile(r"^[a-z0-9]{1,8}$")
_GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/download",
                  "application/force-download", "application/x-download", "application/unknown"}


def _name_extension(filename: str | None) -> str | None:
    if not filename or "." not in filename:
        return None
    ext = filename.rsplit(".", 1)[1].strip().lower()
    return ext if _EXT_OK.match(ext) else None


_OFFICE = "application/vnd.openxmlformats-officedocument"
_EXTRA_TYPES = {  # common in Korean blogs, missing from Python's built-in table
    "hwp": "application/x-hwp", "hwpx": "application/vnd.hancom.hwpx", "7z": "application/x-7z-compressed",
    "rar": "application/vnd.rar", "webp": "image/webp", "avif": "image/avif", "heic": "image/heic",
    "docx": f"{_OFFICE}.wordprocessingml.document", "xlsx": f"{_OFFICE}.spreadsheetml.sheet",
    "pptx": f"{_OFFICE}.presentationml.presentation", "doc": "application/msword",
    "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint",
    "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation", "epub": "application/epub+zip",
}


def _mime_for_extension(ext: str) -> str:
    return _EXTRA_TYPES.get(ext) or _MIME_TABLE.types_map[1].get("." + ext) or "application/octet-stream"


def _extension_for_mime(mime: str) -> str | None:
    if mime in _PREFERRED_EXT:
        return _PREFERRED_EXT[mime]
    if mime in _TRUSTED_IMAGE_TYPES:
        return _TRUSTED_IMAGE_TYPES[mime]
    guessed = _MIME_TABLE.guess_extension(mime, strict=False)
    return guessed.lstrip(".") if guessed else None


def attachment_media_type(data: bytes, content_type: str | None, filename: str | None) -> tuple[str, str]:
    """(mime, extension) for a file attachment.

    Order: magic bytes (images, PDF, ZIP; a ZIP/OLE container keeps a matching office-style
    extension from the name, e.g. `.docx`, `.hwp`), then a specific Content-Type, then the
    name's extension, else `application/octet-stream` + `bin`.
    """
    name_ext = _name_extension(filename)
    image = _magic(data)
    if image:
        return image
    if data.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        if name_ext in _ZIP_CONTAINERS:
            return _mime_for_extension(name_ext), name_ext
        return "application/zip", "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and name_ext in _OLE_CONTAINERS:
        return _mime_for_extension(name_ext), name_ext
    mime = _base_type(content_type)
    if mime not in _GENERIC_TYPES:
        ext = _extension_for_mime(mime)
        if ext:
            return mime, ext
    if name_ext:
        return _mime_for_extension(name_ext), name_ext
    return "application/octet-stream", "bin"


_GENERIC_STEMS = {
    "img", "image", "images", "tfile", "file", "files", "blob", "photo", "picture", "pic", "untitled",
    "noname", "download", "attach", "attachment", "capture", "screenshot", "unnamed", "default",
}
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f/\\\"'`%#?<>:*|]")
_GENERIC_TAIL = re.compile(r"[\s_\-.()\[\]\d]+$")
_MAX_STEM_CHARS = 80


def _clean_stem(stem: str) -> str:
    stem = unicodedata.normalize("NFC", stem)
    stem = _UNSAFE_CHARS.sub("", stem)
    stem = re.sub(r"\s+", " ", stem)
    stem = stem.strip(" .-_")
    if len(stem) > _MAX_STEM_CHARS:
        stem = stem[:_MAX_STEM_CHARS].rstrip(" .-_")
    return stem


def _is_generic(stem: str) -> bool:
    core = _GENERIC_TAIL.sub("", stem.lower())
    return not core or core in _GENERIC_STEMS


def upload_filename(preferred: str | None, *, fallback_stem: str, index: int, ext: str) -> str:
    """A meaningful upload name: the editor's original name stem with the TRUE extension `ext`.

    The stem keeps Korean intact (NFC), loses path parts, quotes, control characters, `%`, `#`,
    `?` (and other characters file systems or URLs dislike) and is cut to 80 characters.
    Generic or missing names (`img`, `image`, `tfile`, `file`, `blob`, digits only, `IMG_0001`, ...)
    become `f"{fallback_stem}-{index}.{ext}"` (fallback_stem: the post slug or `tistory-<id>`).
    """
    ext = re.sub(r"[^a-z0-9]", "", ext.lower().lstrip(".")) or "bin"
    stem = ""
    if preferred:
        base = re.split(r"[/\\]", unicodedata.normalize("NFC", preferred).strip())[-1]
        if "." in base:
            head, tail = base.rsplit(".", 1)
            if re.fullmatch(r"[A-Za-z0-9]{1,5}", tail):  # drop the (possibly lying) extension
                base = head
        stem = _clean_stem(base)
    if not stem or _is_generic(stem):
        fallback = _clean_stem(fallback_stem) or "tistory"
        return f"{fallback}-{index}.{ext}"
    return f"{stem}.{ext}"


# ---------------------------------------------------------------------------- attachments by allow-list
_ALLOWED_ATTACHMENTS = frozenset({
    # images
    "jpg", "png", "gif", "webp", "bmp", "tiff", "avif", "heic", "heif", "ico",
    # documents (HWP: the Korean word processor)
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "hwp", "hwpx", "epub", "rtf",
    # archives
    "zip", "7z", "rar", "tar", "gz", "tgz", "bz2", "xz",
    # audio and video
    "mp3", "m4a", "wav", "ogg", "oga", "flac", "aac", "wma", "mid", "midi",
    "mp4", "m4v", "mov", "avi", "mkv", "webm", "wmv", "mpg", "mpeg", "3gp", "flv",
    # plain text
    "txt", "csv", "tsv",
})
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# What the bytes of a type must start with: a file whose bytes say otherwise is refused.
_REQUIRED_MAGIC: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",), "zip": _ZIP, "7z": (b"7z\xbc\xaf\x27\x1c",), "rar": (b"Rar!\x1a\x07",),
    "gz": (b"\x1f\x8b",), "tgz": (b"\x1f\x8b",), "bz2": (b"BZh",), "xz": (b"\xfd7zXZ\x00",),
    "rtf": (b"{\\rtf",),
    **dict.fromkeys(("docx", "xlsx", "pptx", "odt", "ods", "odp", "hwpx", "epub"), _ZIP),
    **dict.fromkeys(("doc", "xls", "ppt", "hwp"), _OLE),
}
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa")
_MARKUP_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<", re.IGNORECASE)
_TEXT_TYPES = frozenset({"txt", "csv", "tsv"})
_NAME_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "tif": "tiff", "text": "txt", "mpe": "mpg", "qt": "mov"}


def attachment_upload_type(
    head: bytes, content_type: str | None, filename: str | None
) -> tuple[str, str] | str:
    """(mime, extension) of an attachment that may be uploaded, or the reason it may not.

    Allowed: images, PDF, office documents (incl. HWP/HWPX, OpenDocument), archives, audio/video and
    plain text/CSV. Refused: HTML, SVG, XML, scripts, executables and anything unknown (they could
    run in the browser of whoever opens the media URL), and bytes that contradict their type (a
    `.pdf` that is an HTML error page). `head` is the start of the file (64 KiB is plenty).
    """
    name_ext = _name_extension(filename)
    if head.startswith(_EXECUTABLE_MAGIC) and not _magic(head):
        return "type not allowed: an executable or script"
    if _MARKUP_START.match(head[:256]):
        return "type not allowed: HTML/SVG/XML markup"
    if name_ext and _NAME_ALIASES.get(name_ext, name_ext) not in _ALLOWED_ATTACHMENTS:
        return f"type not allowed: .{name_ext}"
    mime, ext = attachment_media_type(head, content_type, filename)
    if ext == "tar" or (ext == "bin" and head[257:262] == b"ustar"):
        if head[257:262] != b"ustar":
            return f"the bytes are not a {ext} file"
        return "application/x-tar", "tar"
    if ext not in _ALLOWED_ATTACHMENTS:
        claimed = name_ext or _base_type(content_type) or "unknown"
        return f"type not allowed: {claimed if ext == 'bin' else ext}"
    required = _REQUIRED_MAGIC.get(ext)
    if required is not None and not head.startswith(required):
        return f"the bytes are not a {ext} file"
    if ext in _TEXT_TYPES and not _looks_like_text(head):
        return f"the bytes are not a {ext} file"
    if mime.startswith(("audio/", "video/")) or ext in _ALLOWED_ATTACHMENTS - _TEXT_TYPES:
        if _looks_like_text(head) and ext not in _TEXT_TYPES and required is None and not _magic(head):
            return f"the bytes are text, not a {ext} file"
    return mime, ext

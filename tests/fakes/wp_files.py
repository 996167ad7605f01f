"""Upload type checks of WordPress 6.1 for the fake WordPress: magic bytes, allowed extensions.

Follows `wp_check_filetype_and_ext()`: the extension must be an allowed type; for image
extensions the real type is read from the content and the extension is corrected (a PNG sent
as `x.jpg` is stored as `x.png`); an image extension on non-image bytes, an unknown extension,
no extension, or SVG is refused. Also reads image dimensions for `media_details`. No I/O.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["ALLOWED_EXTS", "FileCheck", "check_upload", "image_size", "sniff_mime"]

# A subset of get_allowed_mime_types() for an administrator (no unfiltered_upload).
ALLOWED_EXTS: dict[str, str] = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "gif": "image/gif",
    "png": "image/png",
    "bmp": "image/bmp",
    "tiff": "image/tiff",
    "tif": "image/tiff",
    "webp": "image/webp",
    "ico": "image/x-icon",
    "heic": "image/heic",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mp3": "audio/mpeg",
    "m4a": "audio/mpeg",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "txt": "text/plain",
    "asc": "text/plain",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "vtt": "text/vtt",
    "srt": "text/plain",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "gz": "application/x-gzip",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
}
# getimagesize_mimes_to_exts
_MIME_TO_EXT = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/bmp": "bmp",
    "image/tiff": "tif",
    "image/webp": "webp",
}


def sniff_mime(data: bytes) -> str | None:
    """The content's real type from its first bytes (images, SVG, PDF, zip), or None."""
    head = data[:512]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:2] == b"BM" and len(head) > 26:
        return "image/bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:4] == b"\x00\x00\x01\x00":
        return "image/x-icon"
    stripped = head.lstrip()
    if stripped[:4] == b"<svg" or (stripped[:5] == b"<?xml" and b"<svg" in data[:4096]):
        return "image/svg+xml"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    return None


def _looks_like_text(data: bytes) -> bool:
    if b"\x00" in data[:4096]:
        return False
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the 4096-byte boundary is still text.
        return exc.start >= 4090
    return True


@dataclass(frozen=True)
class FileCheck:
    """Outcome of an upload check: the (possibly corrected) file name and its MIME type."""

    filename: str
    mime: str


def check_upload(filename: str, data: bytes, refused: set[str]) -> FileCheck | None:
    """`wp_check_filetype_and_ext()`: the stored name and type, or None when WordPress refuses.

    The extension is lower-cased (WordPress stores `x.PNG` as `x.png`).
    """
    if "." not in filename:
        return None
    base, ext = filename.rsplit(".", 1)
    ext = ext.lower()
    mime = ALLOWED_EXTS.get(ext)
    real = sniff_mime(data)
    if real is not None and real in refused:
        return None
    if mime is None or mime in refused:
        return None
    if mime.startswith("image/"):
        if real is None or not real.startswith("image/"):
            return None  # an image extension on bytes that are not an image
        if real != mime:
            new_ext = _MIME_TO_EXT.get(real)
            if new_ext is None:
                return None
            ext, mime = new_ext, real
    elif mime.startswith("text/"):
        if not _looks_like_text(data):
            return None
    elif mime == "application/pdf" and real != "application/pdf":
        return None
    return FileCheck(filename=f"{base}.{ext}", mime=mime)


def image_size(data: bytes, mime: str) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF, JPEG or WebP, or None when it cannot be read."""
    try:
        if mime == "image/png" and len(data) >= 24:
            w, h = struct.unpack(">II", data[16:24])
            return w, h
        if mime == "image/gif" and len(data) >= 10:
            w, h = struct.unpack("<HH", data[6:10])
            return w, h
        if mime == "image/jpeg":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                    h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                    return w, h
                seg_len = struct.unpack(">H", data[i + 2 : i + 4])[0]
                i += 2 + seg_len
            return None
        if mime == "image/webp" and len(data) >= 30:
            chunk = data[12:16]
            if chunk == b"VP8X":
                w = 1 + int.from_bytes(data[24:27], "little")
                h = 1 + int.from_bytes(data[27:30], "little")
                return w, h
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    except struct.error:
        return None
    return None

"""FakeCDN: serves image and attachment bytes for fake Tistory blogs, with failure knobs.

Images are addressed by path (e.g. /dna/abc/img.png); the query string is ignored unless the path
is listed in `signed`, in which case `expires=` below `now` answers 403 like a stale Kakao CDN link.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from dataclasses import dataclass, field

from aiohttp import web

__all__ = ["FakeCDN", "gzip_bomb", "make_jpeg", "make_png"]


def make_png(seed: int, size: int = 4) -> bytes:
    """A small valid PNG whose pixels (and so bytes and hash) depend on `seed`."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    r, g, b = (seed * 37) % 256, (seed * 91) % 256, (seed * 53 + 7) % 256
    raw = b"".join(b"\x00" + bytes((r, g, b)) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    # The tEXt chunk makes every seed's bytes (and content hash) distinct, even when colours repeat.
    text = chunk(b"tEXt", b"seed\x00" + str(seed).encode())
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + text + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def gzip_bomb(decoded_size: int) -> bytes:
    """A gzip stream that inflates to `decoded_size` bytes (a PNG signature, then zeros)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [z.compress(b"\x89PNG\r\n\x1a\n")]
    block = bytes(1024 * 1024)
    left = decoded_size - 8
    while left > 0:
        out.append(z.compress(block[: min(left, len(block))]))
        left -= len(block)
    out.append(z.flush())
    return b"".join(out)


def make_jpeg(seed: int) -> bytes:
    """Bytes that start like a JPEG (enough for type sniffing; WordPress fakes do not decode)."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes([seed % 256]) * 64 + b"\xff\xd9"


@dataclass
class FakeCDN:
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)   # path -> (bytes, content type)
    fail: dict[str, list[int]] = field(default_factory=dict)            # path -> statuses to answer first
    signed: set[str] = field(default_factory=set)
    now: int = 0
    requests: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)     # path -> Location
    gzipped: set[str] = field(default_factory=set)              # served with Content-Encoding: gzip
    huge: dict[str, int] = field(default_factory=dict)          # path -> size of zeros streamed (PNG start)
    sent: dict[str, int] = field(default_factory=dict)          # path -> body bytes written (huge files)
    slow: dict[str, float] = field(default_factory=dict)        # path -> seconds before answering

    def add(self, path: str, data: bytes, content_type: str = "image/png") -> str:
        self.files[path] = (data, content_type)
        return path

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._serve)
        return app

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.requests.append(request.path_qs)
        if path in self.slow:
            await asyncio.sleep(self.slow[path])
        statuses = self.fail.get(path)
        if statuses:
            status = statuses.pop(0)
            headers = {"Retry-After": "1"} if status in (429, 503) else {}
            return web.Response(status=status, text="fake failure", headers=headers)
        if path in self.signed:
            try:
                expires = int(request.query.get("expires", "0"))
            except ValueError:
                expires = 0
            if expires < self.now:
                return web.Response(status=403, text="expired")
        if path in self.redirects:
            raise web.HTTPFound(self.redirects[path])
        if path in self.huge:
            return await self._stream_huge(request, path)
        if path not in self.files:
            return web.Response(status=404, text="not found")
        data, ctype = self.files[path]
        if path in self.gzipped:
            # The bytes are sent as they are, already compressed (e.g. a gzip bomb).
            return web.Response(body=data, headers={"Content-Type": ctype, "Content-Encoding": "gzip"})
        return web.Response(body=data, content_type=ctype)

    async def _stream_huge(self, request: web.Request, path: str) -> web.StreamResponse:
        """A PNG-looking file of `huge[path]` bytes with its true Content-Length, written lazily."""
        size = self.huge[path]
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.content_length = size
        await response.prepare(request)
        chunk = b"\x89PNG\r\n\x1a\n" + bytes(1024 * 1024 - 8)
        self.sent[path] = 0
        try:
            while self.sent[path] < size:
                piece = chunk[: size - self.sent[path]]
                await response.write(piece)
                self.sent[path] += len(piece)
                chunk = bytes(len(chunk))
        except (ConnectionError, RuntimeError):
            return response
        await response.write_eof()
        return response

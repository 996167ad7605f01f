"""The benchmark blog's image bytes: tiny PNGs (the fakes' own), or real JPEGs of a chosen size.

Real JPEGs come from make_images.php (PHP's Imagick, which scripts/wp-local.sh installs anyway):
a pool of a few base pictures with different content and dimensions, cached on disk. Every image
slot of the blog gets one of them with a JPEG comment segment naming the slot, so each file has its
own bytes and hash (the tool and WordPress treat them as distinct files) while WordPress still
decodes and resizes a full picture each time. Bytes are made on demand: a 200-post blog of 3 MB
photos is never held in memory.
"""

from __future__ import annotations

import hashlib
import math
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Dimensions of the base pictures of each preset (about 0.33 bytes per pixel at quality 85).
PRESETS: dict[str, list[tuple[int, int]]] = {
    # ~70-110 KB: a picture already scaled for the web; WordPress makes 2 or 3 sizes of it.
    "small": [(640, 480), (600, 450), (640, 427), (480, 640)],
    # 2-4 MB camera originals, as Tistory keeps them: WordPress scales each to 2560 px and
    # makes six more sizes.
    "photo": [(4000, 3000), (3264, 2448), (4032, 3024), (3648, 2736)],
}
QUALITY = 85
BYTES_PER_PIXEL = 0.33
POOL = 8


def parse_image_size(text: str) -> str | int:
    """`tiny`, `small`, `photo`, or a byte count such as 150000, 150k, 3M."""
    value = text.strip().lower()
    if value in ("tiny", *PRESETS):
        return value
    scale = {"k": 1000, "m": 1000 * 1000}.get(value[-1:], 1)
    number = value[:-1] if scale > 1 else value
    try:
        size = int(float(number) * scale)
    except ValueError:
        raise ValueError(f"--image-size: tiny, small, photo or a byte count, not {text!r}") from None
    if size < 2000:
        raise ValueError("--image-size: at least 2000 bytes (or `tiny`)")
    return size


def _dimensions_for(size: int) -> list[tuple[int, int]]:
    pixels = size / BYTES_PER_PIXEL
    width = int(math.sqrt(pixels * 4 / 3))
    return [(width, width * 3 // 4), (width * 3 // 4, width), (int(width * 1.05), int(width * 0.75))]


def _with_comment(jpeg: bytes, text: str) -> bytes:
    """The same picture with a COM segment right after SOI: other bytes, other hash, same pixels."""
    payload = text.encode()
    return jpeg[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]


@dataclass
class ImageSet:
    label: str
    extension: str
    content_type: str
    bases: list[bytes]

    def data(self, post_id: int, index: int) -> bytes:
        if not self.bases:  # tiny: the fakes' 4x4 PNG, distinct per slot (today's bench)
            from tests.fakes.cdn import make_png

            return make_png(post_id * 10 + index)
        base = self.bases[(post_id * 7 + index) % len(self.bases)]
        return _with_comment(base, f"migrator bench image {post_id}-{index}")

    def describe(self) -> str:
        if not self.bases:
            return "tiny 4x4 PNGs (tests/fakes)"
        sizes = sorted(len(b) for b in self.bases)
        return f"{self.label}: JPEG, {len(self.bases)} base pictures of {sizes[0] / 1e3:,.0f}-{sizes[-1] / 1e3:,.0f} KB"


def make_image_set(spec: str | int, cache_dir: Path | None = None) -> ImageSet:
    if spec == "tiny":
        return ImageSet("tiny", "png", "image/png", [])
    dims = PRESETS[spec] if isinstance(spec, str) else _dimensions_for(spec)
    pool = [dims[n % len(dims)] for n in range(POOL)]
    key = hashlib.sha256(repr((pool, QUALITY, (HERE / "make_images.php").read_bytes())).encode()).hexdigest()[:16]
    folder = (cache_dir or Path(tempfile.gettempdir()) / "migrator-bench-images") / key
    files = [folder / f"base-{n}.jpg" for n in range(POOL)]
    if not all(f.exists() for f in files):
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["php", str(HERE / "make_images.php"), str(folder), str(QUALITY), *(f"{w}x{h}" for w, h in pool)],
            check=True,
        )
    label = spec if isinstance(spec, str) else f"~{spec / 1e3:,.0f} KB"
    return ImageSet(label, "jpg", "image/jpeg", [f.read_bytes() for f in files])


class LazyFiles(Mapping[str, tuple[bytes, str]]):
    """FakeCDN's `files` (path -> (bytes, content type)), made when asked for."""

    def __init__(self, slots: dict[str, tuple[int, int]], images: ImageSet) -> None:
        self.slots = slots
        self.images = images

    def __getitem__(self, path: str) -> tuple[bytes, str]:
        post_id, index = self.slots[path]
        return self.images.data(post_id, index), self.images.content_type

    def __contains__(self, path: object) -> bool:
        return path in self.slots

    def __iter__(self) -> Iterator[str]:
        return iter(self.slots)

    def __len__(self) -> int:
        return len(self.slots)

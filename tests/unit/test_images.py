"""images.py: CDN URL families (docs/tistory.md 9.2), srcset, dedupe keys, sniffing, upload names."""

from __future__ import annotations

import struct

import pytest

from migrator.tistory.images import (
    attachment_media_type,
    best_srcset_url,
    image_source_key,
    is_placeholder_image,
    original_image_url,
    sniff_media_type,
    upload_filename,
)

DNA = (
    "https://blog.kakaocdn.net/dna/5oSv2/dJMcahCLuga/AAAAAAAAAAAAAAAAAAAAADVx-E_u-iGjSewf8aSXcSob2GRGJVQ01Wp8WJxMLdlR"
    "/img.png?credential=yqXZFxpELC7KVnFOS48ylbz2pIh7yKj8&expires=1767193199&allow_ip=&allow_referer="
    "&signature=zgyu2rj%2F9swm98FYobzyHqq08p8%3D"
)
# The same file as A637's srcset wraps it: fname is encoded once more, so %2F became %252F.
DNA_THUMB = (
    "https://img1.daumcdn.net/thumb/R1280x0/?scode=mtistory2&fname=https%3A%2F%2Fblog.kakaocdn.net%2Fdna"
    "%2F5oSv2%2FdJMcahCLuga%2FAAAAAAAAAAAAAAAAAAAAADVx-E_u-iGjSewf8aSXcSob2GRGJVQ01Wp8WJxMLdlR%2Fimg.png"
    "%3Fcredential%3DyqXZFxpELC7KVnFOS48ylbz2pIh7yKj8%26expires%3D1767193199%26allow_ip%3D%26allow_referer"
    "%3D%26signature%3Dzgyu2rj%252F9swm98FYobzyHqq08p8%253D"
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # current uploads: signed dna, already the original
        (DNA, DNA),
        # older unsigned dn and the old Kakao host: unchanged
        (
            "https://blog.kakaocdn.net/dn/bqK3xM/btrA1/abc/img.jpg",
            "https://blog.kakaocdn.net/dn/bqK3xM/btrA1/abc/img.jpg",
        ),
        (
            "https://k.kakaocdn.net/dn/bqK3xM/btrA1/abc/img.png",
            "https://k.kakaocdn.net/dn/bqK3xM/btrA1/abc/img.png",
        ),
        # legacy cfile: ?original, scheme kept, protocol-relative gets https
        (
            "https://t1.daumcdn.net/cfile/tistory/99A3CF4B5C2AFDF806",
            "https://t1.daumcdn.net/cfile/tistory/99A3CF4B5C2AFDF806?original",
        ),
        (
            "http://t1.daumcdn.net/cfile/tistory/99A3CF4B5C2AFDF806",
            "http://t1.daumcdn.net/cfile/tistory/99A3CF4B5C2AFDF806?original",
        ),
        (
            "//t1.daumcdn.net/cfile/tistory/99A3CF4B5C2AFDF806?original",
            "https://t1.daumcdn.net/cfile/tistory/99A3CF4B5C2AFDF806?original",
        ),
        (
            "https://t1.daumcdn.net/cfile/tistory/99A3CF4B5C2AFDF806?download",
            "https://t1.daumcdn.net/cfile/tistory/99A3CF4B5C2AFDF806?original",
        ),
        # resize proxy: fname decoded, recursively for the double-encoded dna query
        (DNA_THUMB, DNA),
        (
            "https://img1.daumcdn.net/thumb/R800x0/?scode=mtistory2&fname=https%3A%2F%2Ft1.daumcdn.net%2Fcfile"
            "%2Ftistory%2F1731AC524E07FB5220",
            "https://t1.daumcdn.net/cfile/tistory/1731AC524E07FB5220?original",
        ),
        (
            "https://i1.daumcdn.net/thumb/C450x300/?fname=https%3A%2F%2Fblog.kakaocdn.net%2Fdn%2Fa%2Fb%2Fimg.jpg",
            "https://blog.kakaocdn.net/dn/a/b/img.jpg",
        ),
        (
            "//img1.daumcdn.net/thumb/R720x0.q80/?fname=http%3A%2F%2Fcfile9.uf.tistory.com%2Fimage%2F2345",
            "http://cfile9.uf.tistory.com/image/2345",
        ),
        # fname encoded twice as a whole
        (
            "https://img1.daumcdn.net/thumb/R1280x0/?fname=https%253A%252F%252Fblog.kakaocdn.net%252Fdn%252Fx%252Fimg.png",
            "https://blog.kakaocdn.net/dn/x/img.png",
        ),
        # pre-2011 hosts, attach images, video thumbnails: unchanged
        ("http://cfile9.uf.tistory.com/image/1234ABCD", "http://cfile9.uf.tistory.com/image/1234ABCD"),
        (
            "http://cfs7.tistory.com/original/5/tistory/2008/01/01/x.jpg",
            "http://cfs7.tistory.com/original/5/tistory/2008/01/01/x.jpg",
        ),
        (
            "https://tistory1.daumcdn.net/tistory/5257724/attach/abc123",
            "https://tistory1.daumcdn.net/tistory/5257724/attach/abc123",
        ),
        ("https://scrap.kakaocdn.net/dn/abc/img.jpg", "https://scrap.kakaocdn.net/dn/abc/img.jpg"),
        (
            "https://thumb.kakaocdn.net/dna/kamp/source/abc/thumb.jpg",
            "https://thumb.kakaocdn.net/dna/kamp/source/abc/thumb.jpg",
        ),
        ("https://example.com/a.png", "https://example.com/a.png"),
    ],
)
def test_original_image_url(url: str, expected: str) -> None:
    assert original_image_url(url) == expected


@pytest.mark.parametrize(
    ("srcset", "expected"),
    [
        ("a.png 1x, b.png 2x", "b.png"),
        ("a.png 2x, b.png 1x", "a.png"),
        ("small.jpg 320w, big.jpg 1280w, mid.jpg 800w", "big.jpg"),
        ("x.jpg 3x, w.jpg 100w", "w.jpg"),  # width descriptors win over densities
        ("only.png", "only.png"),
        ("a,b.png 100w, c.png 50w", "a,b.png"),  # commas inside URLs
        ("first.png, second.png 2x", "second.png"),
        (DNA_THUMB, DNA_THUMB),
        ("", None),
        ("  ,  ", None),
    ],
)
def test_best_srcset_url(srcset: str, expected: str | None) -> None:
    assert best_srcset_url(srcset) == expected


def test_source_key_ignores_monthly_signature() -> None:
    november = DNA.replace("expires=1767193199", "expires=1764514799").replace(
        "zgyu2rj%2F9swm", "AAAA%2Fzzzz"
    )
    assert november != DNA
    assert image_source_key(november) == image_source_key(DNA)
    assert image_source_key(DNA) == (
        "blog.kakaocdn.net/dna/5oSv2/dJMcahCLuga/"
        "AAAAAAAAAAAAAAAAAAAAADVx-E_u-iGjSewf8aSXcSob2GRGJVQ01Wp8WJxMLdlR/img.png"
    )


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (DNA_THUMB, DNA, True),  # the srcset wrapper and the file are one image
        (
            "https://t1.daumcdn.net/cfile/tistory/99A3",
            "https://t1.daumcdn.net/cfile/tistory/99A3?original",
            True,
        ),
        ("http://T1.DAUMCDN.NET/cfile/tistory/99A3", "https://t1.daumcdn.net/cfile/tistory/99A3", True),
        ("https://blog.kakaocdn.net/dn/a/b/c/img.jpg", "https://blog.kakaocdn.net/dn/a/b/d/img.jpg", False),
        (
            "https://example.com/p.png?v=1",
            "https://example.com/p.png?v=2",
            False,
        ),  # other hosts keep the query
        ("https://EXAMPLE.com/p.png", "http://example.com/p.png", True),
        ("https://example.com/P.png", "https://example.com/p.png", False),  # paths are case-sensitive
    ],
)
def test_image_source_key_identity(a: str, b: str, same: bool) -> None:
    assert (image_source_key(a) == image_source_key(b)) is same


@pytest.mark.parametrize(
    ("url", "placeholder"),
    [
        ("//t1.daumcdn.net/tistory_admin/static/images/no-image-v1.png", True),
        ("https://t1.daumcdn.net/tistory_admin/static/images/openGraph/opengraph.png", True),
        (
            "https://img1.daumcdn.net/thumb/R800x0/?scode=mtistory2&fname=https%3A%2F%2Ft1.daumcdn.net%2Ftistory_admin"
            "%2Fstatic%2Fimages%2FopenGraph%2Fopengraph.png",
            True,
        ),
        ("https://tistory1.daumcdn.net/tistory/5257724/skin/images/cover.jpg", True),
        ("https://tistory1.daumcdn.net/tistory_admin/userblog/userblog-abc/static/images/x.gif", True),
        ("https://www.google-analytics.com/collect?v=1", True),
        ("", True),
        (DNA, False),
        ("https://t1.daumcdn.net/cfile/tistory/1731AC524E07FB5824", False),
        ("https://tistory1.daumcdn.net/tistory/5257724/attach/abc123", False),
        ("https://example.com/images/no-image.png", False),
    ],
)
def test_is_placeholder_image(url: str, placeholder: bool) -> None:
    assert is_placeholder_image(url) is placeholder


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 10
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20
BMP = b"BM" + struct.pack("<I", 70) + b"\x00\x00\x00\x00" + struct.pack("<I", 54) + b"\x00" * 30
TIFF = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 20
AVIF = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 8
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 8
ICO = b"\x00\x00\x01\x00\x01\x00\x10\x10" + b"\x00" * 20
HTML = b"<!DOCTYPE html><html><head><title>Error</title></head><body>403 Forbidden</body></html>"


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [
        (PNG, "image/jpeg", ("image/png", "png")),  # a PNG named/served as .jpg
        (JPEG, "image/png", ("image/jpeg", "jpg")),  # a JPEG named/served as .png
        (GIF, None, ("image/gif", "gif")),
        (WEBP, "application/octet-stream", ("image/webp", "webp")),
        (BMP, None, ("image/bmp", "bmp")),
        (TIFF, None, ("image/tiff", "tiff")),
        (AVIF, None, ("image/avif", "avif")),
        (HEIC, None, ("image/heic", "heic")),
        (ICO, None, ("image/x-icon", "ico")),
        (HTML, "image/png", None),  # an HTML error page served with 200 as image/png
        (b'{"error": "expired"}', "image/jpeg", None),
        (b"", "image/png", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", None),
        (bytes(range(256)) * 2, "image/jpeg", ("image/jpeg", "jpg")),  # unknown binary: trust image/*
        (bytes(range(256)) * 2, "application/octet-stream", None),
        (bytes(range(256)) * 2, "image/svg+xml", None),
    ],
)
def test_sniff_media_type(data: bytes, content_type: str | None, expected: tuple[str, str] | None) -> None:
    assert sniff_media_type(data, content_type) == expected


@pytest.mark.parametrize(
    ("data", "content_type", "filename", "expected"),
    [
        (b"%PDF-1.7\n...", "application/octet-stream", "report.zip", ("application/pdf", "pdf")),
        (b"PK\x03\x04rest", None, "archive.bin", ("application/zip", "zip")),
        (
            b"PK\x03\x04rest",
            None,
            "보고서.docx",
            ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", None, "문서.hwp", ("application/x-hwp", "hwp")),
        (PNG, "application/octet-stream", "x.txt", ("image/png", "png")),
        (b"plain text", "text/plain; charset=utf-8", None, ("text/plain", "txt")),
        (b"\x00\x01\x02", "application/octet-stream", "data.csv", ("text/csv", "csv")),
        (b"\x00\x01\x02", None, "noext", ("application/octet-stream", "bin")),
        (b"\x00\x01\x02", None, None, ("application/octet-stream", "bin")),
    ],
)
def test_attachment_media_type(
    data: bytes, content_type: str | None, filename: str | None, expected: tuple[str, str]
) -> None:
    assert attachment_media_type(data, content_type, filename) == expected


@pytest.mark.parametrize(
    ("preferred", "ext", "expected"),
    [
        ("실행화면.png", "jpg", "실행화면.jpg"),  # Korean kept, TRUE extension wins over the name's
        (
            "1174949_js_react js_logo_react_react native_icon.png",
            "png",
            "1174949_js_react js_logo_react_react native_icon.png",
        ),
        ("쉬프트 F.png", "png", "쉬프트 F.png"),
        ("\u1112\u1161\u11ab\u1100\u1173\u11af.png", "png", "한글.png"),  # NFD (macOS) -> NFC
        ("../../etc/passwd", "png", "passwd.png"),
        ("C:\\Users\\me\\사진 #1?.png", "png", "사진 1.png"),
        ("a\"b'c%20d.gif", "gif", "abc20d.gif"),
        ("tab\tand\nnewline.png", "png", "tabandnewline.png"),
        ("x" * 300 + ".png", "png", "x" * 80 + ".png"),
        # generic names and digits only -> fallback
        ("img.png", "png", "my-post-3.png"),
        ("image.jpeg", "jpg", "my-post-3.jpg"),
        ("tfile.jpg", "webp", "my-post-3.webp"),
        ("file", "pdf", "my-post-3.pdf"),
        ("blob", "png", "my-post-3.png"),
        ("1.png", "png", "my-post-3.png"),
        ("20210201112150.jpg", "jpg", "my-post-3.jpg"),
        ("IMG_0001.JPG", "jpg", "my-post-3.jpg"),
        ("image (2).png", "png", "my-post-3.png"),
        (None, "png", "my-post-3.png"),
        ("", "png", "my-post-3.png"),
        ("  .png", "png", "my-post-3.png"),
    ],
)
def test_upload_filename(preferred: str | None, ext: str, expected: str) -> None:
    assert upload_filename(preferred, fallback_stem="my-post", index=3, ext=ext) == expected


def test_upload_filename_fallback_stem_is_cleaned_and_ext_normalised() -> None:
    assert upload_filename(None, fallback_stem="tistory-30", index=1, ext=".JPG") == "tistory-30-1.jpg"
    assert (
        upload_filename("img.png", fallback_stem="용사의/선택지", index=2, ext="png") == "용사의선택지-2.png"
    )

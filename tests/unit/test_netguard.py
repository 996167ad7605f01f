"""Which addresses files may come from (issue 8): public ones, the blog's hosts and Tistory's CDNs."""

from __future__ import annotations

import pytest

from migrator.netguard import AddressGuard, is_public_address
from migrator.tistory.images import attachment_upload_type


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "ff02::1", "::127.0.0.1",
])
def test_non_public_addresses_are_refused(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "211.249.220.24", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert is_public_address(address)


def test_literal_hosts_in_any_spelling_are_checked_and_trusted_names_pass():
    guard = AddressGuard({"www.myblog.kr"})
    for url in ("http://127.0.0.1:8080/x", "http://[::1]/x", "http://2130706433/x", "http://0x7f.1/x",
                "http://localhost/x", "http://[::ffff:192.168.0.1]/x", "file:///etc/passwd"):
        assert guard.check_url(url) is not None, url
    for url in ("https://blog.kakaocdn.net/dna/x/img.png", "https://t1.daumcdn.net/cfile/tistory/1",
                "https://myblog.tistory.com/attachment/x", "https://www.myblog.kr/x", "https://8.8.8.8/x"):
        assert guard.check_url(url) is None, url
    assert AddressGuard(enabled=False).check_url("http://127.0.0.1/x") is None


@pytest.mark.parametrize(("data", "ctype", "name", "allowed"), [
    (b"%PDF-1.7\n", "application/pdf", "a.pdf", True),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(40), "application/octet-stream", "보고서.hwp", True),
    (b"PK\x03\x04" + bytes(40), "application/octet-stream", "보고서.hwpx", True),
    (b"PK\x03\x04" + bytes(40), "application/zip", "a.zip", True),
    (b"7z\xbc\xaf\x27\x1c" + bytes(10), "application/x-7z-compressed", "a.7z", True),
    (b"ID3\x03" + bytes(range(100)), "audio/mpeg", "a.mp3", True),
    (b"a,b\n1,2\n", "text/csv", "a.csv", True),
    (b"<html><body>", "text/html", "a.html", False),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", "a.svg", False),
    (b"<?xml version='1.0'?><a/>", "application/xml", "a.xml", False),
    (b"alert(1)", "text/plain", "a.js", False),
    (b"<?php system($_GET['c']);", "text/plain", "a.php", False),
    (b"#!/bin/sh\nrm -rf /", "application/octet-stream", "a.sh", False),
    (b"MZ\x90\x00" + bytes(60), "application/octet-stream", "setup.exe", False),
    (b"\x00\x01\x02\x03", "application/octet-stream", None, False),          # unknown
    (b"<!DOCTYPE html>", "application/pdf", "a.pdf", False),                   # bytes contradict the type
    (b"just text", "application/zip", "a.zip", False),
])
def test_attachment_allow_list(data, ctype, name, allowed):
    verdict = attachment_upload_type(data, ctype, name)
    assert isinstance(verdict, tuple) is allowed, verdict

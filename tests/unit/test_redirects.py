"""redirects.py: old address forms, hosts, the four formats, and the files checked by their consumers
(nginx and Apache, when installed, are started on a local port and asked for the old addresses)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest

from migrator.commands.redirects import (
    PostAddress,
    RedirectSet,
    blog_origins,
    build_redirects,
    old_paths,
    render,
)

WP = "https://new.example"
KOREAN = "부산-바다-여행-첫째-날-해운대에서-광안리까지-걸어서-가본-이야기"


def posts() -> list[PostAddress]:
    return [
        PostAddress("https://b.tistory.com/12", 12, None, "Twelve", 101, "publish", f"{WP}/twelve/"),
        PostAddress(
            "https://b.tistory.com/34",
            34,
            KOREAN,
            "부산",
            102,
            "draft",
            f"{WP}/{quote(KOREAN, safe='').lower()}/",
            extra_paths=("/notice/34",),
        ),
        PostAddress(
            "https://b.tistory.com/56", 56, 'say "hi" $HOME', "odd", 103, "draft", f"{WP}/say-hi-home/"
        ),
    ]


def result(origins=("https://b.tistory.com", "https://www.custom.kr", "https://custom.kr")) -> RedirectSet:
    r = RedirectSet(posts=posts(), origins=sorted(origins))
    r.redirects = build_redirects(r.posts, r.origins)
    return r


def test_old_paths_numeric_and_slug_forms():
    assert old_paths(12, None) == [("/12", True), ("/m/12", True)]
    enc = quote("글-제목", safe="")
    assert old_paths(7, "글-제목", ["/notice/7", "/entry/" + enc.lower()]) == [
        ("/7", True),
        ("/m/7", True),
        ("/entry/글-제목", True),
        ("/m/entry/글-제목", True),
        ("/notice/7", True),
        (f"/entry/{enc}", False),
        (f"/m/entry/{enc}", False),
        (f"/entry/{enc.lower()}", False),
    ]


def test_blog_origins_learns_hosts_and_www_twins():
    origins = blog_origins(
        ["https://b.tistory.com", "http://www.custom.kr/3", "https://b.tistory.com/entry/x", "not a url"],
        extra_hosts=["other.example"],
    )
    assert origins == [
        "http://custom.kr",
        "http://www.custom.kr",
        "https://b.tistory.com",
        "https://other.example",
        "https://www.other.example",
    ]


def test_build_redirects_every_host_and_form_without_loops():
    r = result()
    # 3 hosts x (2 numeric forms + 5 decoded and 2 encoded for the slug post + 4 and 2 for the last)
    assert len(r.redirects) == 3 * (2 + 7 + 6)
    olds = {x.old_url for x in r.redirects}
    assert "https://www.custom.kr/entry/" + KOREAN in olds
    assert "https://custom.kr/m/entry/" + quote(KOREAN, safe="") in olds
    assert "https://b.tistory.com/notice/34" in olds
    # the WordPress site took over www.custom.kr, and a post's new address is one of its old ones
    looped = PostAddress("https://www.custom.kr/5", 5, None, "Five", 9, "publish", "https://www.custom.kr/5/")
    out = build_redirects([looped], ["https://www.custom.kr", "https://b.tistory.com"])
    assert {x.old_url for x in out} == {
        "https://www.custom.kr/m/5",
        "https://b.tistory.com/5",
        "https://b.tistory.com/m/5",
    }


def test_csv_lists_every_old_url():
    text = render("csv", result())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(result().redirects)
    first = rows[0]
    assert set(first) == {"old_url", "new_url", "status", "wp_post_id", "source_url"}
    drafts = {r["old_url"]: r for r in rows if r["status"] == "draft"}
    assert (
        drafts["https://b.tistory.com/entry/" + KOREAN]["new_url"]
        == f"{WP}/{quote(KOREAN, safe='').lower()}/"
    )


def test_nginx_map_shape():
    text = render("nginx", result())
    assert "map $uri $tistory_redirect {" in text
    assert f'    "/entry/{KOREAN}" "{WP}/{quote(KOREAN, safe="").lower()}/";' in text
    # whitespace and quotes are never written raw: a regex spells them \xHH (nginx matches decoded $uri)
    # (nginx reads a doubled backslash in a quoted string as one: the regex gets \\x20)
    assert '    "~^/entry/say\\\\x20\\\\x22hi\\\\x22\\\\x20\\\\x24HOME$" "https://new.example/say-hi-home/";' in text
    # decoded paths only, once each (nginx matches the decoded $uri, whatever the host)
    assert "%EB" not in text.split("map $uri", 1)[1]
    assert text.count('"/12"') == 1


def test_apache_lines():
    text = render("apache", result())
    lines = [ln for ln in text.splitlines() if ln.startswith("Redirect")]
    assert 'Redirect 301 "/12" "https://new.example/twelve/"' in lines
    assert f'Redirect 301 "/m/entry/{KOREAN}" "{WP}/{quote(KOREAN, safe="").lower()}/"' in lines
    assert len(lines) == 2 + 5 + 4


def test_redirection_json():
    doc = json.loads(render("redirection", result()))
    assert doc["groups"][0]["name"] == "Tistory migration"
    items = doc["redirects"]
    assert len(items) == 2 + 5 + 4
    one = next(i for i in items if i["url"] == "/12")
    assert one["action_data"] == {"url": f"{WP}/twelve/"} and one["action_code"] == 301
    assert one["match_data"]["source"]["flag_query"] == "ignore"
    assert {i["group_id"] for i in items} == {1}


def test_unknown_format():
    with pytest.raises(ValueError):
        render("iis", result())


def test_header_says_drafts_need_a_new_run():
    text = render("nginx", result())
    assert "2 of them are drafts" in text


# --------------------------------------------------------------------------- real servers
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _log_text(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


@contextlib.contextmanager
def _serving(
    check: list[str], run: list[str], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Check the configuration (`-t`), then run the server in the foreground until the block ends."""
    done = subprocess.run(check, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "could not build" not in done.stderr
    proc = subprocess.Popen(run, stderr=subprocess.DEVNULL, env=env)
    try:
        yield proc
    finally:
        _stop(proc)


async def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {_log_text(log)}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise AssertionError("server did not start")


async def _location(port: int, raw_path: str) -> tuple[int, str | None]:
    # raw_path is sent as it is (percent-encoding kept), like a browser would.
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"http://127.0.0.1:{port}{raw_path}",
            allow_redirects=False,
        ) as resp,
    ):
        return resp.status, resp.headers.get("Location")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _many_posts(n: int) -> RedirectSet:
    many = [
        PostAddress(
            f"https://b.tistory.com/{i}",
            i,
            f"{KOREAN}-{i}" if i % 2 else None,
            "t",
            1000 + i,
            "draft",
            f"{WP}/p-{i}/",
        )
        for i in range(1001, 1001 + n)
    ]
    r = RedirectSet(posts=many, origins=["https://b.tistory.com"])
    r.redirects = build_redirects(many, r.origins)
    return r


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
APACHE = shutil.which("apache2") or ("/usr/sbin/apache2" if os.path.exists("/usr/sbin/apache2") else None)


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light, 750 kB)")
async def test_nginx_accepts_the_map_and_redirects(tmp_path: Path):
    data = _many_posts(1500)  # 1,500 posts, long Korean slugs: the hash sizes must fit
    data.posts.extend(hostile_result().posts)
    data.redirects = build_redirects(data.posts, data.origins)
    (tmp_path / "redirects.conf").write_text(render("nginx", data), encoding="utf-8")
    port = _free_port()
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for d in temp.values():
        d.mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
master_process off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {temp["body"]}; proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]}; uwsgi_temp_path {temp["uwsgi"]}; scgi_temp_path {temp["scgi"]};
    include {tmp_path}/redirects.conf;
    server {{
        listen 127.0.0.1:{port};
        if ($tistory_redirect) {{ return 301 $tistory_redirect; }}
        location / {{ return 404; }}
    }}
}}
""",
        encoding="utf-8",
    )
    with _serving(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], [NGINX, "-p", str(tmp_path), "-c", str(conf)]
    ) as proc:
        await _wait_port(port, proc, tmp_path / "error.log")
        assert await _location(port, "/12") == (301, f"{WP}/twelve/")
        assert await _location(port, "/m/12?category=7") == (301, f"{WP}/twelve/")
        target = f"{WP}/{quote(KOREAN, safe='').lower()}/"
        assert await _location(port, "/entry/" + quote(KOREAN, safe="")) == (301, target)
        assert await _location(port, "/m/entry/" + quote(KOREAN, safe="") + "?x=1") == (301, target)
        assert await _location(port, "/notice/34") == (301, target)
        assert await _location(port, "/2499") == (301, f"{WP}/p-2499/")
        assert await _location(port, "/entry/" + quote(f"{KOREAN}-2499", safe="")) == (301, f"{WP}/p-2499/")
        assert await _location(port, "/entry/say%20%22hi%22%20%24HOME") == (301, f"{WP}/say-hi-home/")
        assert await _location(port, "/entry/" + quote(HOSTILE_SLUG, safe="/")) == (301, f"{WP}/hostile/")
        assert (await _location(port, "/123456"))[0] == 404


@pytest.mark.skipif(APACHE is None, reason="apache2 is not installed")
async def test_apache_accepts_the_lines_and_redirects(tmp_path: Path):
    (tmp_path / "redirects.conf").write_text(render("apache", hostile_result()), encoding="utf-8")
    port = _free_port()
    modules = Path("/usr/lib/apache2/modules")
    conf = tmp_path / "httpd.conf"
    conf.write_text(
        f"""
ServerRoot "{tmp_path}"
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule alias_module {modules}/mod_alias.so
Listen 127.0.0.1:{port}
ServerName localhost
PidFile {tmp_path}/httpd.pid
ErrorLog {tmp_path}/error.log
DocumentRoot "{tmp_path}"
Include {tmp_path}/redirects.conf
""",
        encoding="utf-8",
    )
    env = {**os.environ, "APACHE_RUN_DIR": str(tmp_path), "APACHE_LOCK_DIR": str(tmp_path)}
    with _serving([APACHE, "-t", "-f", str(conf)], [APACHE, "-X", "-f", str(conf)], env) as proc:
        await _wait_port(port, proc, tmp_path / "error.log")
        assert await _location(port, "/12") == (301, f"{WP}/twelve/")
        target = f"{WP}/{quote(KOREAN, safe='').lower()}/"
        assert await _location(port, "/entry/" + quote(KOREAN, safe="")) == (301, target)
        status, location = await _location(port, "/m/12?category=7")
        assert status == 301 and location is not None and location.startswith(f"{WP}/twelve/")
        assert await _location(port, "/entry/say%20%22hi%22%20%24HOME") == (301, f"{WP}/say-hi-home/")
        assert await _location(port, "/entry/" + quote(HOSTILE_SLUG, safe="/")) == (301, f"{WP}/hostile/")
        assert (await _location(port, "/"))[0] != 301  # the "Redirect 301 /" in the slug is not a rule
        assert (await _location(port, "/123456"))[0] == 404


# --------------------------------------------------------------------------- hostile slugs (issue 8)
# (no "//": Apache merges slashes in the path it matches)
HOSTILE_SLUG = 'a b\nRedirect 301 / "https:evil.example"\t\'q\' \u202eevil \r\x1b[31m'


def hostile_result() -> RedirectSet:
    r = result(origins=("https://b.tistory.com",))
    r.posts.append(PostAddress("https://b.tistory.com/77", 77, HOSTILE_SLUG, "h", 177, "draft", f"{WP}/hostile/"))
    r.redirects = build_redirects(r.posts, r.origins)
    return r


RAW_UNSAFE = ("\n", "\r", "\t", "\x1b", "\u202e", "\"https:evil", "'q'")


def test_redirect_files_never_hold_raw_whitespace_quotes_or_controls_from_slugs():
    data = hostile_result()
    nginx = render("nginx", data)
    entries = nginx.split("map $uri", 1)[1].splitlines()[2:-1]
    for line in entries:
        assert re.fullmatch(r'    "~?[^"\s]*" "[^"\s]*";', line), line
    assert '"~^/entry/a\\\\x20b\\\\x0ARedirect\\\\x20301\\\\x20/\\\\x20\\\\x22https' in nginx

    apache = render("apache", data)
    for line in apache.splitlines():
        if not line.startswith("#"):
            assert re.fullmatch(r'(Redirect|RedirectMatch) 301 "[^"\s]*" "[^"\s]*"', line), line
    assert apache.count("RedirectMatch") == 2 + 2  # two forms of each slug with whitespace

    rows = list(csv.reader(io.StringIO(render("csv", data))))
    olds = [row[0] for row in rows[1:]]
    assert "https://b.tistory.com/entry/a%20b%0ARedirect%20301%20/%20%22https:evil.example%22%09%27q%27%20" + quote("\u202e", safe="") + "evil%20%0D%1B[31m" in olds
    for row in rows:
        for cell in row:
            assert not any(ch.isspace() or ch in "\"'\x1b\u202e" for ch in cell), cell

    doc = json.loads(render("redirection", data))
    for item in doc["redirects"]:
        for value in (item["url"], item["match_url"], item["action_data"]["url"]):
            assert not any(ch.isspace() or ch in "\"'\x1b\u202e" for ch in value), value
    for text in (nginx, apache, render("redirection", data)):
        for raw in RAW_UNSAFE:  # (newlines: every line was matched whole above)
            assert raw == "\n" or raw not in text, raw


def test_redirects_csv_cells_never_start_a_formula():
    post = PostAddress("https://b.tistory.com/9", 9, None, "t", 109, "draft", "=HYPERLINK(\"http://x\")")
    r = RedirectSet(posts=[post], origins=["https://b.tistory.com"])
    r.redirects = build_redirects(r.posts, r.origins)
    rows = list(csv.reader(io.StringIO(render("csv", r))))
    assert {row[1] for row in rows[1:]} == {"'=HYPERLINK(%22http://x%22)"}

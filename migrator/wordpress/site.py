"""Where a WordPress keeps its REST API, and whether WP_BASE_URL can be used at all (the preflight).

WordPress advertises its REST root on every front-end answer: `Link: <ROOT>; rel="https://api.w.org/"`
and `<link rel="https://api.w.org/" href="ROOT">` in the HTML head. ROOT is `…/wp-json/` with pretty
permalinks, `…/index.php?rest_route=/` with "Plain" ones (where `/wp-json/` answers 301 to the home
page), and lives under the subfolder when WordPress does. Every request goes through that one root.

Everything that makes a site unusable is found here, before the blog is touched, and named in one
line (`SiteError`, exit 2): unreachable (refused, DNS, TLS, timeout), a redirect loop, an address
that redirects to another one (the Authorization header is never sent across origins), not a
WordPress site, a REST API blocked by a plugin or the server.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import aiohttp

from migrator.errors import SiteError, TransientError
from migrator.http import HttpClient, Response

__all__ = ["RestRoot", "SiteInfo", "advertised_root", "discover", "network_problem"]

API_REL = "https://api.w.org/"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_HOPS = 10
# Statuses the preflight reads itself (5xx are retried by HttpClient, then reported).
READ_ANY = range(200, 500)
BLOCKERS = "a security plugin (Disable REST API, Wordfence, iThemes/Solid Security, …) or the web server's rules"

_LINK_VALUE = re.compile(r"<([^<>]*)>([^,<]*)")
_REL_API = re.compile(r"""rel\s*=\s*["']?https://api\.w\.org/["']?""", re.IGNORECASE)
_LINK_TAG = re.compile(r"<link\b([^<>]{0,2000})>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_WP_SIGNS = ("/wp-content/", "/wp-includes/", 'content="WordPress', "content='WordPress", "wp-json")


@dataclass(frozen=True, slots=True)
class RestRoot:
    """The REST root as WordPress advertises it; `endpoint()` turns a route into URL + query."""

    url: str

    @classmethod
    def pretty(cls, base_url: str) -> RestRoot:
        return cls(base_url.rstrip("/") + "/wp-json/")

    @classmethod
    def plain(cls, base_url: str) -> RestRoot:
        return cls(base_url.rstrip("/") + "/index.php?rest_route=/")

    @property
    def uses_query(self) -> bool:
        return "rest_route" in dict(parse_qsl(urlsplit(self.url).query))

    def endpoint(self, route: str, params: Mapping[str, str] | None = None) -> tuple[str, dict[str, str]]:
        """(URL without query, query parameters) for `route` such as "/wp/v2/posts" ("" = the index).

        With `?rest_route=` the route travels in the query, next to the request's own parameters."""
        parts = urlsplit(self.url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        merged = {**query, **(params or {})}
        if "rest_route" in query:
            merged["rest_route"] = "/" + route.strip("/")
            path = parts.path
        else:
            path = parts.path.rstrip("/") + route if route else parts.path
        return urlunsplit((parts.scheme, parts.netloc, path, "", "")), merged

    def display(self, route: str) -> str:
        """The full address of a route, for messages."""
        url, params = self.endpoint(route)
        if not params:
            return url
        return url + "?" + "&".join(f"{k}={v}" for k, v in params.items())


@dataclass(frozen=True, slots=True)
class SiteInfo:
    root: RestRoot
    index: dict[str, Any]  # the REST index (name, home, timezone_string, namespaces, authentication)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, f"{(parts.hostname or '').lower()}:{port}"


def advertised_root(resp: Response) -> str | None:
    """The `rel="https://api.w.org/"` link of a WordPress page: Link header first, then the HTML."""
    headers: Any = resp.headers
    values = headers.getall("Link", []) if hasattr(headers, "getall") else [headers.get("Link", "")]
    for value in values:
        for match in _LINK_VALUE.finditer(value or ""):
            if _REL_API.search(match.group(2)):
                return urljoin(resp.url, match.group(1).strip())
    if "html" not in resp.content_type:
        return None
    for tag in _LINK_TAG.finditer(resp.body[:512 * 1024].decode("utf-8", "replace")):
        attrs = {m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or "" for m in _ATTR.finditer(tag.group(1))}
        if attrs.get("rel", "").strip().lower() == API_REL and attrs.get("href"):
            return urljoin(resp.url, html.unescape(attrs["href"].strip()))
    return None


def _looks_like_wordpress(resp: Response | None) -> bool:
    if resp is None or resp.status >= 500:
        return False
    head = resp.body[:512 * 1024].decode("utf-8", "replace")
    return any(sign in head for sign in _WP_SIGNS) or "X-Pingback" in resp.headers


def _json(resp: Response) -> Any:
    try:
        return json.loads(resp.body.decode("utf-8", "replace").lstrip("\ufeff"))
    except ValueError:
        return None


def _code(resp: Response) -> str:
    data = _json(resp)
    if isinstance(data, dict) and isinstance(data.get("code"), str):
        return f"{data['code']}: {data.get('message', '')}".strip(": ")
    return ""


def network_problem(exc: TransientError, address: str, timeout_s: float | None = None) -> SiteError:
    """A one-line reason for a request to WordPress that got no usable answer."""
    cause = exc.__cause__
    host = urlsplit(address).netloc
    if isinstance(cause, aiohttp.ClientConnectorCertificateError):
        reason = getattr(cause, "certificate_error", cause)
        return SiteError(f"TLS error: the certificate of {host} is not trusted ({reason}); fix the certificate "
                         "or use the address it is issued for")
    if isinstance(cause, aiohttp.ClientSSLError) or "SSL" in type(getattr(cause, "os_error", None)).__name__:
        return SiteError(f"TLS error talking to {host}: {getattr(cause, 'os_error', cause)}; is WP_BASE_URL "
                         "https:// on a server that speaks plain http (or the other way round)?")
    if isinstance(cause, aiohttp.ClientConnectorDNSError):
        return SiteError(f"cannot reach WordPress: the host name {urlsplit(address).hostname} does not resolve; "
                         "check WP_BASE_URL")
    if isinstance(cause, aiohttp.ClientConnectorError):
        if isinstance(cause.os_error, ConnectionRefusedError):
            return SiteError(f"cannot reach WordPress: connection refused by {host} (nothing listens there: is "
                             "the server running, are the address and port in WP_BASE_URL right?)")
        return SiteError(f"cannot reach WordPress at {host}: {cause.os_error.strerror or cause.os_error}")
    if isinstance(cause, TimeoutError):
        after = f" within {timeout_s:g} s" if timeout_s else ""
        return SiteError(f"WordPress at {host} did not answer{after}; check WP_BASE_URL and the server")
    if isinstance(cause, aiohttp.ClientError):
        return SiteError(f"WordPress at {host} broke off the connection ({cause.__class__.__name__}); "
                         "check WP_BASE_URL and the server")
    status = f" HTTP {exc.status}" if exc.status else ""
    return SiteError(f"WordPress at {host} keeps answering{status} ({exc.message}); try again later")


async def _get(http: HttpClient, url: str, *, params: Mapping[str, str] | None = None,
               headers: Mapping[str, str] | None = None, timeout_s: float | None = None) -> Response:
    try:
        return await http.request("GET", url, params=params, headers=headers, ok=(200,), allow=READ_ANY,
                                  max_retries=1)
    except TransientError as exc:
        raise network_problem(exc, url, timeout_s) from None


async def _home_page(http: HttpClient, base_url: str, timeout_s: float | None) -> Response:
    """The home page, following redirects by hand (no credentials are sent here). A redirect to
    another origin is refused with the address to use instead; a loop is named."""
    url = base_url.rstrip("/") + "/"
    seen: list[str] = []
    for _ in range(MAX_HOPS + 1):
        resp = await _get(http, url, timeout_s=timeout_s)
        location = resp.headers.get("Location")
        if resp.status not in REDIRECTS or not location:
            break
        target = urljoin(url, location)
        if target in seen or target == url:
            raise SiteError(f"WP_BASE_URL {base_url} ends in a redirect loop ({' -> '.join([*seen, url, target])}); "
                            "fix the site's redirects (WordPress Address / Site Address, http/https rules)")
        seen.append(url)
        if _origin(target) != _origin(base_url):
            raise _redirects_elsewhere(base_url, target)
        url = target
    else:
        raise SiteError(f"WP_BASE_URL {base_url} redirects more than {MAX_HOPS} times; fix the site's redirects")
    return resp


def _redirects_elsewhere(base_url: str, target: str) -> SiteError:
    parts = urlsplit(target)
    use = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    return SiteError(
        f"WP_BASE_URL {base_url} redirects to {target}: use WP_BASE_URL={use} (migrate does not follow "
        "redirects, so that the application password is only sent to the address you gave)"
    )


def _is_index(resp: Response) -> bool:
    data = _json(resp) if resp.status == 200 else None
    return isinstance(data, dict) and isinstance(data.get("namespaces"), list)


async def discover(http: HttpClient, base_url: str, auth: Mapping[str, str],
                   *, timeout_s: float | None = None) -> SiteInfo:
    """Find the REST root WordPress advertises (else try /wp-json/ and ?rest_route=/) and read its index.

    Raises SiteError naming the problem."""
    home = await _home_page(http, base_url, timeout_s)
    if home.status == 401 and "WWW-Authenticate" in home.headers:
        raise SiteError(
            f"{base_url} asks for a server password before WordPress (HTTP 401, WWW-Authenticate: "
            f"{home.headers['WWW-Authenticate'][:40]}): the Authorization header can carry only one password, "
            "and migrate's is the application password; lift the server's password protection for the site "
            "(or for /wp-json/) while migrating"
        )
    candidates: list[RestRoot] = []
    advertised = advertised_root(home) if home.status < 300 else None
    if advertised:
        if _origin(advertised) != _origin(base_url):
            # WordPress knows itself under another address (a reverse proxy, an internal address, a
            # site URL set to https): keep the address the user gave, take the root's form from it.
            # The credentials go only to WP_BASE_URL's origin.
            given, adv = urlsplit(base_url), urlsplit(advertised)
            advertised = urlunsplit((given.scheme, given.netloc, adv.path, adv.query, ""))
        candidates.append(RestRoot(advertised))
    for root in (RestRoot.pretty(base_url), RestRoot.plain(base_url)):
        if root not in candidates:
            candidates.append(root)
    answers: list[tuple[RestRoot, Response]] = []
    for root in candidates:
        url, params = root.endpoint("")
        resp = await _get(http, url, params=params, headers=auth, timeout_s=timeout_s)
        if _is_index(resp):
            index = dict(_json(resp))
            if "wp/v2" not in index["namespaces"]:
                raise SiteError(f"the WordPress REST API at {root.url} offers no wp/v2 routes (posts, media): "
                                f"{BLOCKERS} removed them; allow them for this user")
            return SiteInfo(root, index)
        location = resp.headers.get("Location")
        if resp.status in REDIRECTS and location and _origin(urljoin(url, location)) != _origin(base_url):
            raise _redirects_elsewhere(base_url, urljoin(url, location))
        answers.append((root, resp))
    raise _no_rest_api(base_url, home, answers)


def _no_rest_api(base_url: str, home: Response, answers: list[tuple[RestRoot, Response]]) -> SiteError:
    refusals = [(root, resp) for root, resp in answers if resp.status in (401, 403) or _code(resp)]
    wordpress = _looks_like_wordpress(home) or bool(refusals) or bool(advertised_root(home))
    if not wordpress:
        return SiteError(
            f"WP_BASE_URL {base_url} does not look like a WordPress site: its home page shows no sign of "
            "WordPress and neither /wp-json/ nor ?rest_route=/ answers with the WordPress REST API; give the "
            "address of the WordPress site itself (e.g. https://example.com or https://example.com/blog)"
        )
    root, resp = refusals[0] if refusals else answers[0]
    said = _code(resp) or ("an HTML page" if "html" in resp.content_type else resp.content_type or "no JSON")
    return SiteError(
        f"the WordPress REST API of {base_url} is disabled or blocked ({root.display('')} answered HTTP "
        f"{resp.status}, {said}): {BLOCKERS} blocks it; migrate needs it, allow it for this user"
    )

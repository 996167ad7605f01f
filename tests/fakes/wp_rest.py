"""REST plumbing of the fake WordPress: error bodies, request parameters, pagination, `_fields`.

Mirrors `WP_REST_Server` / `WP_REST_Request` behaviour as observed on WordPress 6.1.9: error
JSON `{"code", "message", "data": {"status", ...}}`, `rest_invalid_param` bodies with `params`
and `details`, parameter precedence (JSON body > form body > query string), list parameters as
`a,b` or `a[]=..`, and `X-WP-Total` / `X-WP-TotalPages` / `Link` headers. No I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from multidict import MultiDict, MultiDictProxy

__all__ = ["Call", "Params", "WPError", "filter_fields", "invalid_param", "paginate"]


class WPError(Exception):
    """A WordPress REST error; the dispatcher turns it into the JSON error response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        data: dict[str, Any] | None = None,
        data_null: bool = False,
        additional_data: list[Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.data = data or {}
        self.data_null = data_null  # e.g. empty_term_name: HTTP 500 with "data": null
        self.additional_data = additional_data

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "data": None if self.data_null else {"status": self.status, **self.data},
        }
        if self.additional_data is not None:
            body["additional_data"] = self.additional_data
        return body


def invalid_param(name: str, message: str, detail_code: str, detail_data: Any = None) -> WPError:
    """400 rest_invalid_param for one parameter, in WordPress's exact shape."""
    return WPError(
        400,
        "rest_invalid_param",
        f"Invalid parameter(s): {name}",
        data={
            "params": {name: message},
            "details": {name: {"code": detail_code, "message": message, "data": detail_data}},
        },
    )


def _bad_type(name: str, kind: str, index: int | None = None) -> WPError:
    label = name if index is None else f"{name}[{index}]"
    return invalid_param(name, f"{label} is not of type {kind}.", "rest_invalid_type", {"param": label})


class Params:
    """Request parameters with WordPress precedence: JSON body, then form body, then query."""

    def __init__(
        self,
        query: MultiDictProxy[str],
        form: MultiDict[str] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> None:
        self.query = query
        self.form: MultiDict[str] = form if form is not None else MultiDict()
        self.json = json_body or {}

    def has(self, name: str) -> bool:
        return (
            name in self.json
            or name in self.form
            or name in self.query
            or f"{name}[]" in self.query
            or f"{name}[]" in self.form
        )

    def get(self, name: str, default: Any = None) -> Any:
        if name in self.json:
            return self.json[name]
        if name in self.form:
            return self.form[name]
        if name in self.query:
            return self.query[name]
        if f"{name}[]" in self.form:
            return self.form.getall(f"{name}[]")
        if f"{name}[]" in self.query:
            return self.query.getall(f"{name}[]")
        return default

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, dict) and "raw" in value:  # {"raw": "..."} is accepted for text fields
            value = value["raw"]
        if isinstance(value, bool | int | float):
            return str(value)
        if not isinstance(value, str):
            raise _bad_type(name, "string")
        return value

    def get_int(
        self, name: str, default: int | None = None, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        value = self.get(name)
        if value is None or value == "":
            return default
        try:
            number = _to_int(value)
        except ValueError:
            raise _bad_type(name, "integer") from None
        if minimum is not None and maximum is not None and not minimum <= number <= maximum:
            raise invalid_param(
                name,
                f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)",
                "rest_out_of_bounds",
            )
        if minimum is not None and maximum is None and number < minimum:
            raise invalid_param(
                name, f"{name} must be greater than or equal to {minimum}", "rest_out_of_bounds"
            )
        return number

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes"):
            return True
        if text in ("0", "false", "no", ""):
            return False
        raise _bad_type(name, "boolean")

    def get_list(self, name: str) -> list[str] | None:
        """A list parameter given as a JSON array, 'a,b' or repeated `name[]`; None if absent."""
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, list):
            items = []
            for item in value:
                items.extend(str(item).split(",") if isinstance(item, str) else [str(item)])
        else:
            items = str(value).split(",")
        return [i.strip() for i in items if i.strip() != ""]

    def get_int_list(self, name: str) -> list[int] | None:
        items = self.get_list(name)
        if items is None:
            return None
        out = []
        for i, item in enumerate(items):
            try:
                out.append(_to_int(item))
            except ValueError:
                raise _bad_type(name, "integer", i) from None
        return out


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    raise ValueError(value)


@dataclass
class Call:
    """One REST call as the handlers see it."""

    method: str
    route: str  # e.g. "/wp/v2/posts/5" (the part after /wp-json)
    params: Params
    base: str  # "http://127.0.0.1:PORT"
    user_role: str  # "anonymous", "administrator" or "subscriber"
    headers: Any = None
    body: bytes = b""
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # field -> (name, type, data)
    multipart: bool = False
    query_pairs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def anonymous(self) -> bool:
        return self.user_role == "anonymous"

    @property
    def can_edit(self) -> bool:
        return self.user_role == "administrator"

    def deny(self, code: str, message: str) -> WPError:
        """401 for an anonymous caller, 403 for an authenticated one without the capability."""
        return WPError(401 if self.anonymous else 403, code, message)

    def context(self) -> str:
        ctx = self.params.get_str("context", "view") or "view"
        if ctx not in ("view", "embed", "edit"):
            raise invalid_param("context", "context is not one of view, embed, and edit.", "rest_not_in_enum")
        return ctx


def paginate(call: Call, items: list[Any], *, page_error: str | None) -> tuple[list[Any], dict[str, str]]:
    """Slice one page and build the headers; page_error = the code for a page past the end."""
    per_page = call.params.get_int("per_page", 10, minimum=1, maximum=100) or 10
    page = call.params.get_int("page", 1, minimum=1) or 1
    total = len(items)
    pages = math.ceil(total / per_page) if total else 0
    if page_error and page > pages and total > 0:
        raise WPError(
            400, page_error, "The page number requested is larger than the number of pages available."
        )
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    links = []
    if page > 1 and pages > 0:
        links.append(f'<{_page_url(call, min(page - 1, pages))}>; rel="prev"')
    if page < pages:
        links.append(f'<{_page_url(call, page + 1)}>; rel="next"')
    if links:
        headers["Link"] = ", ".join(links)
    start = (page - 1) * per_page
    return items[start : start + per_page], headers


def _page_url(call: Call, page: int) -> str:
    pairs = [(k, v) for k, v in call.query_pairs if k != "rest_route"]
    if any(k == "page" for k, _ in pairs):
        pairs = [(k, str(page) if k == "page" else v) for k, v in pairs]
    else:
        pairs.append(("page", str(page)))
    return f"{call.base}/wp-json{call.route}?{urlencode(pairs)}"


def filter_fields(obj: dict[str, Any], fields: str | list[str] | None) -> dict[str, Any]:
    """`_fields=id,title,content.raw`: keep only those keys (dotted paths reach into objects)."""
    if not fields:
        return obj
    wanted = fields if isinstance(fields, list) else fields.split(",")
    out: dict[str, Any] = {}
    for spec in (w.strip() for w in wanted):
        if not spec:
            continue
        parts = spec.split(".")
        src: Any = obj
        for part in parts:
            if not isinstance(src, dict) or part not in src:
                src = _MISSING
                break
            src = src[part]
        if src is _MISSING:
            continue
        dst = out
        for part in parts[:-1]:
            dst = dst.setdefault(part, {})
        dst[parts[-1]] = src
    return out


_MISSING = object()

"""Twilio's list paging: `PageSize`, `Page`, `PageToken` in, a `meta` object out.

The page token carries the offset (`PT<offset>`); `Page` is only echoed, as Twilio documents
it ("simply for client state"). Page URLs keep the list's filters and use the base URL the
client called, so a client follows `next_page_url` back to the emulator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

__all__ = ["PageError", "paginate"]

T = TypeVar("T")
_PAGING = ("PageSize", "Page", "PageToken")


class PageError(ValueError):
    """A paging parameter is not valid; the message says which."""


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PageError(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise PageError(f"{name} must be between {low} and {high}")
    return value


def paginate(
    request: Request, items: Sequence[T], key: str, default_size: int = 50
) -> tuple[list[T], dict[str, Any]]:
    """The requested page of `items` and Twilio's `meta` for it; raises `PageError`."""
    size = _int(request, "PageSize", default_size, 1, 1000)
    page = _int(request, "Page", 0, 0, 1_000_000)
    token = request.query_params.get("PageToken")
    if token is None:
        offset = page * size
    elif token.startswith("PT") and token[2:].isdigit():
        offset = int(token[2:])
    else:
        raise PageError("PageToken is not a token this API issued")
    filters = [(k, v) for k, v in request.query_params.multi_items() if k not in _PAGING]
    base = str(request.base_url).rstrip("/") + request.url.path

    def url(page_index: int, page_offset: int | None) -> str:
        query = [*filters, ("PageSize", str(size)), ("Page", str(page_index))]
        if page_offset is not None:
            query.append(("PageToken", f"PT{page_offset}"))
        return f"{base}?{urlencode(query)}"

    has_next = offset + size < len(items)
    meta = {
        "first_page_url": url(0, None),
        "key": key,
        "next_page_url": url(page + 1, offset + size) if has_next else None,
        "page": page,
        "page_size": size,
        "previous_page_url": url(max(page - 1, 0), max(offset - size, 0)) if offset else None,
        "url": url(page, offset if token is not None else None),
    }
    return list(items[offset : offset + size]), meta

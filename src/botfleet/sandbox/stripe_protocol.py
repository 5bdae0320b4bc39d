"""Stripe's wire protocol as its stand-in speaks it: form bodies, errors, idempotency, lists.

Kept apart from :mod:`.stripe_server` (what happens at Stripe) so each stays readable.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

_KEY_PART = re.compile(r"\[([^\]]*)\]")


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (``a[b][0][c]=v``) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        path = [head, *_KEY_PART.findall(key[len(head) :])]
        node: Any = root
        for part, following in itertools.pairwise(path):
            container: Any = [] if following.isdigit() else {}
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(None)
                if node[index] is None:
                    node[index] = container
                node = node[index]
            else:
                node = node.setdefault(part, container)
        last = path[-1]
        if isinstance(node, list):
            index = int(last)
            while len(node) <= index:
                node.append(None)
            node[index] = value
        else:
            node[last] = value
    return root


def field_of(invoice_payment: dict[str, Any], name: str) -> Any:
    """An invoice payment's field a list filters on (``type`` and ``payment_intent`` are its
    payment's)."""
    if name in ("type", "payment_intent"):
        return invoice_payment["payment"].get(name)
    return invoice_payment[name]


def error_body(
    message: str, kind: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """Stripe's ``{"error": {...}}``; ``param`` names the request's field at fault."""
    body: dict[str, Any] = {"type": kind, "message": message, "code": code}
    if param is not None:
        body["param"] = param
    return {"error": body}


def error(
    status: int, message: str, kind: str, code: str | None = None, param: str | None = None
) -> web.Response:
    return web.json_response(error_body(message, kind, code, param), status=status)


def missing_body(kind: str, object_id: str, param: str | None = None) -> dict[str, Any]:
    """Stripe's error naming an object it does not have (or no longer: a deleted customer)."""
    return error_body(
        f"No such {kind}: '{object_id}'", "invalid_request_error", "resource_missing", param
    )


def missing(kind: str, object_id: str, param: str | None = None) -> web.Response:
    """``missing_body`` answered as Stripe does: 404 for the path's id, 400 for ``param``, a
    field of the request that names it."""
    return web.json_response(
        missing_body(kind, object_id, param), status=404 if param is None else 400
    )


def page_of(objects: list[dict[str, Any]], params: dict[str, Any], url: str) -> web.Response:
    """One page of a Stripe list of ``objects`` (newest first) as Stripe pages it: ``limit``
    from 1 to 100 (10 unless given), from ``starting_after`` or up to ``ending_before`` an id
    of the list; ``has_more`` says whether more follow in the direction read."""
    limit = str(params.get("limit", "10"))
    if not limit.isdigit() or not 1 <= int(limit) <= 100:
        return error(
            400, "This value must be between 1 and 100.", "invalid_request_error", param="limit"
        )
    after, before = params.get("starting_after"), params.get("ending_before")
    if after is not None and before is not None:
        message = "You may only specify one of these parameters: ending_before, starting_after."
        return error(400, message, "invalid_request_error")
    ids = [found["id"] for found in objects]
    cursor = after if after is not None else before
    if cursor is not None and cursor not in ids:
        kind = objects[0]["object"] if objects else "object"
        return missing(kind, cursor, "starting_after" if after is not None else "ending_before")
    if after is not None:
        rest = objects[ids.index(after) + 1 :]
        page = rest[: int(limit)]
    elif before is not None:
        rest = objects[: ids.index(before)]
        page = rest[-int(limit) :]
    else:
        rest = objects
        page = rest[: int(limit)]
    return web.json_response(
        {"object": "list", "data": page, "has_more": len(rest) > len(page), "url": url}
    )


@dataclass(slots=True)
class Idempotent:
    params: dict[str, Any]
    status: int
    body: dict[str, Any]

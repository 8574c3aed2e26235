"""Request parameters as Rails reads them: `cloudinary[colors][]=…`, `metadatas[meta]=…`
(seed 004's form encoding) and JSON bodies, merged with the query string (clients put flags
such as `merge=true` there); the body wins."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Final

from fastapi import Request

from tessera.errors import BadRequest

_KEY: Final = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
MAX_DEPTH: Final = 8


def _path(key: str) -> list[str]:
    match = _KEY.match(key)
    if match is None:
        return [key]
    parts = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
    if len(parts) > MAX_DEPTH:
        raise BadRequest(f"Parameter {key[:60]!r} is nested too deeply")
    return parts


def nest(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """`a[b][]=1&a[b][]=2&a[c]=x` → `{"a": {"b": ["1", "2"], "c": "x"}}`; a key whose shape
    conflicts with an earlier one is refused."""
    root: dict[str, Any] = {}
    for key, value in items:
        parts = _path(key)
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            following = None if last else parts[index + 1]
            if part == "":
                if not isinstance(node, list):
                    raise BadRequest(f"Conflicting parameter {key[:60]!r}")
                if last:
                    node.append(value)
                else:  # `a[][b]`: start a new hash unless the last one lacks `b`
                    if not node or not isinstance(node[-1], dict) or following in node[-1]:
                        node.append({} if following != "" else [])
                    node = node[-1]
                continue
            if not isinstance(node, dict):
                raise BadRequest(f"Conflicting parameter {key[:60]!r}")
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, [] if following == "" else {})
                if not isinstance(child, list | dict):
                    raise BadRequest(f"Conflicting parameter {key[:60]!r}")
                node = child
    return root


async def read_params(request: Request) -> dict[str, Any]:
    """Query parameters, overlaid with the JSON or form body."""
    params = nest(request.query_params.multi_items())
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        raw = await request.body()
        if raw.strip():
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                # RecursionError: nesting deeper than the parser's stack (`[[[[…`).
                raise BadRequest("Malformed JSON body") from exc
            if not isinstance(body, dict):
                raise BadRequest("The JSON body must be an object")
            params.update(body)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        async with request.form(max_files=0, max_fields=5000) as form:
            fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        params.update(nest(fields))
    return params

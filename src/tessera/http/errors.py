"""The single place where errors become HTTP responses.

Body shape `{"error": {"code", "message"}}` is Cloudinary's (§9.3) plus a stable code; the same
message travels in `X-Cld-Error`. Unexpected exceptions become a logged 500 with a request id.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from tessera.errors import TesseraError

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    # Header values must be latin-1 and single-line.
    header_message = message.encode("latin-1", "replace").decode("latin-1").replace("\n", " ")
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                        headers={"X-Cld-Error": header_message[:500], **(headers or {})})


async def _tessera_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TesseraError)
    return tessera_error_response(exc, getattr(request.state, "x_token", None))


def tessera_error_response(exc: TesseraError, x_token: str | None = None) -> JSONResponse:
    """The answer to a refusal or failure of ours; `x_token`: the refreshed token of an
    authenticated SharinPix call."""
    if exc.status >= 500:
        request_id = uuid.uuid4().hex
        log.error("event=internal_error request_id=%s error=%s detail=%s", request_id,
                  type(exc).__name__, exc.detail, exc_info=exc)
        return error_response(exc.status, exc.code, f"{exc.message} (request {request_id})",
                              exc.headers)
    log.info("event=request_refused status=%d code=%s", exc.status, exc.code)
    headers = dict(exc.headers)
    # An authenticated SharinPix call keeps its refreshed token even when it fails; a refusal
    # (401) gets none, so a rejected token is never renewed.
    if x_token and exc.status != 401:
        headers["X-token"] = x_token
    return error_response(exc.status, exc.code, exc.message, headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return error_response(400, "bad_request", f"Invalid parameter {where}: {first.get('msg')}")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(exc.status_code, "http_error", str(exc.detail),
                          dict(exc.headers or {}))


async def _client_gone(request: Request, exc: Exception) -> Response:
    # Nobody is left to answer: no traceback, no 500 (what was spooled is cleaned up by the
    # route's own context managers before this runs).
    log.info("event=client_disconnected method=%s path=%s", request.method, request.url.path)
    return Response(status_code=400)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    return internal_error_response(exc)


def internal_error_response(exc: Exception) -> JSONResponse:
    """A logged 500 for an exception nobody expected; the body names the log line."""
    request_id = uuid.uuid4().hex
    log.exception("event=internal_error request_id=%s", request_id, exc_info=exc)
    return error_response(500, "internal", f"Internal error (request {request_id})")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TesseraError, _tessera_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected)

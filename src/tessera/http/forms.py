"""Request bodies of the upload API: multipart or urlencoded fields, with the `file` field
spooled to a temporary file (binary part or `data:` URI), bounded and always cleaned up."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from tessera.errors import BadRequest, MissingParameter, PayloadTooLarge
from tessera.services.uploads import IncomingFile

_DATA_URI = re.compile(r"^data:([\w.+/-]*)((?:;[\w.+-]+=[\w.+-]+)*);base64,", re.ASCII)


def _copy_upload(upload: UploadFile, directory: Path, max_bytes: int) -> Path:
    fd, name = tempfile.mkstemp(prefix="upload-", dir=directory)
    path = Path(name)
    with os.fdopen(fd, "wb") as out:
        upload.file.seek(0)
        shutil.copyfileobj(upload.file, out, 1 << 20)
        size = out.tell()
    if size > max_bytes:
        path.unlink()
        raise PayloadTooLarge(f"File size too large. Got {size}. Maximum is {max_bytes} bytes.")
    return path


def _decode_data_uri(value: str, directory: Path, max_bytes: int) -> Path:
    match = _DATA_URI.match(value)
    if match is None:
        raise BadRequest("Invalid data URI: expected data:<mime>;base64,<data>")
    encoded = value[match.end():]
    if len(encoded) * 3 // 4 > max_bytes:
        raise PayloadTooLarge(f"File size too large. Maximum is {max_bytes} bytes.")
    try:
        data = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise BadRequest("Invalid data URI: malformed base64") from exc
    fd, name = tempfile.mkstemp(prefix="upload-", dir=directory)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return Path(name)


@contextlib.asynccontextmanager
async def upload_form(request: Request, tmp_dir: Path,
                      max_bytes: int) -> AsyncIterator[tuple[dict[str, str], IncomingFile]]:
    """Yield the non-file fields and the spooled file; the temporary file is removed on exit."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    # Starlette caps non-file parts at 1 MB by default; a data URI may legitimately be larger.
    async with request.form(max_files=1, max_fields=1000,
                            max_part_size=max_bytes * 4 // 3 + 1024) as form:
        fields: dict[str, str] = {}
        upload: UploadFile | None = None
        file_text: str | None = None
        for key, value in form.multi_items():
            name = key[:-2] if key.endswith("[]") else key
            if name == "file":
                if isinstance(value, UploadFile):
                    upload = value
                else:
                    file_text = value
                continue
            if isinstance(value, UploadFile):
                raise BadRequest(f"Unexpected file part {key!r}")
            # Repeated `key[]` fields are lists; the SDK signs them comma-joined (§9.2).
            fields[name] = f"{fields[name]},{value}" if name in fields else value
        path: Path | None = None
        try:
            if upload is not None:
                path = await run_in_threadpool(_copy_upload, upload, tmp_dir, max_bytes)
                filename = upload.filename or "file"
            elif file_text:
                if file_text.startswith("data:"):
                    path = await run_in_threadpool(_decode_data_uri, file_text, tmp_dir,
                                                   max_bytes)
                    filename = "file"
                elif re.match(r"^(https?|ftp|s3|gs)://", file_text):
                    raise BadRequest("Remote URL uploads are not supported yet")
                else:
                    raise BadRequest("Invalid file parameter: expected a file, a data URI or "
                                     "a URL")
            else:
                raise MissingParameter("Missing required parameter - file")
            yield fields, IncomingFile(path=path, filename=filename)
        finally:
            if path is not None:
                path.unlink(missing_ok=True)

"""uvicorn's logging configuration with credentials taken out of logged URLs.

The album page is opened as `/pagelayout/<album>?token=…`, upload notifications arrive as
`/api/v1/cloudinary?token=…` and ZIP links carry `?signature=`; uvicorn's access log prints the
query string, so every record that goes through uvicorn's handlers has those values replaced
before it is formatted.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any, Final

# `token=`, `access_token=`, `x-token=` in a query string, percent-encoded `=` too; and
# `signature=`, which makes a ZIP download's `zip_url` a bearer link.
_SECRET_PARAM: Final = re.compile(
    r"(?i)((?:^|[?&;])(?:[a-z_-]*token|signature)(?:=|%3D))[^&;#\s\"]*")
REDACTED: Final = "[REDACTED]"


def redact(text: str) -> str:
    """`/p/a?token=abc&x=1` → `/p/a?token=[REDACTED]&x=1`."""
    return _SECRET_PARAM.sub(lambda m: m.group(1) + REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites the string arguments (uvicorn passes the path as one), or the message when it
    has none; the format string itself is left alone so that it still formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v
                           for k, v in record.args.items()}
        elif isinstance(record.msg, str):  # no arguments: the message is the text
            record.msg = redact(record.msg)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's default `LOGGING_CONFIG` with `RedactTokens` on each of its handlers."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.RedactTokens"}
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "redact_tokens"]
    return config

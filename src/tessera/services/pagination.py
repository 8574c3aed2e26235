"""`page` / `per_page` of the SharinPix listings, read once and checked: 1-based pages, a
bounded page size, and the headers that tell a client how many items there are in all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from tessera.errors import BadRequest

MAX_PAGE: Final = 100_000
DEFAULT_PER_PAGE: Final = 30
MAX_PER_PAGE: Final = 100


def _integer(name: str, text: str | None, default: int, maximum: int) -> int:
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= maximum:
        raise BadRequest(f"{name} must be an integer from 1 to {maximum}")
    return int(text)


def page_number(text: str | None) -> int:
    """`page` of a listing with a fixed page size: 1-`MAX_PAGE`, 1 when absent."""
    return _integer("page", text, 1, MAX_PAGE)


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def parse(cls, page: str | None, per_page: str | None, *,
              default_per_page: int = DEFAULT_PER_PAGE) -> PageRequest:
        """Raises BadRequest unless both are integers in range (absent: defaults)."""
        return cls(page_number(page),
                   _integer("per_page", per_page, default_per_page, MAX_PER_PAGE))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of a listing and the headers that describe the whole of it."""

    body: list[dict[str, Any]]
    headers: dict[str, str]

    @classmethod
    def of(cls, body: list[dict[str, Any]], request: PageRequest, total: int) -> Listing:
        return cls(body, {"X-Total-Count": str(total), "X-Page": str(request.page),
                          "X-Per-Page": str(request.per_page)})

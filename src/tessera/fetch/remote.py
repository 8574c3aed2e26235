"""`RemoteFetcher`: one file fetched over HTTP(S) for an import, safe against SSRF.

Only http and https. The host is resolved here, every resolved address must pass
`guard.refusal`, and the connection goes to that vetted address (pinned: httpx never resolves
the name again, so DNS rebinding cannot swap it), with the original Host header and TLS SNI,
so virtual hosts and certificate checks work as usual. Redirects are followed by hand, at most
`max_redirects`, each hop checked the same way; the caller's request headers go to the first
origin only (an Authorization header never leaks to where a redirect points). The body is
streamed to the caller's file and cut at `max_bytes` (counted after content decoding, so a
compressed bomb stops too) and at the total `timeout`: DNS runs under that deadline, it is
checked after every chunk (a dripping body stops), and one read waits at most the time left
when its hop began, so a fetch ends within twice `timeout` whatever the server does. No
proxy from the environment is used: it would connect on our behalf to whatever it resolves.

`allowed_hosts` (`host` or `host:port` as written in a URL) skips the address check for those
hosts only, for tests and trusted intranet sources; a redirect elsewhere is checked again.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import BinaryIO, Final
from urllib.parse import unquote

import httpx

from tessera.errors import BadRequest, UpstreamError
from tessera.fetch.guard import IPAddress, refusal

Resolver = Callable[[str, int], list[str]]
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
# Headers a caller may not set: they belong to the connection or are ours to decide.
_FORBIDDEN_HEADERS: Final = frozenset({
    "host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade",
    "te", "trailer", "proxy-authorization", "proxy-connection", "expect",
})
# A DNS name in its ASCII (IDNA) form, or an IP literal; `%`-escapes and spaces never resolve.
_HOST: Final = re.compile(r"[A-Za-z0-9._-]{1,253}|[0-9A-Fa-f:.]{2,45}")
MAX_HEADERS: Final = 20
MAX_HEADER_LENGTH: Final = 4096


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (A and AAAA)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UpstreamError(f"Cannot resolve {host}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url(url: str) -> httpx.URL:
    """The URL parsed, if it can be imported from at all (scheme, host). Raises BadRequest."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise BadRequest("url is not a valid URL") from exc
    if parsed.scheme not in ("http", "https"):
        raise BadRequest("url must be an http or https URL")
    if not parsed.host:
        raise BadRequest("url has no host")
    if not _HOST.fullmatch(_host(parsed)):
        raise BadRequest("url has an invalid host")
    if parsed.userinfo:
        raise BadRequest("url must not carry credentials")
    return parsed


def check_headers(headers: Mapping[str, object]) -> dict[str, str]:
    """Request headers a caller asked for, as strings. Raises BadRequest."""
    if len(headers) > MAX_HEADERS:
        raise BadRequest(f"At most {MAX_HEADERS} request headers")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise BadRequest(f"Request header {str(name)[:40]!r} must be a string")
        text = str(value)
        if (not name or len(name) + len(text) > MAX_HEADER_LENGTH
                or any(c in name for c in ":\r\n\0 ") or any(c in text for c in "\r\n\0")):
            raise BadRequest(f"Invalid request header {str(name)[:40]!r}")
        if name.lower() in _FORBIDDEN_HEADERS:
            raise BadRequest(f"Request header {name[:40]!r} may not be set")
        checked[name] = text
    return checked


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_bytes: int
    timeout: float
    max_redirects: int = 5
    allowed_hosts: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str          # the last URL, after redirects
    filename: str     # its last path segment, decoded ("" if none)
    content_type: str | None
    size: int


class RemoteFetcher:
    def __init__(self, limits: FetchLimits, resolver: Resolver = system_resolver,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._resolve = resolver
        self._clock = clock
        # getaddrinfo has no timeout of its own: it runs here so the deadline covers DNS too.
        self._resolvers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="resolve")

    def fetch(self, url: str, headers: Mapping[str, str], sink: BinaryIO) -> Fetched:
        """Write the body at `url` to `sink`. Raises UpstreamError (refused address, upstream
        status, too big, too slow, too many redirects) or BadRequest (not an http(s) URL)."""
        deadline = self._clock() + self._limits.timeout
        current = check_url(url)
        first_origin = _origin(current)
        with httpx.Client(trust_env=False, follow_redirects=False) as client:
            for _hop in range(self._limits.max_redirects + 1):
                sent = dict(headers) if _origin(current) == first_origin else {}
                hop = self._get(client, current, sent, sink, deadline)
                if isinstance(hop, Fetched):
                    return hop
                current = check_url(str(current.join(hop)))
        raise UpstreamError(f"More than {self._limits.max_redirects} redirects")

    def _get(self, client: httpx.Client, url: httpx.URL, headers: dict[str, str],
             sink: BinaryIO, deadline: float) -> str | Fetched:
        """One hop: the redirect's Location, or what was fetched once the body is in `sink`.
        The vetted addresses are tried in turn while connecting fails (IPv6 then IPv4…)."""
        addresses = self._vetted_addresses(url, deadline)
        for address in addresses[:-1]:
            try:
                return self._get_from(client, url, address, headers, sink, deadline)
            except _Unreachable:
                continue
        try:
            return self._get_from(client, url, addresses[-1], headers, sink, deadline)
        except _Unreachable as exc:
            raise UpstreamError("Cannot connect to the remote server") from exc

    def _get_from(self, client: httpx.Client, url: httpx.URL, address: IPAddress,
                  headers: dict[str, str], sink: BinaryIO, deadline: float) -> str | Fetched:
        pinned = url.copy_with(host=str(address))
        host_header = url.netloc.decode("ascii")
        timeout = self._remaining(deadline)
        try:
            with client.stream("GET", pinned, headers={**headers, "Host": host_header},
                               extensions={"sni_hostname": _host(url)},
                               timeout=httpx.Timeout(timeout)) as response:
                if response.status_code in _REDIRECTS:
                    location = str(response.headers.get("location") or "")
                    if not location:
                        raise UpstreamError("Redirect without a Location")
                    return location
                if response.status_code != 200:
                    raise UpstreamError(f"The remote server answered {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self._limits.max_bytes:
                    raise UpstreamError(self._too_big())
                size = 0
                sink.seek(0)
                sink.truncate()
                for chunk in response.iter_bytes():  # as received: a drip still meets the deadline
                    size += len(chunk)
                    if size > self._limits.max_bytes:
                        raise UpstreamError(self._too_big())
                    sink.write(chunk)
                    self._remaining(deadline)
                return Fetched(url=str(url), filename=_last_segment(url),
                               content_type=response.headers.get("content-type"), size=size)
        except httpx.ConnectError as exc:
            raise _Unreachable from exc
        except httpx.TimeoutException as exc:
            raise UpstreamError(self._too_slow()) from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(f"Fetching the URL failed: {type(exc).__name__}") from exc

    def _vetted_addresses(self, url: httpx.URL, deadline: float) -> list[IPAddress]:
        host, port = _host(url), url.port or (443 if url.scheme == "https" else 80)
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        candidates = [literal] if literal is not None else [
            ipaddress.ip_address(a.split("%", 1)[0])
            for a in self._resolve_within(host, port, deadline)]
        if not candidates:
            raise UpstreamError(f"Cannot resolve {host}")
        if not self._is_allowed(host, port):
            for address in candidates:
                reason = refusal(address)
                if reason is not None:
                    # Any bad answer refuses the host: a client may not pick the address.
                    raise UpstreamError(f"Refused to fetch from {host}: it resolves to {reason}")
        return candidates

    def _resolve_within(self, host: str, port: int, deadline: float) -> list[str]:
        future = self._resolvers.submit(self._resolve, host, port)
        try:
            return future.result(timeout=self._remaining(deadline))
        except FutureTimeout as exc:
            raise UpstreamError(self._too_slow()) from exc

    def close(self) -> None:
        self._resolvers.shutdown(wait=False, cancel_futures=True)

    def _is_allowed(self, host: str, port: int) -> bool:
        allowed = self._limits.allowed_hosts
        return bool(allowed) and (host in allowed or f"{host}:{port}" in allowed)

    def _remaining(self, deadline: float) -> float:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise UpstreamError(self._too_slow())
        return remaining

    def _too_big(self) -> str:
        return f"The remote file is larger than {self._limits.max_bytes} bytes"

    def _too_slow(self) -> str:
        return f"The remote server took longer than {self._limits.timeout:g} s"


def _host(url: httpx.URL) -> str:
    return url.raw_host.decode("ascii").lower()


class _Unreachable(Exception):
    """Connecting to one address failed: the next one may answer."""


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, _host(url), url.port


def _last_segment(url: httpx.URL) -> str:
    return unquote(url.path.rstrip("/").rsplit("/", 1)[-1])

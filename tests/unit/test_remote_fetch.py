"""The SSRF guard and the pinned remote fetch of imports, against a local HTTP server."""

from __future__ import annotations

import io
import ipaddress
import threading
from collections.abc import Iterator

import pytest

from tessera.errors import BadRequest, UpstreamError
from tessera.fetch.guard import refusal
from tessera.fetch.remote import FetchLimits, RemoteFetcher, check_headers, check_url
from tests.support.http_source import Source, serve_source

PNG = bytes.fromhex("89504e470d0a1a0a") + b"fake"


@pytest.mark.parametrize("address, reason", [
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("127.0.0.1", "loopback"), ("127.8.9.1", "loopback"), ("::1", "loopback"),
    ("169.254.1.1", "link-local"), ("fe80::1", "link-local"),
    ("169.254.169.254", "metadata"), ("169.254.170.2", "metadata"),
    ("fd00:ec2::254", "metadata"), ("100.100.100.200", "metadata"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("100.64.0.1", "CGNAT"), ("100.127.255.254", "CGNAT"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"), ("192.0.2.1", "private"),
    ("198.18.0.1", "private"), ("fc00::1", "private"), ("fd12:3456::1", "private"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"),
    ("::ffff:169.254.169.254", "metadata"),
    ("2002:a00:1::", "private"),              # 6to4 of 10.0.0.1
    ("2002:7f00:1::", "loopback"),            # 6to4 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", "metadata"),       # NAT64 of 169.254.169.254
    ("64:ff9b::7f00:1", "loopback"),          # NAT64 of 127.0.0.1
    ("64:ff9b:1::1", "NAT64"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private"),  # Teredo, client 10.0.0.1
])
def test_the_guard_refuses_every_non_public_range(address: str, reason: str) -> None:
    found = refusal(ipaddress.ip_address(address))
    assert found is not None and reason in found, (address, found)


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "1.1.1.1", "2606:4700::1111",
                                     "2a00:1450:4007:80b::200e", "::ffff:8.8.8.8",
                                     "64:ff9b::808:808", "2002:808:808::"])
def test_the_guard_lets_public_addresses_through(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("url", ["ftp://example.com/a.jpg", "file:///etc/passwd",
                                 "javascript:alert(1)", "gopher://example.com/", "http://",
                                 "example.com/a.jpg", "http://user:pw@example.com/a.jpg",
                                 "http://exa mple.com/"])
def test_only_http_urls_with_a_host_are_importable(url: str) -> None:
    with pytest.raises(BadRequest):
        check_url(url)


@pytest.mark.parametrize("headers", [{"Host": "evil"}, {"X-A": "b\r\nX-Injected: 1"},
                                     {"Bad Name": "v"}, {"X": ["list"]}, {"X": True},
                                     {"Transfer-Encoding": "chunked"},
                                     {f"X-{i}": "v" for i in range(21)}])
def test_request_headers_are_checked(headers: dict[str, object]) -> None:
    with pytest.raises(BadRequest):
        check_headers(headers)


@pytest.fixture(scope="module")
def source() -> Iterator[Source]:
    with serve_source() as running:
        running.files["a.png"] = (PNG, "image/png")
        yield running


def _fetcher(source: Source, resolve: dict[str, list[str]] | None = None,
             allowed: frozenset[str] | None = None, max_bytes: int = 1_000_000,
             timeout: float = 5.0) -> RemoteFetcher:
    names = {"localhost": ["127.0.0.1"], **(resolve or {})}
    return RemoteFetcher(
        FetchLimits(max_bytes=max_bytes, timeout=timeout,
                    allowed_hosts=frozenset({source.host}) if allowed is None else allowed),
        resolver=lambda host, _port: names[host])


def test_an_allowed_host_is_fetched(source: Source) -> None:
    sink = io.BytesIO()
    fetched = _fetcher(source).fetch(source.url("/files/a.png"), {"X-Key": "k"}, sink)
    assert sink.getvalue() == PNG
    assert (fetched.filename, fetched.size, fetched.content_type) == ("a.png", len(PNG),
                                                                      "image/png")
    assert source.seen[-1].headers["x-key"] == "k"


def test_loopback_is_refused_without_the_allow_list(source: Source) -> None:
    with pytest.raises(UpstreamError, match="loopback"):
        _fetcher(source, allowed=frozenset()).fetch(source.url("/files/a.png"), {},
                                                    io.BytesIO())


def test_a_name_resolving_to_a_private_address_is_refused(source: Source) -> None:
    before = len(source.seen)
    for answers in (["10.0.0.7"], ["93.184.215.14", "192.168.0.2"], ["::ffff:127.0.0.1"]):
        fetcher = _fetcher(source, resolve={"images.example": answers})
        with pytest.raises(UpstreamError, match="Refused"):
            fetcher.fetch("http://images.example/a.png", {}, io.BytesIO())
    assert len(source.seen) == before  # nothing was ever connected to


def test_the_vetted_address_is_pinned_with_the_original_host(source: Source) -> None:
    # The name resolves to the test server only through our resolver: a second lookup by the
    # HTTP library would fail, so getting the file proves the connection used the vetted IP.
    name = "pinned.invalid"
    fetcher = _fetcher(source, resolve={name: ["127.0.0.1"]},
                       allowed=frozenset({f"{name}:{source.port}"}))
    sink = io.BytesIO()
    fetcher.fetch(f"http://{name}:{source.port}/files/a.png", {}, sink)
    assert sink.getvalue() == PNG
    assert source.seen[-1].headers["host"] == f"{name}:{source.port}"


def test_a_redirect_to_a_private_address_is_refused(source: Source) -> None:
    for target in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/x.png",
                   f"http://127.0.0.1:{source.port + 1}/x.png", "http://[::1]/x.png",
                   "http://internal.example/x.png"):
        fetcher = _fetcher(source, resolve={"internal.example": ["172.20.0.3"]})
        with pytest.raises(UpstreamError, match="Refused"):
            fetcher.fetch(source.url(f"/redirect?to={target}"), {}, io.BytesIO())


def test_redirect_chains_are_followed_up_to_the_limit(source: Source) -> None:
    sink = io.BytesIO()
    fetched = _fetcher(source).fetch(source.url("/chain/5?file=a.png"), {}, sink)
    assert sink.getvalue() == PNG and fetched.url == source.url("/files/a.png")
    with pytest.raises(UpstreamError, match="More than 5 redirects"):
        _fetcher(source).fetch(source.url("/chain/6?file=a.png"), {}, io.BytesIO())


def test_a_redirect_to_another_scheme_is_refused(source: Source) -> None:
    with pytest.raises(BadRequest):
        _fetcher(source).fetch(source.url("/redirect?to=file:///etc/passwd"), {},
                               io.BytesIO())


def test_request_headers_stay_with_their_origin(source: Source) -> None:
    other = "other.invalid"
    fetcher = _fetcher(source, resolve={other: ["127.0.0.1"]},
                       allowed=frozenset({source.host, f"{other}:{source.port}"}))
    target = f"http://{other}:{source.port}/files/a.png"
    fetcher.fetch(source.url(f"/redirect?to={target}"), {"Authorization": "Bearer s"},
                  io.BytesIO())
    first, second = source.seen[-2:]
    assert first.headers["authorization"] == "Bearer s"
    assert "authorization" not in second.headers


def test_an_endless_body_stops_at_the_limit(source: Source) -> None:
    sink = io.BytesIO()
    with pytest.raises(UpstreamError, match="larger than 300000 bytes"):
        _fetcher(source, max_bytes=300_000).fetch(source.url("/endless"), {}, sink)
    assert sink.tell() <= 300_000


def test_a_declared_oversize_body_is_refused_before_reading(source: Source) -> None:
    with pytest.raises(UpstreamError, match="larger than 10 bytes"):
        _fetcher(source, max_bytes=10).fetch(source.url("/files/a.png"), {}, io.BytesIO())


def test_a_slow_body_times_out(source: Source) -> None:
    with pytest.raises(UpstreamError, match="took longer than 0.5 s"):
        _fetcher(source, timeout=0.5).fetch(source.url("/slow"), {}, io.BytesIO())


def test_an_upstream_error_status_is_reported(source: Source) -> None:
    with pytest.raises(UpstreamError, match="answered 404"):
        _fetcher(source).fetch(source.url("/nothing.png"), {}, io.BytesIO())


def test_a_slow_dns_answer_counts_against_the_deadline() -> None:
    release = threading.Event()

    def hanging(_host: str, _port: int) -> list[str]:
        release.wait(10)
        return ["93.184.215.14"]

    fetcher = RemoteFetcher(FetchLimits(max_bytes=1000, timeout=0.3), resolver=hanging)
    try:
        with pytest.raises(UpstreamError, match="took longer than 0.3 s"):
            fetcher.fetch("http://slow-dns.example/a.png", {}, io.BytesIO())
    finally:
        release.set()
        fetcher.close()


def test_the_next_vetted_address_is_tried_when_one_refuses(source: Source) -> None:
    name = "dual.invalid"
    # ::1 has no server on that port; 127.0.0.1 has.
    fetcher = _fetcher(source, resolve={name: ["::1", "127.0.0.1"]},
                       allowed=frozenset({f"{name}:{source.port}"}))
    sink = io.BytesIO()
    fetcher.fetch(f"http://{name}:{source.port}/files/a.png", {}, sink)
    assert sink.getvalue() == PNG
    nowhere = _fetcher(source, resolve={name: ["::1"]},
                       allowed=frozenset({f"{name}:{source.port}"}))
    with pytest.raises(UpstreamError, match="Cannot connect"):
        nowhere.fetch(f"http://{name}:{source.port}/files/a.png", {}, io.BytesIO())

"""SharinPix JWTs: read them from a request, verify them (HS256 only) and re-issue the X-token.

Owns the token rules of issue 4 and nothing about who the issuer is: the caller resolves `iss`
to a client secret and hands it in; this module only checks signatures, algorithms and times.
A client token is signed with the secret named by its `iss`; Tessera's own tokens (X-tokens,
notification tokens) are signed with the server key. Real clients send `{"alg":"HS256",
"cty":"JWT"}` headers without `typ`, and tokens without `exp` or `iat`: both are accepted.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import jwt

from tessera.errors import Unauthorized

ALGORITHM: Final = "HS256"
X_TOKEN_LIFETIME: Final = 14400  # seconds; seed 003: exp - iat == 14400
_AUTHORIZATION: Final = re.compile(
    r'^\s*(?:Token\s+token\s*=\s*"?(?P<token>[^"\s]+)"?|Bearer\s+(?P<bearer>\S+))\s*$',
    re.IGNORECASE)
_MAX_TOKEN_LENGTH: Final = 16384


def token_from_authorization(header: str | None) -> str | None:
    """The token of `Authorization: Token token="…"` or `Authorization: Bearer …`."""
    if not header:
        return None
    match = _AUTHORIZATION.match(header)
    if match is None:
        return None
    return match.group("token") or match.group("bearer")


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """Claims whose signature checked out, and whether the server key signed them."""

    claims: dict[str, Any]
    signed_by_server: bool


def _refused(reason: str) -> Unauthorized:
    # One public message for every failure: which check failed is logged, never sent.
    return Unauthorized("Invalid token", detail=reason)


# The claim that caps every refresh of a token issued for a bounded time.
CEILING: Final = "max_exp"


class TokenCodec:
    """Verify and issue HS256 tokens; `server_key` signs Tessera's own tokens."""

    def __init__(self, server_key: str, *, lifetime: int = X_TOKEN_LIFETIME,
                 clock: Callable[[], float] = time.time) -> None:
        self._server_key = server_key
        self._lifetime = lifetime
        self._clock = clock

    def peek_issuer(self, token: str) -> str | None:
        """`iss` of a well-formed HS256 token, before any signature check.

        Raises:
            Unauthorized: not a JWT, or an algorithm other than HS256 (`none` included).
        """
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            raise _refused("empty or oversized token")
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise _refused(f"malformed token: {type(exc).__name__}") from None
        if header.get("alg") != ALGORITHM:
            raise _refused(f"algorithm {header.get('alg')!r}")
        issuer = claims.get("iss")
        if issuer is not None and not isinstance(issuer, str):
            raise _refused("non-string iss")
        return issuer

    def verify(self, token: str, client_secret: str | None) -> VerifiedToken:
        """Check the signature with the server key, then with `client_secret` (the secret of
        the token's `iss`), and the time claims.

        Raises:
            Unauthorized: bad signature, expired `exp`, malformed time claims.
        """
        self.peek_issuer(token)
        keys = [(self._server_key, True)]
        if client_secret:
            keys.append((client_secret, False))
        for key, is_server in keys:
            try:
                # Time claims are checked below, on this codec's clock (PyJWT reads the
                # system's); PyJWT still checks that they are numbers.
                claims = jwt.decode(token, key, algorithms=[ALGORITHM],
                                    options={"verify_aud": False, "verify_iss": False,
                                             "verify_sub": False, "verify_jti": False,
                                             "verify_exp": False, "verify_nbf": False,
                                             "verify_iat": False})
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError as exc:
                raise _refused(f"invalid claims: {type(exc).__name__}") from None
            if not isinstance(claims, dict):
                raise _refused("claims are not an object")
            self._check_times(claims)
            return VerifiedToken(claims, is_server)
        raise _refused("bad signature")

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        now = self._clock()
        for name in ("exp", "nbf", "iat"):
            value = claims.get(name)
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, int | float)):
                raise _refused(f"non-numeric {name}")
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if exp is not None and exp <= now:
            raise _refused("expired")
        if nbf is not None and nbf > now:
            raise _refused("not yet valid")

    def refresh(self, claims: Mapping[str, Any]) -> str:
        """The X-token: the same claims with `iat` = now and `exp` = now + 4 h, signed with the
        server key. Keys are sorted, as in seed 003 (`exp, iat, iss, q, thumbnail_tags`).
        A token Tessera issued for a bounded time (`sign_until`) keeps its ceiling: refreshing
        it never moves `exp` past `max_exp`."""
        now = int(self._clock())
        renewed = {k: v for k, v in claims.items() if k not in ("iat", "exp")}
        exp = now + self._lifetime
        ceiling = claims.get(CEILING)
        if isinstance(ceiling, int) and not isinstance(ceiling, bool):
            exp = min(exp, ceiling)
        renewed.update(iat=now, exp=exp)
        return self.sign(renewed)

    def sign_until(self, claims: Mapping[str, Any], expires: int) -> str:
        """A server token valid until `expires` (seconds since the epoch), which no X-token
        refresh outlives: `exp` and the ceiling `max_exp` are both `expires`."""
        return self.sign({**claims, "exp": expires, CEILING: expires})

    def sign(self, claims: Mapping[str, Any], key: str | None = None) -> str:
        """A token carrying `claims` in sorted order, signed with `key` (default: server key)."""
        ordered = {k: claims[k] for k in sorted(claims)}
        return jwt.encode(ordered, key or self._server_key, algorithm=ALGORITHM)

    def now(self) -> int:
        return int(self._clock())

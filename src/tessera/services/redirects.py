"""`/images/:id?token=` and `/images/:id/thumbnails/<size>-<signature>.jpg`: where to redirect.

A transformation token (seeds 000 and 001) carries `transformations`, a list of SDK option
hashes. Each hash becomes one or more components after the base chain
`c_fit,h_1920,w_1920/fl_attachment/dpr_auto,q_auto,f_auto` (without `fl_attachment` when
`sharinpix.download` is false). The original service built the text with Cloudinary's Ruby
gem, so the hashes are first brought to what the gem emits where it differs from the Python
SDK that `grammar.from_options` follows (grammar §10), and SharinPix's own edits are applied:
overlay image ids become `<type>:<public_id>` layers, and `tiled` is dropped from a hash
without a layer (seed 001).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tessera.auth.abilities import View
from tessera.db.models import Image
from tessera.db.uow import Database, UnitOfWork
from tessera.errors import BadRequest, GrammarError, NotFound, Unauthorized
from tessera.grammar.ast import Transformation
from tessera.grammar.parse import from_options
from tessera.services.access import AccessService, Principal
from tessera.services.image_links import (
    REDIRECT_BASE,
    THUMBNAIL_CHAINS,
    THUMBNAIL_LINKS,
    ImageLinks,
    chain,
)
from tessera.services.images import authorized_image

_MAX_HASHES = 50


def _has_value(value: Any) -> bool:
    return value is not None and value != ""


def _flags(value: Any) -> list[str]:
    if isinstance(value, str):
        return [f for f in value.split(".") if f]
    if isinstance(value, list | tuple):
        return [str(f) for f in value]
    return [] if value is None else [str(value)]


def ruby_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The hash as the Ruby gem (and SharinPix) would render it, in Python-SDK spelling."""
    result = dict(options)
    has_layer = _has_value(result.get("overlay")) or _has_value(result.get("underlay"))
    if not has_layer and "flags" in result:
        kept = [f for f in _flags(result["flags"]) if f != "tiled"]  # SharinPix (seed 001)
        result["flags"] = kept or None
    if not _has_value(result.get("crop")) and not has_layer:
        # Ruby drops w/h without a crop mode unless they are `auto…` (grammar §10, case 5).
        for key in ("width", "height"):
            if not str(result.get(key, "")).startswith("auto"):
                result.pop(key, None)
    border = result.get("border")
    if isinstance(border, int | float) or (isinstance(border, str) and border.isdigit()):
        result.pop("border")  # Ruby treats a bare number as an HTML attribute
    for key in ("background", "color"):
        value = result.get(key)
        if isinstance(value, str) and value.startswith("#"):
            result[key] = "rgb:" + value[1:]  # Ruby: only a leading `#`
    effect = result.get("effect")
    if isinstance(effect, Mapping):  # Ruby flattens every pair, Python keeps the first
        result["effect"] = [part for pair in effect.items() for part in pair]
    return result


class RedirectService:
    def __init__(self, db: Database, access: AccessService, links: ImageLinks) -> None:
        self._db = db
        self._access = access
        self._links = links

    def transformation_url(self, principal: Principal, path_image_id: str) -> str:
        """The signed delivery URL for a transformation token.

        Raises NotFound (image or overlay image unknown in the organization), Unauthorized
        (a scoped token that may not see it), GrammarError (bad option values).
        """
        abilities = principal.abilities
        image_id = abilities.image_id or path_image_id  # the token's image_id wins (item 6)
        with self._db.uow() as uow:
            image = self._visible(uow, principal, image_id)
            transformation = self.chain_for(uow, principal.organization_id,
                                            abilities.transformations or (),
                                            download=abilities.download, principal=principal)
            _key, secret = self._access.signing_secret(principal)
            return self._links.delivery_url(image, transformation, secret)

    def chain_for(self, uow: UnitOfWork, organization_id: str, hashes: Sequence[Any], *,
                  download: bool, principal: Principal | None) -> Transformation:
        """The redirect base chain (with `fl_attachment` when `download`) followed by the
        option hashes of a token or a stored link (`options_of`)."""
        base = chain(REDIRECT_BASE)
        if not download:
            base = Transformation(tuple(c for c in base.components if not c.flags))
        extra = self.options_of(uow, organization_id, hashes, principal)
        return Transformation(base.components + extra.components)

    def options_transformation(self, uow: UnitOfWork, principal: Principal,
                               hashes: list[Any]) -> Transformation:
        """SharinPix transformation hashes (as tokens carry them) → the transformation,
        overlay image ids resolved to images the token may see.

        Raises BadRequest, GrammarError, NotFound (overlay image), Unauthorized.
        """
        return self.options_of(uow, principal.organization_id, hashes, principal)

    def options_of(self, uow: UnitOfWork, organization_id: str, hashes: Sequence[Any],
                   principal: Principal | None) -> Transformation:
        """Option hashes → their transformation. With `principal`, every overlay image must
        be one it can see; None is for stored links, authorized when they were made.

        Raises BadRequest (too many hashes), GrammarError (bad values), NotFound (an overlay
        image unknown in the organization), Unauthorized (an overlay the principal may not see).
        """
        if len(hashes) > _MAX_HASHES:
            raise BadRequest(f"At most {_MAX_HASHES} transformations")
        options: list[Any] = []
        for item in hashes:
            if not isinstance(item, Mapping):
                raise GrammarError("Each transformation must be an object",
                                   reason="bad options")
            options.append(self._resolve_layers(uow, organization_id, principal,
                                                ruby_options(item)))
        return from_options(options) if options else Transformation()

    def _visible(self, uow: UnitOfWork, principal: Principal, image_id: str) -> Image:
        image = authorized_image(uow, principal, image_id, View.TRANSFORMATION)
        return image

    def _resolve_layers(self, uow: UnitOfWork, organization_id: str,
                        principal: Principal | None,
                        options: dict[str, Any]) -> dict[str, Any]:
        """Image ids in overlay/underlay → `{public_id, type}` of their asset, which the
        grammar writes `l_<type>:<public_id>` (seed 000: `l_authenticated:…`); text and other
        layer spellings pass through."""
        for key in ("overlay", "underlay"):
            value = options.get(key)
            if not isinstance(value, str) or not value:
                continue
            if ":" in value:
                # A raw layer spelling names an asset directly; a scoped token may only
                # reach images it can see, so it may only use text layers that way.
                if principal is not None and principal.abilities.is_scoped \
                        and not value.startswith("text:"):
                    raise Unauthorized("Access denied", detail="raw layer in scoped token")
                continue
            layer = uow.images.get(organization_id, value)
            if layer is None:
                raise NotFound(f"{key.capitalize()} image not found")
            if principal is not None:
                self._visible(uow, principal, layer.id)
            options[key] = {"public_id": layer.asset.public_id, "type": layer.asset.type}
        return options

    def thumbnail_url(self, image_id: str, link: str, signature: str) -> str:
        """`/images/:id/thumbnails/<mini|thumbnail|full>-<signature>.jpg` → delivery URL.

        Raises BadRequest `Invalid url` (unknown size or bad signature), NotFound.
        """
        if link not in THUMBNAIL_LINKS or not self._links.is_thumbnail_signature(
                image_id, link, signature):
            raise BadRequest("Invalid url")
        with self._db.uow() as uow:
            image = uow.images.get_anywhere(image_id)
            if image is None:
                raise NotFound("Image not found")
            secret = self._access.organization_secret(image.organization_id)
            return self._links.delivery_url(
                image, chain(THUMBNAIL_CHAINS[THUMBNAIL_LINKS[link]]), secret)

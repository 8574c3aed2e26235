"""Every URL of a SharinPix image, pointing at Tessera's own delivery and thumbnail routes.

The transformation chains are the ones SharinPix writes (seeds 003 and 004), each prefixed
with the image's rotation and crop (`a_90/`, `c_crop,h_11,w_10,x_3,y_2/`) as SharinPix does.
URLs are built with the grammar module and signed like the SDK signs them; thumbnail links
(`/images/<id>/thumbnails/<size>-<signature>.jpg`, the `external_urls`) carry an HMAC of the
server key so they need no token.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from tessera.db.models import Image
from tessera.grammar.ast import Component, CropMode, Transformation
from tessera.grammar.parse import parse_transformation
from tessera.grammar.url import build_delivery_url
from tessera.services.secrets import SecretService

_DPR: Final = "fl_attachment/dpr_auto,q_auto,f_auto"
_FIT_1920: Final = "c_fit,h_1920,w_1920"
# Chains of seed 004 `thumbnails` (its `dpr_auto,q_auto,f_auto` order is kept, grammar §10).
THUMBNAIL_CHAINS: Final = {
    "original": _DPR,
    "full_no_sharinpix": f"{_FIT_1920}/{_DPR}",
    "full": f"{_FIT_1920}/{_DPR}",
    "large": f"{_FIT_1920}/c_fill,h_200,w_200/{_DPR}",
    "mini": f"{_FIT_1920}/c_fill,h_100,w_100/{_DPR}",
}
# Seed 004 `external_urls`: `fill100` really is `c_fit,w_300` there.
EXTERNAL_CHAINS: Final = {"fill100": "c_fit,w_300", "fit2000": "c_fit,h_2000,w_2000"}
ORIGINAL_CHAIN: Final = "fl_attachment"
# /images/:id?token= starts from this chain (seeds 000 and 001).
REDIRECT_BASE: Final = f"{_FIT_1920}/{_DPR}"
# Thumbnail link names (seed 004 `external_urls` mini/large/full) → chain.
THUMBNAIL_LINKS: Final = {"mini": "mini", "thumbnail": "large", "full": "full"}
_EXTERNAL_NAMES: Final = {"mini": "mini", "large": "thumbnail", "full": "full"}
THUMBNAIL_SIGNATURE_LENGTH: Final = 11  # seed 004: `mini-71414a3a863.jpg`

_PARSED: dict[str, Transformation] = {}


def chain(text: str) -> Transformation:
    """The parsed constant chain `text` (parsed once)."""
    if text not in _PARSED:
        _PARSED[text] = parse_transformation(text)
    return _PARSED[text]


def image_prefix(image: Image) -> tuple[Component, ...]:
    """Rotation, then crop, as SharinPix puts them in front of every chain."""
    components: list[Component] = []
    if image.rotation % 360:
        components.append(Component(angle=(image.rotation % 360,)))
    if image.crop_w > 0 and image.crop_h > 0:
        components.append(Component(crop=CropMode.CROP, width=round(image.crop_w),
                                    height=round(image.crop_h), x=round(image.crop_x),
                                    y=round(image.crop_y)))
    return tuple(components)


def shown(image: Image, transformation: Transformation) -> Transformation:
    """`transformation` of the image as it is shown: after its rotation and crop."""
    return Transformation(image_prefix(image) + transformation.components)


class ImageLinks:
    def __init__(self, secrets: SecretService, public_url: str, server_key: str) -> None:
        self._secrets = secrets
        self._public_url = public_url.rstrip("/")
        self._key = hashlib.sha256(b"tessera-thumbnail-links\0" + server_key.encode()).digest()

    def delivery_url(self, image: Image, transformation: Transformation,
                     api_secret: str) -> str:
        """Signed delivery URL of the image's asset under rotation + crop + `transformation`."""
        asset = image.asset
        full = shown(image, transformation)
        return build_delivery_url(
            asset.public_id, cloud=self._secrets.cloud_of(image.organization_id),
            type=asset.type, transformation=full if full.components else None,
            format=asset.format, version=asset.version, sign_url=True, api_secret=api_secret,
            base_url=self._public_url)

    def thumbnails(self, image: Image, api_secret: str) -> dict[str, str]:
        return {name: self.delivery_url(image, chain(text), api_secret)
                for name, text in THUMBNAIL_CHAINS.items()}

    def original_url(self, image: Image, api_secret: str) -> str:
        return self.delivery_url(image, chain(ORIGINAL_CHAIN), api_secret)

    def external_urls(self, image: Image, api_secret: str) -> dict[str, str]:
        urls = {name: self.delivery_url(image, chain(text), api_secret)
                for name, text in EXTERNAL_CHAINS.items()}
        for name, link in _EXTERNAL_NAMES.items():
            urls[name] = self.thumbnail_link(image.id, link)
        return urls

    def thumbnail_link(self, image_id: str, size: str) -> str:
        return (f"{self._public_url}/images/{image_id}/thumbnails/"
                f"{size}-{self.thumbnail_signature(image_id, size)}.jpg")

    def thumbnail_signature(self, image_id: str, size: str) -> str:
        message = f"{image_id}/{size}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[
            :THUMBNAIL_SIGNATURE_LENGTH]

    def is_thumbnail_signature(self, image_id: str, size: str, signature: str) -> bool:
        expected = self.thumbnail_signature(image_id, size)
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))

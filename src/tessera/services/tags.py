"""Tags of the SharinPix API (issue 5): create, update, list and autocomplete an
organization's tags, share one by a search token, and its public page.

Tags belong to the organization, not to an album. Listing needs any album ability; creating
and updating need `create_tag` on some album (or admin). A name is unique in the
organization: creating it again is a 409 (the existing tag is not changed behind the
caller's back). Tags named in a token's `Tags` sections exist on demand: listing with such a
token creates the missing ones with seed 003's defaults, and so does tagging with one.

`tags_token` signs a search token for `tag:<name>`: an admin's sees the organization's
images carrying the tag; anyone else names an album they hold both `share` and `image_list`
on, and the token is limited to that album (`album_id:<id> tag:<name>`), so it never sees
more than its maker. It grants viewing only (image JSON and transformation links), no tags
listing, no deletion, and expires after `TAGS_TOKEN_LIFETIME`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from tessera.auth.abilities import Action, OrganizationView, authorize
from tessera.db.models import Tag
from tessera.db.uow import Database, UnitOfWork
from tessera.errors import BadRequest, Conflict, NotFound, Unauthorized
from tessera.services.access import AccessService, Principal
from tessera.services.albums import check_album_id
from tessera.services.image_json import image_json, iso_time, tag_json
from tessera.services.image_links import ImageLinks
from tessera.services.search_index import normalise, reindex, words
from tessera.services.tag_fields import (
    DEFAULT_COLOR,
    TagFields,
    check_tag_name,
    color_contrast,
    is_valid_tag_name,
)

log = logging.getLogger(__name__)
TAGS_PAGE_SIZE: Final = 500
AUTOCOMPLETE_LIMIT: Final = 20
PUBLIC_PAGE_SIZE: Final = 100
MAX_ON_DEMAND_TAGS: Final = 500
MAX_QUERY_LENGTH: Final = 255
TAGS_TOKEN_LIFETIME: Final = timedelta(days=7)
FILTERS: Final = {"visible": "visible", "listed": "listed", "public": "is_public",
                  "allow_download": "allow_download"}


def new_tag_row(organization_id: str, name: str, now: datetime) -> dict[str, Any]:
    """A tag with seed 003's defaults, labelled with its name in every language."""
    return {"id": str(uuid.uuid4()), "organization_id": organization_id, "name": name,
            "label": {"en": name, "fr": name}, "is_public": False, "listed": True,
            "action": {"actions": []}, "visible": False, "color": DEFAULT_COLOR,
            "color_contrast": color_contrast(DEFAULT_COLOR), "allow_download": False,
            "created_at": now}


def ensure_tags(uow: UnitOfWork, organization_id: str, names: Iterable[str],
                now: datetime) -> dict[str, Tag]:
    """The organization's tags named `names`, the missing ones created (not committed)."""
    wanted = sorted({name for name in names if is_valid_tag_name(name)})[:MAX_ON_DEMAND_TAGS]
    if not wanted:
        return {}
    found = {tag.name: tag for tag in uow.tags.find_by_names(organization_id, wanted)}
    missing = [name for name in wanted if name not in found]
    if missing:
        uow.tags.add_missing([new_tag_row(organization_id, name, now) for name in missing])
        found = {tag.name: tag for tag in uow.tags.find_by_names(organization_id, wanted)}
        log.info("event=tags_created_on_demand count=%d", len(missing))
    return found


def find_tag(uow: UnitOfWork, organization_id: str, id_or_name: str) -> Tag | None:
    """The organization's tag with that id, else with that name."""
    return (uow.tags.get(organization_id, id_or_name)
            or uow.tags.find_by_name(organization_id, id_or_name))


def _matches(tag: Tag, prefix: str) -> bool:
    texts = [tag.name, *(str(v) for v in tag.label.values() if isinstance(v, str))]
    return any(normalise(text).startswith(prefix) or any(w.startswith(prefix)
                                                         for w in words(text))
               for text in texts)


def read_filters(value: Any) -> dict[str, bool]:
    """`filters=visible,listed` or `filters[]=visible` (each true), or
    `filters[visible]=false` → model flags."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        value = {name.strip(): "true" for name in value if name.strip()}
    if not isinstance(value, Mapping):
        raise BadRequest("filters must be a list of flags or a hash of flags")
    flags: dict[str, bool] = {}
    for name, flag in value.items():
        if name not in FILTERS:
            raise BadRequest(f"filters are {', '.join(FILTERS)}")
        flags[FILTERS[name]] = read_flag(f"filters[{name}]", flag)
    return flags


def read_flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise BadRequest(f"{name} must be true or false")


class TagService:
    def __init__(self, db: Database, access: AccessService, links: ImageLinks,
                 clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._access = access
        self._links = links
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # --- writing --------------------------------------------------------------------------

    def create(self, principal: Principal, params: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /api/v1/tags`. Raises Unauthorized (no create_tag), BadRequest, Conflict
        (the name exists)."""
        authorize(principal.abilities, OrganizationView.CREATE_TAG)
        fields = TagFields.read(params)
        if fields.name is None:
            raise BadRequest("Missing required parameter - tag[name]")
        org = principal.organization_id
        with self._db.uow() as uow:
            row = new_tag_row(org, fields.name, self._now())
            uow.tags.add_missing([row])  # race-safe: a concurrent creation keeps its row
            tag = uow.tags.find_by_name(org, fields.name)
            if tag is None or tag.id != row["id"]:
                raise Conflict("A tag with this name exists")
            self._apply(tag, fields)
            uow.commit()
        log.info("event=tag_created tag_id=%s", tag.id)
        return tag_json(tag)

    def update(self, principal: Principal, tag_id: str,
               params: Mapping[str, Any]) -> dict[str, Any]:
        """`PUT /api/v1/tags/:id`: the given fields only. A rename reindexes the images
        carrying the tag (they are found by its name). Raises NotFound, Conflict."""
        authorize(principal.abilities, OrganizationView.CREATE_TAG)
        fields = TagFields.read(params)
        org = principal.organization_id
        with self._db.uow() as uow:
            tag = uow.tags.get(org, tag_id)
            if tag is None:
                raise NotFound("Tag not found")
            renamed = fields.name is not None and fields.name != tag.name
            if renamed and uow.tags.find_by_name(org, fields.name or "") is not None:
                raise Conflict("A tag with this name exists")
            self._apply(tag, fields)
            if renamed:
                uow.flush()  # a concurrent rename to the same name → Conflict, not a 500
                self._reindex_carriers(uow, org, tag.id)
            uow.commit()
        log.info("event=tag_updated tag_id=%s renamed=%s", tag.id, renamed)
        return tag_json(tag)

    @staticmethod
    def _apply(tag: Tag, fields: TagFields) -> None:
        if fields.name is not None:
            tag.name = fields.name
        if fields.labels is not None:
            tag.label = {**tag.label, **fields.labels}
        if fields.color is not None:
            tag.color = fields.color
            tag.color_contrast = color_contrast(fields.color)
        for attribute, value in (fields.flags or {}).items():
            setattr(tag, attribute, value)

    @staticmethod
    def _reindex_carriers(uow: UnitOfWork, organization_id: str, tag_id: str) -> None:
        carriers = uow.tag_images.image_ids_with(tag_id)
        uow.images.lock(organization_id, carriers)
        for image in uow.images.get_many_any_state(organization_id, carriers):
            reindex(uow, image)

    # --- reading --------------------------------------------------------------------------

    def index(self, principal: Principal, visible: str | None,
             page: int = 1) -> list[dict[str, Any]]:
        """`GET /api/v1/tags[?visible=true|false]`, oldest first, `TAGS_PAGE_SIZE` a page;
        the tags the token's `Tags` sections name are created first."""
        authorize(principal.abilities, OrganizationView.TAGS)
        flags = {"visible": read_flag("visible", visible)} if visible is not None else {}
        org = principal.organization_id
        with self._db.uow() as uow:
            if ensure_tags(uow, org, principal.abilities.named_tags(), self._now()):
                uow.commit()
            tags = uow.tags.list(org, offset=(page - 1) * TAGS_PAGE_SIZE,
                                 limit=TAGS_PAGE_SIZE, **flags)
            return [tag_json(tag) for tag in tags]

    def autocomplete(self, principal: Principal, query: str | None,
                     filters: Any) -> list[dict[str, Any]]:
        """`GET /api/v1/tags/autocomplete?q=&filters=`: tags whose name or a label (or one
        of their words) starts with `q`, accents and case aside; at most
        `AUTOCOMPLETE_LIMIT`, oldest first."""
        authorize(principal.abilities, OrganizationView.TAGS)
        if query is not None and len(query) > MAX_QUERY_LENGTH:
            raise BadRequest(f"q is at most {MAX_QUERY_LENGTH} characters")
        flags = read_filters(filters)
        prefix = normalise((query or "").strip())
        with self._db.uow() as uow:
            tags = uow.tags.list(principal.organization_id, **flags)
            found = [tag for tag in tags if not prefix or _matches(tag, prefix)]
            return [tag_json(tag) for tag in found[:AUTOCOMPLETE_LIMIT]]

    # --- sharing --------------------------------------------------------------------------

    def tags_token(self, principal: Principal, tag_name: str | None, tag_id: str | None,
                   album_id: str | None) -> dict[str, Any]:
        """`GET /api/v1/tags_token?tag_name=|tag_id=[&album_id=]`: `{token, q, expires_at}`.
        Raises Unauthorized (no share), BadRequest, NotFound (unknown tag)."""
        abilities = principal.abilities
        authorize(abilities, OrganizationView.SHARE)
        if album_id is not None:
            check_album_id(album_id)
            authorize(abilities, Action.SHARE, album_id)
            authorize(abilities, Action.IMAGE_LIST, album_id)
            if any(c.isspace() for c in album_id):
                raise BadRequest("This album id cannot be written in a search query")
        elif not abilities.admin:
            raise BadRequest("Missing required parameter - album_id")
        if (tag_name is None) == (tag_id is None):
            raise BadRequest("Give one of tag_name or tag_id")
        with self._db.uow() as uow:
            org = principal.organization_id
            tag = (uow.tags.find_by_name(org, check_tag_name(tag_name)) if tag_name is not None
                   else uow.tags.get(org, str(tag_id)))
            if tag is None:
                raise NotFound("Tag not found")
            name = tag.name
        if any(c.isspace() for c in name):
            raise BadRequest("A tag whose name has spaces cannot be shared by a search token")
        query = f"tag:{name}" if album_id is None else f"album_id:{album_id} tag:{name}"
        expires_at = self._now() + TAGS_TOKEN_LIFETIME
        claims: dict[str, Any] = {"q": query}
        if principal.secret_id is not None:
            claims["iss"] = principal.secret_id  # revoking the secret revokes the share
        log.info("event=tags_token_issued album=%s", album_id is not None)
        token = self._access.codec.sign_until(claims, int(expires_at.timestamp()))
        return {"token": token, "q": query,
                "expires_at": iso_time(expires_at)}

    def public_images(self, tag_id: str, page: int = 1) -> list[dict[str, Any]]:
        """`GET /api/v1/tags/:tag_id/public_tags`, no token: the image JSON of the live
        images carrying a public tag, oldest tagging first, `PUBLIC_PAGE_SIZE` a page,
        URLs signed with the organization's secret. Any other tag is unknown (404)."""
        with self._db.uow() as uow:
            tag = uow.tags.get_anywhere(tag_id)
            if tag is None or not tag.is_public:
                raise NotFound("Tag not found")
            try:
                _key, secret = self._access.organization_credentials(tag.organization_id)
            except Unauthorized:  # every secret revoked: the organization shares nothing
                raise NotFound("Tag not found") from None
            rows = uow.tag_images.for_images(tag.organization_id, None, PUBLIC_PAGE_SIZE,
                                             tag_id=tag.id,
                                             offset=(page - 1) * PUBLIC_PAGE_SIZE)
            return [image_json(row.image, self._links, secret) for row in rows]

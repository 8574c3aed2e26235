"""What a verified SharinPix token allows: the `Abilities` value and the one decision function.

Pure: no I/O, no database. `Abilities.from_claims` reads the claims of issue 4 (`abilities`,
`admin`, search tokens `q` with `image_delete`/`download`/`thumbnail_tags`, `image_id`,
`transformations`, `sharinpix`, `user_id`, `image_urls`); `authorize` is the single place where
a use case asks "may this token do `action` here?" and is refused with a 401 that says nothing
about why (SharinPix answers 401 for a missing ability, style guide §3).

Only `True` grants: `"image_list": false`, `"true"` or `1` grant nothing, so a token can only
be read one way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from tessera.errors import Unauthorized


class Action(StrEnum):
    """Album `Access` abilities (issue 4 item 1), plus the views checked per image."""

    SEE = "see"
    IMAGE_LIST = "image_list"
    IMAGE_UPLOAD = "image_upload"
    IMAGE_DELETE = "image_delete"
    IMAGE_CROP = "image_crop"
    IMAGE_ROTATE = "image_rotate"
    IMAGE_CAPTION = "image_caption"
    IMAGE_TAG = "image_tag"
    IMAGE_ANNOTATE = "image_annotate"
    IMAGE_DUPLICATE = "image_duplicate"
    IMAGE_DOWNLOAD = "image_download"
    IMAGE_COPY = "image_copy"
    PASTE = "paste"
    RENAME = "rename"
    SHARE = "share"
    TRASH = "trash"
    STATS = "stats"
    CREATE_TAG = "create_tag"
    FULLSCREEN = "fullscreen"
    IMAGE_TRANSFORM = "image_transform"  # delivery URLs with the caller's own transformations


ALBUM_ACTIONS: Final = tuple(Action)
# The X-access-* headers of an image (seed 002 shows crop and rotate, issue 4 adds duplicate).
IMAGE_HEADER_ACTIONS: Final = (Action.IMAGE_CROP, Action.IMAGE_ROTATE, Action.IMAGE_DUPLICATE)
_HEADER_NAME: Final = re.compile(r"[a-z0-9_]{1,40}")
_QUERY_TERM: Final = re.compile(r"(album_id|image_id|tag):(\S+)")


def access_header(action: str) -> str:
    """`image_crop` → `X-access-crop` (seed 002); underscores become hyphens, which every
    proxy forwards (nginx drops headers with underscores by default)."""
    return "X-access-" + action.removeprefix("image_").replace("_", "-")


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What a search query or an album ability is matched against."""

    image_id: str
    album_id: str
    tags: frozenset[str] = frozenset()


def query_term(term: str) -> tuple[str, str] | None:
    """`album_id:<id>`, `image_id:<id>` or `tag:<name>` → (key, value); None otherwise."""
    match = _QUERY_TERM.fullmatch(term)
    return (match.group(1), match.group(2)) if match else None


@dataclass(frozen=True, slots=True)
class SearchScope:
    """A search token's `q`: `*` is every image of the organization; otherwise
    space-separated `album_id:<id>`, `image_id:<id>`, `tag:<name>` terms that must all match.
    Any other term matches nothing: an unreadable query grants no access."""

    query: str

    def filters(self) -> tuple[tuple[str, str], ...] | None:
        """The (key, value) terms that must all match: `()` for `*` (everything), None when
        the query matches nothing (empty, or a term that is not a scope term)."""
        text = self.query.strip()
        if text == "*":
            return ()
        terms = [query_term(term) for term in text.split()]
        if not terms or any(term is None for term in terms):
            return None
        return tuple(term for term in terms if term is not None)

    def matches(self, image: ImageFacts) -> bool:
        filters = self.filters()
        if filters is None:
            return False
        for key, value in filters:
            if key == "album_id" and value != image.album_id:
                return False
            if key == "image_id" and value != image.image_id:
                return False
            if key == "tag" and value not in image.tags:
                return False
        return True


def _grants(value: Any) -> dict[str, bool]:
    if not isinstance(value, Mapping):
        return {}
    return {str(name): True for name, granted in value.items() if granted is True}


def tag_grants(value: Any) -> dict[str, bool]:
    """`Tags: {<tag name>: true}` or `{<tag name>: {<anything>: true}}`: the tags the token
    may put on (and take off) the album's images, created on demand (issue 5)."""
    if not isinstance(value, Mapping):
        return {}
    return {str(name): True for name, granted in value.items()
            if granted is True or (isinstance(granted, Mapping)
                                   and any(v is True for v in granted.values()))}


@dataclass(frozen=True, slots=True)
class Abilities:
    admin: bool = False
    albums: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)
    album_tags: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)
    search: SearchScope | None = None
    search_grants: frozenset[str] = frozenset()
    image_id: str | None = None
    transformations: tuple[Any, ...] | None = None
    download: bool = True
    user_id: str | None = None
    image_urls: bool = False

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Abilities:
        albums: dict[str, dict[str, bool]] = {}
        tags: dict[str, dict[str, bool]] = {}
        raw = claims.get("abilities")
        if isinstance(raw, Mapping):
            for album_id, sections in raw.items():
                if isinstance(sections, Mapping):
                    albums[str(album_id)] = _grants(sections.get("Access"))
                    tags[str(album_id)] = tag_grants(sections.get("Tags"))
        query = claims.get("q")
        search = SearchScope(query) if isinstance(query, str) else None
        grants = frozenset(name for name in ("image_delete", "download", "thumbnail_tags")
                           if claims.get(name) is True)
        transformations = claims.get("transformations")
        sharinpix = claims.get("sharinpix")
        image_id = claims.get("image_id")
        user_id = claims.get("user_id")
        return cls(
            admin=claims.get("admin") is True,
            albums=albums,
            album_tags=tags,
            search=search,
            search_grants=grants,
            image_id=str(image_id) if isinstance(image_id, str | int) else None,
            transformations=(tuple(transformations) if isinstance(transformations, list)
                             else None),
            # seed 001: `sharinpix: {}` keeps fl_attachment; only `download: false` drops it.
            download=not (isinstance(sharinpix, Mapping) and sharinpix.get("download") is False),
            user_id=str(user_id) if isinstance(user_id, str | int) else None,
            image_urls=claims.get("image_urls") is True,
        )

    @property
    def is_scoped(self) -> bool:
        """False for a bare transformation token (seeds 000/001: only `iss` and
        `transformations`), which its organization's secret signed for any of its images."""
        return self.admin or bool(self.albums) or self.search is not None

    def can(self, action: Action | str, album_id: str) -> bool:
        if self.admin:
            return True
        return self.albums.get(album_id, {}).get(str(action)) is True

    def can_tag(self, album_id: str, tag_name: str) -> bool:
        """`image_tag` on the album allows any tag; its `Tags` section names single tags."""
        return self.can(Action.IMAGE_TAG, album_id) \
            or self.album_tags.get(album_id, {}).get(tag_name) is True

    def tags_granted(self, album_id: str) -> frozenset[str]:
        """The tag names of the album's `Tags` section."""
        return frozenset(self.album_tags.get(album_id, {}))

    def has_any_on(self, album_id: str) -> bool:
        """Any granted ability on the album: enough to open (and so create) it (issue 4 item 2)."""
        return self.admin or any(self.albums.get(album_id, {}).values()) \
            or any(self.album_tags.get(album_id, {}).values())

    def access_headers(self, album_id: str, actions: tuple[Action, ...]) -> dict[str, str]:
        """`X-access-<name>: true|false` for `actions`, plus any further album abilities the
        token grants (header-safe names only)."""
        headers = {access_header(a): str(self.can(a, album_id)).lower() for a in actions}
        if actions == ALBUM_ACTIONS and not self.admin:
            for name in self.albums.get(album_id, {}):
                if _HEADER_NAME.fullmatch(name):
                    headers.setdefault(access_header(name), "true")
        return headers

    def albums_with(self, action: Action) -> frozenset[str] | None:
        """The album ids `action` is granted on; None for an admin (every album)."""
        if self.admin:
            return None
        return frozenset(album_id for album_id, grants in self.albums.items()
                         if grants.get(str(action)) is True)

    def albums_with_any(self) -> frozenset[str] | None:
        """The album ids the token holds any ability on (what it may list); None for an
        admin (every album of the organization)."""
        if self.admin:
            return None
        return frozenset(album_id for album_id in {*self.albums, *self.album_tags}
                         if self.has_any_on(album_id))

    def sees_by_search(self, image: ImageFacts) -> bool:
        return self.search is not None and self.search.matches(image)

    def named_tags(self) -> frozenset[str]:
        """Every tag name of every album's `Tags` section (created on demand, issue 5)."""
        return frozenset(name for grants in self.album_tags.values() for name in grants)

    def has_any_album_ability(self) -> bool:
        return self.admin or any(self.has_any_on(album_id)
                                 for album_id in {*self.albums, *self.album_tags})


class View(StrEnum):
    """Per-image decisions that are not a single album ability."""

    IMAGE_JSON = "image_json"          # GET /api/v1/images/:id (item 4)
    TAG_IMAGES = "tag_images"          # GET /api/v1/tag_images (item 5)
    TRANSFORMATION = "transformation"  # GET /images/:id?token= (item 6)
    IMAGE_DELETE = "image_delete"      # DELETE /api/v1/images/:id (issue 5)
    IMAGE_DOWNLOAD = "image_download"  # POST /api/v1/downloads (issue 5)
    TAG_IMAGE = "tag_image"            # POST/DELETE tag images: `can_tag` (issue 5)
    EXTERNAL_URL = "external_url"      # POST /api/v1/image_external_urls (issue 5)
    SECRETS = "secrets"                # POST /api/v1/secret: admins only (issue 5)


class OrganizationView(StrEnum):
    """Decisions about the organization's own things (its tags), not one album's (issue 5)."""

    TAGS = "tags"              # GET /api/v1/tags, autocomplete: any ability on any album
    CREATE_TAG = "create_tag"  # POST/PUT /api/v1/tags: `create_tag` on some album
    SHARE = "share"            # GET /api/v1/tags_token: `share` on some album


def allows(abilities: Abilities, what: Action | View | OrganizationView, album_id: str = "",
           image: ImageFacts | None = None, *, tag: str | None = None) -> bool:
    """The decision table of every route; `authorize` raises on False. Organization views
    take no album; `View.TAG_IMAGE` takes the tag's name."""
    if abilities.admin:
        return True
    if isinstance(what, Action):
        return abilities.can(what, album_id)
    if what is OrganizationView.TAGS:
        return abilities.has_any_album_ability()
    if what is OrganizationView.CREATE_TAG:
        return bool(abilities.albums_with(Action.CREATE_TAG))
    if what is OrganizationView.SHARE:
        return bool(abilities.albums_with(Action.SHARE))
    if what is View.TAG_IMAGE:
        assert tag is not None, "tagging needs the tag's name"
        return abilities.can_tag(album_id, tag)
    if what is View.SECRETS:
        return False  # admins only, answered above
    assert image is not None, "image views need the image"
    album_view = abilities.can(Action.IMAGE_LIST, album_id)
    if what is View.IMAGE_JSON:
        return album_view or abilities.sees_by_search(image)
    if what is View.IMAGE_DELETE:
        # A search token deletes what it matches only with `image_delete` (issue 4 item 1).
        return abilities.can(Action.IMAGE_DELETE, album_id) or (
            abilities.sees_by_search(image) and "image_delete" in abilities.search_grants)
    if what is View.IMAGE_DOWNLOAD:
        # A search token downloads what it matches only with `download` (issue 4 item 1).
        return abilities.can(Action.IMAGE_DOWNLOAD, album_id) or (
            abilities.sees_by_search(image) and "download" in abilities.search_grants)
    if what is View.EXTERNAL_URL:
        # Public links outlive the token: only with the `image_urls` claim (issue 4).
        return abilities.image_urls and (album_view or abilities.sees_by_search(image))
    if what is View.TAG_IMAGES:
        # A search token sees tags only with `thumbnail_tags` (seed 003).
        return album_view or (abilities.sees_by_search(image)
                              and "thumbnail_tags" in abilities.search_grants)
    # Transformation links: a scoped token must see the image; a bare one was signed by the
    # organization for its images (seeds 000/001).
    return (not abilities.is_scoped or album_view or abilities.can(Action.SEE, album_id)
            or abilities.sees_by_search(image))


@dataclass(frozen=True, slots=True)
class Visibility:
    """The images `View.IMAGE_JSON` allows, as sets a query filters on (search pages in SQL):
    every image, or those of `album_ids` (image_list) and those `search` matches."""

    everything: bool
    album_ids: frozenset[str]
    search: SearchScope | None

    @property
    def is_nothing(self) -> bool:
        return not self.everything and not self.album_ids and self.search is None


def visible_images(abilities: Abilities) -> Visibility:
    if abilities.admin:
        return Visibility(True, frozenset(), None)
    return Visibility(False, abilities.albums_with(Action.IMAGE_LIST) or frozenset(),
                      abilities.search)


def authorize(abilities: Abilities, what: Action | View | OrganizationView, album_id: str = "",
              image: ImageFacts | None = None, *, tag: str | None = None) -> None:
    """Raises Unauthorized (401, same message for every refusal) unless `allows`."""
    if not allows(abilities, what, album_id, image, tag=tag):
        raise Unauthorized("Access denied", detail=f"{what} on album {album_id}")

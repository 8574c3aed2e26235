"""`GET /api/v1/search` (issue 5) on both back ends: what a query matches (filename fragments,
caption, tags, metadata values, album id, `album_id:`/`image_id:`/`tag:` terms, `*`), what
each kind of token may see (album image_list, search scope, admin), trash, pagination, the
ability matrix and bad input. Images are created through the public API; captions and tags
through the data layer (their routes belong to other issues), reindexed as their use cases do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.db.models import Image
from tessera.services import search_index
from tests.conftest import Tenant
from tests.sharinpix.helpers import add_tag, auth, client_token, create_image
from tests.sharinpix.test_ability_matrix import check_refused


@dataclass(frozen=True)
class Library:
    tenant: Tenant
    other: Tenant
    album_a: str
    album_b: str
    images: dict[str, dict[str, Any]]  # name → image JSON as registered


def _tenant(app: FastAPI) -> Tenant:
    org = f"org-{uuid.uuid4().hex[:12]}"
    issued = app.state.services.secrets.create("search", org)
    return Tenant(org, issued.id, issued.secret)


def _edit(app: FastAPI, image_id: str, *, created_at: datetime | None = None,
          **fields: Any) -> None:
    """Caption, filename, creation time through the data layer, reindexed as a use case
    would (before its commit)."""
    with app.state.services.db.uow() as uow:
        image = uow.session.get(Image, image_id)
        assert image is not None
        for name, value in fields.items():
            setattr(image, name, value)
        if created_at is not None:
            image.created_at = created_at
        search_index.reindex(uow, image)
        uow.commit()


def _reindex(app: FastAPI, image_id: str) -> None:
    _edit(app, image_id)


@pytest.fixture(scope="module")
def library(app: FastAPI, client: TestClient, photo: Path) -> Library:
    tenant, other = _tenant(app), _tenant(app)
    album_a, album_b = f"A{uuid.uuid4().hex[:12]}", f"B{uuid.uuid4().hex[:12]}"
    base = datetime(2024, 1, 1, tzinfo=UTC)
    specs = {
        "report": (album_a, {"site": "Lyon Été"}, "IMG_2034-inspectionReport.jpg",
                   "Roof damage", None),
        "facade": (album_a, {"site": "Paris"}, "facade.jpg", None, "North wall, cracked"),
        "garden": (album_b, {"site": "Lyon", "floor": 3}, "garden_view.jpg", None, None),
    }
    images: dict[str, dict[str, Any]] = {}
    for index, (name, (album, metadatas, filename, title, description)) in enumerate(
            specs.items()):
        image = create_image(client, tenant, photo, album, metadatas)
        _edit(app, image["id"], filename=filename, title=title, description=description,
              created_at=base + timedelta(days=index))
        images[name] = image
    add_tag(app, tenant, images["facade"]["id"], "Urgent")
    _reindex(app, images["facade"]["id"])
    # The other organization has a look-alike image in an album of the same id.
    twin = create_image(client, other, photo, album_a, {"site": "Lyon"})
    images["twin"] = twin
    return Library(tenant, other, album_a, album_b, images)


def _search(client: TestClient, token: str | None, **params: Any) -> Any:
    return client.get("/api/v1/search", params=params, headers=auth(token) if token else {})


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def _admin(library: Library) -> str:
    return client_token(library.tenant, {"admin": True})


def _album_token(library: Library, *albums: str, **grants: Any) -> str:
    access = grants or {"image_list": True}
    return client_token(library.tenant, {"abilities": {a: {"Access": access} for a in albums}})


def _id(library: Library, *names: str) -> list[str]:
    return [library.images[name]["id"] for name in names]


# --- what a query matches -----------------------------------------------------------------------


@pytest.mark.parametrize(("q", "expected"), [
    ("lyon", ["garden", "report"]),              # metadata value, newest first
    ("ly", ["garden", "report"]),                # a prefix
    ("LYON", ["garden", "report"]),              # case folded
    ("ete", ["report"]),                         # accents folded
    ("Été", ["report"]),
    ("lyon ete", ["report"]),                    # every word must match
    ("lyon paris", []),
    ("inspection", ["report"]),                  # camelCase part of the filename
    ("report", ["report"]),
    ("2034", ["report"]),                        # `_`-separated part of the filename
    ("img_2034", ["report"]),
    ("garden_view", ["garden"]),
    ("view", ["garden"]),
    ("roof", ["report"]),                        # title
    ("cracked", ["facade"]),                     # description
    ("urgent", ["facade"]),                      # tag name, as a word
    ("tag:Urgent", ["facade"]),                  # tag name, exactly
    ("tag:urgent", []),
    ("3", ["garden"]),                           # a number in the metadatas
    ("jpg", ["garden", "facade", "report"]),
    ("nowhere", []),
    ("-", []),                                   # no word at all
    ("*", ["garden", "facade", "report"]),
])
def test_query_matches(q: str, expected: list[str], client: TestClient,
                       library: Library) -> None:
    assert _ids(_search(client, _admin(library), q=q)) == _id(library, *expected)


def test_album_and_image_terms(client: TestClient, library: Library) -> None:
    admin = _admin(library)
    a, b = library.album_a, library.album_b
    assert _ids(_search(client, admin, q=f"album_id:{a}")) == _id(library, "facade", "report")
    # A plain term is also matched against the album id itself.
    assert _ids(_search(client, admin, q=a)) == _id(library, "facade", "report")
    assert _ids(_search(client, admin, q=f"{b} lyon")) == _id(library, "garden")
    assert _ids(_search(client, admin, q=f"album_id:{a} lyon")) == _id(library, "report")
    assert _ids(_search(client, admin, q="album_id:unknown")) == []
    facade = library.images["facade"]["id"]
    assert _ids(_search(client, admin, q=f"image_id:{facade}")) == [facade]
    assert _ids(_search(client, admin, q=f"image_id:{facade} lyon")) == []


def test_results_are_the_image_json(client: TestClient, library: Library) -> None:
    token = _album_token(library, library.album_a)
    response = _search(client, token, q="cracked")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["X-token"]
    assert response.headers["Cache-Control"] == "no-cache, no-store"
    [row] = response.json()
    single = client.get(f"/api/v1/images/{row['id']}", headers=auth(token))
    assert row == single.json()
    assert row["album_id"] == library.album_a and row["description"] == "North wall, cracked"
    assert isinstance(row["width"], int) and isinstance(row["thumbnails"], dict)


# --- who sees what ------------------------------------------------------------------------------


def test_album_token_sees_its_albums_only(client: TestClient, library: Library) -> None:
    a_only = _album_token(library, library.album_a)
    assert _ids(_search(client, a_only, q="*")) == _id(library, "facade", "report")
    assert _ids(_search(client, a_only, q="lyon")) == _id(library, "report")
    assert _ids(_search(client, a_only, q=f"album_id:{library.album_b}")) == []
    both = _album_token(library, library.album_a, library.album_b)
    assert _ids(_search(client, both, q="lyon")) == _id(library, "garden", "report")


def test_search_token_is_its_own_query(client: TestClient, library: Library) -> None:
    scoped = client_token(library.tenant, {"q": f"album_id:{library.album_b}"})
    # Without q, the token's q is the query; with one, both must match.
    assert _ids(_search(client, scoped)) == _id(library, "garden")
    assert _ids(_search(client, scoped, q="lyon")) == _id(library, "garden")
    assert _ids(_search(client, scoped, q="*")) == _id(library, "garden")
    assert _ids(_search(client, scoped, q="paris")) == []
    tagged = client_token(library.tenant, {"q": "tag:Urgent"})
    assert _ids(_search(client, tagged, q="*")) == _id(library, "facade")
    everything = client_token(library.tenant, {"q": "*"})
    assert _ids(_search(client, everything, q="lyon")) == _id(library, "garden", "report")
    # An unreadable scope grants nothing, but is still a scope: an empty answer.
    unreadable = client_token(library.tenant, {"q": "lyon"})
    assert _ids(_search(client, unreadable, q="*")) == []


def test_album_abilities_and_scope_add_up(client: TestClient, library: Library) -> None:
    token = client_token(library.tenant, {
        "q": f"image_id:{library.images['garden']['id']}",
        "abilities": {library.album_a: {"Access": {"image_list": True}}}})
    assert _ids(_search(client, token, q="lyon")) == _id(library, "garden", "report")


def test_trashed_images_are_not_found(client: TestClient, app: FastAPI, photo: Path,
                                      library: Library) -> None:
    album = f"T{uuid.uuid4().hex[:12]}"
    image = create_image(client, library.tenant, photo, album, {"site": "Trashcan"})
    token = _album_token(library, album, image_list=True, image_delete=True)
    assert _ids(_search(client, token, q="trashcan")) == [image["id"]]
    assert client.delete(f"/api/v1/images/{image['id']}", headers=auth(token)).status_code == 204
    assert _ids(_search(client, token, q="trashcan")) == []
    assert _ids(_search(client, _admin(library), q=f"image_id:{image['id']}")) == []


def test_pages_are_stable(client: TestClient, library: Library) -> None:
    admin = _admin(library)
    first = _ids(_search(client, admin, q="jpg", per_page=2))
    second = _ids(_search(client, admin, q="jpg", per_page=2, page=2))
    third = _ids(_search(client, admin, q="jpg", per_page=2, page=3))
    assert first + second == _id(library, "garden", "facade", "report")
    assert third == []
    assert len(_ids(_search(client, admin, q="jpg", per_page=100))) == 3


# --- the ability matrix -------------------------------------------------------------------------


@pytest.mark.parametrize("claims", [
    pytest.param(lambda lib: None, id="no_token"),
    pytest.param(lambda lib: {"abilities": {lib.album_a: {"Access": {"see": True}}}},
                 id="absent"),
    pytest.param(lambda lib: {"abilities": {lib.album_a: {"Access": {"image_list": False}}}},
                 id="false"),
    pytest.param(lambda lib: {"abilities": {lib.album_a: {"Access": {"image_list": "true"}}}},
                 id="not_true"),
    pytest.param(lambda lib: {"transformations": [{"width": 10}]}, id="bare_token"),
])
def test_refused(claims: Any, client: TestClient, library: Library) -> None:
    made = claims(library)
    token = client_token(library.tenant, made) if made is not None else None
    check_refused(_search(client, token, q="*"))


def test_other_album_and_other_organization_see_nothing(client: TestClient,
                                                        library: Library) -> None:
    other_album = _album_token(library, f"Z{uuid.uuid4().hex[:12]}")
    assert _ids(_search(client, other_album, q="*")) == []
    assert _ids(_search(client, other_album, q="lyon")) == []
    # Another organization's admin finds its own twin, never this organization's images.
    outsider = client_token(library.other, {"admin": True})
    assert _ids(_search(client, outsider, q="lyon")) == [library.images["twin"]["id"]]
    for image in _id(library, "report", "facade"):
        assert _ids(_search(client, outsider, q=f"image_id:{image}")) == []
    same_album_id = client_token(library.other,
                                 {"abilities": {library.album_a: {"Access": {"image_list": True}}}})
    assert _ids(_search(client, same_album_id, q="*")) == [library.images["twin"]["id"]]


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {},                                  # no q, and the token has none
    {"q": "   "},
    {"q": "x", "page": "abc"},
    {"q": "x", "page": "0"},
    {"q": "x", "per_page": "101"},
    {"q": "x", "per_page": "0"},
    {"q": "x", "per_page": "1.5"},
    {"q": "a " * 21},
    {"q": "x" * 1001},
])
def test_bad_input_is_400(params: dict[str, str], client: TestClient,
                          library: Library) -> None:
    response = _search(client, _admin(library), **params)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("slash", ["", "/"])
def test_trailing_slash(slash: str, client: TestClient, library: Library) -> None:
    response = client.get(f"/api/v1/search{slash}", params={"q": "cracked"},
                          headers=auth(_admin(library)))
    assert _ids(response) == _id(library, "facade")


def test_a_caption_edit_is_found_at_once(client: TestClient, photo: Path,
                                         library: Library) -> None:
    album = f"E{uuid.uuid4().hex[:12]}"
    image = create_image(client, library.tenant, photo, album)
    token = _album_token(library, album, image_list=True, image_caption=True)
    assert _ids(_search(client, token, q="skylight")) == []
    edited = client.put(f"/api/v1/images/{image['id']}",
                        content=urlencode([("image[title]", "Skylight leak")]),
                        headers={**auth(token),
                                 "Content-Type": "application/x-www-form-urlencoded"})
    assert edited.status_code == 200, edited.text
    assert _ids(_search(client, token, q="skylight leak")) == [image["id"]]

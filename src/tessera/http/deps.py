"""Annotated dependencies: route signatures read like a spec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from tessera.db.uow import Database
from tessera.metrics import Metrics
from tessera.services.access import AccessService
from tessera.services.account import AccountService
from tessera.services.album_edits import AlbumEditService
from tessera.services.albums import AlbumService
from tessera.services.annotations import AnnotationService
from tessera.services.delivery import DeliveryService
from tessera.services.downloads import DownloadService
from tessera.services.external_urls import ExternalUrlService
from tessera.services.image_edits import ImageEditService
from tessera.services.image_queries import ImageQueryService
from tessera.services.images import ImageService
from tessera.services.imports import ImportService
from tessera.services.ports import BlobStore
from tessera.services.redirects import RedirectService
from tessera.services.search import SearchService
from tessera.services.secrets import SecretService
from tessera.services.tag_images import TagImageService
from tessera.services.tags import TagService
from tessera.services.trash import TrashService
from tessera.services.trash_purge import TrashPurgeService
from tessera.services.uploads import UploadService
from tessera.settings import Settings


@dataclass(frozen=True, slots=True)
class Services:
    """Everything `create_app` wires, reachable from a route through `ServicesDep`."""

    settings: Settings
    db: Database
    blobs: BlobStore
    secrets: SecretService
    uploads: UploadService
    delivery: DeliveryService
    metrics: Metrics
    access: AccessService
    albums: AlbumService
    images: ImageService
    tag_images: TagImageService
    redirects: RedirectService
    trash: TrashService
    search: SearchService
    account: AccountService
    external_urls: ExternalUrlService
    album_edits: AlbumEditService
    image_edits: ImageEditService
    image_queries: ImageQueryService
    tags: TagService
    annotations: AnnotationService
    imports: ImportService
    downloads: DownloadService
    trash_purge: TrashPurgeService


async def get_services(request: Request) -> Services:
    # async on purpose: FastAPI runs a plain `def` dependency in the thread pool, a thread hop
    # on every request (it cut hot-derivative throughput by more than half).
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

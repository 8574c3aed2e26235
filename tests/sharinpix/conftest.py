"""Fixtures of the SharinPix API tests: a photo with EXIF date and GPS from the corpus."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI

from tessera.services.secrets import DEFAULT_ORGANIZATION
from tests.conftest import Tenant


@pytest.fixture(scope="session")
def photo(corpus: Path) -> Path:
    return corpus / "gps" / "paris_n_e.jpg"


@dataclass(frozen=True)
class DefaultTenant(Tenant):
    """A secret of the default organization, whose cloud is the configured cloud name; the
    organization of Tessera's own tokens without `iss` (seeds 002 and 004)."""

    cloud_name: str = "tessera"

    @property
    def cloud(self) -> str:
        return self.cloud_name


@pytest.fixture(scope="session")
def default_tenant(app: FastAPI) -> DefaultTenant:
    services = app.state.services
    issued = services.secrets.create("sharinpix-tests", DEFAULT_ORGANIZATION)
    return DefaultTenant(DEFAULT_ORGANIZATION, issued.id, issued.secret,
                         services.secrets.cloud_of(DEFAULT_ORGANIZATION))

"""Fixtures for the render tests: the --update-goldens switch, synthetic sources on disk, and a
one-call renderer from URL text to pixels."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.render.goldens import Goldens
from tests.render.synthetic import Renderer


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite tests/render/golden/ from the current renders (review the diff)")


@pytest.fixture
def goldens(request: pytest.FixtureRequest) -> Goldens:
    return Goldens(update=bool(request.config.getoption("--update-goldens")))


@pytest.fixture
def renderer(tmp_path: Path) -> Renderer:
    return Renderer(tmp_path)

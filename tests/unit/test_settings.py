"""Settings: environment variables, derived values, and the README table kept in sync."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from tessera.settings import MAX_AUTO_WORKERS, Settings, settings_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TESSERA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TESSERA_MAX_UPLOAD_BYTES", "1234")
    monkeypatch.setenv("TESSERA_PORT", "9000")
    settings = Settings()
    assert settings.max_upload_bytes == 1234
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'tessera.db'}"
    assert settings.resolved_public_url == "http://127.0.0.1:9000"


def test_defaults_follow_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"TESSERA_{name.upper()}", raising=False)
    settings = Settings()
    assert settings.max_upload_bytes == 50_000_000 and settings.max_pixels == 100_000_000
    assert settings.cloud_name == "tessera" and settings.port == 8000


def test_workers_default_to_the_cores_this_process_may_use() -> None:
    cores = len(os.sched_getaffinity(0))
    assert Settings(workers=0).resolved_workers == min(cores, MAX_AUTO_WORKERS)
    assert Settings(workers=3).resolved_workers == 3
    assert Settings(workers=12).resolved_workers == 12  # the cap is on the automatic count only
    with pytest.raises(ValidationError):
        Settings(workers=-1)


def test_readme_configuration_table_is_generated_from_settings() -> None:
    text = README.read_text()
    start = text.index("<!-- settings-table:start -->\n") + len("<!-- settings-table:start -->\n")
    end = text.index("<!-- settings-table:end -->")
    assert text[start:end].strip() == settings_table(), (
        "README configuration table is stale: regenerate it from tessera.settings.settings_table")
    assert all(field.description for field in Settings.model_fields.values())

"""The `tessera` command line: help everywhere, migrate, and the secrets commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tessera.cli import app

runner = CliRunner()


@pytest.mark.parametrize("args", [[], ["serve"], ["migrate"], ["config"], ["secrets"],
                                  ["secrets", "create"], ["secrets", "list"],
                                  ["secrets", "revoke"]])
def test_every_command_has_help(args: list[str]) -> None:
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and "--help" in result.output


def test_secrets_lifecycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSERA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TESSERA_DATABASE_URL", raising=False)
    monkeypatch.delenv("TESSERA_SECRET_KEY", raising=False)
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    created = runner.invoke(app, ["secrets", "create", "crm", "--org", "acme"])
    assert created.exit_code == 0, created.output
    match = re.fullmatch(r"sharinpix://([\w-]+):([\w-]+)@127\.0\.0\.1:8000/api/v1\n",
                         created.output)
    assert match, created.output
    secret_id, secret = match.groups()
    listed = runner.invoke(app, ["secrets", "list"])
    assert f"{secret_id}\tacme\tcrm\tactive" in listed.output
    assert secret not in listed.output  # never shown again
    assert runner.invoke(app, ["secrets", "revoke", secret_id]).exit_code == 0
    assert "revoked" in runner.invoke(app, ["secrets", "list", "--org", "acme"]).output
    missing = runner.invoke(app, ["secrets", "revoke", "nope"])
    assert missing.exit_code == 1
    assert (tmp_path / "server.key").stat().st_mode & 0o077 == 0  # key readable by owner only

"""Idempotent installs of the comparison engines, cached under `bench/.cache/`.

  thumbor  `python3.11 -m venv bench/.cache/thumbor-venv`, `pip install thumbor==7.8.*`
           (its own virtualenv: thumbor pins Pillow and Tornado, and must not touch `.venv`)
  sharp    `npm install --prefix bench/.cache/node sharp@SHARP_VERSION`; the prebuilt libvips
           comes from the npm registry as `@img/sharp-libvips-linux-x64`
  nginx, wrk  Debian packages, `apt-get install --no-install-recommends` (root only; the package
           lists are refreshed once if the package is unknown)

Each returns an `Installed` (the executable to run) or raises `Unavailable` with the reason, so
the report can say why a row is missing. A stamp file records a finished install; a later run
that finds the stamp and the executable does nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
THUMBOR_SPEC = "thumbor==7.8.*"
SHARP_VERSION = "0.35.5"


class Unavailable(Exception):
    """An engine could not be installed or found; the message says why."""


@dataclass(frozen=True)
class Installed:
    executable: Path
    version: str


def _run(argv: list[str], timeout: float, env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,  # noqa: S603
                              env=env, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"{argv[0]}: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise Unavailable(f"`{' '.join(argv[:4])}` failed: {' / '.join(tail)}")
    return done.stdout


def _python311() -> str:
    for name in ("python3.11", "python3"):
        found = shutil.which(name)
        if found:
            out = _run([found, "-c", "import sys;print(sys.version_info[:2]>=(3,11))"], 30)
            if out.strip() == "True":
                return found
    raise Unavailable("no Python 3.11 interpreter on PATH")


def thumbor() -> Installed:
    venv = CACHE / "thumbor-venv"
    exe = venv / "bin" / "thumbor"
    stamp = venv / ".installed"
    if not (stamp.exists() and stamp.read_text().strip() == THUMBOR_SPEC and exe.exists()):
        if not (venv / "bin" / "python").exists():
            _run([_python311(), "-m", "venv", str(venv)], 120)
        _run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
              THUMBOR_SPEC], 900)
        stamp.write_text(THUMBOR_SPEC)
    version = _run([str(venv / "bin" / "python"), "-c",
                    "import thumbor, PIL; print(thumbor.__version__, PIL.__version__)"], 60)
    thumbor_version, pillow_version = version.split()
    return Installed(exe, f"thumbor {thumbor_version} (Pillow {pillow_version})")


def sharp() -> Installed:
    node = shutil.which("node")
    npm = shutil.which("npm")
    if not node or not npm:
        raise Unavailable("node/npm not on PATH")
    prefix = CACHE / "node"
    package = prefix / "node_modules" / "sharp" / "package.json"
    stamp = prefix / ".installed"
    if not (stamp.exists() and stamp.read_text().strip() == SHARP_VERSION and package.exists()):
        prefix.mkdir(parents=True, exist_ok=True)
        _run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
              "--loglevel=error", f"sharp@{SHARP_VERSION}"], 600)
        stamp.write_text(SHARP_VERSION)
    return Installed(Path(node), f"sharp {SHARP_VERSION}")


def sharp_modules() -> Path:
    return CACHE / "node" / "node_modules"


def _apt_install(package: str) -> None:
    if os.geteuid() != 0:
        raise Unavailable(f"{package} missing and not root: `apt-get install {package}`")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    argv = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    try:
        _run(argv, 600, env)
    except Unavailable:
        _run(["apt-get", "update", "-q"], 600, env)
        _run(argv, 600, env)


def debian_tool(package: str, executable: str) -> Installed:
    """A Debian package's executable (nginx in /usr/sbin, wrk in /usr/bin)."""
    def find() -> str | None:
        return shutil.which(executable) or next(
            (str(p) for p in (Path("/usr/sbin") / executable, Path("/usr/bin") / executable)
             if p.exists()), None)

    found = find()
    if not found:
        _apt_install(package)
        found = find()
    if not found:
        raise Unavailable(f"{executable} not found after installing {package}")
    return Installed(Path(found), package)

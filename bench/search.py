"""`python -m bench.search` (`make bench-search`): search over 100,000 images on SQLite and on
PostgreSQL, through `SearchService` (issue 5; target: every query under 100 ms).

For each database it migrates a fresh one (a temporary SQLite file; on PostgreSQL a database
of its own on the server of `TESSERA_BENCH_POSTGRES_URL`, else `TESSERA_TEST_POSTGRES_URL`,
dropped afterwards), bulk-inserts the library through the data layer (albums, assets, images,
tags, tag images and the search terms `search_index.terms_of` computes, with executemany),
then times each query `--runs` times after one warm-up and prints the median and p95 ms, the
number of images it matches and PASS/FAIL. On PostgreSQL it also prints the EXPLAIN of the
common-word query, which must use the (organization_id, term) index.

The library: `--images` images over `--albums` albums, created a minute apart; filenames like
`IMG_004211-roofInspection.jpg`, titles and descriptions of words drawn from a Zipf-like
vocabulary (so some words are common and most are rare), metadatas `{site, inspector, ref}`,
and 0-3 of 40 tags per image.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text

from tessera.app import create_app
from tessera.db import search_query
from tessera.db.migrate import upgrade
from tessera.db.models import Album, Asset, Image, ImageSearchTerm, Tag, TagImage
from tessera.db.scratch import scratch_database
from tessera.services import search_index
from tessera.services.access import Principal
from tessera.settings import Settings

TARGET_MS = 100.0
# What newest-first search pages need beyond migration 0004 (measured as a second pass).
ORG = "bench-search"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "fi", "gu",
              "he", "ja", "ko", "li", "ma", "no", "pe")
_COMMON = ("inspection", "roof", "damage", "facade", "window", "crack", "north", "water",
           "report", "garden")
_CITIES = ("Lyon", "Paris", "Nantes", "Lille", "Bordeaux", "Marseille", "Toulouse", "Nice")
# Planted in the descriptions of a handful of images (5 in 100,000).
RARE_WORD = "quasar"
RARE_EVERY = 20_000
_started = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - _started:6.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Query:
    label: str
    q: str
    token: str  # "admin" or "album"


@dataclass
class Library:
    album_ids: list[str]
    rare_word: str
    tag_name: str


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words = set(_COMMON)
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    ordered = list(_COMMON) + sorted(words - set(_COMMON))
    return ordered


def zipf_picker(words: list[str], rng: random.Random) -> Callable[[int], list[str]]:
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    return lambda k: rng.choices(words, weights=weights, k=k)


def camel(word: str) -> str:
    return word[:1].upper() + word[1:]


def generate(db: Any, images: int, albums: int, seed: int = 5) -> Library:
    """Bulk-insert the library through the data layer; answers what the queries look for."""
    rng = random.Random(seed)
    words = vocabulary(4000, rng)
    pick = zipf_picker(words, rng)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    album_ids = [f"a{index:05d}" for index in range(albums)]
    album_pks = [str(uuid.uuid4()) for _ in album_ids]
    tag_names = [f"tag{index:02d}" for index in range(40)]
    tag_pks = [str(uuid.uuid4()) for _ in tag_names]
    with db.uow() as uow:
        session = uow.session
        session.execute(insert(Album), [
            {"id": pk, "organization_id": ORG, "external_id": external, "views_count": 0,
             "created_at": now} for pk, external in zip(album_pks, album_ids, strict=True)])
        session.execute(insert(Tag), [
            {"id": pk, "organization_id": ORG, "name": name, "label": {"en": name},
             "is_public": False, "listed": True, "action": {}, "visible": True,
             "color": "#009688", "color_contrast": "#ffffff", "allow_download": False,
             "created_at": now} for pk, name in zip(tag_pks, tag_names, strict=True)])
        uow.commit()
    batch = 5000
    for start in range(0, images, batch):
        assets, rows, tag_rows, term_rows = [], [], [], []
        for n in range(start, min(start + batch, images)):
            image_id = str(uuid.uuid4())
            created = now + timedelta(minutes=n)
            filename = f"IMG_{n:06d}-{pick(1)[0]}{camel(pick(1)[0])}.jpg"
            metadatas = {"site": rng.choice(_CITIES), "inspector": camel(pick(1)[0]),
                         "ref": f"R-{n}"}
            assets.append({"id": n + 1, "organization_id": ORG, "asset_id": uuid.uuid4().hex,
                           "public_id": f"bench/{n}", "resource_type": "image",
                           "type": "upload", "version": 1700000000, "version_id": "v",
                           "format": "jpg", "width": 4000, "height": 3000, "pages": 1,
                           "bytes": 1_000_000, "etag": "e", "blob_key": f"k/{n}",
                           "original_filename": filename, "tags": [], "context": {},
                           "analysis": {}, "created_at": created})
            row = {"id": image_id, "organization_id": ORG,
                   "album_id": album_pks[n % albums], "asset_id": n + 1, "user_id": None,
                   "infos": {"bytes": "1000000"}, "exifs": {}, "metadatas": metadatas,
                   "gps_exifs": None, "gps_html": None, "taken_at": None,
                   "filename": filename, "color": "#", "rotation": 0, "crop_x": 0.0,
                   "crop_y": 0.0, "crop_w": 0.0, "crop_h": 0.0,
                   "title": " ".join(pick(rng.randint(1, 3))),
                   "description": " ".join(pick(rng.randint(3, 8))
                                           + ([RARE_WORD] if n % RARE_EVERY == 7 else [])),
                   "page": 1,
                   "group_id": None, "created_at": created, "updated_at": created,
                   "deleted_at": None}
            rows.append(row)
            names = rng.sample(range(len(tag_names)), rng.choice((0, 0, 1, 1, 2, 3)))
            tag_rows += [{"id": str(uuid.uuid4()), "organization_id": ORG,
                          "tag_id": tag_pks[t], "image_id": image_id, "user_id": None,
                          "created_at": created} for t in names]
            transient = Image(**{k: row[k] for k in ("filename", "title", "description",
                                                      "metadatas")})
            term_rows += [{"image_id": image_id, "term": term, "organization_id": ORG}
                          for term in search_index.terms_of(transient,
                                                            [tag_names[t] for t in names])]
        with db.uow() as uow:
            session = uow.session
            session.execute(insert(Asset), assets)
            session.execute(insert(Image), rows)
            if tag_rows:
                session.execute(insert(TagImage), tag_rows)
            session.execute(insert(ImageSearchTerm), term_rows)
            uow.commit()
        log(f"  {min(start + batch, images)} images")
    return Library(album_ids, rare_word=RARE_WORD, tag_name=tag_names[7])


def queries(library: Library) -> list[Query]:
    return [
        Query("common word", "inspection", "admin"),
        Query("rare word", library.rare_word, "admin"),
        Query("prefix", "insp", "admin"),
        Query("tag:x", f"tag:{library.tag_name}", "admin"),
        Query("album_id:x", f"album_id:{library.album_ids[42 % len(library.album_ids)]}", "admin"),
        Query("* (album token)", "*", "album"),
        Query("two-word AND", "roof damage", "admin"),
        Query("filename fragment", "img_000042", "admin"),
    ]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(app: Any, library: Library, runs: int) -> list[tuple[Query, float, float, int]]:
    services = app.state.services
    codec = services.access.codec
    secret = services.secrets.create("bench", ORG)
    album_id = library.album_ids[7 % len(library.album_ids)]
    tokens: dict[str, dict[str, Any]] = {"admin": {"admin": True},
                                         "album": {"abilities": {album_id: {"Access": {
                                             "image_list": True}}}}}
    principals: dict[str, Principal] = {
        name: services.access.authenticate(codec.sign({**claims, "iss": secret.id}))
        for name, claims in tokens.items()}
    results = []
    for query in queries(library):
        principal = principals[query.token]
        everything = services.search.search(principal, query.q, 1, 100)  # warm-up, count
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            services.search.search(principal, query.q)
            timings.append((time.perf_counter() - started) * 1000)
        results.append((query, statistics.median(timings), percentile(timings, 0.95),
                        len(everything)))
    return results


def explain(url: str) -> list[str]:
    """The plans of a common and a rare word, compiled as `ImageRepository.search` does."""
    engine = create_engine(url)
    lines: list[str] = []
    with engine.connect() as connection:
        for word, driver in (("inspection", False), (RARE_WORD, True)):
            condition = search_query.HasTermPrefix(word)
            query = (select(Image.id)
                     .where(Image.organization_id == ORG, Image.deleted_at.is_(None),
                            search_query.to_sql(condition, ORG, condition if driver else None))
                     .order_by(Image.created_at.desc(), Image.id).limit(20))
            compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
            lines.append(f"{word} ({'driver' if driver else 'probe'}):")
            lines += ["  " + line for line in connection.execute(
                text(f"EXPLAIN {compiled}")).scalars().all()]
    engine.dispose()
    return lines


def run_one(label: str, database_url: str, data_dir: Path,
            args: argparse.Namespace) -> list[str]:
    settings = Settings(data_dir=data_dir, database_url=database_url, secret_key="",
                        public_url="http://bench.invalid")
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    services = app.state.services
    services.secrets.create("owner", ORG)  # creates the organization
    log(f"{label}: generating {args.images} images over {args.albums} albums")
    started = time.monotonic()
    library = generate(services.db, args.images, args.albums)
    log(f"{label}: generated in {time.monotonic() - started:.1f} s")
    if database_url.startswith("postgresql"):
        with services.db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    is_postgres = database_url.startswith("postgresql")
    lines = [f"{label} ({args.images} images, {args.albums} albums, {args.runs} runs, "
             f"page of 20)",
             f"  {'query':<20} {'median ms':>10} {'p95 ms':>8} {'matches*':>9}  verdict"]
    for query, median, p95, count in measure(app, library, args.runs):
        verdict = "PASS" if p95 < TARGET_MS else "FAIL"
        lines.append(f"  {query.label:<20} {median:>10.1f} {p95:>8.1f} "
                     f"{count if count < 100 else '100+':>9}  {verdict}  (q={query.q!r})")
    if is_postgres:
        lines.append("  EXPLAIN (common word):")
        lines += [f"    {line}" for line in explain(settings.resolved_database_url)]
    services.db.dispose()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search",
                                     description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--albums", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip", choices=("sqlite", "postgres"), action="append", default=[])
    args = parser.parse_args(argv)
    report: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tessera-bench-search-") as tmp:
        if "sqlite" not in args.skip:
            report += run_one("SQLite", "", Path(tmp) / "sqlite", args)
        if "postgres" not in args.skip:
            server = (os.environ.get("TESSERA_BENCH_POSTGRES_URL")
                      or os.environ.get("TESSERA_TEST_POSTGRES_URL") or DEFAULT_PG)
            try:
                with scratch_database(server, prefix="tessera_bench_search") as url:
                    report += run_one("PostgreSQL", url, Path(tmp) / "postgres", args)
            except Exception as exc:  # noqa: BLE001 - the report says why
                report.append(f"PostgreSQL: n/a ({type(exc).__name__}: {exc})")
    print("\n".join(report))
    print(f"* images matching the query (first page of 100 counted); target: p95 under "
          f"{TARGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

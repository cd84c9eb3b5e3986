"""The jar lock and the fetch that checks it, against a real HTTP server on loopback."""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from finsentry import kafka_jars, kafka_local
from finsentry.kafka_jars import Lock, LockedJar


@dataclass
class Repo:
    """A Maven-layout folder served over HTTP, with a lock file describing its jars."""

    root: Path
    url: str
    lock: Path
    jars: list[LockedJar]
    requests: list[str] = field(default_factory=list)

    def file(self, jar: LockedJar) -> Path:
        return self.root / jar.path


def _jar(root: Path, group: str, artifact: str, version: str, payload: bytes) -> LockedJar:
    rel = f"{group.replace('.', '/')}/{artifact}/{version}/{artifact}-{version}.jar"
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_bytes(payload)
    return LockedJar(f"{group}:{artifact}:{version}", rel, len(payload), hashlib.sha256(payload).hexdigest())


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    root = tmp_path / "maven"
    jars = [
        _jar(root, "org.example", "alpha", "1.0", os.urandom(300_000)),
        _jar(root, "org.example.deep", "beta", "2.1", os.urandom(1_500_000)),
        _jar(root, "com.other", "gamma", "0.3", b"tiny"),
    ]
    lock = tmp_path / "jars.lock"
    kafka_jars.write_lock(Lock(pom_sha256="0" * 64, jars=tuple(jars)), lock)
    served: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def do_GET(self) -> None:
            served.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Repo(root, f"http://127.0.0.1:{server.server_address[1]}/", lock, jars, served)
    finally:
        server.shutdown()
        server.server_close()


def _fetch(repo: Repo, lib: Path) -> kafka_jars.Fetched:
    return kafka_jars.fetch(lib, lock=repo.lock, base_url=repo.url)


def _cache(lib: Path) -> list[str]:
    """Every file in the cache but the stamp: jars, and any temporary file left behind."""
    return sorted(p.name for p in lib.iterdir() if p.name != kafka_jars.STAMP)


def test_fetch_downloads_every_locked_jar_then_skips_them(repo: Repo, tmp_path: Path) -> None:
    lib = tmp_path / "cache"
    got = _fetch(repo, lib)
    assert got.jars == 3 and got.bytes == sum(j.size for j in repo.jars)
    assert _cache(lib) == sorted(j.name for j in repo.jars)
    for jar in repo.jars:
        assert (lib / jar.name).read_bytes() == repo.file(jar).read_bytes()
    served = len(repo.requests)
    again = _fetch(repo, lib)
    assert again.jars == 0 and len(repo.requests) == served  # the stamp spares a second download


def test_an_altered_jar_from_the_server_is_refused_and_not_cached(repo: Repo, tmp_path: Path) -> None:
    victim = repo.jars[1]
    data = bytearray(repo.file(victim).read_bytes())
    data[1000] ^= 0xFF  # same size, one byte changed
    repo.file(victim).write_bytes(bytes(data))
    lib = tmp_path / "cache"
    with pytest.raises(kafka_local.KafkaError) as err:
        _fetch(repo, lib)
    message = str(err.value)
    assert victim.name in message and victim.sha256 in message
    assert hashlib.sha256(bytes(data)).hexdigest() in message
    assert victim.name not in _cache(lib)
    assert not [n for n in _cache(lib) if n.endswith(".part")]  # no half-written file left behind
    assert all(n in {j.name for j in repo.jars} for n in _cache(lib))


def test_a_truncated_jar_from_the_server_is_refused(repo: Repo, tmp_path: Path) -> None:
    victim = repo.jars[0]
    repo.file(victim).write_bytes(repo.file(victim).read_bytes()[:-100])
    lib = tmp_path / "cache"
    with pytest.raises(kafka_local.KafkaError, match=rf"{victim.name}.*truncated.*{victim.size}"):
        _fetch(repo, lib)
    assert victim.name not in _cache(lib)
    assert not [n for n in _cache(lib) if n.endswith(".part")]


def test_a_corrupted_jar_in_the_cache_is_removed_and_fetched_again(repo: Repo, tmp_path: Path) -> None:
    lib = tmp_path / "cache"
    _fetch(repo, lib)
    victim = repo.jars[1]
    cached = lib / victim.name
    data = bytearray(cached.read_bytes())
    data[-1] ^= 0x01  # same size: only the hash (the stamp's mtime sends us to it) tells
    cached.write_bytes(bytes(data))
    got = _fetch(repo, lib)
    assert got.jars == 1 and got.bytes == victim.size
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == victim.sha256


def test_a_corrupted_cache_is_refused_when_the_server_cannot_repair_it(repo: Repo, tmp_path: Path) -> None:
    lib = tmp_path / "cache"
    _fetch(repo, lib)
    victim = repo.jars[0]
    (lib / victim.name).write_bytes(b"not a jar")
    repo.file(victim).write_bytes(b"not a jar either")
    with pytest.raises(kafka_local.KafkaError, match=victim.name):
        _fetch(repo, lib)
    assert not (lib / victim.name).exists()  # removed, so the broker never loads it


def test_jars_the_lock_does_not_list_leave_the_cache(repo: Repo, tmp_path: Path) -> None:
    lib = tmp_path / "cache"
    _fetch(repo, lib)
    (lib / "kafka_2.13-3.9.0.jar").write_bytes(b"an older broker")  # would sit on the classpath
    _fetch(repo, lib)
    assert _cache(lib) == sorted(j.name for j in repo.jars)


def test_a_missing_jar_on_the_server_names_it(repo: Repo, tmp_path: Path) -> None:
    victim = repo.jars[2]
    repo.file(victim).unlink()
    with pytest.raises(kafka_local.KafkaError, match=rf"{victim.name}.*HTTP 404"):
        _fetch(repo, tmp_path / "cache")


def test_lock_round_trips_and_refuses_a_malformed_line(repo: Repo, tmp_path: Path) -> None:
    assert kafka_jars.read_lock(repo.lock).jars == tuple(repo.jars)
    bad = tmp_path / "bad.lock"
    bad.write_text(repo.lock.read_text() + "org.x:y:1\tpath/y-1.jar\tnot-a-size\tabc\n")
    with pytest.raises(kafka_local.KafkaError, match=r"bad\.lock:\d+"):
        kafka_jars.read_lock(bad)


def test_the_shipped_lock_is_made_from_the_shipped_pom() -> None:
    """A pom.xml edited without `finsentry kafka lock` afterwards fails here."""
    lock = kafka_jars.read_lock()
    assert lock.pom_sha256 == kafka_jars.pom_sha256()
    coordinates = {j.coordinates for j in lock.jars}
    assert f"org.apache.kafka:kafka_2.13:{kafka_local.kafka_version()}" in coordinates
    assert all(
        j.path.endswith(j.name) and j.path.startswith(j.coordinates.split(":")[0].replace(".", "/")) for j in lock.jars
    )


@pytest.mark.skipif(shutil.which("mvn") is None, reason="regenerating the lock needs Maven (maintainers only)")
def test_maven_resolves_exactly_the_shipped_lock() -> None:
    """What `finsentry kafka lock` would write today is what is committed."""
    assert kafka_jars.generate_lock() == kafka_jars.read_lock()

"""Everything the server writes under its data dir is readable by its own user only: folders 0700,
files 0600 (the databases and their -wal/-shm files, the queue, generated keys, stored uploads)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from echome.private_files import private_dir, private_file

from ..conftest import make_settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the common default, under which files come out 0644 unless made private
    yield
    os.umask(old)


@pytest.fixture
def fresh_services(tmp_path: Path, usual_umask: None) -> Iterator[Any]:
    from echome.bootstrap import build_services
    from echome.db.migrate import upgrade

    services = build_services(make_settings(tmp_path, database_url=None))
    upgrade(services.engine)  # writes the database (and its WAL) for real
    yield services
    services.close()


def test_a_new_data_dir_is_private(fresh_services: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    services = fresh_services
    key = services.storage.put("uploads", "user-1", "catalog.csv", b"sku,name\n1,Tea\n")
    services.queue.enqueue("job-1")
    services.keystore.check()

    assert mode(data) == 0o700
    for name in ("echome.db", "queue.db"):
        assert mode(data / name) == 0o600, name
        for side in ("-wal", "-shm"):
            if (data / (name + side)).exists():
                assert mode(data / (name + side)) == 0o600, name + side
    assert mode(data / "keys") == 0o700
    assert mode(data / "keys" / "master.key") == 0o600
    assert mode(data / "keys" / "session.key") == 0o600
    stored = data / "files" / key
    assert mode(stored) == 0o600
    for folder in (data / "files", data / "files" / "uploads", stored.parent):
        assert mode(folder) == 0o700, folder
    loose = [p for p in data.rglob("*") if p.is_file() and mode(p) & 0o077 and "chroma" not in p.parts]
    assert not loose, loose


def test_a_database_made_readable_by_others_is_tightened(tmp_path: Path, usual_umask: None) -> None:
    from echome.db.session import make_engine

    db = tmp_path / "old" / "echome.db"
    db.parent.mkdir()
    db.touch(mode=0o644)
    os.chmod(db, 0o644)  # as earlier versions left it
    make_engine(f"sqlite:///{db}").dispose()
    assert mode(db) == 0o600


def test_existing_folders_keep_their_mode(tmp_path: Path, usual_umask: None) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    private_file(shared / "a" / "b" / "x.db")
    assert mode(shared) == 0o755  # not ours to change
    assert mode(shared / "a") == 0o700 and mode(shared / "a" / "b") == 0o700
    assert mode(shared / "a" / "b" / "x.db") == 0o600
    assert private_dir(shared / "a") == shared / "a"

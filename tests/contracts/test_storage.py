"""One storage contract, run against the local backend and S3 (a local moto S3 server)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from echome.storage import FileStorage, StorageError
from echome.storage.local import LocalStorage


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server_mod = pytest.importorskip("moto.server")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FileStorage:
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    endpoint = request.getfixturevalue("s3_endpoint")
    for key, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    import boto3

    from echome.storage.s3 import S3Storage

    bucket = f"echome-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    return S3Storage(bucket=bucket, prefix="tenant-data", endpoint_url=endpoint, region="us-east-1")


def test_put_get_exists_delete(storage: FileStorage) -> None:
    key = storage.put("uploads", "user1", "catalog.csv", b"sku,name\n1,Chair\n")
    assert key == "uploads/user1/catalog.csv"
    assert storage.exists(key)
    assert storage.get(key) == b"sku,name\n1,Chair\n"
    assert storage.delete(key) is True
    assert not storage.exists(key)
    assert storage.delete(key) is False


def test_streams_and_overwrites(storage: FileStorage) -> None:
    big = bytes(range(256)) * 20_000  # 5 MB, more than one chunk
    key = storage.put("audio", "user1", "talk.wav", io.BytesIO(big))
    assert storage.get(key) == big
    storage.put("audio", "user1", "talk.wav", b"short")
    assert storage.get(key) == b"short"


def test_listing_is_per_kind_and_owner(storage: FileStorage) -> None:
    storage.put("uploads", "user1", "a.csv", b"a")
    storage.put("uploads", "user1", "sub/b.pdf", b"b")
    storage.put("uploads", "user2", "c.csv", b"c")
    storage.put("audio", "user1", "d.wav", b"d")
    assert storage.list("uploads", "user1") == ["uploads/user1/a.csv", "uploads/user1/sub/b.pdf"]
    assert storage.list("uploads", "user2") == ["uploads/user2/c.csv"]
    assert storage.list("uploads", "user3") == []


def test_local_copy_gives_a_real_file(storage: FileStorage) -> None:
    key = storage.put("uploads", "user1", "x.txt", b"hello")
    with storage.local_copy(key) as path:
        assert path.read_bytes() == b"hello" and path.suffix == ".txt"


@pytest.mark.parametrize(
    "kind,owner,name",
    [
        ("uploads", "user1", "../user2/secret.csv"),
        ("uploads", "../etc", "passwd"),
        ("../x", "user1", "a"),
        ("uploads", "user1", "/abs/path"),
        ("uploads", "user1", ""),
        ("uploads", "user1", "a//b"),
    ],
)
def test_keys_cannot_escape_their_folder(storage: FileStorage, kind: str, owner: str, name: str) -> None:
    with pytest.raises(StorageError):
        storage.put(kind, owner, name, b"x")


def test_missing_files_raise_storage_error(storage: FileStorage) -> None:
    with pytest.raises(StorageError):
        storage.get("uploads/user1/none.csv")
    with pytest.raises(StorageError), storage.local_copy("uploads/user1/none.csv"):
        pass


def test_health_check(storage: Any) -> None:
    storage.check()
    assert storage.list("system", "health") == []

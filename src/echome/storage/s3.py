"""S3 (or any S3-compatible server) storage. Needs `pip install 'echome[s3]'`."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from echome.storage.base import StorageError, safe_key


class S3Storage:
    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        if client is None:
            try:
                import boto3
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise StorageError("S3 storage needs boto3: pip install 'echome[s3]'") from exc
            client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _obj(self, key: str) -> str:
        kind, user_id, name = key.split("/", 2)
        safe_key(kind, user_id, name)
        return self.prefix + key

    def _errors(self) -> tuple[type[BaseException], ...]:
        from botocore.exceptions import BotoCoreError, ClientError

        return (BotoCoreError, ClientError)

    def put(self, kind: str, user_id: str, name: str, data: bytes | BinaryIO) -> str:
        key = safe_key(kind, user_id, name)
        body: Any = data
        if isinstance(data, bytes | bytearray):
            import io

            body = io.BytesIO(data)
        try:
            self.client.upload_fileobj(body, self.bucket, self.prefix + key)
        except self._errors() as exc:
            raise StorageError(f"S3 upload failed: {exc}") from None
        return key

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._obj(key))["Body"].read()
        except self._errors() as exc:
            raise StorageError(f"no such file: {key} ({type(exc).__name__})") from None

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._obj(key))
            return True
        except ClientError:
            return False

    def delete(self, key: str) -> bool:
        existed = self.exists(key)
        if existed:
            self.client.delete_object(Bucket=self.bucket, Key=self._obj(key))
        return existed

    def list(self, kind: str, user_id: str) -> list[str]:
        base = safe_key(kind, user_id, "x").rsplit("/", 1)[0] + "/"
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + base):
            keys.extend(o["Key"][len(self.prefix) :] for o in page.get("Contents", []))
        return sorted(keys)

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        suffix = Path(key).suffix
        with tempfile.TemporaryDirectory(prefix="echome-s3-") as tmp:
            path = Path(tmp) / f"file{suffix}"
            try:
                self.client.download_file(self.bucket, self._obj(key), str(path))
            except self._errors() as exc:
                raise StorageError(f"no such file: {key} ({type(exc).__name__})") from None
            yield path

    def check(self) -> None:
        key = self.put("system", "health", f"health-{uuid.uuid4().hex}", b"ok")
        if self.get(key) != b"ok":
            raise StorageError("read back different bytes")
        self.delete(key)

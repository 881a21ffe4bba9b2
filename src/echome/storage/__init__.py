"""File storage: `{kind}/{user_id}/{name}` on local disk or S3."""

from echome.storage.base import FileStorage, StorageError, safe_key

__all__ = ["FileStorage", "StorageError", "safe_key"]

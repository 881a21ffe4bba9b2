"""One seller signed in to a real app on its own SQLite file (for tests that run whole jobs)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient


@contextmanager
def seller_client(tmp_path: Path, sqlite_template: Path, **settings: Any) -> Iterator[tuple[Any, Any, Any]]:
    """(client with the seller's bearer token, services, user json); `settings` override the defaults."""
    from echome.app.main import create_app
    from echome.bootstrap import build_services

    from ..conftest import make_settings

    db = tmp_path / "echome.db"
    db.write_bytes(sqlite_template.read_bytes())
    services = build_services(make_settings(tmp_path, database_url=f"sqlite:///{db}", **settings))
    try:
        with TestClient(create_app(services, run_worker=False), base_url="http://testserver") as c:
            r = c.post("/api/auth/signup", json={"email": "seller@example.com", "password": "correct horse"})
            assert r.status_code == 201, r.text
            csrf = {"X-CSRF-Token": r.headers["x-csrf-token"]}  # a cookie-authenticated write
            token = c.post("/api/auth/tokens", json={"name": "t"}, headers=csrf).json()["token"]
            c.headers["Authorization"] = f"Bearer {token}"
            yield c, services, r.json()
    finally:
        services.close()

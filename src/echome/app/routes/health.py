"""`/api/health`: 200 only when every component this process depends on is usable."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from echome import __version__
from echome.app.deps import ServicesDep
from echome.bootstrap import Services
from echome.jobs import store as job_store
from echome.secrets.redact import redact

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    status: Literal["ok", "error"]
    version: str
    components: dict[str, dict[str, Any]] = Field(
        description="Per component: status (ok | error), ms, and a backend name or the error"
    )


def _probe(fn: Any) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        detail = fn() or {}
        status = {"status": "ok", **detail}
    except Exception as exc:
        status = {"status": "error", "error": redact(f"{type(exc).__name__}: {exc}")[:300]}
    status["ms"] = round((time.perf_counter() - start) * 1000, 1)
    return status


def check_components(services: Services) -> dict[str, dict[str, Any]]:
    s = services.settings

    def database() -> dict[str, Any]:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"backend": services.engine.dialect.name}

    def queue() -> dict[str, Any]:
        services.queue.check()
        with services.sessions() as db:
            workers = job_store.live_workers(db, within=timedelta(seconds=max(30.0, 3 * s.job_lease_seconds)))
        return {"backend": services.queue.backend, "workers": len(workers)}

    def storage() -> dict[str, Any]:
        services.storage.check()
        return {"backend": services.storage.name}

    def secrets() -> dict[str, Any]:
        services.keystore.check()
        return {}

    def rate_limits() -> dict[str, Any]:
        services.ratelimiter.check()
        return {"backend": services.ratelimiter.name}

    components = {
        "database": _probe(database),
        "queue": _probe(queue),
        "storage": _probe(storage),
        "secrets": _probe(secrets),
        "rate_limits": _probe(rate_limits),
    }
    for name, probe in services.health_probes.items():
        components[name] = _probe(probe)
    return components


@router.get(
    "/api/health",
    summary="Status of every component",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "A component is not usable"}},
)
def health(services: ServicesDep) -> JSONResponse:
    components = check_components(services)
    ok = all(c["status"] == "ok" for c in components.values())
    return JSONResponse(
        {"status": "ok" if ok else "error", "version": __version__, "components": components},
        status_code=200 if ok else 503,
    )

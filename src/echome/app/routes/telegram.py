"""`POST /webhook/telegram/{persona_id}`: Telegram delivers updates here.

It checks the secret token, records the update with its job and answers at once; the answer itself
is made by a worker. A repeated update_id (Telegram retries) is acknowledged and not queued again.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from echome.app.deps import ServicesDep
from echome.channels.telegram.inbox import UpdateRejected

router = APIRouter(tags=["telegram"])
SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_UPDATE_BYTES = 1024 * 1024


@router.post("/webhook/telegram/{persona_id}", summary="Telegram webhook (secret token required)")
async def telegram_webhook(persona_id: str, request: Request, services: ServicesDep) -> JSONResponse:
    if not services.telegram_inbox.check_secret(persona_id, request.headers.get(SECRET_HEADER)):
        return JSONResponse(
            {"error": "forbidden", "detail": "wrong or missing secret token"}, status_code=403
        )
    body = await request.body()
    if len(body) > MAX_UPDATE_BYTES:
        return JSONResponse({"error": "too_large", "detail": "update too large"}, status_code=413)
    try:
        update = json.loads(body)
    except ValueError:
        return JSONResponse({"error": "bad_request", "detail": "the body is not JSON"}, status_code=400)
    try:
        # A short database write: run it off the event loop so other requests keep flowing.
        status, job_id = await run_in_threadpool(
            services.telegram_inbox.record, persona_id=persona_id, update=update
        )
    except UpdateRejected as exc:
        return JSONResponse({"error": "rejected", "detail": str(exc)}, status_code=exc.status)
    return JSONResponse({"ok": True, "status": status, "job_id": job_id})

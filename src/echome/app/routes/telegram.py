"""`POST /webhook/telegram/{persona_id}`: Telegram delivers updates here.

It checks the secret token, records the update with its job and answers at once; the answer itself
is made by a worker. A repeated update_id (Telegram retries) is acknowledged and not queued again.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from echome.app.deps import ServicesDep
from echome.app.errors import error_docs, error_response
from echome.channels.telegram.inbox import UpdateRejected

router = APIRouter(tags=["telegram"])
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024
_UPDATE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "A Telegram Update (https://core.telegram.org/bots/api#update)",
                "properties": {"update_id": {"type": "integer"}},
                "required": ["update_id"],
            }
        }
    },
}


@router.post(
    "/webhook/telegram/{persona_id}",
    summary="Telegram webhook (secret token required)",
    openapi_extra={"requestBody": _UPDATE_BODY},
    responses={
        200: {"description": "Recorded (or a repeat of an update already recorded)"},
        **error_docs(400, 403, 404, 413),
    },
)
async def telegram_webhook(
    persona_id: str,
    request: Request,
    services: ServicesDep,
    secret: Annotated[
        str | None,
        Header(alias=SECRET_HEADER, description="The secret_token set with setWebhook"),
    ] = None,
) -> JSONResponse:
    # Any header value is compared as bytes: non-ASCII or oversized is a wrong secret, not a crash.
    if not services.telegram_inbox.check_secret(persona_id, secret):
        return error_response(403, "wrong or missing secret token")
    body = await request.body()
    if len(body) > MAX_UPDATE_BYTES:
        return error_response(413, "update too large")
    try:
        update = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        return error_response(400, "the body is not JSON", "invalid_json")
    update_id = update.get("update_id") if isinstance(update, dict) else None
    if isinstance(update_id, int) and not 0 <= update_id < 2**63:  # Telegram's: positive, 64-bit
        return error_response(400, "update_id out of range", "rejected")
    try:
        # A short database write: run it off the event loop so other requests keep flowing.
        status, job_id = await run_in_threadpool(
            services.telegram_inbox.record, persona_id=persona_id, update=update
        )
    except UpdateRejected as exc:
        return error_response(exc.status, str(exc), "rejected")
    return JSONResponse({"ok": True, "status": status, "job_id": job_id})

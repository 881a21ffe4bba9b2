"""Test chat: the seller asks their persona what a customer would, and sees the answer with its
sources, what the safety check changed and the voice note; each answer can be rated (thumbs up or
down, a comment, a better answer) for evaluation.

The page calls the same answer stage as `POST /api/chat` and every channel (`Answerer.answer`), as
one test customer per persona (channel "test"), so a test answer is logged like a real one: Home's
"A first test answer" step and the Conversations inbox read it from there."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from echome.answer import memory
from echome.answer.feedback import FeedbackError, check_verdict, feedback_for, record_feedback
from echome.answer.pipeline import MAX_QUESTION_CHARS, AnswerError
from echome.db.models import Client, Conversation, Message, Persona
from echome.web.context import ChatTools
from echome.web.deps import PageDb, PageError, Seller, check_form, persona_of
from echome.web.forms import Form, PostedForm
from echome.web.message_view import MessageView, message_view
from echome.web.onboarding import step_next
from echome.web.render import render
from echome.web.routes_conversations import audio_url
from echome.web.shell import persona_url, render_shell

router = APIRouter(prefix="/app/personas/{persona_id}/chat", include_in_schema=False)

TEST_CHANNEL = "test"
SHOWN = 60  # the newest messages of the test conversation


def chat_tools(request: Request) -> ChatTools:
    tools: ChatTools | None = request.app.state.web.chat
    if tools is None:
        raise PageError(
            503, "Test chat is not available", "This Echo Me was started without its answer stage."
        )
    return tools


def _test_client(db: Session, user_id: str, persona: Persona) -> Client | None:
    return db.scalar(
        select(Client).where(
            Client.user_id == user_id, Client.channel == TEST_CHANNEL, Client.external_id == persona.id
        )
    )


def _thread(db: Session, user_id: str, persona: Persona) -> list[Message]:
    """The test conversation's newest messages, oldest first."""
    client = _test_client(db, user_id, persona)
    if client is None:
        return []
    conv = db.scalar(
        select(Conversation.id)
        .where(Conversation.client_id == client.id, Conversation.persona_id == persona.id)
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(1)
    )
    if conv is None:
        return []
    rows = db.scalars(
        select(Message)
        .where(Message.conversation_id == conv, Message.user_id == user_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(SHOWN)
    ).all()
    return list(reversed(rows))


def _views(db: Session, user_id: str, persona: Persona, rows: list[Message]) -> list[MessageView]:
    rated = feedback_for(db, user_id, [m.id for m in rows if m.role == "assistant"])
    return [message_view(m, audio_url=audio_url(persona, m.id), feedback=rated.get(m.id)) for m in rows]


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _page(
    request: Request,
    db: Session,
    seller: Any,
    persona: Persona,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    feedback_errors: dict[str, dict[str, str]] | None = None,
    feedback_values: dict[str, dict[str, str]] | None = None,
    next_url: str | None = None,
) -> Response:
    rows = _thread(db, seller.user.id, persona)
    return render_shell(
        request,
        db,
        seller,
        "pages/chat.html",
        persona=persona,
        section="chat",
        status_code=status_code,
        messages=_views(db, seller.user.id, persona, rows),
        after=rows[-1].id if rows else "",
        values=values,
        errors=errors,
        feedback_errors=feedback_errors or {},
        feedback_values=feedback_values or {},
        base=persona_url(persona, "/chat"),
        max_question=MAX_QUESTION_CHARS,
        catalog_href=persona_url(persona, "/catalog"),
        next_url=next_url,
    )


@router.get("")
def chat_page(persona_id: str, request: Request, seller: Seller, db: PageDb) -> Response:
    persona = persona_of(db, seller.user.id, persona_id)
    question = request.query_params.get("q", "")[:MAX_QUESTION_CHARS].replace("\x00", "")
    return _page(request, db, seller, persona, values={"message": question, "voice": True}, errors={})


def _question_error(question: str) -> str | None:
    if not question:
        return "Type a question, as a customer would ask it."
    if len(question) > MAX_QUESTION_CHARS:
        return f"Keep the question under {MAX_QUESTION_CHARS:,} characters (it has {len(question):,})."
    return None


@router.post("")
def ask(persona_id: str, request: Request, seller: Seller, db: PageDb, form: PostedForm) -> Response:
    check_form(request, seller, form.get("csrf_token"))
    persona = persona_of(db, seller.user.id, persona_id)
    tools = chat_tools(request)
    question = form.text("message").strip()
    voice = form.get("voice") == "on"
    htmx = bool(request.headers.get("hx-request"))
    after = form.text("after", limit=64)
    next_url = step_next(form.get("next"), persona_id=persona.id)  # the guided setup's step
    error = _question_error(question)
    rows = _thread(db, seller.user.id, persona)
    last = rows[-1].id if rows else ""
    # A double submit: the question was answered since this form was shown; show that answer again.
    repeated = bool(after != last and any(m.role == "user" and _same(m.content, question) for m in rows[-2:]))
    if error is None and not repeated:
        db.close()  # the answer stage opens its own sessions; keep none idle across a model call
        try:
            tools.answerer().answer(
                user_id=seller.user.id,
                persona_id=persona.id,
                question=question,
                channel=TEST_CHANNEL,
                client_ref=persona.id,
                voice=voice,
            )
        except AnswerError as exc:
            error = str(exc)[:1].upper() + str(exc)[1:] + "."
    values = {"message": question, "voice": voice}
    if error:
        if htmx:
            response = render(
                request,
                "partials/chat_form.html",
                persona=persona,
                values=values,
                errors={"message": error},
                after=last,
                base=persona_url(persona, "/chat"),
                max_question=MAX_QUESTION_CHARS,
                next_url=next_url,
            )
            response.headers.update({"HX-Retarget": "#chat-form", "HX-Reswap": "outerHTML"})
            return response
        return _page(
            request,
            db,
            seller,
            persona,
            values=values,
            errors={"message": error},
            status_code=422,
            next_url=next_url,
        )
    if next_url and htmx:  # the guided setup's step: reloaded, so its stepper shows the step done
        return Response(status_code=204, headers={"HX-Redirect": next_url})
    if not htmx:
        return RedirectResponse(next_url or persona_url(persona, "/chat") + "#latest", status_code=303)
    rows = _thread(db, seller.user.id, persona)
    ids = [m.id for m in rows]
    new = rows[ids.index(after) + 1 :] if after in ids else rows[-2:]
    return render(
        request,
        "partials/chat_turn.html",
        persona=persona,
        messages=_views(db, seller.user.id, persona, new),
        base=persona_url(persona, "/chat"),
        feedback_errors={},
        feedback_values={},
    )


@router.post("/restart")
def restart(persona_id: str, request: Request, seller: Seller, db: PageDb, form: PostedForm) -> Response:
    """A new test conversation: the persona forgets what the test customer said so far."""
    check_form(request, seller, form.get("csrf_token"))
    persona = persona_of(db, seller.user.id, persona_id)
    client = _test_client(db, seller.user.id, persona)
    if client is not None and _thread(db, seller.user.id, persona):
        memory.start_over(db, client, persona_id=persona.id)
        db.commit()
    return RedirectResponse(persona_url(persona, "/chat"), status_code=303)


def _feedback_input(form: Form) -> dict[str, str]:
    return {
        "rating": form.text("rating", limit=10),
        "comment": form.text("comment"),
        "corrected": form.text("corrected"),
    }


@router.post("/answers/{message_id}/feedback")
def rate(
    persona_id: str, message_id: str, request: Request, seller: Seller, db: PageDb, form: PostedForm
) -> Response:
    check_form(request, seller, form.get("csrf_token"))
    persona = persona_of(db, seller.user.id, persona_id)
    given = _feedback_input(form)
    htmx = bool(request.headers.get("hx-request"))
    errors: dict[str, str] = {}
    try:
        verdict = check_verdict(given["rating"], given["comment"], given["corrected"])
        record_feedback(
            db, user_id=seller.user.id, persona_id=persona.id, message_id=message_id, verdict=verdict
        )
        db.commit()
    except FeedbackError as exc:
        db.rollback()
        if not exc.field:
            raise PageError(
                404, "Answer not found", "There is no answer with this address among yours."
            ) from None
        errors = {exc.field: str(exc)}
    if not errors and not htmx:
        return RedirectResponse(persona_url(persona, "/chat") + f"#m-{message_id}", status_code=303)
    if not htmx:
        return _page(
            request,
            db,
            seller,
            persona,
            values={"message": "", "voice": True},
            errors={},
            status_code=422,
            feedback_errors={message_id: errors},
            feedback_values={message_id: given},
        )
    saved = feedback_for(db, seller.user.id, [message_id]).get(message_id)
    return render(
        request,
        "partials/chat_feedback.html",
        persona=persona,
        message_id=message_id,
        feedback=saved,
        errors=errors,
        given=given if errors else None,
        base=persona_url(persona, "/chat"),
        just_saved=not errors,
    )

"""The Persona and Voice pages over HTTP, on seeded recordings (the browser suite adds a real one)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from echome.db.models import Job, Persona, PersonaMedia, PersonaProfile, Transcript, VoiceConsent
from echome.db.session import transaction
from echome.media.audio import encode, load_audio
from echome.persona import profile as profiles
from echome.web.persona_media import speech_url
from tests.support.web_pages import HTML
from tests.support.web_pages import csrf_token as _token
from tests.support.web_pages import sign_up as _sign_up

SPEECH = Path("/work/shared/eval/speech/librivox")
SHORT = SPEECH / "sense_and_sensibility_01_austen_64kb-0880.wav"  # 3 s, 96 KB
LONGER = SPEECH / "sense_and_sensibility_01_austen_64kb-0870.wav"  # 7 s, 227 KB
UPLOAD_LIMIT = 150_000


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Any:
    from tests.conftest import make_settings

    return make_settings(tmp_path, database_url=database_url, max_media_upload_bytes=UPLOAD_LIMIT)


def _seed(services: Any, client: Any, pid: str) -> dict[str, Any]:
    """A ready recording with two speakers and a measured profile whose quotes point into it."""
    if not SHORT.exists():
        pytest.skip("the shared speech clips are missing")
    uid = client.get("/api/auth/me").json()["id"]
    flac = encode(load_audio(SHORT), 16_000, codec="flac")
    key = services.storage.put("media-audio", uid, "seed.flac", flac)
    with transaction(services.sessions) as db:
        media = PersonaMedia(
            user_id=uid, persona_id=pid, kind="upload", source="shop-talk.wav", title="shop-talk.wav",
            status="ready", duration_seconds=3.0, audio_key=key,
        )  # fmt: skip
        db.add(media)
        db.flush()
        segments = [
            {"start": 0.0, "end": 2.9, "text": "Oh yes, I'd love to, said Marianne.", "speaker": "S1"},
            {"start": 2.9, "end": 3.0, "text": "Mm.", "speaker": "S2"},
        ]
        db.add(
            Transcript(
                user_id=uid, media_id=media.id, model="tiny.en", language="en", text="...",
                segments=segments, seller_speaker="S1",
                speakers={"speakers": [{"id": "S1", "share": 0.97}, {"id": "S2", "share": 0.03}]},
            )
        )  # fmt: skip
        persona = db.get(Persona, pid)
        assert persona is not None
        profile = profiles.load_profile(db, persona)
        auto = {
            "summary": {"speech_minutes": 0.05},
            "greeting": {
                "text": "Oh yes",
                "count": 1,
                "evidence": [
                    {"start": 0.1, "end": 0.6, "text": "Oh yes, I'd love to.", "media_id": media.id}
                ],
            },
            "speaking_rate_wpm_overall": 142.0,
            "formality": {"label": "casual", "score": 0.31},
            "selling": {"approach": ["consultative"]},
        }
        profiles.save(db, profile, auto=auto, change="media added: shop-talk.wav")
        media_id = media.id
    return {"uid": uid, "media_id": media_id}


def _page(client: Any, pid: str, suffix: str = "/persona") -> str:
    r = client.get(f"/app/personas/{pid}{suffix}", headers=HTML)
    assert r.status_code == 200, r.text
    return r.text


def _version(html: str) -> str:
    found = re.search(r'name="expected_version" value="(\d+)"', html)
    assert found
    return found.group(1)


def _profile(services: Any, pid: str) -> PersonaProfile:
    with services.sessions() as db:
        row = db.scalar(select(PersonaProfile).where(PersonaProfile.persona_id == pid))
        assert row is not None
        db.expunge(row)
        return row


def test_traits_show_measured_values_with_playable_quotes(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    seed = _seed(services, client, pid)
    html = _page(client, pid)
    assert "142 wpm" in html and "casual (0.31 of 1)" in html and "consultative" in html
    assert "natural (your own rates)" in html  # a setting nobody chose yet says what applies
    assert "“Oh yes, I&#39;d love to.”" in html
    clip = re.search(r'href="(/app/personas/[^"]+/clip\?[^"]+)" data-play', html)
    assert clip and seed["media_id"] in clip.group(1)
    audio = client.get(clip.group(1).replace("&amp;", "&"))
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/ogg"
    assert audio.content[:4] == b"OggS" and len(audio.content) > 1000
    # The speakers found, each with a sample to listen to, the guessed one marked.
    assert "Speaker S1" in html and "Speaker S2" in html and "Our guess" in html
    assert 'value="all"' in html and "They are all me" in html  # one voice heard as two
    assert "You are Ana" in html  # the instructions every answer starts from


def test_another_seller_gets_404_for_pages_clips_and_jobs(app: Any, client: Any, services: Any) -> None:
    pid = _sign_up(client)
    seed = _seed(services, client, pid)
    with TestClient(app, base_url="http://testserver") as other:
        _sign_up(other, "bo@example.com", "Bo")
        mine = _page(client, pid, "/voice")
        for url in (
            f"/app/personas/{pid}/persona",
            f"/app/personas/{pid}/voice",
            f"/app/personas/{pid}/media/{seed['media_id']}/clip?start=0&end=1",
        ):
            r = other.get(url, headers=HTML)
            assert r.status_code == 404 and "Ana" not in r.text, url
        token = _token(_page(other, other.get("/api/personas").json()[0]["id"], "/persona"))
        r = other.post(
            f"/app/personas/{pid}/persona/fields/role", data={"value": "x", "csrf_token": token}, headers=HTML
        )
        assert r.status_code == 404
        # The first seller's signed speech address is not the second's.
        say = re.search(r'src="(/app/personas/[^"]+/voice/speech\?[^"]+)"', mine)
        assert say and other.get(say.group(1).replace("&amp;", "&")).status_code == 404


def test_editing_a_trait_changes_the_prompt_and_bad_values_stay_next_to_the_field(
    client: Any, services: Any
) -> None:
    pid = _sign_up(client)
    _seed(services, client, pid)
    html = _page(client, pid)
    token, version = _token(html), _version(html)
    url = f"/app/personas/{pid}/persona/fields"
    r = client.post(
        f"{url}/role",
        data={"value": "owner of a linen shop", "expected_version": version, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "done=saved" in r.headers["location"]
    html = client.get(r.headers["location"], headers=HTML).text
    assert (
        "You are Ana, owner of a linen shop." in html and "Saved. Your persona now uses your value." in html
    )
    assert _profile(services, pid).manual_overrides == {"role": "owner of a linen shop"}
    version = _version(html)
    bad = client.post(
        f"{url}/speaking_rate_wpm_overall",
        data={"value": "quite fast", "expected_version": version, "csrf_token": token},
        headers=HTML,
    )
    assert bad.status_code == 422
    assert 'id="f-speaking_rate_wpm_overall-error"' in bad.text and "Type a number" in bad.text
    assert 'value="quite fast"' in bad.text  # what was typed is kept
    too_long = client.post(
        f"{url}/role",
        data={"value": "x" * 301, "expected_version": version, "csrf_token": token},
        headers=HTML,
    )
    assert too_long.status_code == 422 and "Role is longer than 300 characters." in too_long.text
    selling = client.post(
        f"{url}/selling",
        data={
            "choice-urgency": "1",
            "choice-storyteller": "1",
            "expected_version": version,
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert selling.status_code == 303
    assert _profile(services, pid).manual_overrides["selling"] == {"approach": ["urgency", "storyteller"]}


def test_a_stale_tab_gets_a_conflict_not_a_silent_overwrite(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    _seed(services, client, pid)
    html = _page(client, pid)
    token, stale = _token(html), _version(html)  # two tabs opened the page at the same version
    url = f"/app/personas/{pid}/persona/fields"
    first = {"value": "warm and calm", "expected_version": stale, "csrf_token": token}
    assert client.post(f"{url}/tone", data=first, follow_redirects=False).status_code == 303
    second = client.post(
        f"{url}/tone", data={"value": "loud", "expected_version": stale, "csrf_token": token}, headers=HTML
    )
    assert second.status_code == 409
    assert "Not saved: this persona changed meanwhile" in second.text and 'value="loud"' in second.text
    assert _profile(services, pid).manual_overrides == {"tone": {"energy": "warm and calm"}}
    # The first tab's form sent twice (a double click): the second does nothing, and is no conflict.
    again = client.post(f"{url}/tone", data=first, follow_redirects=False)
    assert again.status_code == 303
    assert _profile(services, pid).version == int(stale) + 1
    # Saving from the refreshed page works.
    fresh = _version(second.text)
    ok = client.post(
        f"{url}/tone",
        data={"value": "loud", "expected_version": fresh, "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and _profile(services, pid).manual_overrides == {"tone": {"energy": "loud"}}


def test_reset_history_diff_and_restore(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    _seed(services, client, pid)
    html = _page(client, pid)
    token = _token(html)
    base = f"/app/personas/{pid}/persona"
    data = {"value": "Hi there!", "expected_version": _version(html), "csrf_token": token}
    assert client.post(f"{base}/fields/greeting", data=data, follow_redirects=False).status_code == 303
    with_greeting = _profile(services, pid).version
    html = _page(client, pid)
    r = client.post(
        f"{base}/fields/greeting/reset",
        data={"expected_version": _version(html), "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and _profile(services, pid).manual_overrides == {}
    changes = _page(client, pid, f"/persona?changes={with_greeting}")
    assert f"What version {with_greeting} changed" in changes
    assert "<del>Oh yes</del>" in changes and "<ins>Hi there!</ins>" in changes
    html = _page(client, pid)
    restore = {"expected_version": _version(html), "csrf_token": token}
    r = client.post(f"{base}/versions/{with_greeting}/restore", data=restore, follow_redirects=False)
    assert r.status_code == 303
    after = _profile(services, pid)
    assert after.manual_overrides == {"greeting": "Hi there!"} and after.version == with_greeting + 2
    # Sent twice: already what it holds, no new version.
    client.post(f"{base}/versions/{with_greeting}/restore", data=restore, follow_redirects=False)
    assert _profile(services, pid).version == after.version
    assert client.post(f"{base}/versions/999/restore", data=restore, headers=HTML).status_code == 404


def test_state_changing_forms_need_the_session_token(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    seed = _seed(services, client, pid)
    base = f"/app/personas/{pid}"
    before = _profile(services, pid).version
    for url in (
        f"{base}/persona/fields/role",
        f"{base}/persona/fields/greeting/reset",
        f"{base}/persona/versions/1/restore",
        f"{base}/persona/recordings/{seed['media_id']}/speaker",
        f"{base}/voice/build",
    ):
        r = client.post(url, data={"value": "x", "speaker": "S2", "csrf_token": "forged"}, headers=HTML)
        assert r.status_code == 403 and "This request was refused" in r.text, url
    r = client.post(
        f"{base}/voice/media/upload",
        data={"urls": "https://example.com/v", "consent": "1"},
        headers=HTML,
    )
    assert r.status_code == 403
    assert _profile(services, pid).version == before
    with services.sessions() as db:
        assert db.scalar(select(Job.id).where(Job.user_id == seed["uid"])) is None


def test_choosing_the_speaker_re_measures_the_persona(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    seed = _seed(services, client, pid)
    token = _token(_page(client, pid))
    url = f"/app/personas/{pid}/persona/recordings/{seed['media_id']}/speaker"
    bad = client.post(url, data={"speaker": "S9", "csrf_token": token}, headers=HTML)
    assert bad.status_code == 422 and "Choose one of the speakers" in bad.text
    r = client.post(url, data={"speaker": "S2", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and "done=speaker" in r.headers["location"]
    with services.sessions() as db:
        tr = db.scalar(select(Transcript).where(Transcript.media_id == seed["media_id"]))
        assert tr is not None and (tr.seller_speaker, tr.speaker_chosen_by) == ("S2", "seller")
        jobs = list(db.scalars(select(Job).where(Job.kind == "persona.analyse")))
    assert len(jobs) == 1 and jobs[0].payload["persona_id"] == pid
    client.post(url, data={"speaker": "S2", "csrf_token": token}, follow_redirects=False)  # again
    with services.sessions() as db:
        assert len(list(db.scalars(select(Job).where(Job.kind == "persona.analyse")))) == 1
    html = _page(client, pid)
    assert "You, chosen by you" in html and "Measuring your speaking style" in html
    assert f"/jobs/{jobs[0].id}/events?page=persona" in html  # followed live


def test_adding_recordings_needs_consent_and_records_it(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    html = _page(client, pid, "/voice")
    token, nonce = _token(html), re.search(r'name="form_nonce" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    url = f"/app/personas/{pid}/voice/media/upload"
    wav = SHORT.read_bytes()
    files = {"files": ("me talking.wav", wav, "audio/wav")}
    r = client.post(url, data={"csrf_token": token, "form_nonce": nonce}, files=files, headers=HTML)
    assert r.status_code == 422 and 'id="f-consent-error"' in r.text and "Tick this box" in r.text
    nothing = client.post(url, data={"csrf_token": token, "consent": "1"}, headers=HTML)
    assert nothing.status_code == 422 and 'id="f-urls-error"' in nothing.text
    bad_url = client.post(url, data={"csrf_token": token, "consent": "1", "urls": "ftp://x"}, headers=HTML)
    assert bad_url.status_code == 422 and "not a web address" in bad_url.text and "ftp://x" in bad_url.text
    text = client.post(
        url, data={"csrf_token": token, "consent": "1"}, files={"files": ("notes.txt", b"hi", "text/plain")},
        headers=HTML,
    )  # fmt: skip
    assert text.status_code == 422 and "not an audio or video file" in text.text
    big = client.post(
        url, data={"csrf_token": token, "consent": "1"},
        files={"files": ("long.wav", LONGER.read_bytes(), "audio/wav")}, headers=HTML,
    )  # fmt: skip
    assert big.status_code == 422
    assert 'id="f-files-error"' in big.text and "long.wav: larger than the 146 KB limit." in big.text
    ok_data = {"csrf_token": token, "consent": "1", "form_nonce": nonce}
    ok = client.post(url, data=ok_data, files=files, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].endswith("/voice?done=added#progress")
    again = client.post(url, data=ok_data, files=files, follow_redirects=False)  # a double submit
    assert again.status_code == 303
    with services.sessions() as db:
        media = list(db.scalars(select(PersonaMedia).where(PersonaMedia.persona_id == pid)))
        consents = list(db.scalars(select(VoiceConsent).where(VoiceConsent.persona_id == pid)))
    assert [m.title for m in media] == ["me_talking.wav"] and media[0].status == "pending"
    assert len(consents) == 1 and consents[0].media_ids == [media[0].id]
    assert consents[0].client.startswith("web ") and consents[0].confirmed_by == "ana@example.com"
    html = _page(client, pid, "/voice")
    assert "Listening to your recordings" in html and f"/jobs/{media[0].job_id}/events?page=voice" in html
    assert "Confirmed by ana@example.com" in html and consents[0].statement in html


def test_job_progress_streams_as_html_until_the_end(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    seed = _seed(services, client, pid)
    with transaction(services.sessions) as db:
        job = Job(
            user_id=seed["uid"], kind="persona.media", payload={"persona_id": pid}, status="failed",
            progress=40, stage="downloading", error="the video is private",
        )  # fmt: skip
        db.add(job)
        db.flush()
        db.get(PersonaMedia, seed["media_id"]).job_id = job.id  # type: ignore[union-attr]
        job_id = job.id
    with client.stream("GET", f"/app/personas/{pid}/jobs/{job_id}/events?page=voice") as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        body = "".join(r.iter_text())
    assert body.startswith("event: end\n") and "This did not work" in body and "the video is private" in body
    assert "What to do:" in body and 'href="/app/personas/' in body
    assert all(line.startswith(("event:", "data:")) for line in body.splitlines() if line)
    assert client.get(f"/app/personas/{pid}/jobs/{'0' * 32}/events", headers=HTML).status_code == 404


def test_voice_page_compares_the_sellers_sentence_and_says_typed_text(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    _seed(services, client, pid)
    html = _page(client, pid, "/voice?say=Hello%20there")
    assert "“Oh yes, I&#39;d love to, said Marianne.”" in html  # the seller's own sentence
    sources = re.findall(r'<audio controls preload="none" src="([^"]+)"', html)
    assert len(sources) == 3  # said text, the seller's clip, the voice saying the same sentence
    said = sources[0].replace("&amp;", "&")
    assert "/voice/speech?text=Hello+there&sig=" in said
    forged = said.replace("Hello+there", "Buy+now")
    assert client.get(forged, headers=HTML).status_code == 403
    too_long = _page(client, pid, "/voice?say=" + "a" * 600)
    assert (
        "Keep it under 500 characters" in too_long
        and "/voice/speech?" not in too_long.split("Say this")[1][:3000]
    )
    assert client.get(sources[1].replace("&amp;", "&")).headers["content-type"] == "audio/ogg"


def test_speech_is_spoken_in_the_personas_voice(client: Any) -> None:
    pid = _sign_up(client)
    html = _page(client, pid, "/voice?say=Thanks%20for%20your%20order!")
    said = re.search(r'src="(/app/personas/[^"]+/voice/speech\?[^"]+)"', html)
    assert said
    r = client.get(said.group(1).replace("&amp;", "&"))
    assert r.status_code == 200 and r.headers["content-type"] == "audio/ogg" and r.content[:4] == b"OggS"


def test_signed_speech_addresses_belong_to_their_session() -> None:
    assert speech_url("a", "p", "hi") != speech_url("b", "p", "hi") != speech_url("a", "p", "ho")


@pytest.mark.parametrize(
    "auto",
    [
        {"tone": {}},  # measured traits, no summary
        {"tone": {}, "summary": "3 minutes"},  # a summary of the wrong shape
        {"tone": "calm", "formality": "formal", "summary": {"speech_minutes": "3"}},
        {"greeting": {"text": "Hi", "evidence": [{"start": "x", "text": 5}]}, "catchphrases": [None, 3]},
    ],
)
def test_a_profile_of_any_shape_still_shows_its_page(
    client: Any, services: Any, auto: dict[str, Any]
) -> None:
    """Profiles written by older versions, or edited by hand, must not break the page."""
    pid = _sign_up(client)
    with transaction(services.sessions) as db:
        persona = db.get(Persona, pid)
        assert persona is not None
        profiles.save(db, profiles.load_profile(db, persona), auto=auto, change="older shape")
    assert "Who you are" in _page(client, pid)


def _voice_card(html: str) -> str:
    return html.split('id="voice-title"')[1].split('id="consent-title"')[0]


def test_voice_page_says_how_good_the_voice_is_in_plain_words(client: Any, services: Any) -> None:
    pid = _sign_up(client)
    built = {"params": {"pitch": 1.0}, "samples": 9, "sample_seconds": 19.5, "built_at": "2025-01-02T10:00"}
    quality = {
        "grade": "poor",
        "seconds": 19.5,
        "snr_db": 8.2,
        "best_available": True,
        "reasons": ["some pieces are right next to another person talking", "there is background noise"],
    }
    poor = [
        "Poor",
        "best available speech",
        "Some pieces are right next to another person talking.",
        "There is background noise.",
        "talking on your own in a quiet place",
    ]
    good = {**quality, "grade": "good", "best_available": False, "reasons": []}
    shapes = [
        ({**built, "quality": quality}, poor),
        ({**built, "quality": good}, ["Good", "clear speech of you", "clean stretches of your speech"]),
        (built, ["clean stretches of your speech"]),  # built before voices were graded
        ({**built, "quality": {"grade": "excellent", "reasons": "all of them"}}, ["clean stretches"]),
        ({**built, "quality": ["poor"]}, ["clean stretches"]),
        ({**built, "samples": 1}, ["1 clean stretch of your speech"]),
    ]
    for settings, expected in shapes:
        with transaction(services.sessions) as db:
            persona = db.get(Persona, pid)
            assert persona is not None
            persona.voice_provider, persona.voice_id, persona.voice_settings = "local", "piper:joe", settings
        card = _voice_card(_page(client, pid, "/voice"))
        for text in expected:
            assert text in card, (text, settings)
        graded = isinstance(settings.get("quality"), dict) and settings["quality"].get("grade") == "poor"
        assert ("Quality" in card) == (graded or "Good" in expected)
        assert ("quiet place" in card) == graded

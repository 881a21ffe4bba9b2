"""Profile overrides, the merged profile, versions, diff and restore — through the API."""

from __future__ import annotations

from typing import Any

from echome.db.models import Persona
from echome.db.session import transaction
from echome.persona import profile as profiles

MEASURED_V1 = {
    "speaking_rate_wpm": 171.4,
    "fillers": [{"text": "you know", "count": 4, "per_minute": 2.1}],
    "tone": {"energy": "energetic", "sentiment": 0.41},
    "catchphrases": [{"text": "let me show you", "count": 3}],
}
MEASURED_V2 = {**MEASURED_V1, "speaking_rate_wpm": 158.0, "tone": {"energy": "moderate", "sentiment": 0.3}}


def _measure(services: Any, persona_id: str, auto: dict[str, Any], change: str) -> None:
    """What the media job does after analysis: save measured traits as a new version."""
    with transaction(services.sessions) as db:
        prof = profiles.load_profile(db, db.get(Persona, persona_id))
        profiles.save(db, prof, auto=auto, change=change)


def test_overrides_merge_version_diff_restore(client: Any, services: Any, make_seller: Any) -> None:
    headers, _ = make_seller()
    pid = client.post("/api/personas", json={"name": "Sam"}, headers=headers).json()["id"]
    base = f"/api/personas/{pid}/profile"
    empty = client.get(base, headers=headers).json()
    assert empty["version"] == 0 and empty["merged"] == {}

    _measure(services, pid, MEASURED_V1, "media added: intro.mp4")
    r = client.patch(
        f"{base}/overrides",
        json={"tone": {"energy": "calm"}, "role": "Owner of a linen shop", "speaking_rate_wpm": 150},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["version"] == 2
    assert view["merged"]["tone"] == {"energy": "calm", "sentiment": 0.41}  # dicts merge key by key
    assert view["merged"]["speaking_rate_wpm"] == 150 and view["auto_extracted"]["speaking_rate_wpm"] == 171.4
    assert view["merged"]["role"] == "Owner of a linen shop"
    assert view["overridden_fields"] == ["role", "speaking_rate_wpm", "tone"]

    # more media: the measured part changes, the seller's overrides do not
    _measure(services, pid, MEASURED_V2, "media added: demo.mp4")
    view = client.get(base, headers=headers).json()
    assert view["version"] == 3 and view["auto_extracted"]["speaking_rate_wpm"] == 158.0
    assert view["merged"]["speaking_rate_wpm"] == 150 and view["merged"]["tone"]["energy"] == "calm"
    assert view["merged"]["tone"]["sentiment"] == 0.3

    # deleting an override restores the measured value
    r = client.delete(f"{base}/overrides/speaking_rate_wpm", headers=headers)
    assert r.status_code == 200 and r.json()["merged"]["speaking_rate_wpm"] == 158.0
    assert client.delete(f"{base}/overrides/nope", headers=headers).status_code == 404
    assert client.get(f"{base}/merged", headers=headers).json()["speaking_rate_wpm"] == 158.0

    versions = client.get(f"{base}/versions", headers=headers).json()
    assert [v["version"] for v in versions] == [4, 3, 2, 1]
    assert versions[-1]["change"] == "media added: intro.mp4" and versions[0]["change"].startswith(
        "override removed"
    )

    d = client.get(f"{base}/diff", params={"from": 1, "to": 4}, headers=headers).json()
    changes = {c["path"]: c for c in d["changes"]}
    assert changes["speaking_rate_wpm"]["before"] == 171.4 and changes["speaking_rate_wpm"]["after"] == 158.0
    assert changes["tone.energy"]["after"] == "calm" and changes["role"]["change"] == "added"
    assert "fillers" not in changes

    r = client.post(f"{base}/versions/2/restore", headers=headers)
    assert r.status_code == 200
    view = r.json()
    assert view["version"] == 5 and view["merged"]["speaking_rate_wpm"] == 150
    assert view["auto_extracted"]["speaking_rate_wpm"] == 171.4
    assert client.get(f"{base}/versions/2", headers=headers).json()["merged"] == view["merged"]
    assert client.post(f"{base}/versions/99/restore", headers=headers).status_code == 404

    # replace everything; another seller cannot see or edit this profile
    r = client.put(f"{base}/overrides", json={}, headers=headers)
    assert r.json()["merged"] == r.json()["auto_extracted"] and r.json()["version"] == 6
    other, _ = make_seller()
    assert client.get(base, headers=other).status_code == 404
    assert client.patch(f"{base}/overrides", json={"role": "x"}, headers=other).status_code == 404


def test_override_validation(client: Any, make_seller: Any) -> None:
    headers, _ = make_seller()
    pid = client.post("/api/personas", json={"name": "Sam"}, headers=headers).json()["id"]
    base = f"/api/personas/{pid}/profile"
    deep = {"a": {"b": {"c": {"d": {"e": 1}}}}}
    assert client.put(f"{base}/overrides", json=deep, headers=headers).status_code == 422
    assert client.put(f"{base}/overrides", json={"_x": 1}, headers=headers).status_code == 422
    assert client.put(f"{base}/overrides", json=[1, 2], headers=headers).status_code == 422
    assert client.get(base, headers=headers).json()["version"] == 0  # nothing saved by bad input


def test_overrides_are_checked_against_the_profile_schema(
    client: Any, services: Any, make_seller: Any
) -> None:
    headers, _ = make_seller()
    pid = client.post("/api/personas", json={"name": "Sam"}, headers=headers).json()["id"]
    base = f"/api/personas/{pid}/profile"
    for method in (client.put, client.patch):
        r = method(f"{base}/overrides", json={"tonne": "calm"}, headers=headers)
        assert r.status_code == 422 and r.json()["error"] == "invalid_request"
        detail = r.json()["detail"]
        assert "unknown profile field 'tonne'" in detail and "tone" in detail and "greeting" in detail
        r = method(f"{base}/overrides", json={"tone": 5}, headers=headers)
        assert r.status_code == 422 and "'tone'" in r.json()["detail"]
        assert "must be a string or an object, not a number" in r.json()["detail"]
        r = method(f"{base}/overrides", json={"personality_traits": "warm"}, headers=headers)
        assert r.status_code == 422 and "personality_traits must be a list" in r.json()["detail"]
    assert client.get(base, headers=headers).json()["version"] == 0  # nothing saved by bad input

    r = client.patch(
        f"{base}/overrides", json={"tone": {"energy": "calm"}, "greeting": "Hey friend!"}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["merged"]["greeting"] == "Hey friend!"

    # a profile stored before the schema existed keeps its other fields, and can still be edited
    with transaction(services.sessions) as db:
        prof = profiles.load_profile(db, db.get(Persona, pid))
        profiles.save(db, prof, overrides={**prof.manual_overrides, "legacy": {"x": 1}}, change="old data")
    view = client.get(base, headers=headers).json()
    assert view["merged"]["legacy"] == {"x": 1}
    r = client.patch(f"{base}/overrides", json={"role": "Owner of a linen shop"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["manual_overrides"]["legacy"] == {"x": 1} and r.json()["merged"]["role"]
    assert client.delete(f"{base}/overrides/legacy", headers=headers).status_code == 200
    restored = client.post(f"{base}/versions/2/restore", headers=headers)  # the version holding it
    assert restored.status_code == 200 and restored.json()["merged"]["legacy"] == {"x": 1}

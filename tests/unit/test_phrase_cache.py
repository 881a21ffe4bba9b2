"""Short sentences a voice says again come from the phrase cache (`echome.voice.phrase_cache`)."""

from __future__ import annotations

import numpy as np
import pytest

from echome.voice import local
from echome.voice.local import LocalVoiceTTS
from echome.voice.phrase_cache import PhraseCache, voice_key


def test_short_sentences_are_kept_least_recently_used_first_out() -> None:
    cache = PhraseCache(max_entries=2, max_seconds=1.0)
    a, b, c = (np.full(100, v, np.float32) for v in (0.1, 0.2, 0.3))
    cache.put("v", ["h", "i"], a, 1000)
    cache.put("v", ["b", "y"], b, 1000)
    assert cache.get("v", ["h", "i"]) is not None  # "hi" is now the most recent
    cache.put("v", ["o", "k"], c, 1000)
    assert cache.get("v", ["b", "y"]) is None and len(cache) == 2
    kept = cache.get("v", ["h", "i"])
    assert kept is not None and not kept.flags.writeable and float(kept[0]) == pytest.approx(0.1)
    a[0] = 9.0  # the caller's array is copied, not shared
    assert float(cache.get("v", ["h", "i"])[0]) == pytest.approx(0.1)  # type: ignore[index]
    cache.put("v", ["l", "o", "n", "g"], np.zeros(1001, np.float32), 1000)  # over max_seconds
    assert cache.get("v", ["l", "o", "n", "g"]) is None
    assert cache.get("other voice", ["h", "i"]) is None
    assert (cache.hits, cache.misses) == (3, 3)


def test_the_voice_key_changes_with_anything_that_shapes_the_voice() -> None:
    base = voice_key("joe.onnx", {"f0_median_hz": 180.0}, None)
    assert base == voice_key("joe.onnx", {"f0_median_hz": 180.0}, None)
    assert base != voice_key("joe.onnx", {"f0_median_hz": 181.0}, None)
    assert base != voice_key("joe.onnx", {"f0_median_hz": 180.0}, 1.1)
    assert base != voice_key("amy.onnx", {"f0_median_hz": 180.0}, None)


@pytest.mark.parametrize("settings", [{}, {"f0_median_hz": 180.0, "formant_ratio": 1.1}])
def test_a_reply_says_its_repeated_sentences_from_the_cache(settings: dict[str, float]) -> None:
    cache = PhraseCache()
    tts = LocalVoiceTTS(phrases=cache)
    long = (
        "The canvas tote is 49 dollars, holds a fifteen inch laptop, comes in navy, sand and olive, "
        "and ships within two working days from our warehouse."
    )
    first, sr = tts.render(f"Hi! {long} Anything else?", settings)
    assert len(cache) == 2  # "Hi!" and "Anything else?": the long sentence is not kept
    second, _ = tts.render("Hi! The linen shirt is 30 dollars, in white or sand. Anything else?", settings)
    assert cache.hits == 2
    voice = local.load_piper()
    hi = cache.get(voice_key(str(local.default_model_path()), settings, None), voice.phonemize("Hi!")[0])
    assert hi is not None and np.array_equal(first[: hi.size], hi) and np.array_equal(second[: hi.size], hi)
    assert sr == voice.config.sample_rate and second.dtype == np.float32
    assert 2.0 < second.size / sr < 12.0
    plain = LocalVoiceTTS()  # no cache: every sentence said afresh
    assert plain.phrases is None and plain.render("Hi!", settings)[0].size > 0

"""How often general English says a word or phrase, and whether a speaker says it clearly more often.

Rates come from `wordfreq` (offline word lists shipped inside the package; Apache-2.0 code, CC BY-SA data):
its English list blends subtitles, conversation (Reddit, Twitter), books, news and Wikipedia, so spoken and
written registers both count. A phrase's rate is wordfreq's own estimate from its words' rates
(1 / rate = sum of 1 / word rate): never above its rarest word's rate, so it over-estimates how often a
phrase is said and the test below stays conservative for phrases.

A speaker over-uses a word or phrase when both hold:

- effect size: observed count >= `ratio` x expected count (expected = words spoken x English rate);
  single words need 10x (one Zipf point: register differences between speech and the mixed reference,
  "gonna" or "yeah", stay below that), phrases 3x (their expected rate is already an upper estimate);
- significance: Dunning's log-likelihood G2 >= 10.83 (chi-squared, 1 degree of freedom, p < 0.001), the
  usual keyword test of corpus linguistics, so that a few chance repeats in a long transcript do not count.

`LOW_CONFIDENCE`: a recognised word whose Whisper probability is below 0.5 was, by the recogniser's own
estimate, more likely something else than what it wrote; such words make neither signature words nor
catchphrases (Whisper's word probability is the mean probability of the word's tokens).
"""

from __future__ import annotations

import math
from functools import lru_cache

LOW_CONFIDENCE = 0.5
WORD_RATIO = 10.0
PHRASE_RATIO = 3.0
G2_CRITICAL = 10.83  # chi-squared, 1 df, p < 0.001
RATE_FLOOR = 1e-8  # words missing from the list: rarer than anything listed (Zipf 1)


@lru_cache(maxsize=65_536)
def english_rate(text: str) -> float:
    """Occurrences per word of running English text (a phrase: wordfreq's estimate from its words)."""
    from wordfreq import word_frequency

    return max(float(word_frequency(text, "en")), RATE_FLOOR)


def log_likelihood(count: int, total: int, rate: float) -> float:
    """Dunning's G2 of `count` in `total` words against an expected `rate`; 0 when not above expected."""
    expected = total * rate
    if count <= expected or total <= 0:
        return 0.0
    g2 = count * math.log(count / expected)
    rest, rest_expected = total - count, total - expected
    if rest > 0 and rest_expected > 0:
        g2 += rest * math.log(rest / rest_expected)
    return 2 * g2


def over_used(count: int, total: int, text: str, *, ratio: float) -> float:
    """G2 score when `text`, said `count` times in `total` words, is clearly more frequent than in
    general English (see the module docstring); 0.0 when it is not."""
    rate = english_rate(text)
    if total <= 0 or count < ratio * total * rate:
        return 0.0
    g2 = log_likelihood(count, total, rate)
    return g2 if g2 >= G2_CRITICAL else 0.0

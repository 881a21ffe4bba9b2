"""Verbal habits in one speaker's sentences: filler words, repeated catchphrases and signature words.

`analyse.py` turns segments into `Token`s and `Sentence`s (see `style.py`); the detectors here return token
spans (inclusive index pairs) that it turns into evidence. `name_words` finds the names that catchphrases
and signature words must not contain.

Catchphrases and signature words are the seller's own only when (see `frequency.py` for the figures):
they are said clearly more often than general English would predict; every word of each counted use was
recognised with confidence (Whisper word probability >= `LOW_CONFIDENCE`); they hold no topic word of the
seller's catalog (`topic`: product names and categories, plural/singular forms alike); and, when the
seller gave two or more recordings, they occur in at least two of them (`rec_of_seg`: each segment's
recording), so that one video's subject or one misheard passage does not become a habit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from echome.persona import lexicon as lx
from echome.persona.frequency import LOW_CONFIDENCE, PHRASE_RATIO, WORD_RATIO, over_used
from echome.persona.style import Sentence, Token, display, is_common, span

_COMMA = re.compile(r"[,;\u2013\u2014]")


# -- fillers ------------------------------------------------------------------------------------------
def find_fillers(sents: list[Sentence], toks: list[Token]) -> dict[str, list[tuple[int, int]]]:
    """Filler spans by canonical filler. "um"/"uh" and "basically"/"literally" count anywhere; other
    markers only in filler positions: at the start of a sentence (after any earlier fillers) or set off by
    commas ("like": ", like," / "like," not after "I'd"/"looks" / sentence-initial before "it's", "so"...;
    "you know": followed by a comma or ending the sentence, not after "do"/"if"/"as"; "so": sentence-initial
    before a comma or a pronoun/determiner; "kind of"/"sort of": not after "what"/"this"/"a"...)."""
    found: dict[str, list[tuple[int, int]]] = {}

    def comma_after(j: int) -> bool:
        return bool(_COMMA.search(toks[j].after))

    for s in sents:
        at_start = True
        j = s.lo
        while j <= s.hi:
            w = toks[j].norm
            prev = toks[j - 1].norm if j > s.lo else ""
            nxt = toks[j + 1].norm if j < s.hi else ""
            comma_before = j > s.lo and comma_after(j - 1)
            key, width = None, 1
            if w in lx.HESITATIONS:
                key = lx.HESITATIONS[w]
            elif w in lx.ALWAYS_FILLER_ADVERBS:
                key = w
            elif w in ("actually", "honestly", "seriously", "obviously", "anyway"):
                if at_start or (comma_before and comma_after(j)):
                    key = w
            elif w in lx.DISCOURSE_FILLERS:
                if at_start and (comma_after(j) or nxt in ("so", "um", "uh", "then", "now", "guys", "let's")):
                    key = "okay" if w == "ok" else w
            elif w == "like":
                if (
                    (comma_before and comma_after(j))
                    or (comma_after(j) and prev not in lx.LIKE_VERB_CONTEXT)
                    or (at_start and j > s.lo)
                    or (at_start and nxt in lx.LIKE_FILLER_NEXT)
                ):
                    key = "like"
            elif w == "you" and nxt == "know" and prev not in lx.YOU_KNOW_CLAUSE_CONTEXT:
                if comma_after(j + 1) or j + 1 == s.hi:
                    key, width = "you know", 2
            elif w == "i" and nxt == "mean" and (at_start or comma_before) and (comma_after(j + 1)):
                key, width = "i mean", 2
            elif w == "you" and nxt == "see" and at_start and comma_after(j + 1):
                key, width = "you see", 2
            elif w == "so" and at_start and (comma_after(j) or nxt in lx.SO_DISCOURSE_NEXT):
                key = "so"
            elif (
                w in ("kind", "sort")
                and nxt == "of"
                and prev
                and prev not in lx.KIND_OF_NOUN_CONTEXT
                and j + 1 < s.hi
                and toks[j + 2].norm not in lx.KIND_OF_NOUN_CONTEXT
            ):
                key, width = w + " of", 2
            if key:
                found.setdefault(key, []).append((j, j + width - 1))
            at_start = at_start and key is not None
            j += width
    return found


# -- catchphrases -------------------------------------------------------------------------------------
_BAD_END = lx.BAD_PHRASE_END | lx.S_CONTRACTIONS | {"i'm", "you're", "we're", "they're"}
# Common phrases and every 2+ word stretch of them ("you so much" from "thank you so much").
_COMMON_FRAGMENTS = frozenset(
    " ".join(words[i:j])
    for words in (p.split() for p in lx.COMMON_PHRASES)
    for i in range(len(words))
    for j in range(i + 2, len(words) + 1)
)


def _min_recordings(rec_of_seg: Sequence[int] | None) -> int:
    return 2 if rec_of_seg and max(rec_of_seg) >= 1 else 1


def is_topic(word: str, topic: frozenset[str]) -> bool:
    """Whether `word` (normalised) is a catalog topic word, in the singular or the plural."""
    if not topic or word in lx.STOPWORDS:
        return False
    forms = {word, word + "s", word + "es"}
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    return not forms.isdisjoint(topic)


def find_catchphrases(
    sents: list[Sentence],
    toks: list[Token],
    names: set[str],
    n_words: int,
    *,
    rec_of_seg: Sequence[int] | None = None,
    topic: frozenset[str] = frozenset(),
) -> list[dict]:
    """Repeated 2-6 word expressions within sentences, best first (at most ten).

    Kept when said in at least two sentences (and two recordings, see the module docstring) and at least
    3 times (2-word) or 2 times (longer), raised to 1 + words // 2500 for long transcripts, and said clearly
    more often than general English predicts. Uses holding a low-confidence word do not count. Dropped when
    it is a common English phrase or part of one, only function words, starts or ends mid-phrase ("and
    the", "love the"), holds digits, hesitations, names or catalog topic words, or is a 2-word pair with a
    function word. Phrases made only of common words need 3+ words and 3+ uses unless they are known
    spoken catchphrases.
    Score = count * (1 + (n - 2) / 2) * (1 + uncommon words) * (2 if known);
    a phrase said mostly inside a longer kept phrase is dropped."""
    counts: Counter[tuple[str, ...]] = Counter()
    in_sents: Counter[tuple[str, ...]] = Counter()  # sentences containing the n-gram
    in_recs: Counter[tuple[str, ...]] = Counter()  # recordings containing the n-gram
    rec_grams: dict[int, set[tuple[str, ...]]] = {}
    for s in sents:
        words = s.norm.split(" ")
        unsure = [i for i in range(len(words)) if toks[s.lo + i].prob < LOW_CONFIDENCE]
        grams = [
            tuple(words[i : i + n])
            for n in range(2, 7)
            for i in range(len(words) - n + 1)
            if not any(i <= u < i + n for u in unsure)
        ]
        counts.update(grams)
        in_sents.update(set(grams))
        rec = rec_of_seg[toks[s.lo].seg] if rec_of_seg else 0
        rec_grams.setdefault(rec, set()).update(grams)
    for grams in rec_grams.values():
        in_recs.update(grams)
    min_recs = _min_recordings(rec_of_seg)
    scale = 1 + n_words // 2500
    cands: dict[tuple[str, ...], float] = {}
    for gram, c in counts.items():
        n = len(gram)
        if (
            c < max(3 if n == 2 else 2, scale)
            or in_sents[gram] < 2
            or gram[0] in lx.BAD_PHRASE_START
            or gram[-1] in _BAD_END
        ):
            continue
        phrase = " ".join(gram)
        known = phrase in lx.KNOWN_CATCHPHRASES
        if not known and phrase in _COMMON_FRAGMENTS:
            continue
        if len(set(gram)) == 1 or any(
            w in lx.HESITATIONS or w in lx.BACKCHANNELS or any(ch.isdigit() for ch in w) for w in gram
        ):
            continue
        if all(w in lx.STOPWORDS for w in gram) or any(w in names or is_topic(w, topic) for w in gram):
            continue
        if in_recs[gram] < min_recs or not over_used(c, n_words, phrase, ratio=PHRASE_RATIO):
            continue
        rare = sum(not is_common(w) for w in gram)
        if not known and rare == 0 and (n < 3 or c < max(3, scale + 1)):
            continue  # every word common: only longer phrases said at least three times
        if not known and n == 2 and (gram[0] in lx.STOPWORDS or gram[1] in lx.STOPWORDS):
            continue  # "it merino": a topic word with a function word
        cands[gram] = c * (1 + 0.5 * (n - 2)) * (1 + rare) * (2 if known else 1)
    kept: list[tuple[str, ...]] = []
    for gram in sorted(cands, key=lambda g: (-len(g), -cands[g])):
        n = len(gram)
        covered = any(
            len(k) > n
            and counts[k] >= 0.6 * counts[gram]
            and any(k[i : i + n] == gram for i in range(len(k) - n + 1))
            for k in kept
        )
        if not covered:
            kept.append(gram)
    kept.sort(key=lambda g: -cands[g])
    out: list[dict] = []
    for gram in kept[:10]:
        pattern = re.compile(r"(?<!\S)" + re.escape(" ".join(gram)) + r"(?!\S)")
        spans = [span(s, m) for s in sents for m in pattern.finditer(s.norm)]
        spans = [
            (lo, hi) for lo, hi in spans if all(toks[i].prob >= LOW_CONFIDENCE for i in range(lo, hi + 1))
        ]
        out.append({"text": display(gram), "count": counts[gram], "spans": spans})
    return out


def find_signature_words(
    toks: list[Token],
    names: set[str],
    *,
    rec_of_seg: Sequence[int] | None = None,
    topic: frozenset[str] = frozenset(),
    limit: int = 10,
) -> list[tuple[str, list[int]]]:
    """Words the speaker favours, most used first: (word, token indices of its confident uses).

    A word of 3+ letters counts when it is not a common-English, hesitation, slang, name or catalog topic
    word; only its uses recognised with confidence count. Kept when used at least max(2, 1 + words // 1500)
    times (in two recordings when there are several) and clearly more often than in general English."""
    n_words = len(toks)
    uses: dict[str, list[int]] = {}
    for i, t in enumerate(toks):
        w = t.norm
        if t.prob < LOW_CONFIDENCE or len(w) < 3 or not (w.isalpha() or "'" in w):
            continue
        if w in lx.HESITATIONS or w in lx.SLANG or w in names or is_common(w) or is_topic(w, topic):
            continue
        uses.setdefault(w, []).append(i)
    min_count, min_recs = max(2, 1 + n_words // 1500), _min_recordings(rec_of_seg)
    scored = []
    for w, idx in uses.items():
        if len(idx) < min_count:
            continue
        if rec_of_seg and len({rec_of_seg[toks[i].seg] for i in idx}) < min_recs:
            continue
        g2 = over_used(len(idx), n_words, w, ratio=WORD_RATIO)
        if g2 > 0:
            scored.append((-len(idx), -g2, w))
    return [(w, uses[w]) for _, _, w in sorted(scored)[:limit]]


def name_words(toks: list[Token], sents: list[Sentence]) -> set[str]:
    """Words written capitalised mid-sentence most of the time (names), when the text has mixed case."""
    if sum(t.text.islower() for t in toks) < 0.5 * len(toks):
        return set()
    firsts = {s.lo for s in sents}
    caps: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for i, t in enumerate(toks):
        if i in firsts or t.norm == "i" or t.norm.startswith("i'") or not t.text[:1].isalpha():
            continue
        seen[t.norm] += 1
        caps[t.norm] += t.text[0].isupper()
    return {w for w, c in caps.items() if c >= 0.6 * seen[w]}

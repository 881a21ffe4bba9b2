"""The seller's own handoff rules (`chat_settings["handoff_rules"]`), validated when saved:

    [{"keywords": ["wholesale", "invoice"], "reason": "Wholesale or invoice question"},
     {"regex": "\\border\\s*#?\\d{4,}", "reason": "Asks about an existing order"}]

A keyword rule matches any of its phrases as whole words, ignoring case and accents ("Größe"
matches "grosse"). A regex rule is a Python regular expression matched case-insensitively against
the message as written (at most 2,000 characters). Regexes that can take exponential time are
refused when saved: nested quantifiers (`(a+)+`), quantified alternatives that overlap (`(a|ab)*`),
back-references, and anything slow on adversarial probes.
"""

from __future__ import annotations

import functools
import json
import re
import re._constants as sre_c  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
import time
from dataclasses import dataclass
from typing import Any

from echome.handoff.vocabulary import normalise

MAX_RULES = 50
MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 100
MAX_REGEX_CHARS = 300
MAX_REASON_CHARS = 200
MAX_TEXT = 2000  # as many characters as the answer pipeline reads of a message
PROBE_SECONDS = 0.25  # per probe: a rule slower than this on 2,000 characters is refused (quadratic
# patterns like `\d+x` take ~25 ms on 2,000 digits; cubic ones take seconds)
_REPEATS = {sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", sre_c.MAX_REPEAT)}
_NEGATED_CATEGORIES = {
    sre_c.CATEGORY_NOT_DIGIT, sre_c.CATEGORY_NOT_SPACE, sre_c.CATEGORY_NOT_WORD,
    sre_c.CATEGORY_UNI_NOT_DIGIT, sre_c.CATEGORY_UNI_NOT_SPACE, sre_c.CATEGORY_UNI_NOT_WORD,
}  # fmt: skip
_UNBOUNDED = 50  # a repeat allowing more than this many is treated as unbounded


class RuleError(ValueError):
    """A rule the seller wrote cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Rule:
    reason: str
    keywords: tuple[str, ...] = ()
    regex: str | None = None

    def as_dict(self) -> dict[str, Any]:
        if self.regex is not None:
            return {"regex": self.regex, "reason": self.reason}
        return {"keywords": list(self.keywords), "reason": self.reason}


# -- validation ---------------------------------------------------------------------------------
def validate_rules(value: Any) -> list[dict[str, Any]]:
    """The rules as they will be stored, or RuleError naming the first problem."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RuleError("handoff_rules must be a list of rules")
    if len(value) > MAX_RULES:
        raise RuleError(f"at most {MAX_RULES} handoff rules")
    return [_validate_rule(i + 1, item).as_dict() for i, item in enumerate(value)]


def _validate_rule(n: int, item: Any, *, probe: bool = True) -> Rule:
    if not isinstance(item, dict):
        raise RuleError(f"rule {n}: expected an object with keywords or regex, and a reason")
    unknown = set(item) - {"keywords", "regex", "reason"}
    if unknown:
        raise RuleError(f"rule {n}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise RuleError(f"rule {n}: a reason is required (what the seller is told)")
    reason = " ".join(reason.split())
    if len(reason) > MAX_REASON_CHARS:
        raise RuleError(f"rule {n}: the reason is longer than {MAX_REASON_CHARS} characters")
    has_kw, has_rx = "keywords" in item, "regex" in item
    if has_kw == has_rx:
        raise RuleError(f"rule {n}: give either keywords or regex")
    if has_kw:
        return Rule(reason=reason, keywords=_keywords(n, item["keywords"]))
    return Rule(reason=reason, regex=check_regex(item["regex"], label=f"rule {n}", probe=probe))


def _keywords(n: int, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise RuleError(f"rule {n}: keywords must be a non-empty list of words or phrases")
    if len(value) > MAX_KEYWORDS:
        raise RuleError(f"rule {n}: at most {MAX_KEYWORDS} keywords")
    out: list[str] = []
    for k in value:
        if not isinstance(k, str) or not k.strip():
            raise RuleError(f"rule {n}: every keyword must be a non-empty text")
        k = " ".join(k.split())
        if len(k) > MAX_KEYWORD_CHARS:
            raise RuleError(f"rule {n}: a keyword is longer than {MAX_KEYWORD_CHARS} characters")
        if not normalise(k).strip("'-"):
            raise RuleError(f"rule {n}: the keyword {k!r} has no letters or digits")
        if k not in out:
            out.append(k)
    return tuple(out)


def check_regex(pattern: Any, *, label: str = "regex", probe: bool = True) -> str:
    """The pattern when it compiles and is safe to run on any customer message; else RuleError."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise RuleError(f"{label}: the regex is empty")
    if len(pattern) > MAX_REGEX_CHARS:
        raise RuleError(f"{label}: the regex is longer than {MAX_REGEX_CHARS} characters")
    try:
        tree = sre_parse.parse(pattern, re.IGNORECASE)
        compiled = re.compile(pattern, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        raise RuleError(f"{label}: not a valid regular expression ({exc})") from None
    problem = _catastrophic(list(tree), inside_repeat=False)
    if problem is None and _open_wildcards(list(tree)) > 1:
        problem = "it has more than one open-ended wildcard (use `.{0,40}` rather than `.*`)"
    if problem:
        raise RuleError(f"{label}: refused, {problem}; it could take forever on some messages")
    if compiled.search("") is not None or compiled.search(" ") is not None:
        raise RuleError(f"{label}: the regex matches an empty message, so it would hand off everything")
    if probe:
        _probe(compiled, _literals(list(tree)), label)
    return pattern


def _catastrophic(items: list[Any], *, inside_repeat: bool) -> str | None:
    """Why the parsed pattern can backtrack exponentially, or None."""
    for op, av in items:
        if op in _REPEATS:
            _low, high, sub = av
            unbounded = high == sre_c.MAXREPEAT or high > _UNBOUNDED
            if inside_repeat and (unbounded or high > 1):
                return "it repeats something that itself repeats (nested quantifiers)"
            if unbounded or high > 1:
                if _has_overlapping_branch(list(sub)):
                    return "it repeats alternatives that can match the same text"
                found = _catastrophic(list(sub), inside_repeat=True)
            else:
                found = _catastrophic(list(sub), inside_repeat=inside_repeat)
            if found:
                return found
        elif op is sre_c.SUBPATTERN:
            found = _catastrophic(list(av[-1]), inside_repeat=inside_repeat)
            if found:
                return found
        elif op is sre_c.BRANCH:
            for branch in av[1]:
                found = _catastrophic(list(branch), inside_repeat=inside_repeat)
                if found:
                    return found
        elif op in (sre_c.GROUPREF, sre_c.GROUPREF_EXISTS):
            return "it uses back-references"
        elif op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
            found = _catastrophic(list(av[1]), inside_repeat=inside_repeat)
            if found:
                return found
    return None


def _broad(op: Any, av: Any) -> bool:
    """An element matching nearly any character: `.`, `[^x]`, `\\S`, `\\D`, `\\W`."""
    if op in (sre_c.ANY, sre_c.NOT_LITERAL):
        return True
    if op is sre_c.IN:
        for kind, value in av:
            if kind is sre_c.NEGATE or (kind is sre_c.CATEGORY and value in _NEGATED_CATEGORIES):
                return True
    return False


def _open_wildcards(items: list[Any]) -> int:
    """How many unbounded repeats of a broad element the pattern holds (two in sequence make
    matching cubic: `.*x.*y` takes seconds on 2,000 characters)."""
    count = 0
    for op, av in items:
        if op in _REPEATS:
            _low, high, sub = av
            sub = list(sub)
            if (high == sre_c.MAXREPEAT or high > _UNBOUNDED) and len(sub) == 1 and _broad(*sub[0]):
                count += 1
            else:
                count += _open_wildcards(sub)
        elif op is sre_c.SUBPATTERN:
            count += _open_wildcards(list(av[-1]))
        elif op is sre_c.BRANCH:
            count += max((_open_wildcards(list(b)) for b in av[1]), default=0)
    return count


def _literals(items: list[Any]) -> str:
    """The pattern's literal characters in order (the stuff adversarial probes are made of)."""
    out: list[str] = []
    for op, av in items:
        if op is sre_c.LITERAL:
            out.append(chr(av))
        elif op in _REPEATS:
            out.append(_literals(list(av[2])))
        elif op is sre_c.SUBPATTERN:
            out.append(_literals(list(av[-1])))
        elif op is sre_c.BRANCH and av[1]:
            out.append(_literals(list(av[1][0])))
    return "".join(out)


def _has_overlapping_branch(items: list[Any]) -> bool:
    """An alternation directly under a repeat whose branches are not told apart by a distinct
    first literal character (`(cat|dog)+` is fine, `(a|ab)+` and `(\\w|x)+` are not)."""
    for op, av in items:
        if op is sre_c.SUBPATTERN:
            if _has_overlapping_branch(list(av[-1])):
                return True
        elif op is sre_c.BRANCH:
            firsts: list[int] = []
            for branch in av[1]:
                branch = list(branch)
                if not branch or branch[0][0] is not sre_c.LITERAL:
                    return True
                firsts.append(branch[0][1])
            if len(set(firsts)) != len(firsts):
                return True
        elif op is sre_c.IN:
            continue
    return False


def _probe(compiled: re.Pattern[str], literals: str, label: str) -> None:
    """Run the regex on long adversarial messages built from its own characters; refuse a slow one.
    Lengths double, so a pattern of high polynomial cost is refused at a short length, long before
    a probe could run for minutes (exponential ones were refused by `_catastrophic` already)."""
    literals = literals[:40]
    seeds = ["a", " ", "0", "a ", "a0 ", *{literals, literals[:-1], literals[1:]} - {""}, *literals[:6]]
    for length in (100, 150, 225, 340, 500, 750, 1100, 1600, MAX_TEXT):
        for seed in seeds:
            text = (seed * (length // max(1, len(seed)) + 1))[:length]
            for probe in (text, text + "!"):
                t = time.perf_counter()
                compiled.search(probe)
                if time.perf_counter() - t > PROBE_SECONDS:
                    raise RuleError(f"{label}: refused, it is too slow on long messages")


# -- matching -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    pattern: re.Pattern[str]
    on_normalised: bool


def compile_rules(stored: Any) -> list[CompiledRule]:
    """Stored rules ready to match; a stored rule that no longer validates is skipped (it was
    checked when saved; a hand-edited database must not break answering)."""
    if not isinstance(stored, list) or not stored:
        return []
    try:
        key = json.dumps(stored[:MAX_RULES], sort_keys=True)
    except (TypeError, ValueError):
        return []
    return list(_compiled(key))


@functools.lru_cache(maxsize=256)
def _compiled(key: str) -> tuple[CompiledRule, ...]:
    out: list[CompiledRule] = []
    for i, item in enumerate(json.loads(key)):
        try:
            rule = _validate_rule(i + 1, item, probe=False)  # probed when it was saved
        except RuleError:
            continue
        if rule.regex is not None:
            out.append(CompiledRule(rule, re.compile(rule.regex, re.IGNORECASE), on_normalised=False))
        else:
            words = "|".join(re.escape(normalise(k)).replace(r"\ ", r"\s+") for k in rule.keywords)
            out.append(CompiledRule(rule, re.compile(rf"(?<!\w)(?:{words})(?!\w)"), on_normalised=True))
    return tuple(out)


def first_match(rules: list[CompiledRule], text: str) -> tuple[Rule, str] | None:
    """The first rule the message matches, with the text that matched."""
    text = text[:MAX_TEXT]
    norm = normalise(text)
    for r in rules:
        m = r.pattern.search(norm if r.on_normalised else text)
        if m:
            return r.rule, m.group(0)
    return None

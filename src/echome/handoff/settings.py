"""A persona's handoff settings, kept in `personas.chat_settings` beside the web chat's own keys:

    approval_mode              "off" (the persona answers) | "all" (every answer waits for the seller)
    approval_timeout_minutes   how long a draft waits for the seller (1..10080, default 30)
    approval_timeout_action    then: "send_draft" (default) | "holding" (tell the customer it takes longer)
    handoff_timeout_minutes    a handed-off customer with no reply by then is told so (0: never; default 60)
    claimed_timeout_minutes    how long a conversation the seller took ("I'll answer") may go unanswered
                               (0: never; default 60); a reply, a sent draft or a release cancels it
    claimed_timeout_action     then: "holding" (default: the customer is told the seller has their message
                               and will answer; the seller keeps it) | "release" (the persona answers)
    handoff_triggers           the built-in triggers that hand off (default: all of TRIGGERS)
    handoff_rules              the seller's own rules (see `handoff.rules`)
    speak_seller_replies       speak the seller's typed replies in the persona's voice (default false)

Set by the Telegram link (`handoff.link`), never by a settings form: `seller_telegram` (the seller's
own chat with the persona's bot) and `seller_link` (a pending one-time code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from echome.handoff.rules import RuleError, validate_rules

TRIGGERS = (
    "customer_asked",
    "no_evidence",
    "guardrail_cut",
    "discount",
    "custom_order",
    "ready_to_buy",
    "complaint",
)
APPROVAL_MODES = ("off", "all")
APPROVAL_ACTIONS = ("send_draft", "holding")
CLAIMED_ACTIONS = ("holding", "release")
MAX_MINUTES = 7 * 24 * 60
EDITABLE = (
    "approval_mode",
    "approval_timeout_minutes",
    "approval_timeout_action",
    "handoff_timeout_minutes",
    "claimed_timeout_minutes",
    "claimed_timeout_action",
    "handoff_triggers",
    "handoff_rules",
    "speak_seller_replies",
)


class SettingsError(ValueError):
    """A handoff setting that cannot be saved; the message names it and says why."""


@dataclass(frozen=True)
class HandoffSettings:
    approval_mode: str = "off"
    approval_timeout_minutes: int = 30
    approval_timeout_action: str = "send_draft"
    handoff_timeout_minutes: int = 60
    claimed_timeout_minutes: int = 60
    claimed_timeout_action: str = "holding"
    triggers: frozenset[str] = frozenset(TRIGGERS)
    rules: tuple[dict[str, Any], ...] = ()
    speak_seller_replies: bool = False
    seller_chat_id: int | None = None

    @classmethod
    def of(cls, chat_settings: dict[str, Any] | None) -> HandoffSettings:
        """Whatever is stored, read leniently: a value out of range falls back to its default."""
        cs = chat_settings if isinstance(chat_settings, dict) else {}
        d = cls()

        def minutes(key: str, default: int, low: int) -> int:
            v = cs.get(key)
            return (
                v if isinstance(v, int) and not isinstance(v, bool) and low <= v <= MAX_MINUTES else default
            )

        triggers = cs.get("handoff_triggers")
        tg = cs.get("seller_telegram")
        chat_id = tg.get("chat_id") if isinstance(tg, dict) else None
        return cls(
            approval_mode=cs.get("approval_mode")
            if cs.get("approval_mode") in APPROVAL_MODES
            else d.approval_mode,
            approval_timeout_minutes=minutes("approval_timeout_minutes", d.approval_timeout_minutes, 1),
            approval_timeout_action=cs.get("approval_timeout_action")
            if cs.get("approval_timeout_action") in APPROVAL_ACTIONS
            else d.approval_timeout_action,
            handoff_timeout_minutes=minutes("handoff_timeout_minutes", d.handoff_timeout_minutes, 0),
            claimed_timeout_minutes=minutes("claimed_timeout_minutes", d.claimed_timeout_minutes, 0),
            claimed_timeout_action=cs.get("claimed_timeout_action")
            if cs.get("claimed_timeout_action") in CLAIMED_ACTIONS
            else d.claimed_timeout_action,
            triggers=frozenset(t for t in triggers if t in TRIGGERS)
            if isinstance(triggers, list)
            else d.triggers,
            rules=tuple(r for r in cs.get("handoff_rules") or [] if isinstance(r, dict))
            if isinstance(cs.get("handoff_rules"), list)
            else (),
            speak_seller_replies=cs.get("speak_seller_replies") is True,
            seller_chat_id=chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None,
        )

    def public(self) -> dict[str, Any]:
        """The settings as the API shows them (the seller's chat only as linked or not)."""
        return {
            "approval_mode": self.approval_mode,
            "approval_timeout_minutes": self.approval_timeout_minutes,
            "approval_timeout_action": self.approval_timeout_action,
            "handoff_timeout_minutes": self.handoff_timeout_minutes,
            "claimed_timeout_minutes": self.claimed_timeout_minutes,
            "claimed_timeout_action": self.claimed_timeout_action,
            "handoff_triggers": [t for t in TRIGGERS if t in self.triggers],
            "handoff_rules": list(self.rules),
            "speak_seller_replies": self.speak_seller_replies,
            "seller_telegram_linked": self.seller_chat_id is not None,
        }


def validate_settings(patch: Any) -> dict[str, Any]:
    """The editable handoff settings in `patch`, checked and normalised; SettingsError otherwise.
    Keys left out are left as they are."""
    if not isinstance(patch, dict):
        raise SettingsError("expected an object of settings")
    unknown = set(patch) - set(EDITABLE)
    if unknown:
        raise SettingsError(f"unknown handoff setting(s): {', '.join(sorted(map(str, unknown)))}")
    out: dict[str, Any] = {}
    for key, value in patch.items():
        if key == "approval_mode":
            out[key] = _choice(key, value, APPROVAL_MODES)
        elif key == "approval_timeout_action":
            out[key] = _choice(key, value, APPROVAL_ACTIONS)
        elif key == "claimed_timeout_action":
            out[key] = _choice(key, value, CLAIMED_ACTIONS)
        elif key == "approval_timeout_minutes":
            out[key] = _minutes(key, value, low=1)
        elif key in ("handoff_timeout_minutes", "claimed_timeout_minutes"):
            out[key] = _minutes(key, value, low=0)
        elif key == "handoff_triggers":
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                raise SettingsError("handoff_triggers must be a list of trigger names")
            bad = [t for t in value if t not in TRIGGERS]
            if bad:
                raise SettingsError(f"unknown trigger(s) {', '.join(bad)}; known: {', '.join(TRIGGERS)}")
            out[key] = [t for t in TRIGGERS if t in value]
        elif key == "handoff_rules":
            try:
                out[key] = validate_rules(value)
            except RuleError as exc:
                raise SettingsError(str(exc)) from None
        elif key == "speak_seller_replies":
            if not isinstance(value, bool):
                raise SettingsError("speak_seller_replies must be true or false")
            out[key] = value
    return out


def _choice(key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SettingsError(f"{key} must be one of {', '.join(allowed)}")
    return str(value)


def _minutes(key: str, value: Any, *, low: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= MAX_MINUTES:
        raise SettingsError(f"{key} must be a whole number of minutes from {low} to {MAX_MINUTES}")
    return value

"""Messages that ask nothing of the shop: a greeting alone ("Hi!"), thanks or goodbye ("Thanks,
bye!"), an acknowledgement ("OK, great"), "are you a bot?", "can you help me?". They are answered
in kind, never with "we don't carry that" or a hand-off to the seller, in the seven shop languages
(en, de, fr, es, it, nl, pt). A message that also asks something ("Hi! How much is the teapot?") is a
question, not small talk. Asked whether it is a bot, the assistant always says it is the seller's AI
assistant.
"""

from __future__ import annotations

import re

from echome.knowledge.lookup import fold

GREETING, THANKS, ACK, BOT, HELP = "greeting", "thanks", "ack", "bot", "help"

# Pieces of a message that is small talk through and through (accents folded, lowercase).
_GREETINGS = (
    r"hi|hello|hey|hiya|howdy|good (?:morning|afternoon|evening|day)|hallo|guten (?:morgen|tag|abend)|"
    r"servus|moin|gruss gott|bonjour|salut|bonsoir|coucou|hola|buen(?:os|as) (?:dias|tardes|noches)|"
    r"buenas|ciao|buongiorno|buonasera|salve|hoi|goedemorgen|goedemiddag|goedenavond|ola|oi|"
    r"bom dia|boa tarde|boa noite"
)
_THANKS = (
    r"thanks?(?: you)?(?: (?:so|very) much| a lot)?|thx|ty|cheers|much appreciated|bye(?: bye)?|goodbye|"
    r"see you(?: later| soon)?|have a (?:nice|good|great) (?:day|evening|one)|"
    r"danke(?: schon| sehr)?|vielen dank|tschuss|auf wiedersehen|bis bald|"
    r"merci(?: beaucoup)?|au revoir|a bientot|bonne journee|gracias|muchas gracias|adios|hasta luego|"
    r"grazie(?: mille)?|arrivederci|a presto|bedankt|dank (?:je|u)(?: wel)?|tot ziens|doei|"
    r"(?:muito )?obrigad[oa]|tchau|ate logo"
)
_ACKS = (
    r"okay|ok|alright|all right|great|perfect|cool|awesome|nice|sounds good|got it|alles klar|super|gut|"
    r"d'accord|parfait|tres bien|vale|perfecto|genial|de acuerdo|va bene|perfetto|ottimo|prima|oke|"
    r"helder|ta bom|perfeito|otimo|beleza|certo"
)
_PIECE = re.compile(
    rf"(?:(?P<thanks>{_THANKS})|(?P<greeting>{_GREETINGS})|(?P<ack>{_ACKS}))(?: there| all| everyone| again)?"
)
_BETWEEN = re.compile(r"[\s,.!?;:)(\-¡¿]+|\band\b|\bund\b|\bet\b|\by\b|\be\b|\ben\b")
_BOT = re.compile(
    r"\b(?:are you|r u|is this|am i (?:talking|chatting|speaking) (?:to|with))\s+(?:a |an )?(?:real )?"
    r"(?:bot|robot|ai|machine|computer|human|person)\b|"
    r"\b(?:bist du|sind sie)\s+(?:ein(?:e)? )?(?:bot|roboter|ki|mensch|maschine)\b|"
    r"\b(?:es[- ]tu|etes[- ]vous|tu es|vous etes)\s+(?:un |une )?(?:bot|robot|ia|humain|machine)\b|"
    r"\b(?:eres|es usted)\s+(?:un |una )?(?:bot|robot|ia|humano|maquina)\b|"
    r"\b(?:sei|e)\s+(?:un |una )?(?:bot|robot|ia|umano|macchina)\b|"
    r"\b(?:ben je|bent u)\s+(?:een )?(?:bot|robot|ai|mens|machine)\b|"
    r"\b(?:voce e|es)\s+(?:um |uma )?(?:bot|robo|ia|humano|maquina)\b"
)
_HELP = re.compile(
    r"^(?:(?:can|could|would) you (?:please )?help(?: me)?(?: please)?|i need (?:some )?help|help(?: me)?"
    r"(?: please)?|(?:kannst du|konnen sie) mir helfen|(?:pouvez[- ]vous|peux[- ]tu) m'aider|"
    r"(?:puedes|me puede) ayudar(?:me)?|(?:mi puoi|puo) aiutar(?:mi)?|(?:kun je|kunt u) me helpen|"
    r"(?:pode|podes) (?:me )?ajudar(?:-me)?)$"
)


def small_talk(message: str, *, name: str = "") -> str | None:
    """GREETING, THANKS, ACK ("ok, great"), BOT or HELP when the message is only that (perhaps to
    `name`, the persona: "Hi Aki!"), else None."""
    text = " ".join(fold(message).lower().replace("\u2019", "'").split())
    if name.strip():
        text = re.sub(rf"\b{re.escape(fold(name).lower().strip())}\b", " ", text)
    if not text or len(text) > 120:
        return None
    if _BOT.search(text):
        return BOT
    if _HELP.match(text.strip(" .!?¿¡")):
        return HELP
    kinds: set[str] = set()
    at = 0
    while at < len(text):
        gap = _BETWEEN.match(text, at)
        if gap is not None and gap.end() > at:
            at = gap.end()
            continue
        piece = _PIECE.match(text, at)
        if piece is None or (piece.end() < len(text) and text[piece.end()].isalnum()):
            return None  # a word that is not small talk: the message asks something
        kinds.add(next(k for k in (THANKS, GREETING, ACK) if piece.group(k)))
        at = piece.end()
    return next((k for k in (THANKS, GREETING, ACK) if k in kinds), None)

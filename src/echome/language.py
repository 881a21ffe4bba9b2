"""Which of the seven shop languages a shopper writes in: en, de, fr, es, it, nl, pt.

Shopper questions are short ("Quanto costa?", "C'est combien ?") and often carry a product name in
another language ("How much is the Sonnenschirm Sombrano?"), which defeats character n-gram detectors
trained on prose. So each language has a profile of what a question is built from rather than what
it is about:

- question words, verbs of asking and the commonest function words ("wie viel", "combien", "hoeveel",
  "the", "der", "het"), weighted 2, and further function and shop words, weighted 1. A word several
  profiles list ("de", "la", "in", "quanto") has its weight shared among them;
- letters a language writes and the others rarely do ("ß", "ñ", "¿", "ã", "ij"), worth less than a word;
- a few word endings ("-ción", "-ção", "-zione", "-lijk", "-ung"), worth less still.

Product names do not vote at full weight: words in a run of two or more capitalised words that does
not open a sentence ("die Summer Music Festival VIP ticket", "the Kicker Champ Elite") and words in
quotation marks count a quarter; `names` (e.g. the catalog's product names) can be masked outright.

Tie-break: a language wins when it scores at least `MARGIN` above every other. Otherwise, among the
languages within `MARGIN` of the best (or when nothing at all was recognised): the conversation's
`previous` language if it is one of them, else `default` if it is one of them, else the best scorer
(ties in the order of `LANGUAGES`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")
MARGIN = 0.5
STRONG, WEAK, LETTER, ENDING = 2.0, 1.0, 0.6, 0.3
NAME_FACTOR = 0.25  # a word that is probably part of a product name


@dataclass(frozen=True)
class Profile:
    strong: frozenset[str]  # question words, asking verbs, the commonest function words
    words: frozenset[str]  # other function words and shop words
    letters: str  # characters the language writes (shared ones are split among the languages)
    endings: tuple[str, ...]  # word endings and letter groups typical of it


def _split(words: str) -> frozenset[str]:
    return frozenset(words.split())


def _p(strong: str, words: str, letters: str, endings: str) -> Profile:
    return Profile(frozenset(strong.split()), frozenset(words.split()), letters, tuple(endings.split()))


PROFILES: dict[str, Profile] = {
    "en": _p(
        "how what what's which when where why who whose much many does do did don't doesn't is isn't "
        "are aren't can can't could would will the you your there it's have has any cost costs price",
        "a an of for on in to and or with it this that these those my me i i'm we our be get some "
        "at from about than more still also only not yes if so now right here one too very by all buy "
        "order delivery shipping sell sold stock available size sizes colour colours color colors come "
        "comes left please thanks thank hi hello hey return exchange arrive pay send warranty free cheaper "
        "discount card invoice refund pieces ship ships shipped deliver else anything something other",
        "",
        "ing th wh ght",
    ),
    "de": _p(
        "was wie wieviel welche welcher welches welchen welchem wann wo woher wohin warum wieso weshalb "
        "wer gibt gibt's kostet kosten ist sind haben habt hast kann können könnt könnten ich sie "
        "der die das den dem ein eine einen einem einer und oder nicht",
        "viel viele es mit für auf aus bei nach von zu zum zur im ins vom auch noch schon gerade "
        "mir mich uns euch ihr bitte danke hallo kein keine keinen mal bis ab stück preis preise "
        "versand lieferung lieferbar verfügbar vorrätig lager farbe farben größe größen verkaufen "
        "verkauft kaufen bestellen reduziert angebot groß teuer günstig alte alten hat wird er man dieser "
        "diese dieses ihre ihren zurückgeben zurückschicken umtauschen umtausch rückgabe kommt ankommen "
        "bezahlen zahlen schicken liefern geliefert garantie kostenlos billiger rabatt karte rechnung übrig "
        "versandkosten lieferzeit werden sonst etwas andere anderen",
        "äöüß",
        "ung keit heit lich chen sch tz",
    ),
    "fr": _p(
        "combien quel quelle quels quelles quand où pourquoi qui quoi est c'est est-ce qu'est-ce avez "
        "vous votre vos coûte coûtent le la les une des du au aux et pour avec dans",
        "un de en ou sur pas ne je nous il elle ils y a ai ce cette ces mon ma mes son sa ses encore "
        "aussi bonjour merci plaît vendez faites pouvez puis acheter commander prix taille tailles "
        "couleur couleurs livraison disponible disponibles stock soldes réduction neuf occasion "
        "fait sont peut-on peut ça cela non oui retourner rendre échanger échange arrive arrivera payer "
        "paiement envoyer envoyez livrer livrez garantie gratuit gratuite moins cher remise carte facture "
        "pièces reste restent autre autres chose",
        "çœæèêëîïûùôâà",
        "eau eaux aux eux oi ou tion",
    ),
    "es": _p(
        "cuánto cuanto cuánta cuanta cuántos cuantos cuántas cuantas qué cuál cuáles cuándo cuando "
        "dónde donde quién tienen tiene tienes tenéis hay es está están cuesta cuestan el los las",
        "que cual cuales quien por porque son vale valen precio precios talla tallas color colores "
        "envío disponible disponibles la un una unos unas de del al y o en con para sin mi su sus me "
        "te se lo le les no sí también todavía ya hola gracias favor puedo pueden puede venden "
        "vendéis comprar pedir oferta descuento rebajado rebaja muy más este esta estos estas ese esa "
        "ha devolver cambiar cambio llega llegará pagar pago enviar envían entregar garantía gratis barato "
        "tarjeta factura quedan unidades piezas algo otro otra otros otras",
        "ñ¿¡áíóúé",
        "ción ciones dad ll rlo rla",
    ),
    "it": _p(
        "quanto quanta quanti quante che cosa quale quali quando dove perché perche chi costa costano "
        "avete è c'è sono il gli della",
        "come lo la i le un uno una di del dei degli delle al alla ai nel nella in con per su sul "
        "sulla e o ma non mi ti si ci ce anche ancora già ciao grazie posso potete può vendete "
        "comprare ordinare offerta sconto scontato questo questa quello quella molto più prezzo "
        "prezzi taglia taglie colore colori spedizione disponibile disponibili ha hanno l'avete restituire "
        "rendere cambiare reso arriva arrivano pagare pagamento spedire spedite consegna garanzia gratuita "
        "gratuito carta fattura pezzi rimasti rimaste serve servono altro altra altri qualcosa",
        "èìòùà",
        "zione zioni gli cch zz rlo rla rli rle",
    ),
    "nl": _p(
        "hoeveel wat welke welk wanneer waar waarom wie hoe kost kosten is zijn hebben heeft hebt heb "
        "het een de van",
        "kan kunnen kunt wil graag nog ook niet geen ik je jullie u uw we wij mij me en of met voor op "
        "in aan bij naar om te tot uit er dit dat deze die zo al verkopen verkoopt bestellen kopen "
        "korting aanbieding hallo bedankt alstublieft zit bent gaat wordt prijs maat maten kleur "
        "kleuren verzending levering beschikbaar voorraad leverbaar terugsturen retourneren ruilen komt "
        "aankomen betalen sturen versturen leveren geleverd garantie gratis goedkoper kaart factuur stuks "
        "iets anders andere",
        "ë",
        "ij lijk heid tje aa oo uu ee oe",
    ),
    "pt": _p(
        "quanto quanta quantos quantas qual quais quando onde quem custa custam tem têm tens há é "
        "está estão são você vocês não do da dos das",
        "porque porquê que o a os as um uma uns umas de no na nos nas ao à em com para por sem e ou "
        "sim também ainda já mais muito meu minha seu sua me se olá obrigado obrigada posso podem pode "
        "vendem vende comprar encomendar promoção desconto esse essa este esta isso isto pra preço "
        "preços tamanho tamanhos cor cores envio entrega frete disponível disponíveis estoque devolver "
        "trocar troca chega chegar pagar pagamento enviar enviam entregar garantia grátis gratuito barato "
        "desconto cartão fatura restam unidades peças outro outra outros alguma algum coisa",
        "ãõçâêôáéíóúà",
        "ção ções ões ão lh nh",
    ),
}  # fmt: skip

# French and Italian elide before a vowel: "c'est", "l'article", "qu'il", "dell'olio", "c'è".
_ELISIONS = {
    "c": ("fr", "it"), "l": ("fr", "it"), "d": ("fr",), "qu": ("fr",), "j": ("fr",), "n": ("fr",),
    "s": ("fr",), "m": ("fr",), "t": ("fr",), "dell": ("it",), "nell": ("it",), "all": ("it",),
    "dall": ("it",), "sull": ("it",), "un": ("it",), "quest": ("it",), "com": ("it",),
}  # fmt: skip
_EN_CLITICS = ("'s", "n't", "'re", "'ve", "'m", "'ll", "'d")

_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*(?:-[^\W\d_]+)*|[¿¡]")
_QUOTES = '"\u201e\u201c\u201d\u00ab\u00bb\u201a\u2018\u2019'  # straight, German, English, French
_QUOTED = re.compile(rf"[{_QUOTES}][^{_QUOTES}]{{1,80}}[{_QUOTES}]")
_SENTENCE_START = re.compile(r"(?:^|[.!?¿¡:;]\s*|\n)$")


def _word_weights() -> dict[str, dict[str, float]]:
    listed: dict[str, dict[str, float]] = defaultdict(dict)
    for lang, p in PROFILES.items():
        for w in p.words:
            listed[w][lang] = WEAK
        for w in p.strong:
            listed[w][lang] = STRONG
    return {w: {lang: wt / len(by) for lang, wt in by.items()} for w, by in listed.items()}


def _letter_weights() -> dict[str, dict[str, float]]:
    by_letter: dict[str, list[str]] = defaultdict(list)
    for lang, p in PROFILES.items():
        for ch in p.letters:
            by_letter[ch].append(lang)
    return {ch: {lang: LETTER / len(langs) for lang in langs} for ch, langs in by_letter.items()}


def _ending_weights() -> dict[str, dict[str, float]]:
    by_ending: dict[str, list[str]] = defaultdict(list)
    for lang, p in PROFILES.items():
        for e in p.endings:
            by_ending[e].append(lang)
    return {e: {lang: ENDING / len(langs) for lang in langs} for e, langs in by_ending.items()}


WORD_WEIGHTS = _word_weights()
LETTER_WEIGHTS = _letter_weights()
ENDING_WEIGHTS = _ending_weights()
# Endings that must end the word; the others (letter groups) may sit anywhere in it.
_WORD_FINAL = frozenset(
    _split("ing ung keit heit lich chen eaux aux eux tion ción ciones dad zione zioni lijk heid tje ção")
    | _split("ções ões ão rlo rla rli rle")
)


def _name_spans(text: str) -> list[tuple[int, int]]:
    """Where product names probably are: quoted text, and runs of 2+ capitalised words that do not
    open a sentence."""
    spans = [m.span() for m in _QUOTED.finditer(text)]
    run: list[re.Match[str]] = []

    def close() -> None:
        if len(run) >= 2 and not _SENTENCE_START.search(text[: run[0].start()]):
            spans.append((run[0].start(), run[-1].end()))

    for m in re.finditer(r"\S+", text):
        word = m.group().strip("\"'„“”«»()[],;:!?¿¡")
        if word[:1].isupper() or (word[:1].isdigit() and run):
            if run and not text[run[-1].end() : m.start()].isspace():
                close()
                run = []
            run.append(m)
            if m.group()[-1:] in ",;:!?.":
                close()
                run = []
        else:
            close()
            run = []
    close()
    return spans


def _mask(text: str, names: Iterable[str]) -> str:
    for name in sorted({n for n in names if n and len(n) > 2}, key=len, reverse=True):
        text = re.sub(re.escape(name), " ", text, flags=re.I)
    return text


def _token_scores(token: str) -> dict[str, float]:
    low = token.lower().replace("\u2019", "'")
    if low in ("¿", "¡"):
        return dict(LETTER_WEIGHTS[low])
    out: dict[str, float] = defaultdict(float)
    parts = [low]
    head, sep, rest = low.partition("'")
    if sep and head in _ELISIONS and rest:
        for lang in _ELISIONS[head]:
            out[lang] += STRONG / len(_ELISIONS[head])
        parts = [rest]
    elif sep and any(low.endswith(c) for c in _EN_CLITICS):
        out["en"] += STRONG
        parts = [low, head]
    if "-" in parts[0] and parts[0] not in WORD_WEIGHTS:
        parts = parts[0].split("-")
    for part in parts:
        if part in WORD_WEIGHTS:
            for lang, w in WORD_WEIGHTS[part].items():
                out[lang] += w
            continue
        for ch in set(part):
            for lang, w in LETTER_WEIGHTS.get(ch, {}).items():
                out[lang] += w
        for ending, weights in ENDING_WEIGHTS.items():
            if (part.endswith(ending) and len(part) > len(ending) + 1) or (
                ending not in _WORD_FINAL and ending in part
            ):
                for lang, w in weights.items():
                    out[lang] += w
    # Letters of a listed word still count ("größe" is German by its word and by "ö"/"ß").
    if parts and parts[0] in WORD_WEIGHTS:
        for ch in set(parts[0]):
            for lang, w in LETTER_WEIGHTS.get(ch, {}).items():
                out[lang] += w / 2
    return out


def language_scores(text: str, *, names: Iterable[str] = ()) -> dict[str, float]:
    """Each language's score for `text` (the evidence `detect_language` weighs)."""
    text = _mask(text, names)
    spans = _name_spans(text)
    scores = dict.fromkeys(LANGUAGES, 0.0)
    for m in _TOKEN.finditer(text):
        factor = NAME_FACTOR if any(a <= m.start() < b for a, b in spans) else 1.0
        for lang, w in _token_scores(m.group()).items():
            scores[lang] += w * factor
    return {lang: round(s, 3) for lang, s in scores.items()}


def detect_language(
    text: str, *, default: str = "en", previous: str | None = None, names: Iterable[str] = ()
) -> str:
    """The language of a shopper's message, one of `LANGUAGES` (see the module doc for the tie-break).

    `previous`: the language of the conversation so far (a bare "ok" or "Hallo" keeps it);
    `names`: product names to leave out of the vote."""
    scores = language_scores(text, names=names)
    best = max(scores.values())
    close = [lang for lang in LANGUAGES if scores[lang] > best - MARGIN]
    if best > 0 and len(close) == 1:
        return close[0]
    if best <= 0:
        close = list(LANGUAGES)
    if previous in close:
        return str(previous)
    if default in close:
        return default
    return max(close, key=lambda lang: scores[lang])

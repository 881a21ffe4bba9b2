"""Language detection on short shopper questions: accuracy of `echome.language.detect_language`.

Three question sets: the hand-written set below (not the unit tests' set: these were written apart
from the tuning, in chat style, with and without accents, with product names in other languages),
the German questions of the shared Shopware 5 eval catalog and the English questions of the other
shared eval catalogs (read from ECHOME_EVAL_DIR, default /work/shared/eval/catalogs; skipped when
absent). Baselines measured in the same run: always answering "en", and voting by letters alone
(the profile detector with its word lists emptied). With `py3langid` importable its accuracy on the
same questions is reported too (it is not a dependency).

    python benchmarks/language_detection.py > language.json
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from echome import language
from echome.language import LANGUAGES, detect_language

QUESTIONS: dict[str, list[str]] = {
    "en": [
        "how much for the blue one",
        "Is the Schlafsack Alpin still in stock?",
        "What's the delivery time to London?",
        "Can I pay by card?",
        "Does the Bolsa de Praia come in other colours?",
        "do u have size 42",
        "Is this the newest model?",
        "Which one would you recommend for a beginner?",
        "How long is the warranty on the Caffettiera Moka?",
        "Are there any discounts this week?",
        "What is the Pantalon Léger made of?",
        "I need it by Friday, is that possible?",
        "Who makes the Fiets Stad 28?",
        "Could you send me the dimensions?",
        "any cheaper options?",
        "Is shipping free over 50 euros?",
        "Tell me about the Camisola de Lã",
        "How many pieces are left?",
        "Do you ship to Canada?",
        "ok thanks, and the price?",
        "Where is the Sac à Dos Urbain made?",
        "Is the Zapatilla Trail waterproof?",
        "Hi, is the shop open on Sunday?",
        "What does it weigh?",
        "Can I get it gift wrapped?",
    ],
    "de": [
        "wie viel kostet das blaue",
        "Ist der Sleeping Bag Alpine noch da?",
        "Wie lange dauert die Lieferung nach Wien?",
        "Kann ich mit Karte zahlen?",
        "Gibt es die Beach Bag auch in Rot?",
        "habt ihr größe 42",
        "Ist das das neueste Modell?",
        "Welches würden Sie einem Anfänger empfehlen?",
        "Wie lange ist die Garantie auf die Moka Pot?",
        "Gibt es diese Woche Rabatte?",
        "Woraus ist die Light Trousers gemacht?",
        "Ich brauche es bis Freitag, geht das?",
        "Wer stellt das City Bike 28 her?",
        "Könnten Sie mir die Maße schicken?",
        "geht es auch günstiger?",
        "Ist der Versand ab 50 Euro kostenlos?",
        "Erzähl mir was über den Wool Sweater",
        "Wie viele Stück sind noch übrig?",
        "Liefert ihr in die Schweiz?",
        "ok danke, und der Preis?",
        "Wo wird der Urban Backpack hergestellt?",
        "Ist der Trail Shoe wasserdicht?",
        "Hallo, hat der Laden am Sonntag offen?",
        "Wie schwer ist er?",
        "Können Sie es als Geschenk verpacken?",
    ],
    "fr": [
        "combien pour le bleu",
        "Le Sleeping Bag Alpine est encore en stock ?",
        "Quel est le délai de livraison pour Bruxelles ?",
        "Je peux payer par carte ?",
        "Le Beach Bag existe en d'autres couleurs ?",
        "vous avez la pointure 42",
        "C'est le dernier modèle ?",
        "Lequel vous me conseillez pour un débutant ?",
        "La garantie du Moka Pot dure combien de temps ?",
        "Il y a des promos cette semaine ?",
        "En quoi est fait le Light Trousers ?",
        "J'en ai besoin pour vendredi, c'est possible ?",
        "Qui fabrique le City Bike 28 ?",
        "Pouvez-vous m'envoyer les dimensions ?",
        "vous avez moins cher ?",
        "La livraison est offerte dès 50 euros ?",
        "Parlez-moi du Wool Sweater",
        "Il en reste combien ?",
        "Vous livrez en Suisse ?",
        "ok merci, et le prix ?",
        "Où est fabriqué le Urban Backpack ?",
        "Le Trail Shoe est imperméable ?",
        "Bonjour, la boutique est ouverte le dimanche ?",
        "Il pèse combien ?",
        "Vous pouvez faire un paquet cadeau ?",
    ],
    "es": [
        "cuanto cuesta el azul",
        "¿El Sleeping Bag Alpine sigue disponible?",
        "¿Cuánto tarda el envío a Sevilla?",
        "¿Puedo pagar con tarjeta?",
        "¿La Beach Bag viene en otros colores?",
        "tienen la talla 42",
        "¿Es el modelo más nuevo?",
        "¿Cuál me recomiendas para un principiante?",
        "¿Cuánto dura la garantía de la Moka Pot?",
        "¿Hay ofertas esta semana?",
        "¿De qué está hecho el Light Trousers?",
        "Lo necesito para el viernes, ¿es posible?",
        "¿Quién fabrica la City Bike 28?",
        "¿Me podéis mandar las medidas?",
        "¿hay algo más barato?",
        "¿El envío es gratis a partir de 50 euros?",
        "Háblame del Wool Sweater",
        "¿Cuántas unidades quedan?",
        "¿Hacen envíos a México?",
        "vale gracias, ¿y el precio?",
        "¿Dónde se fabrica el Urban Backpack?",
        "¿El Trail Shoe es impermeable?",
        "Hola, ¿la tienda abre el domingo?",
        "¿Cuánto pesa?",
        "¿Me lo pueden envolver para regalo?",
    ],
    "it": [
        "quanto costa quello blu",
        "Il Sleeping Bag Alpine è ancora disponibile?",
        "Quanto ci mette la spedizione a Milano?",
        "Posso pagare con la carta?",
        "La Beach Bag c'è in altri colori?",
        "avete la taglia 42",
        "È l'ultimo modello?",
        "Quale mi consigliate per un principiante?",
        "Quanto dura la garanzia della Moka Pot?",
        "Ci sono offerte questa settimana?",
        "Di cosa è fatto il Light Trousers?",
        "Mi serve entro venerdì, è possibile?",
        "Chi produce la City Bike 28?",
        "Mi potete mandare le misure?",
        "c'è qualcosa di più economico?",
        "La spedizione è gratis sopra i 50 euro?",
        "Parlami del Wool Sweater",
        "Quanti pezzi sono rimasti?",
        "Spedite in Svizzera?",
        "ok grazie, e il prezzo?",
        "Dove viene prodotto l'Urban Backpack?",
        "Il Trail Shoe è impermeabile?",
        "Ciao, il negozio è aperto la domenica?",
        "Quanto pesa?",
        "Potete fare una confezione regalo?",
    ],
    "nl": [
        "hoeveel kost die blauwe",
        "Is de Sleeping Bag Alpine nog op voorraad?",
        "Hoe lang duurt de levering naar Gent?",
        "Kan ik met kaart betalen?",
        "Is de Beach Bag er ook in andere kleuren?",
        "hebben jullie maat 42",
        "Is dit het nieuwste model?",
        "Welke raden jullie aan voor een beginner?",
        "Hoe lang is de garantie op de Moka Pot?",
        "Zijn er deze week aanbiedingen?",
        "Waar is de Light Trousers van gemaakt?",
        "Ik heb het vrijdag nodig, kan dat?",
        "Wie maakt de City Bike 28?",
        "Kunt u mij de afmetingen sturen?",
        "is er iets goedkopers?",
        "Is de verzending gratis vanaf 50 euro?",
        "Vertel me over de Wool Sweater",
        "Hoeveel stuks zijn er nog?",
        "Leveren jullie in België?",
        "ok bedankt, en de prijs?",
        "Waar wordt de Urban Backpack gemaakt?",
        "Is de Trail Shoe waterdicht?",
        "Hallo, is de winkel zondag open?",
        "Hoe zwaar is hij?",
        "Kunnen jullie het als cadeau inpakken?",
    ],
    "pt": [
        "quanto custa o azul",
        "O Sleeping Bag Alpine ainda está disponível?",
        "Quanto tempo demora a entrega para Lisboa?",
        "Posso pagar com cartão?",
        "A Beach Bag vem em outras cores?",
        "vocês têm o tamanho 42",
        "É o modelo mais recente?",
        "Qual me recomendam para um iniciante?",
        "Quanto tempo dura a garantia da Moka Pot?",
        "Há promoções esta semana?",
        "De que é feito o Light Trousers?",
        "Preciso até sexta-feira, é possível?",
        "Quem fabrica a City Bike 28?",
        "Podem enviar-me as medidas?",
        "tem alguma coisa mais barata?",
        "O envio é grátis a partir de 50 euros?",
        "Fale-me do Wool Sweater",
        "Quantas unidades restam?",
        "Enviam para o Brasil?",
        "ok obrigado, e o preço?",
        "Onde é fabricado o Urban Backpack?",
        "O Trail Shoe é impermeável?",
        "Olá, a loja abre ao domingo?",
        "Quanto pesa?",
        "Podem embrulhar para presente?",
    ],
}


def eval_questions(folder: Path) -> dict[str, list[str]]:
    """German questions of the Shopware 5 catalog; English ones of the other shared catalogs."""
    out: dict[str, list[str]] = {"de": [], "en": []}
    for path in sorted(folder.glob("*.questions.jsonl")):
        lang = "de" if path.name.startswith("shopware5-prices-de") else "en"
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out[lang].append(json.loads(line)["question"])
    return out


def letters_only(text: str) -> str:
    """The same detector voting with letters and endings alone (word lists emptied)."""
    saved = language.WORD_WEIGHTS
    language.WORD_WEIGHTS = {}
    try:
        return detect_language(text)
    finally:
        language.WORD_WEIGHTS = saved


def py3langid_detector() -> Callable[[str], str] | None:
    try:
        import py3langid
    except ImportError:
        return None
    py3langid.set_languages(list(LANGUAGES))
    return lambda text: str(py3langid.classify(text)[0])


def score(detect: Callable[[str], str], sets: dict[str, list[str]]) -> dict[str, object]:
    per: dict[str, dict[str, int]] = {}
    wrong: list[dict[str, str]] = []
    t0 = time.perf_counter()
    for lang, questions in sets.items():
        right = 0
        for q in questions:
            got = detect(q)
            right += got == lang
            if got != lang:
                wrong.append({"question": q, "expected": lang, "got": got})
        per[lang] = {"right": right, "total": len(questions)}
    seconds = time.perf_counter() - t0
    right = sum(v["right"] for v in per.values())
    total = sum(v["total"] for v in per.values())
    return {
        "accuracy": round(right / total, 4) if total else None,
        "right": right,
        "total": total,
        "per_language": {k: round(v["right"] / v["total"], 4) for k, v in per.items() if v["total"]},
        "ms_per_question": round(1000 * seconds / max(total, 1), 3),
        "wrong": wrong[:20],
    }


def main() -> int:
    folder = Path(os.environ.get("ECHOME_EVAL_DIR", "/work/shared/eval/catalogs"))
    sets = {"written": QUESTIONS}
    if folder.is_dir():
        sets["shared_eval"] = eval_questions(folder)
    detectors: dict[str, Callable[[str], str]] = {
        "profiles": detect_language,
        "baseline_always_en": lambda _text: "en",
        "baseline_letters_only": letters_only,
    }
    langid = py3langid_detector()
    if langid is not None:
        detectors["py3langid"] = langid
    report: dict[str, object] = {
        "questions": {name: {k: len(v) for k, v in s.items()} for name, s in sets.items()},
        "results": {det: {name: score(fn, s) for name, s in sets.items()} for det, fn in detectors.items()},
    }
    if langid is None:
        report["py3langid"] = "not installed (pip install py3langid to compare)"
    json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

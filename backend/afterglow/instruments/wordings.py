"""Every instrument's words in languages other than English: what a patient reads, nothing else.

The English definitions in `registry.py` stay the reference (items, option values, scoring, LOINC
codes); a wording here replaces only their text. Two kinds of wording live here:

- `published`: a licensed instrument's published translation (PHQ-9, GAD-7), never translated by
  us. Where the publisher's own file could not be read, the text is the one on which at least two
  independent published copies agree word for word, element by element; `sources` names each copy
  and the elements it carries. Such an entry waits for a clinician to confirm it against the
  publisher's form (`review="awaiting_clinician"`); the clinic page lists it with its sources.
- `afterglow`: Afterglow's own scales (daily mood, pain, the side-effect check), written by us.

A language an instrument has no wording for is served in English whole (`UNAVAILABLE` says why
when we looked and found nothing we could use): never half-translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Origin = Literal["published", "afterglow"]
Review = Literal["awaiting_clinician", "confirmed", "not_required"]


@dataclass(frozen=True)
class Source:
    """A published copy of a translation: where it is, and the elements it carries word for word
    (`stem`, `item:<id>`, `options:<id>`, `attribution`)."""

    where: str
    what: str
    covers: frozenset[str]


@dataclass(frozen=True)
class ItemWording:
    text: str
    options: tuple[str, ...]  # one label per option of the English item, in the same order


@dataclass(frozen=True)
class Wording:
    instrument_id: str
    lang: str
    name: str
    stem: str | None
    items: dict[str, ItemWording]
    origin: Origin
    review: Review
    # None: the English attribution line stays (no published copies carry this language's).
    attribution: str | None = None
    free_text_label: str | None = None
    sources: tuple[Source, ...] = ()
    note: str = ""


def _frequency(text: str) -> ItemWording:
    return ItemWording(text, ES_FREQUENCY)


def _scale(text: str, low: str, high: str) -> ItemWording:
    """A 0-10 scale: its two anchors in words, the numbers between as they are."""
    return ItemWording(text, (low, *(str(n) for n in range(1, 10)), high))


ES_FREQUENCY = ("Ningún día", "Varios días", "Más de la mitad de los días", "Casi todos los días")
# The Spanish (US) PHQ-9 and GAD-7 share their stem, as the English forms do.
ES_TWO_WEEK_STEM = (
    "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los "
    "siguientes problemas?"
)
_PHQ9_ITEMS = tuple(f"phq9_{n}" for n in range(1, 10))

_STUDENTA = Source(
    "https://es.studenta.com/content/129686767/patient-health-questionnaire-9-spanish",
    "The text of the PHQ screeners' Spanish (US) PHQ-9 form (file PatientHealthQuestionnaire9_"
    "Spanish): the whole form, and its Spanish attribution line.",
    frozenset(
        {"stem", "attribution", "item:phq9_10", "options:phq9_10"}
        | {f"item:{i}" for i in _PHQ9_ITEMS}
        | {f"options:{i}" for i in _PHQ9_ITEMS}
    ),
)
_REFOCUS = Source(
    "github.com/AnuTor/refocus-app lib/tests/phq.dart (commit 9eecaf21ad108c54b61b3e648511390415a9072c)",
    "The stem and items 1-9 (two items carry a stray space at an end; its answer labels drop "
    "their accents, so they are not counted).",
    frozenset({"stem"} | {f"item:{i}" for i in _PHQ9_ITEMS}),
)
_VIDA_PLENA = Source(
    "github.com/dxie46/vida-plena-form src/pages/form.js (commit 27749e77b87980b026be6b520cbe914f1c1df803)",
    "Items 1-9 with their answers (each label after its score), the difficulty question and its "
    "four answers.",
    frozenset(
        {"item:phq9_10", "options:phq9_10"}
        | {f"item:{i}" for i in _PHQ9_ITEMS}
        | {f"options:{i}" for i in _PHQ9_ITEMS}
    ),
)
_TAMIZAJES = Source(
    "github.com/jarturocastan/tamizajes-documentation files/Cuestionario PHQ-9.docx.md "
    "(commit e2949f64febcbaa82e36bd30021f07bff88097d0)",
    "Items 1-7 and 9, the answers and the difficulty question (item 8 writes 'O lo contrario' "
    "with a capital, the stem has no comma after 'semanas', and the first difficulty answer reads "
    "'No ha sido fácil': those are not counted).",
    frozenset(
        {"item:phq9_10"}
        | {f"item:{i}" for i in _PHQ9_ITEMS if i != "phq9_8"}
        | {f"options:{i}" for i in _PHQ9_ITEMS}
    ),
)
_SCRIBD = Source(
    "https://es.scribd.com/document/553488146/TEST-DE-DEPRESION",
    "A clinic's copy (Mexico): the stem and the four answers (its items are reworded, not counted).",
    frozenset({"stem"} | {f"options:{i}" for i in _PHQ9_ITEMS}),
)

PHQ9_ES = Wording(
    instrument_id="phq9",
    lang="es",
    name="PHQ-9 (depresión)",
    stem=ES_TWO_WEEK_STEM,
    items={
        "phq9_1": _frequency("Poco interés o placer en hacer cosas"),
        "phq9_2": _frequency("Se ha sentido decaído(a), deprimido(a) o sin esperanzas"),
        "phq9_3": _frequency(
            "Ha tenido dificultad para quedarse o permanecer dormido(a), o ha dormido demasiado"
        ),
        "phq9_4": _frequency("Se ha sentido cansado(a) o con poca energía"),
        "phq9_5": _frequency("Sin apetito o ha comido en exceso"),
        "phq9_6": _frequency(
            # The en dashes here and in item 8 are the form's own.
            "Se ha sentido mal con usted mismo(a) – o que es un fracaso o que ha quedado mal con "  # noqa: RUF001
            "usted mismo(a) o con su familia"
        ),
        "phq9_7": _frequency(
            "Ha tenido dificultad para concentrarse en ciertas actividades, tales como leer el "
            "periódico o ver la televisión"
        ),
        "phq9_8": _frequency(
            "¿Se ha movido o hablado tan lento que otras personas podrían haberlo notado? o lo "
            "contrario – muy inquieto(a) o agitado(a) que ha estado moviéndose mucho más de lo "  # noqa: RUF001
            "normal"
        ),
        "phq9_9": _frequency(
            "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera"
        ),
        "phq9_10": ItemWording(
            "Si marcó cualquiera de los problemas, ¿qué tanta dificultad le han dado estos "
            "problemas para hacer su trabajo, encargarse de las tareas del hogar, o llevarse bien "
            "con otras personas?",
            ("No ha sido difícil", "Un poco difícil", "Muy difícil", "Extremadamente difícil"),
        ),
    },
    origin="published",
    review="awaiting_clinician",
    sources=(_STUDENTA, _REFOCUS, _VIDA_PLENA, _TAMIZAJES, _SCRIBD),
    note=(
        "Spanish (US) PHQ-9 of the PHQ screeners (Pfizer). The publisher's file could not be read "
        "here, so every element is the text on which at least two of these independent published "
        "copies agree word for word. Only one copy carries the Spanish attribution line, so the "
        "English line is shown with it. The heading 'PHQ-9 (depresión)' is Afterglow's. Every "
        "Spanish-speaking patient reads this form, in Spain too: the screeners' Spanish for Spain "
        "is another translation, not in the registry."
    ),
)

_GAD7_ITEMS = tuple(f"gad7_{n}" for n in range(1, 8))
_GAD7_WHOLE = frozenset(
    {"stem"} | {f"item:{i}" for i in _GAD7_ITEMS} | {f"options:{i}" for i in _GAD7_ITEMS}
)

_MINDBRIDGE = Source(
    "github.com/camilojerez35-ux/mindbridge apps/web/src/lib/blog/tamizajes.ts "
    "(commit 0b3be504fb60dc3af64c0f521f784bfdff0cc7bc)",
    "A Colombian site's GAD-7 self-check, said there to be Pfizer's Spanish text: the stem, items "
    "1-7 and the four answers (its PHQ-9 is, word for word, the Spanish PHQ-9 above).",
    _GAD7_WHOLE,
)
_PATIENT_FACING_APP = Source(
    "github.com/Tamathe/Patient-Facing-App src/domain/instruments/gad7.ts "
    "(commit b429ee8a95330f94e0e139acc85cdaeaca1f6944)",
    "A bilingual US patient app's GAD-7, which its own test pins as the U.S. Spanish items: the "
    "stem, items 1-7 and the four answers (its Spanish attribution line, found in no other copy, "
    "is not counted).",
    _GAD7_WHOLE,
)
_RECREAMED = Source(
    "github.com/GildardoMatias/ReCreaMed src/escalas/gad7/gad7.catalog.jsx and gad7.encuesta.jsx "
    "(commit 1ddf48e8a415a302be62aab86839d3ea457bd501)",
    "A Mexican clinic's app: items 2-7 (item 1 leaves out 'ansioso(a)', and its first answer reads "
    "'Ningín día', so neither item 1 nor the answers are counted).",
    frozenset(f"item:{i}" for i in _GAD7_ITEMS if i != "gad7_1"),
)

GAD7_ES = Wording(
    instrument_id="gad7",
    lang="es",
    name="GAD-7 (ansiedad)",
    stem=ES_TWO_WEEK_STEM,
    items={
        "gad7_1": _frequency("Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta"),
        "gad7_2": _frequency("No ha sido capaz de parar o controlar su preocupación"),
        "gad7_3": _frequency("Se ha preocupado demasiado por motivos diferentes"),
        "gad7_4": _frequency("Ha tenido dificultad para relajarse"),
        "gad7_5": _frequency("Se ha sentido tan inquieto(a) que no ha podido quedarse quieto(a)"),
        "gad7_6": _frequency("Se ha molestado o irritado fácilmente"),
        "gad7_7": _frequency("Ha tenido miedo de que algo terrible fuera a pasar"),
    },
    origin="published",
    review="awaiting_clinician",
    sources=(_MINDBRIDGE, _PATIENT_FACING_APP, _RECREAMED),
    note=(
        "Spanish (US) GAD-7 of the PHQ screeners (Pfizer). The publisher's file could not be read "
        "here, so every element is the text on which at least two of these independent published "
        "copies agree word for word. Its stem and answers are those of the Spanish PHQ-9; copies "
        "whose stem asks '¿con qué frecuencia le han molestado...' or whose first answer is 'Para "
        "nada' or 'Nunca' word them otherwise and are not counted. Only one copy carries a "
        "Spanish attribution line, so the English line is shown with it. The heading 'GAD-7 "
        "(ansiedad)' is Afterglow's. Every Spanish-speaking patient reads this form, in Spain too."
    ),
)

MOOD_ES = Wording(
    instrument_id="mood",
    lang="es",
    name="Ánimo diario",
    stem="¿Cómo está su ánimo hoy?",
    items={"mood": _scale("Ánimo de hoy", "El peor", "El mejor")},
    origin="afterglow",
    review="not_required",
    note="Afterglow's own daily mood scale (0 the worst, 10 the best), worded by Afterglow.",
)

PAIN_ES = Wording(
    instrument_id="pain",
    lang="es",
    name="Dolor",
    stem="¿Cuánto dolor tiene hoy?",
    items={"pain": _scale("Dolor de hoy", "Sin dolor", "El peor dolor")},
    origin="afterglow",
    review="not_required",
    note="Afterglow's own pain rating (0 none, 10 the worst), worded by Afterglow.",
)

ES_SEVERITY = ("Nada", "Leve", "Moderado", "Intenso")

AFTER_ES = Wording(
    instrument_id="after",
    lang="es",
    name="Control de efectos secundarios",
    stem="Desde su último tratamiento, ¿cuánto ha tenido de cada uno de estos?",
    items={
        "after_dissociation": ItemWording(
            "Sentirse desconectado(a), irreal o fuera de su cuerpo", ES_SEVERITY
        ),
        "after_nausea": ItemWording("Náuseas o vómitos", ES_SEVERITY),
        "after_headache": ItemWording("Dolor de cabeza", ES_SEVERITY),
        "after_dizziness": ItemWording("Mareo", ES_SEVERITY),
        "after_drowsiness": ItemWording("Somnolencia", ES_SEVERITY),
        "after_other": ItemWording("Otra cosa (descríbala en la nota)", ES_SEVERITY),
    },
    free_text_label="Algo más que haya notado",
    origin="afterglow",
    review="not_required",
    note="Afterglow's own side-effect checklist, worded by Afterglow.",
)

WORDINGS: dict[tuple[str, str], Wording] = {
    (w.instrument_id, w.lang): w for w in (PHQ9_ES, GAD7_ES, MOOD_ES, PAIN_ES, AFTER_ES)
}

UNAVAILABLE: dict[tuple[str, str], str] = {}
"""Instruments we looked for in a language and could not word from published copies."""

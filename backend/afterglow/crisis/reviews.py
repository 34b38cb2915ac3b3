"""Which languages' crisis text a patient may be shown: reviewed, exactly as it stands.

The crisis screen (CLINICAL.md §5) is shown in a patient's language only when that language's
crisis text was reviewed: a clinician who reads the language read every `crisis.` text of its
catalogue and confirmed it. A review names who and when, and the fingerprint of the text they
read, so that any later edit of that text needs a review of its own before patients see it.
Until then the screen is English, whole, unless the patient's clinic confirmed the text for its
own patients (`confirmations`, by the same fingerprint rule).

English is the source text every other language translates (worded from CLINICAL.md §5, and the
text every screen falls back to), so it needs no entry here.

Where a text follows an official service's own published wording (its name in that language,
how to reach it), `sources` names the publication, so that a reviewer checks it against that
rather than against our translation. A source is not a review: the sentences around the names
are Afterglow's own. The sources were read in published copies (named in brackets); the reviewer
checks each against the service's own page.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from afterglow.catalogue import ENGLISH

CRISIS_PREFIX = "crisis."


@dataclass(frozen=True)
class CrisisTextReview:
    """A clinician who reads the language confirmed this exact crisis text."""

    reviewer: str
    reviewed_on: str
    text_sha256: str


@dataclass(frozen=True)
class CrisisText:
    """One language's crisis text: its review, if any, and the published wording it follows."""

    review: CrisisTextReview | None = None
    sources: Mapping[str, str] = field(default_factory=dict)


CRISIS_TEXTS: dict[str, CrisisText] = {
    "es": CrisisText(
        review=None,
        sources={
            "crisis.us.call": "988lifeline.org/es: the Lifeline's Spanish name, “988 Línea de "
            "Prevención del Suicidio y Crisis” (also quoted in vidaysalud.com/988-linea-de-"
            "prevencion-del-suicidio-y-de-crisis)",
            "crisis.us.text": "988lifeline.org/es: the Lifeline's Spanish name, as above",
            "crisis.us.veterans": "veteranscrisisline.net (VA): “Línea de Crisis para Veteranos”, "
            "reached by calling 988 and pressing 1",
            "crisis.es.line024": "sanidad.gob.es (Ministerio de Sanidad): “Línea 024 de atención "
            "a la conducta suicida”, free, 24 hours (as reported by rtve.es, 2022-05-09)",
            "crisis.mx.linea_vida": "gob.mx/salud/conasama: “Línea de la Vida”, 800 911 2000, no "
            "cost, 24 hours, 365 days (as quoted by eluniversal.com.mx, 2025-12-24)",
        },
    ),
}


def crisis_keys(strings: Mapping[str, str]) -> dict[str, str]:
    return {key: text for key, text in strings.items() if key.startswith(CRISIS_PREFIX)}


def crisis_text_fingerprint(strings: Mapping[str, str]) -> str:
    """The SHA-256 of a language's crisis texts (every `crisis.` key), as a review records it."""
    canonical = json.dumps(crisis_keys(strings), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def crisis_text_reviewed(
    lang: str,
    strings: Mapping[str, str],
    english: Mapping[str, str],
    texts: Mapping[str, CrisisText] = CRISIS_TEXTS,
) -> bool:
    """Whether `strings` (the catalogue of `lang`) may word the crisis screen: English always;
    another language when it has every crisis text English has and a review of exactly them."""
    if lang == ENGLISH:
        return True
    if not crisis_keys(english).keys() <= strings.keys():
        return False
    record = texts.get(lang)
    review = record.review if record else None
    return review is not None and review.text_sha256 == crisis_text_fingerprint(strings)

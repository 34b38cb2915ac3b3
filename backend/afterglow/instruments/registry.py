"""Every instrument Afterglow asks, as data (CLINICAL.md §1).

Adding a scale (PCL-5, a clinic's own) is a new `Instrument` in `REGISTRY`, not new code:
scoring, validation, bands and the API all read these definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FREQUENCY_OPTIONS = ("Not at all", "Several days", "More than half the days", "Nearly every day")
FREQUENCY_LOINC = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")
# PHQ-9 item 10 (69722-7): its answers as LOINC's PHQ-9 form codes them.
DIFFICULTY_OPTIONS = (
    "Not difficult at all",
    "Somewhat difficult",
    "Very difficult",
    "Extremely difficult",
)
DIFFICULTY_LOINC = ("LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3")
SPITZER_ATTRIBUTION = (
    "PHQ-9 and GAD-7 developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and "
    "colleagues, with an educational grant from Pfizer Inc."
)
TWO_WEEK_STEM = (
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)
SEVERITY_OPTIONS = ("None", "Mild", "Moderate", "Severe")


@dataclass(frozen=True)
class Option:
    value: int
    label: str
    loinc: str | None = None


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    options: tuple[Option, ...]
    loinc: str | None = None
    scored: bool = True
    required: bool = True


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    id: str
    label: str


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    stem: str | None
    items: tuple[Item, ...]
    scoring: Literal["sum", "single", "none"]
    bands: tuple[Band, ...] = ()
    loinc_panel: str | None = None
    loinc_total: str | None = None
    attribution: str | None = None
    # Where the free-text answer of a checklist goes (the check-in's note).
    free_text_label: str | None = None
    # Whether the clinic has to switch it on per patient.
    opt_in: bool = False
    cadence: str = ""
    score_range: tuple[int, int] | None = None
    safety_item: str | None = field(default=None)

    @property
    def required_items(self) -> int:
        return sum(1 for item in self.items if item.required)

    def band_for(self, score: int) -> Band | None:
        for band in self.bands:
            if band.low <= score <= band.high:
                return band
        return None


def _frequency(item_id: str, text: str, loinc: str) -> Item:
    options = tuple(
        Option(value, label, code)
        for value, (label, code) in enumerate(zip(FREQUENCY_OPTIONS, FREQUENCY_LOINC, strict=True))
    )
    return Item(item_id, text, options, loinc)


def _scale(low: int, high: int, low_label: str, high_label: str) -> tuple[Option, ...]:
    labels = {low: low_label, high: high_label}
    return tuple(Option(v, labels.get(v, str(v))) for v in range(low, high + 1))


def _severity(item_id: str, text: str, required: bool = True) -> Item:
    return Item(
        item_id,
        text,
        tuple(Option(v, label) for v, label in enumerate(SEVERITY_OPTIONS)),
        required=required,
        scored=False,
    )


PHQ9 = Instrument(
    id="phq9",
    name="PHQ-9 depression",
    stem=TWO_WEEK_STEM,
    items=(
        _frequency("phq9_1", "Little interest or pleasure in doing things", "44250-9"),
        _frequency("phq9_2", "Feeling down, depressed, or hopeless", "44255-8"),
        _frequency("phq9_3", "Trouble falling or staying asleep, or sleeping too much", "44259-0"),
        _frequency("phq9_4", "Feeling tired or having little energy", "44254-1"),
        _frequency("phq9_5", "Poor appetite or overeating", "44251-7"),
        _frequency(
            "phq9_6",
            "Feeling bad about yourself — or that you are a failure or have let yourself "
            "or your family down",
            "44258-2",
        ),
        _frequency(
            "phq9_7",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "44252-5",
        ),
        _frequency(
            "phq9_8",
            "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
            "being so fidgety or restless that you have been moving around a lot more than usual",
            "44253-3",
        ),
        _frequency(
            "phq9_9",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
            "44260-8",
        ),
        Item(
            "phq9_10",
            "If you checked off any problems, how difficult have these problems made it for you "
            "to do your work, take care of things at home, or get along with other people?",
            tuple(
                Option(v, label, code)
                for v, (label, code) in enumerate(
                    zip(DIFFICULTY_OPTIONS, DIFFICULTY_LOINC, strict=True)
                )
            ),
            loinc="69722-7",
            scored=False,
            required=False,
        ),
    ),
    scoring="sum",
    bands=(
        Band(0, 4, "minimal", "Minimal"),
        Band(5, 9, "mild", "Mild"),
        Band(10, 14, "moderate", "Moderate"),
        Band(15, 19, "moderately_severe", "Moderately severe"),
        Band(20, 27, "severe", "Severe"),
    ),
    loinc_panel="44249-1",
    loinc_total="44261-6",
    attribution=SPITZER_ATTRIBUTION,
    cadence="weekly, at every infusion visit, and when the daily mood dips",
    score_range=(0, 27),
    safety_item="phq9_9",
)

GAD7 = Instrument(
    id="gad7",
    name="GAD-7 anxiety",
    stem=TWO_WEEK_STEM,
    items=(
        _frequency("gad7_1", "Feeling nervous, anxious or on edge", "69725-0"),
        _frequency("gad7_2", "Not being able to stop or control worrying", "68509-9"),
        _frequency("gad7_3", "Worrying too much about different things", "69733-4"),
        _frequency("gad7_4", "Trouble relaxing", "69734-2"),
        _frequency("gad7_5", "Being so restless that it is hard to sit still", "69735-9"),
        _frequency("gad7_6", "Becoming easily annoyed or irritable", "69689-8"),
        _frequency("gad7_7", "Feeling afraid as if something awful might happen", "69736-7"),
    ),
    scoring="sum",
    bands=(
        Band(0, 4, "minimal", "Minimal"),
        Band(5, 9, "mild", "Mild"),
        Band(10, 14, "moderate", "Moderate"),
        Band(15, 21, "severe", "Severe"),
    ),
    loinc_panel="69737-5",
    loinc_total="70274-6",
    attribution=SPITZER_ATTRIBUTION,
    cadence="weekly",
    score_range=(0, 21),
)

MOOD = Instrument(
    id="mood",
    name="Daily mood",
    stem="How is your mood today?",
    items=(Item("mood", "Mood today", _scale(0, 10, "Worst", "Best")),),
    scoring="single",
    cadence="daily",
    score_range=(0, 10),
)

PAIN = Instrument(
    id="pain",
    name="Pain",
    stem="How much pain are you in today?",
    items=(Item("pain", "Pain today", _scale(0, 10, "No pain", "Worst pain")),),
    scoring="single",
    opt_in=True,
    cadence="daily",
    score_range=(0, 10),
)

AFTER = Instrument(
    id="after",
    name="Side effects after a treatment",
    stem="Since your last treatment, how much have you had each of these?",
    items=(
        _severity("after_dissociation", "Feeling detached, unreal or outside your body"),
        _severity("after_nausea", "Nausea or vomiting"),
        _severity("after_headache", "Headache"),
        _severity("after_dizziness", "Dizziness"),
        _severity("after_drowsiness", "Drowsiness"),
        _severity("after_other", "Something else (describe it in the note)", required=False),
    ),
    scoring="none",
    free_text_label="Anything else you noticed",
    cadence="2 hours and 24 hours after each infusion",
)

REGISTRY: dict[str, Instrument] = {i.id: i for i in (PHQ9, GAD7, MOOD, PAIN, AFTER)}

"""The instrument registry and scoring: pure functions, no database."""

import pytest

from afterglow.instruments.registry import REGISTRY, SPITZER_ATTRIBUTION
from afterglow.instruments.scoring import AnswerError, score_answers


def test_it_scores_phq9_as_the_sum_of_the_nine_items_and_ignores_the_difficulty_item():
    scored = score_answers("phq9", [1, 2, 1, 0, 3, 2, 1, 0, 1, 3])
    assert scored.score == 11
    assert scored.band == "moderate"
    assert scored.item9 == 1


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_it_puts_phq9_totals_in_the_bands_of_clinical_md(total, band):
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    answers += [0] * (9 - len(answers))
    assert score_answers("phq9", answers).band == band


@pytest.mark.parametrize(
    ("total", "band"),
    [(4, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"), (21, "severe")],
)
def test_it_puts_gad7_totals_in_their_bands(total, band):
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    answers += [0] * (7 - len(answers))
    assert score_answers("gad7", answers).band == band


def test_it_accepts_phq9_with_or_without_the_difficulty_item_but_nothing_else():
    assert score_answers("phq9", [0] * 9).score == 0
    with pytest.raises(AnswerError) as error:
        score_answers("phq9", [0] * 8)
    assert error.value.field == "answers"
    assert "9 or 10" in error.value.message


def test_it_names_the_answer_that_is_out_of_range():
    with pytest.raises(AnswerError) as error:
        score_answers("gad7", [0, 1, 4, 0, 0, 0, 0])
    assert error.value.field == "answers[2]"


def test_it_refuses_booleans_posing_as_answers():
    with pytest.raises(AnswerError):
        score_answers("mood", [True])


def test_it_scores_mood_and_pain_as_the_single_value_and_side_effects_not_at_all():
    assert score_answers("mood", [7]).score == 7
    assert score_answers("pain", [0]).score == 0
    after = score_answers("after", [1, 0, 2, 0, 3])
    assert after.score is None and after.band is None


def test_it_keeps_the_exact_phq9_wording_codes_and_attribution():
    phq9 = REGISTRY["phq9"]
    assert phq9.loinc_panel == "44249-1" and phq9.loinc_total == "44261-6"
    assert [i.loinc for i in phq9.items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
        "69722-7",
    ]
    assert phq9.items[8].text == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert [o.loinc for o in phq9.items[0].options] == [
        "LA6568-5",
        "LA6569-3",
        "LA6570-1",
        "LA6571-9",
    ]
    assert [o.label for o in phq9.items[0].options] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]
    assert REGISTRY["gad7"].attribution == SPITZER_ATTRIBUTION
    assert "Pfizer" in SPITZER_ATTRIBUTION


def test_it_offers_no_phq8():
    assert "phq8" not in REGISTRY

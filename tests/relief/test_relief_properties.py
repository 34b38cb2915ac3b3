"""Properties that must hold for any history: hypothesis builds random patients and checks them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st
from relief_stories import DAY_0

from afterglow.relief import (
    Episode,
    EventFact,
    InfusionFact,
    Phq9Fact,
    kaplan_meier,
    relief_episodes,
)
from afterglow.relief.facts import EVENT_KINDS, INFUSION_KINDS

HOUR = timedelta(hours=1)
PROPERTIES = settings(max_examples=100, deadline=None)


@dataclass(frozen=True)
class History:
    infusions: tuple[InfusionFact, ...]
    phq9s: tuple[Phq9Fact, ...]
    events: tuple[EventFact, ...]
    now: datetime

    def episodes(self) -> list[Episode]:
        return relief_episodes(self.infusions, self.phq9s, self.events, self.now)

    def shifted(self, offset: timedelta) -> History:
        return History(
            tuple(replace(i, given_at=i.given_at + offset) for i in self.infusions),
            tuple(replace(p, taken_at=p.taken_at + offset) for p in self.phq9s),
            tuple(replace(e, occurred_at=e.occurred_at + offset) for e in self.events),
            self.now + offset,
        )


@st.composite
def histories(draw: st.DrawFn) -> History:
    """A patient over a few months, times on the hour: a high baseline, a few infusions, PHQ-9s
    half a day to 18 days apart (half of them in relief, a few with item 9), now and then an event."""
    infusion_hours = draw(
        st.lists(st.integers(0, 100 * 24), min_size=1, max_size=5, unique=True).map(sorted)
    )
    infusions = tuple(
        InfusionFact(number, DAY_0 + hours * HOUR, "iv", draw(st.sampled_from(INFUSION_KINDS)))
        for number, hours in enumerate(infusion_hours, start=1)
    )
    baseline = Phq9Fact(100, DAY_0 - 24 * HOUR, draw(st.integers(12, 27)), 0)
    gaps = draw(st.lists(st.integers(12, 18 * 24), min_size=5, max_size=40))
    scores = st.one_of(st.integers(0, 6), st.integers(0, 27))  # half of them in relief
    phq9s = [baseline]
    taken = 0
    for number, gap in enumerate(gaps, start=101):
        taken += gap
        score = draw(scores)
        item9 = min(score, draw(st.sampled_from((0, 0, 0, 0, 1, 2))))
        phq9s.append(Phq9Fact(number, DAY_0 + taken * HOUR, score, item9))
    happenings = draw(
        st.lists(st.tuples(st.integers(0, 130 * 24), st.sampled_from(EVENT_KINDS)), max_size=3)
    )
    events = tuple(
        EventFact(200 + n, DAY_0 + hours * HOUR, kind) for n, (hours, kind) in enumerate(happenings)
    )
    now = DAY_0 + draw(st.integers(infusion_hours[-1] + 1, 140 * 24)) * HOUR
    return History(infusions, tuple(phq9s), events, now)


@PROPERTIES
@given(st.lists(st.tuples(st.floats(0, 365), st.booleans()), max_size=60))
def test_survival_never_increases(observations):
    estimate = kaplan_meier([d for d, _ in observations], [e for _, e in observations])

    survival = estimate.survival
    assert all(later <= earlier for earlier, later in pairwise(survival))
    assert all(s.lower <= s.survival <= s.upper for s in estimate.steps)


@PROPERTIES
@given(histories(), st.integers(-3000 * 24, 3000 * 24), st.integers(0, 3599))
def test_shifting_every_time_by_the_same_offset_changes_nothing(history, hours, seconds):
    offset = hours * HOUR + timedelta(seconds=seconds)

    before = history.episodes()
    after = history.shifted(offset).episodes()

    assert [e.start + offset for e in before] == [e.start for e in after]
    assert before == [replace(e, start=e.start - offset, end=e.end - offset) for e in after]


@PROPERTIES
@given(histories(), st.data())
def test_a_symptom_triggered_booster_never_lengthens_relief(history, data):
    before = history.episodes()
    followed = [e for e in before if e.duration_days is not None]
    episode = data.draw(st.sampled_from(followed or before))
    # A booster within 7 days of the episode's infusion would join its course and move its start.
    earliest = episode.start + timedelta(days=7, hours=1)
    if episode.points and data.draw(st.booleans()):
        # After the last PHQ-9 is where a booster could most easily stretch relief.
        last_phq9 = episode.start + timedelta(days=episode.points[-1].day)
        earliest = max(earliest, last_phq9 + HOUR)
    latest = episode.end if episode.ended_by is None else episode.end - HOUR
    booster_hours = data.draw(st.integers(0, max(0, (latest - earliest) // HOUR)))
    booster_at = earliest + booster_hours * HOUR
    if booster_at > latest:
        return
    booster = InfusionFact(999, booster_at, "iv", "symptom_triggered_booster")

    after = replace(history, infusions=(*history.infusions, booster)).episodes()

    (same,) = [e for e in after if e.start == episode.start]
    assert same.end == booster_at
    if same.duration_days is not None:
        assert episode.duration_days is not None
        shorter_or_same = same.duration_days <= episode.duration_days
        censoring_became_relapse = same.event and not episode.event
        assert shorter_or_same or censoring_became_relapse


@PROPERTIES
@given(histories())
def test_every_episode_carries_the_survival_pair_of_its_outcome(history):
    for episode in history.episodes():
        length = (episode.end - episode.start) / timedelta(days=1)
        if episode.outcome == "relapsed":
            assert episode.event is True
            assert episode.duration_days == episode.relapse_day
            assert episode.relapse_interval is not None
            assert episode.relapse_interval[0] <= episode.relapse_interval[1] == episode.relapse_day
        elif episode.outcome in ("censored", "ongoing"):
            assert episode.event is False
            assert episode.duration_days is not None
            assert (episode.censor_reason == "end_of_data") == (episode.outcome == "ongoing")
        else:
            assert (episode.duration_days, episode.event) == (None, False)
        if episode.duration_days is not None:
            assert 0 <= episode.duration_days <= length

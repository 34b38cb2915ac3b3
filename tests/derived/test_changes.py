"""The table of what each change affects is complete and every consumer it names exists."""

import inspect
from typing import get_args

from afterglow.derived.changes import AFFECTS, CONSUMERS, COVERED_BY, Change, Consumer
from afterglow.derived.updater import _updater


def test_every_kind_of_change_says_what_it_affects():
    assert set(AFFECTS) == set(get_args(Change))
    assert all(AFFECTS[kind] for kind in AFFECTS)


def test_every_consumer_names_an_async_updater_of_one_patient():
    assert set(CONSUMERS) == set(get_args(Consumer))
    for consumer in CONSUMERS:
        updater = _updater(consumer)
        assert inspect.iscoroutinefunction(updater), consumer
        assert list(inspect.signature(updater).parameters)[:3] == ["db", "patient_id", "now"]
    assert set(COVERED_BY) <= set(CONSUMERS) and set(COVERED_BY.values()) <= set(CONSUMERS)

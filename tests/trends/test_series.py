"""Downsampling a series for a phone-sized chart."""

import itertools
from datetime import UTC, datetime, timedelta

from afterglow.trends.series import Reading, downsample

START = datetime(2026, 1, 1, 20, 0, tzinfo=UTC)


def test_a_short_series_is_kept_as_it_is():
    readings = [Reading(START + timedelta(days=i), i % 10) for i in range(30)]
    points = downsample(readings, 200)
    assert [(p.at, p.mean, p.count) for p in points] == [(r.at, r.score, 1) for r in readings]


def test_a_long_series_is_bucketed_keeping_each_buckets_low_and_high():
    readings = [Reading(START + timedelta(days=i), 5.0) for i in range(1100)]
    readings[500] = Reading(readings[500].at, 0.0)
    points = downsample(readings, 100)
    assert len(points) <= 100
    assert sum(p.count for p in points) == 1100
    assert min(p.low for p in points) == 0.0
    assert all(p.high == 5.0 for p in points)


def test_a_gap_in_the_data_stays_a_gap():
    readings = [Reading(START + timedelta(days=i), 5.0) for i in range(300)]
    readings += [Reading(START + timedelta(days=600 + i), 5.0) for i in range(300)]
    points = downsample(readings, 90)
    gaps = [b.at - a.at for a, b in itertools.pairwise(points)]
    assert max(gaps) > timedelta(days=250)

"""The chart endpoint: series, infusion markers, episode bands, threshold lines, attribution."""

from datetime import UTC, datetime, timedelta

from conftest import World

NOW = datetime.now(UTC).replace(microsecond=0)


def day(n: float) -> str:
    return (NOW + timedelta(days=n)).isoformat()


async def test_a_phq9_chart_marks_infusions_shades_the_episode_and_draws_the_response_line(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    records = {
        "infusions": [
            {"given_at": day(d), "route": "iv", "kind": "induction"}
            for d in (-58, -56, -54, -52, -50, -48)
        ],
        "checkins": [
            {"instrument": "phq9", "answers": a, "taken_at": day(d)}
            for a, d in (
                ([3, 3, 3, 3, 3, 3, 2, 0, 0], -60),
                ([1, 1, 1, 1, 1, 0, 0, 0, 0], -45),
                ([1, 1, 1, 1, 0, 0, 0, 0, 0], -41),
            )
        ]
        + [
            {"instrument": "mood", "answers": [i % 10], "taken_at": day(-300 + i)}
            for i in range(299)
        ],
    }
    await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=records)
    chart = (
        await clinician.get(
            f"/api/patients/{world.patient_a1.id}/trends", params={"instrument": "phq9"}
        )
    ).json()
    assert [p["mean"] for p in chart["points"]] == [20, 5, 4]
    assert len(chart["infusions"]) == 6
    assert [e["outcome"] for e in chart["episodes"]] == ["censored"]  # no PHQ-9 for 41 days
    assert {"label": "Response (half of baseline 20)", "score": 10.0} in chart["thresholds"]
    assert "Pfizer" in chart["attribution"]
    mood = (
        await clinician.get(
            f"/api/patients/{world.patient_a1.id}/trends",
            params={"instrument": "mood", "since": day(-365), "max_points": 50},
        )
    ).json()
    assert mood["readings"] == 299 and len(mood["points"]) <= 50
    assert mood["thresholds"] == [] and mood["attribution"] is None


async def test_the_chart_refuses_what_cannot_be_charted(make_client, world: World):
    clinician = await make_client("doc@a.test")
    response = await clinician.get(
        f"/api/patients/{world.patient_a1.id}/trends", params={"instrument": "after"}
    )
    assert response.status_code == 400 and "instrument" in response.text
    backwards = await clinician.get(
        f"/api/patients/{world.patient_a1.id}/trends", params={"since": day(0), "until": day(-5)}
    )
    assert backwards.status_code == 400


async def test_trends_are_private(make_client, world: World):
    assert (
        await (await make_client("doc@b.test")).get(f"/api/patients/{world.patient_a1.id}/trends")
    ).status_code == 404
    assert (
        await (await make_client("p1@a.test")).get(f"/api/patients/{world.patient_a1.id}/trends")
    ).status_code == 200

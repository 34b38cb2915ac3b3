"""The relief thresholds an admin may override, as the settings screen lists them."""

from conftest import World


async def test_an_admin_gets_every_threshold_with_its_default_and_range(make_client, world: World):
    admin = await make_client("admin@a.test")

    response = await admin.get("/api/clinic/settings/relief-thresholds")

    assert response.status_code == 200, response.text
    specs = {s["name"]: s for s in response.json()}
    assert specs["baseline_window_days"] == {
        "name": "baseline_window_days",
        "default": 14.0,
        "low": 1,
        "high": 90,
        "whole": False,
    }
    assert specs["minimal_important_difference"]["default"] == 5
    assert specs["minimal_important_difference"]["whole"] is True
    assert specs["survival_landmark_days"]["default"] == [14, 28, 56]


async def test_every_listed_threshold_is_one_the_settings_accept_at_its_limits(
    make_client, world: World
):
    admin = await make_client("admin@a.test")
    specs = (await admin.get("/api/clinic/settings/relief-thresholds")).json()
    settings = (await admin.get("/api/clinic/settings")).json()

    for spec in specs:
        if spec["name"] in ("waning_min_days", "waning_window_days", "survival_landmark_days"):
            continue  # bounded by each other / a list: checked below
        for value in (spec["low"], spec["high"]):
            value = int(value) if spec["whole"] else value
            settings["relief"] = {spec["name"]: value}
            response = await admin.put("/api/clinic/settings", json=settings)
            assert response.status_code == 200, (spec, response.text)
    settings["relief"] = {"survival_landmark_days": [7, 30]}
    assert (await admin.put("/api/clinic/settings", json=settings)).status_code == 200
    settings["relief"] = {"waning_min_days": 14, "waning_window_days": 14}
    assert (await admin.put("/api/clinic/settings", json=settings)).status_code == 200


async def test_a_clinician_may_not_list_them(make_client, world: World):
    clinician = await make_client("doc@a.test")

    response = await clinician.get("/api/clinic/settings/relief-thresholds")

    assert response.status_code == 403

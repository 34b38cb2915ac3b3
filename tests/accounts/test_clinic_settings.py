"""Clinic settings: admins read and replace them; the crisis screen and alert windows follow.
(What each patient's crisis screen says is pinned in tests/crisis.)"""

from datetime import timedelta

from sqlalchemy import select

from afterglow.accounts.models import Clinic
from afterglow.alerts.models import SafetyAlert
from afterglow.audit.models import AuditEvent
from conftest import World, checkin_key

NIGHT_LINE = {
    "label": {
        "en": "Clinic night line (synthetic)",
        "es": "Línea nocturna de la clínica (sintética)",
    },
    "contact": "+44 20 7946 0000",
    "kind": "phone",
}
EMERGENCY_999 = {
    "label": {"en": "Emergency: 999", "es": "Emergencias: 999"},
    "contact": "999",
    "kind": "emergency",
}
ITEM9 = {"instrument": "phq9", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 1]}


async def test_an_admin_sees_the_defaults_of_clinical_md(make_client, world: World):
    admin = await make_client("admin@a.test")
    settings = (await admin.get("/api/clinic/settings")).json()
    crisis_help = (await admin.get("/api/clinic/settings/crisis-help")).json()

    assert (settings["alert_window_hours"], settings["urgent_alert_window_hours"]) == (4.0, 1.0)
    assert settings["crisis_resources"] == {}  # Afterglow's own list for every country
    lists = {c["country"]: [r["contact"] for r in c["resources"]] for c in crisis_help["lists"]}
    assert lists == {
        "US": ["988", "988", "https://988lifeline.org", "988", "911"],
        "GB": ["116 123", "111", "999"],
        "ES": ["024", "112"],
        "MX": ["800 911 2000", "911"],
        "CA": ["988", "988", "911"],
    }
    samaritans = crisis_help["lists"][1]["resources"][0]["label"]
    assert samaritans["en"] == "Samaritans: call 116 123, free, day or night"
    assert set(samaritans) == {"en", "es"}
    assert "FR" in crisis_help["emergency_112"]
    languages = {lang["lang"]: lang for lang in crisis_help["languages"]}
    assert languages["en"]["reviewed"] is True
    assert languages["es"]["reviewed"] is False and languages["es"]["reviewer"] is None
    assert "988lifeline.org/es" in languages["es"]["sources"]["crisis.us.call"]


async def test_a_clinics_own_list_for_a_country_reaches_that_countrys_patients_only(
    make_client, world: World, db
):
    admin = await make_client("admin@a.test")
    settings = (await admin.get("/api/clinic/settings")).json()
    settings["crisis_resources"]["GB"] = [NIGHT_LINE, EMERGENCY_999]
    settings["alert_window_hours"] = 2
    response = await admin.put("/api/clinic/settings", json=settings)
    assert response.status_code == 200, response.text

    london = await make_client("p2@a.test")  # Europe/London, no country set
    new_york = await make_client("p1@a.test")
    in_london = await london.post("/api/checkins", json=ITEM9, headers=checkin_key())
    in_new_york = await new_york.post("/api/checkins", json=ITEM9, headers=checkin_key())

    assert [r["label"] for r in in_london.json()["safety"]["resources"]] == [
        "Clinic night line (synthetic)",
        "Emergency: 999",
    ]
    assert [r["contact"] for r in in_new_york.json()["safety"]["resources"]][:1] == ["988"]
    alert = (await db.execute(select(SafetyAlert).limit(1))).scalar_one()
    assert alert.escalate_at - alert.created_at == timedelta(hours=2)
    audit = (
        await db.execute(select(AuditEvent).where(AuditEvent.action == "clinic.settings.update"))
    ).scalar_one()
    assert audit.actor_user_id == world.admin_a.id


async def test_a_clinic_list_is_refused_unless_worded_in_every_language_with_an_emergency_number(
    make_client, world: World
):
    admin = await make_client("admin@a.test")
    current = (await admin.get("/api/clinic/settings")).json()
    english_only = {**NIGHT_LINE, "label": {"en": "Clinic night line"}}
    undialable = {**EMERGENCY_999, "contact": "call reception"}
    cases = {
        "crisis_resources.GB.0.label.es": [english_only, EMERGENCY_999],
        "crisis_resources.GB": [NIGHT_LINE],
        "crisis_resources.GB.1.contact": [NIGHT_LINE, undialable],
        "crisis_resources.GB.0.label.fr": [
            {**NIGHT_LINE, "label": {**NIGHT_LINE["label"], "fr": "Ligne de nuit"}},
            EMERGENCY_999,
        ],
        "crisis_resources.XX": {"XX": [NIGHT_LINE, EMERGENCY_999]},
    }
    for field, body in cases.items():
        lists = body if isinstance(body, dict) else {"GB": body}
        response = await admin.put(
            "/api/clinic/settings", json={**current, "crisis_resources": lists}
        )
        assert response.status_code == 400, (field, response.text)
        assert field in [problem["key"] for problem in response.json()["extra"]], response.text
    assert (await admin.get("/api/clinic/settings")).json() == current


async def test_settings_that_would_escalate_urgent_alerts_later_are_refused(
    make_client, world: World
):
    admin = await make_client("admin@a.test")
    urgent_later = await admin.put(
        "/api/clinic/settings", json={"alert_window_hours": 1, "urgent_alert_window_hours": 3}
    )
    zero_window = await admin.put("/api/clinic/settings", json={"alert_window_hours": 0})
    assert urgent_later.status_code == 400 and "urgent_alert_window_hours" in urgent_later.text
    assert zero_window.status_code == 400 and "alert_window_hours" in zero_window.text


async def test_only_admins_touch_the_settings(make_client, world: World):
    clinician = await make_client("doc@a.test")
    assert (await clinician.get("/api/clinic/settings")).status_code == 403
    assert (await clinician.put("/api/clinic/settings", json={})).status_code == 403


async def test_the_on_call_contact_must_be_active_staff_of_this_clinic(make_client, world):
    admin = await make_client("admin@a.test")
    current = (await admin.get("/api/clinic/settings")).json()
    for outsider in (world.clinician_b.id, world.patient_a1.user_id, 999_999):
        response = await admin.put(
            "/api/clinic/settings", json={**current, "on_call_user_id": outsider}
        )
        assert response.status_code == 400, outsider
        assert "on_call_user_id" in response.json()["detail"]
    ok = await admin.put(
        "/api/clinic/settings", json={**current, "on_call_user_id": world.clinician_a2.id}
    )
    assert ok.status_code == 200
    assert (await admin.get("/api/clinic/settings")).json()[
        "on_call_user_id"
    ] == world.clinician_a2.id


async def test_clinic_settings_refuse_an_unknown_key_naming_it(make_client, world: World):
    admin = await make_client("admin@a.test")
    current = (await admin.get("/api/clinic/settings")).json()
    misspelt = {**current, "alert_windw_hours": 2}
    resource = {**NIGHT_LINE, "phone_number": "+1 555 0100"}
    nested = {**current, "crisis_resources": {"GB": [resource, EMERGENCY_999]}}
    relief = {**current, "relief": {"no_such_threshold": 3}}

    for body, key in ((misspelt, "alert_windw_hours"), (nested, "phone_number")):
        response = await admin.put("/api/clinic/settings", json=body)
        assert response.status_code == 400, response.text
        assert key in response.json()["detail"] or key in str(response.json().get("extra"))
    response = await admin.put("/api/clinic/settings", json=relief)
    assert response.status_code == 400, response.text
    assert "relief.no_such_threshold" in response.json()["detail"]
    assert (await admin.get("/api/clinic/settings")).json() == current


async def test_a_stored_setting_with_a_key_no_longer_known_still_reads(
    make_client, world: World, db
):
    clinic = await db.get(Clinic, world.clinic_a.id)
    clinic.settings = {"alert_window_hours": 2, "retired_option": True}
    await db.commit()
    admin = await make_client("admin@a.test")
    patient = await make_client("p1@a.test")

    shown = await admin.get("/api/clinic/settings")
    checkin = await patient.post(
        "/api/checkins",
        json={"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 1]},
        headers=checkin_key(),
    )

    assert shown.status_code == 200, shown.text
    assert shown.json()["alert_window_hours"] == 2
    assert "retired_option" not in shown.json()
    assert checkin.status_code == 201, checkin.text

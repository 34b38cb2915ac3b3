"""Text from clients behaves the same on SQLite and PostgreSQL: a NUL character is stripped from
every text a client sends (body or query string) before anything validates, stores or searches it.

PostgreSQL text cannot hold NUL and SQLite can, so before this rule the same request stored on
one database and answered 500 on the other.
"""

from datetime import timedelta

from conftest import NOW, World, checkin_key
from fake_push_service import FakePushService

NUL = "\u0000"


def field_keys(response) -> set[str]:
    return {e["key"] for e in response.json().get("extra", [])}


async def test_a_nul_in_names_and_emails_is_stripped_the_same_on_both_databases(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    created = await clinician.post(
        "/api/patients/",
        json={
            "display_name": f"Synthetic{NUL} Newcomer",
            "email": f"newcomer{NUL}@a.test",
            "timezone": f"Europe/{NUL}London",
        },
    )
    assert created.status_code == 201, created.text
    patient = created.json()["patient"]
    assert (patient["display_name"], patient["email"], patient["timezone"]) == (
        "Synthetic Newcomer",
        "newcomer@a.test",
        "Europe/London",
    )
    renamed = await clinician.patch(
        f"/api/patients/{patient['id']}", json={"display_name": f"Renamed{NUL} Newcomer"}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["display_name"] == "Renamed Newcomer"

    admin = await make_client("admin@a.test")
    staff = await admin.post(
        "/api/staff/",
        json={"email": f"nurse{NUL}@a.test", "display_name": f"Nurse{NUL} Synthetic"},
    )
    assert staff.status_code == 201, staff.text
    assert (staff.json()["email"], staff.json()["display_name"]) == (
        "nurse@a.test",
        "Nurse Synthetic",
    )


async def test_a_nul_in_sign_in_is_stripped_like_everywhere_else(make_client, world: World):
    client = await make_client()
    response = await client.post(
        "/api/auth/login", json={"email": f"p1@a.test{NUL}", "password": "correct horse battery"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "p1@a.test"


async def test_a_nul_in_clinical_notes_is_stripped_the_same_on_both_databases(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    base = f"/api/patients/{world.patient_a1.id}"
    infusion = await clinician.post(
        f"{base}/infusions",
        json={
            "given_at": (NOW - timedelta(days=2)).isoformat(),
            "route": "iv",
            "kind": "induction",
            "notes": f"Tolerated{NUL} well",
        },
    )
    assert infusion.status_code == 201, infusion.text
    assert infusion.json()["notes"] == "Tolerated well"
    corrected = await clinician.patch(
        f"{base}/infusions/{infusion.json()['id']}", json={"notes": f"BP{NUL} stable"}
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["notes"] == "BP stable"
    event = await clinician.post(
        f"{base}/events",
        json={
            "kind": "medication_change",
            "occurred_at": (NOW - timedelta(days=1)).isoformat(),
            "notes": f"Sertraline{NUL} stopped",
        },
    )
    assert event.status_code == 201, event.text
    assert event.json()["notes"] == "Sertraline stopped"

    patient = await make_client("p1@a.test")
    checkin = await patient.post(
        "/api/checkins",
        json={"instrument": "phq9", "answers": [1] * 9},
        headers=checkin_key(),
    )
    assert checkin.status_code == 201, checkin.text
    alert_id = (await clinician.get("/api/alerts")).json()[0]["id"]
    acked = await clinician.post(
        f"/api/alerts/{alert_id}/ack", json={"note": f"Called{NUL}, safe."}
    )
    assert acked.status_code == 200, acked.text
    assert acked.json()["ack_note"] == "Called, safe."


async def test_a_nul_in_labels_and_settings_is_stripped_the_same_on_both_databases(
    make_client, world: World, push_service: FakePushService
):
    patient = await make_client("p1@a.test")
    device = await patient.post(
        "/api/push/subscriptions",
        json=push_service.device("phone").subscription(f"Pixel{NUL} 9"),
    )
    assert device.status_code == 201, device.text
    listed = (await patient.get("/api/push/subscriptions")).json()
    assert [d["device_label"] for d in listed] == ["Pixel 9"]

    reminders = await patient.put(
        "/api/me/reminders",
        json={
            "daily_mood_at": "20:00",
            "weekly_phq9": None,
            "weekly_gad7": None,
            "timezone": f"America/{NUL}Chicago",
        },
    )
    assert reminders.status_code == 200, reminders.text
    assert reminders.json()["timezone"] == "America/Chicago"

    admin = await make_client("admin@a.test")
    settings = (await admin.get("/api/clinic/settings")).json()
    settings["crisis_resources"]["US"] = [
        {
            "label": {"en": f"Clinic{NUL} crisis line", "es": f"Línea{NUL} de la clínica"},
            "contact": f"+1 555{NUL} 0100",
            "kind": "emergency",
        }
    ]
    settings["on_call_contact"] = f"Dr{NUL} On Call"
    saved = await admin.put("/api/clinic/settings", json=settings)
    assert saved.status_code == 200, saved.text
    resource = saved.json()["crisis_resources"]["US"][0]
    assert (resource["label"]["en"], resource["contact"]) == ("Clinic crisis line", "+1 555 0100")
    assert saved.json()["on_call_contact"] == "Dr On Call"


async def test_a_text_of_nothing_but_nul_is_refused_naming_the_field(make_client, world: World):
    clinician = await make_client("doc@a.test")
    nameless = await clinician.post(
        "/api/patients/",
        json={"display_name": f"{NUL}{NUL}", "timezone": "Europe/London"},
    )
    assert nameless.status_code == 400, nameless.text
    assert "display_name" in field_keys(nameless)
    patient = await make_client("p1@a.test")
    await patient.post(
        "/api/checkins", json={"instrument": "phq9", "answers": [1] * 9}, headers=checkin_key()
    )
    alert_id = (await clinician.get("/api/alerts")).json()[0]["id"]
    noteless = await clinician.post(f"/api/alerts/{alert_id}/ack", json={"note": NUL})
    assert noteless.status_code == 400, noteless.text
    assert "note" in noteless.text


async def test_a_search_with_a_nul_finds_what_the_same_search_without_it_finds(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    plain = await clinician.get("/api/patients/", params={"q": "patient a"})
    with_nul = await clinician.get("/api/patients/", params={"q": f"patient{NUL} a"})
    assert with_nul.status_code == 200, with_nul.text
    assert [p["display_name"] for p in with_nul.json()] == ["Patient A1", "Patient A2"]
    assert with_nul.json() == plain.json()

    admin = await make_client("admin@a.test")
    audit = await admin.get("/api/audit/", params={"action": f"patients{NUL}.list"})
    assert audit.status_code == 200, audit.text
    assert [e["action"] for e in audit.json()] == ["patients.list", "patients.list"]

    trends = await clinician.get(
        f"/api/patients/{world.patient_a1.id}/trends", params={"instrument": f"phq{NUL}9"}
    )
    assert trends.status_code == 200, trends.text


async def test_no_query_parameter_of_any_route_answers_500_for_a_nul(make_client, world: World):
    """Every GET operation in the API document, each text query parameter given a NUL, as a
    clinician and as a patient: a new route with a text parameter is covered by being listed."""
    clinician = await make_client("doc@a.test")
    patient = await make_client("p1@a.test")
    document = (await clinician.get("/schema/openapi.json")).json()
    tried = 0
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        url = path.replace("{patient_id}", str(world.patient_a1.id))
        url = url.replace("{token}", "synthetic-token")
        for name in ("{alert_id}", "{infusion_id}", "{user_id}", "{event_id}"):
            url = url.replace(name, "1")
        texts = [
            p["name"]
            for p in get.get("parameters", [])
            if p["in"] == "query" and "string" in str(p.get("schema", {}))
        ]
        for name in texts:
            for client in (clinician, patient):
                response = await client.get(url, params={name: f"a{NUL}b"})
                assert response.status_code < 500, (path, name, response.text)
                tried += 1
    assert tried >= 8

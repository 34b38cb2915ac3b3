"""The integration journal in the browser: written offline, sent once back online, private until
the patient shares it, and gone from the clinic again when they stop sharing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from .clinic.clinic_support import CLINICIAN_EMAIL, DESKTOP, sign_in_context
from .e2e_support import (
    Patient,
    check_accessibility,
    enroll_in_browser,
    open_app_enrolled,
    sign_in,
    wait_for_service_worker,
)

STOOD_OUT = "The music, and feeling far from my worries."
DAY_AFTER = "Tired but lighter.\nSlept nine hours."


def shared_on_timeline(clinician: httpx.Client, patient_id: int) -> list[Any]:
    response = clinician.get(f"/api/patients/{patient_id}/timeline")
    assert response.status_code == 200, response.text
    journal: list[Any] = response.json()["journal"]
    return journal


def timeline_reads(admin: httpx.Client, patient_id: int) -> int:
    rows = admin.get(
        "/api/audit/", params={"patient_id": patient_id, "action": "timeline.read"}
    ).json()
    return len(rows)


def the_clinicians_view(chromium: Any, server: str, patient: Patient, tmp_path: Path) -> None:
    """The shared entry on the patient's screen of the workspace, at 1366 px."""
    desk = chromium.new_context(viewport=DESKTOP, locale="en-US", timezone_id="America/New_York")
    sign_in_context(desk, server, CLINICIAN_EMAIL)
    screen = desk.new_page()
    screen.goto(f"{server}/clinic/#/patients/{patient.id}")
    section = screen.get_by_role("region", name="1 journal entry the patient shares")
    expect(section.get_by_text(STOOD_OUT)).to_be_visible()
    expect(section.get_by_text("Walk every morning.")).to_be_visible()
    expect(section.get_by_text("Private entries are never shown here.")).to_be_visible()
    section.screenshot(path=str(tmp_path / "journal-workspace-1366px.png"))
    desk.close()


def test_an_entry_written_offline_is_sent_once_private_then_shared_and_unshared(
    chromium: Any,
    context: Any,
    server: str,
    clinician: httpx.Client,
    new_patient: Callable[..., Patient],
    tmp_path: Path,
) -> None:
    patient = new_patient()
    page = open_app_enrolled(context, server, patient)
    page.get_by_role("link", name="Journal").click()
    expect(page.get_by_role("heading", name="Journal", level=1)).to_be_visible()
    expect(page.get_by_text("Your clinic does not read your entries")).to_be_visible()
    expect(page.get_by_text("No entries yet.")).to_be_visible()
    check_accessibility(page, "journal")
    page.screenshot(path=str(tmp_path / "journal-390px.png"), full_page=True)

    context.set_offline(True)
    page.get_by_label("What stood out for you?").fill(STOOD_OUT)
    page.get_by_label("How does the day after feel?").fill(DAY_AFTER)
    page.get_by_role("button", name="Save privately").click()
    expect(page.get_by_text("Saved on this phone.")).to_be_visible()
    entry = page.locator(".journal-entry")
    expect(entry).to_have_count(1)
    expect(entry.get_by_text("Waiting to send")).to_be_visible()
    expect(entry.get_by_text(STOOD_OUT)).to_be_visible()
    expect(page.get_by_label("What stood out for you?")).to_have_value("")
    page.screenshot(path=str(tmp_path / "journal-offline-390px.png"), full_page=True)
    own = sign_in(server, patient.email)
    assert own.get("/api/me/journal").json() == []

    context.set_offline(False)
    expect(entry.get_by_text("Private", exact=True)).to_be_visible(timeout=20_000)
    [stored] = own.get("/api/me/journal").json()
    assert (stored["stood_out"], stored["day_after"], stored["shared"]) == (
        STOOD_OUT,
        DAY_AFTER,
        False,
    )
    assert shared_on_timeline(clinician, patient.id) == []

    entry.get_by_role("button", name="Share with my clinic").click()
    expect(entry.get_by_text("Your clinicians can read it until you stop sharing")).to_be_visible()
    entry.get_by_role("button", name="Yes, share it").click()
    expect(entry.get_by_text("Shared with your clinic")).to_be_visible()
    admin = sign_in(server, "admin@e2e.test")
    reads_before = timeline_reads(admin, patient.id)
    [seen] = shared_on_timeline(clinician, patient.id)
    assert (seen["stood_out"], seen["day_after"]) == (STOOD_OUT, DAY_AFTER)
    assert timeline_reads(admin, patient.id) == reads_before + 1

    entry.get_by_role("button", name="Edit").click()
    editing = page.get_by_role("form", name="Edit entry")
    expect(editing.get_by_label("What stood out for you?")).to_have_value(STOOD_OUT)
    editing.get_by_label("One thing to carry forward").fill("Walk every morning.")
    editing.get_by_role("button", name="Save changes").click()
    expect(entry.get_by_text("Walk every morning.")).to_be_visible()
    expect(entry.get_by_text("Edited")).to_be_visible()
    expect(entry.get_by_text("Shared with your clinic")).to_be_visible()
    [edited] = shared_on_timeline(clinician, patient.id)
    assert edited["carry_forward"] == "Walk every morning." and edited["edited_at"]
    page.screenshot(path=str(tmp_path / "journal-shared-390px.png"), full_page=True)
    the_clinicians_view(chromium, server, patient, tmp_path)

    entry.get_by_role("button", name="Stop sharing").click()
    expect(entry.get_by_text("Private", exact=True)).to_be_visible()
    assert shared_on_timeline(clinician, patient.id) == []
    assert len(own.get("/api/me/journal").json()) == 1

    # The prompt the day after each treatment is the patient's to turn off, with the others.
    page.get_by_role("link", name="Reminders").click()
    prompt = page.get_by_label("A journal prompt the day after each treatment")
    expect(prompt).to_be_checked()
    prompt.uncheck()
    page.get_by_role("button", name="Save reminders").click()
    expect(page.get_by_text("Saved.", exact=True)).to_be_visible()
    assert own.get("/api/me/reminders/").json()["journal_prompts"] is False
    own.close()
    admin.close()
    print(f"screenshots: {tmp_path}")


def test_the_spanish_journal_says_the_clinic_does_not_read_it_opens_help_and_is_never_lost_unseen(
    context: Any, server: str, new_patient: Callable[..., Patient], tmp_path: Path
) -> None:
    page = context.new_page()
    enroll_in_browser(page, server, new_patient(locale="es-MX"), heading="Hoy")
    wait_for_service_worker(page)
    page.get_by_role("link", name="Diario").click()
    expect(page.get_by_role("heading", name="Diario", level=1)).to_be_visible()
    expect(page.get_by_text("Su clínica no lee sus entradas")).to_be_visible()
    expect(page.get_by_label("¿Qué le llamó la atención?")).to_be_visible()
    page.screenshot(path=str(tmp_path / "journal-es-390px.png"), full_page=True)

    # The crisis screen of the patient's country, all in English while its Spanish awaits a
    # clinician's review; it speaks of no answer, since nothing was answered.
    page.get_by_role("button", name="Buscar ayuda ahora").click()
    expect(page.get_by_role("heading", name="Please reach out now", level=1)).to_be_visible()
    expect(page.get_by_text("If you are having thoughts of hurting yourself")).to_be_visible()
    expect(page.get_by_text("Your clinic sees only the journal entries you share")).to_be_visible()
    expect(page.get_by_text("You said you have had thoughts")).to_have_count(0)
    expect(page.get_by_text("will see this answer")).to_have_count(0)
    expect(page.get_by_role("link", name="Immediate danger: call 911")).to_be_visible()
    page.screenshot(path=str(tmp_path / "journal-crisis-es-390px.png"), full_page=True)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Diario", level=1)).to_be_visible()

    # Written offline, then signing out: the patient is told it would be deleted, first.
    context.set_offline(True)
    page.get_by_label("Algo que quiera llevarse para los próximos días").fill("Caminar más.")
    page.get_by_role("button", name="Guardar en privado").click()
    expect(page.get_by_text("Pendiente de envío")).to_be_visible()
    page.get_by_role("link", name="Cuenta").click()
    page.get_by_role("button", name="Cerrar sesión").click()
    expect(page.get_by_text("1 entrada del diario está solo en este teléfono")).to_be_visible()
    expect(page.get_by_role("heading", name="Su cuenta", level=1)).to_be_visible()
    print(f"screenshots: {tmp_path}")

"""Getting back in: a reset link the clinic shows, and signing in when one email has two clinics."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from .e2e_support import (
    PASSWORD,
    Patient,
    api_client,
    check_accessibility,
    enrolled_patient_client,
    sign_in,
    token_of,
)


def test_a_reset_link_asks_for_a_new_password_and_opens_today(
    context: Any,
    server: str,
    clinician: httpx.Client,
    new_patient: Callable[..., Patient],
    tmp_path: Path,
) -> None:
    patient = new_patient()
    enrolled_patient_client(server, patient).close()
    issued = clinician.post(f"/api/patients/{patient.id}/password-reset")
    assert issued.status_code == 201, issued.text
    link = issued.json()["url"]

    page = context.new_page()
    page.goto(f"{server}/#/enroll/{token_of(link)}")
    page.get_by_role("heading", name="Choose a new password", level=1).wait_for()
    expect(page.get_by_text("sent you this link to choose a new password")).to_be_visible()
    check_accessibility(page, "password reset")
    page.screenshot(path=str(tmp_path / "password-reset-390px.png"), full_page=True)
    page.get_by_label("Password", exact=True).fill("a-new-synthetic-password")
    page.get_by_role("button", name="Save new password").click()
    page.get_by_role("heading", name="Today", level=1).wait_for()

    # The new password is the one that works from now on.
    phone = api_client(server)
    signed_in = phone.post(
        "/api/auth/login", json={"email": patient.email, "password": "a-new-synthetic-password"}
    )
    assert signed_in.status_code == 200, signed_in.text


def _second_clinic_patient_with_the_same_email(
    server: str, environment: dict[str, str], email: str
) -> None:
    """Another clinic, made with the CLI, enrolls a patient under the same email and password."""
    tag = uuid.uuid4().hex[:8]
    admin_email = f"admin-{tag}@other.e2e.test"
    subprocess.run(
        [
            str(Path(sys.executable).with_name("afterglow")),
            "create-admin",
            *("--clinic", f"Other Synthetic Clinic {tag}"),
            *("--email", admin_email),
            *("--name", "Other Admin"),
            *("--password", PASSWORD),
        ],
        env=environment,
        check=True,
        capture_output=True,
    )
    admin = sign_in(server, admin_email)
    invited = admin.post(
        "/api/staff/",
        json={
            "email": f"doc-{tag}@other.e2e.test",
            "display_name": "Dr Other",
            "role": "clinician",
        },
    )
    assert invited.status_code == 201, invited.text
    accepted = api_client(server).post(
        f"/api/enrollment/{token_of(invited.json()['invite']['url'])}",
        json={"password": PASSWORD},
    )
    assert accepted.status_code == 201, accepted.text
    doc = sign_in(server, f"doc-{tag}@other.e2e.test")
    added = doc.post(
        "/api/patients/",
        json={"display_name": f"Synthetic twin {tag}", "email": email, "timezone": "Europe/London"},
    )
    assert added.status_code == 201, added.text
    other = Patient(added.json()["patient"]["id"], email, added.json()["enrollment"]["url"], "")
    enrolled_patient_client(server, other).close()


def test_one_email_at_two_clinics_asks_which_clinic_and_signs_in_to_the_chosen_one(
    context: Any,
    server: str,
    server_environment: dict[str, str],
    new_patient: Callable[..., Patient],
    tmp_path: Path,
) -> None:
    patient = new_patient()
    enrolled_patient_client(server, patient).close()
    _second_clinic_patient_with_the_same_email(server, server_environment, patient.email)

    page = context.new_page()
    page.goto(f"{server}/#/signin")
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    choice = page.get_by_role("group", name="more than one clinic")
    choice.wait_for()
    check_accessibility(page, "clinic choice")
    page.screenshot(path=str(tmp_path / "sign-in-clinic-choice-390px.png"), full_page=True)
    page.get_by_role("radio", name="E2E Synthetic Clinic").check()
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Today", level=1).wait_for()

    me = page.evaluate("fetch('/api/me').then((r) => r.json())")
    assert me["patient_id"] == patient.id

"""HTTP for a clinic's confirmation of a language's crisis text (CLINICAL.md §5): clinicians
who read the language confirm it for the clinic's patients; staff see it and may withdraw it."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from afterglow.accounts.auth import clinicians_only, staff_only
from afterglow.crisis.schemas import ClinicCrisisTextOut, CrisisTextConfirm, CrisisTextWithdraw
from afterglow.crisis.service import clinic_crisis_texts, confirm_crisis_text, withdraw_crisis_text
from afterglow.errors import Conflict
from afterglow.http import DB, CurrentViewer, Now


class CrisisTextController(Controller):
    path = "/api/clinic/crisis-texts"
    tags = ["Crisis help"]
    guards = [staff_only]

    @get(
        "/",
        operation_id="listClinicCrisisTexts",
        policy="clinic-staff",
        summary="Each language's crisis text for the clinic's patients, and whether they see it",
        description="For every language of the app but English: the whole crisis text the "
        "clinic's patients may be shown in it (the screen's own sentences, and the list of each "
        "country the clinic's patients are in: Afterglow's, or the clinic's own lines), each "
        "beside its English, as patients read it; whether patients who read the language see "
        "it (`status`), who confirmed it for the clinic and when; and the fingerprint of the "
        "text, which a confirmation sends back.",
    )
    async def list_texts(self, db: DB, viewer: CurrentViewer) -> list[ClinicCrisisTextOut]:
        return await clinic_crisis_texts(db, viewer)

    @post(
        "/confirm",
        guards=[clinicians_only],
        operation_id="confirmClinicCrisisText",
        raises=[Conflict],
        policy="clinic-clinician",
        summary="Confirm a language's crisis text for the clinic's patients (clinicians)",
        description="A clinician who reads the language read the whole text and confirms it: "
        "from then on the clinic's patients who read it see the crisis screen in it, for the "
        "countries whose lists the text held. Send the `text_sha256` the text was shown with: "
        "when the text changed since (a release, the clinic's own lists, a patient in a new "
        "country) the answer is 409, and it must be read again. Any later change to the text "
        "puts patients back on English until a clinician confirms it again. Audited.",
        status_code=HTTP_200_OK,
    )
    async def confirm(
        self, data: JSONBody[CrisisTextConfirm], db: DB, viewer: CurrentViewer, now: Now
    ) -> ClinicCrisisTextOut:
        confirmed = await confirm_crisis_text(db, viewer, data, now)
        await db.commit()
        return confirmed

    @post(
        "/withdraw",
        operation_id="withdrawClinicCrisisText",
        policy="clinic-staff",
        summary="Withdraw the clinic's confirmation of a language's crisis text",
        description="Patients who read the language see the crisis screen in English until a "
        "clinician confirms its text again. Clinicians and admins may withdraw (an admin does not "
        "judge the wording, but may stop showing it, e.g. when the clinician who confirmed it has "
        "left). Withdrawing what is not confirmed changes nothing. Audited.",
        status_code=HTTP_200_OK,
    )
    async def withdraw(
        self, data: JSONBody[CrisisTextWithdraw], db: DB, viewer: CurrentViewer
    ) -> ClinicCrisisTextOut:
        withdrawn = await withdraw_crisis_text(db, viewer, data)
        await db.commit()
        return withdrawn

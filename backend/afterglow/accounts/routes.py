"""HTTP for sign-in, enrollment, patients and staff: translate requests, call the services, reply."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post, put
from litestar.datastructures import Cookie
from litestar.exceptions import (
    NotAuthorizedException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from afterglow.accounts import schemas
from afterglow.accounts.auth import PUBLIC, admins_only, client_address, clinicians_only
from afterglow.accounts.clinic_settings import ClinicSettings
from afterglow.accounts.models import User
from afterglow.accounts.service import (
    ReliefThresholdSpec,
    add_patient,
    change_own_language,
    clinic_patients,
    clinic_staff,
    enrollment_status,
    invite_staff,
    link_info,
    open_session,
    patient_profile,
    patient_reset_link,
    reissue_enrollment,
    relief_threshold_specs,
    replace_clinic_settings,
    set_staff_active,
    settings_of_clinic,
    sign_in,
    staff_reset_link,
    update_patient,
    use_link,
    viewer_me,
)
from afterglow.accounts.sessions import SESSION_COOKIE, end_all_sessions, end_session
from afterglow.crisis.schemas import CrisisHelpOut
from afterglow.crisis.screen import PHONE_ZONE_HEADER
from afterglow.crisis.service import crisis_help
from afterglow.errors import Conflict
from afterglow.fields import Id, Offset
from afterglow.http import DB, AppSettings, CurrentViewer, Now
from afterglow.settings import Settings


def session_cookie(
    settings: Settings, request: Request[Any, Any, Any], token: str, lifetime: timedelta
) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        max_age=int(lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://") or request.url.scheme == "https",
    )


def cleared_session_cookie() -> Cookie:
    return Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/", httponly=True, samesite="lax")


async def _signed_in(
    db: DB,
    settings: AppSettings,
    request: Request[Any, Any, Any],
    user: User,
    now: Now,
    status_code: int,
) -> Response[schemas.MeOut]:
    signed_in = await open_session(
        db,
        settings,
        user,
        now,
        user_agent=request.headers.get("user-agent"),
        address=client_address(request, settings),
    )
    await db.commit()
    cookie = session_cookie(settings, request, signed_in.token, signed_in.lifetime)
    return Response(signed_in.me, status_code=status_code, cookies=[cookie])


class AuthController(Controller):
    path = "/api"
    tags = ["Accounts"]

    @post(
        "/auth/login",
        opt=PUBLIC,
        operation_id="login",
        raises=[NotAuthorizedException, TooManyRequestsException, Conflict],
        policy="public",
        summary="Sign in with email and password",
        description="Starts a server-side session (HttpOnly cookie). After a few failures, per "
        "account and per address across all instances, the next attempt is accepted only after a "
        "delay that doubles with each failure, up to 5 minutes (429 with Retry-After). Emails are "
        "unique per clinic: when the same email and password open accounts at two clinics, the "
        "answer is 409 listing them, and the app sends `clinic_id` with the chosen one.",
        status_code=HTTP_200_OK,
    )
    async def login(
        self,
        data: JSONBody[schemas.LoginRequest],
        db: DB,
        settings: AppSettings,
        request: Request[Any, Any, Any],
        now: Now,
    ) -> Response[schemas.MeOut]:
        user = await sign_in(db, settings, data, client_address(request, settings), now)
        return await _signed_in(db, settings, request, user, now, HTTP_200_OK)

    @post(
        "/auth/logout",
        operation_id="logout",
        policy="signed-in",
        summary="Sign out this device",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def logout(self, db: DB, viewer: CurrentViewer) -> Response[None]:
        await end_session(db, viewer.session_hash)
        await db.commit()
        return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=[cleared_session_cookie()])

    @post(
        "/auth/logout-all",
        operation_id="logoutEverywhere",
        policy="signed-in",
        summary="Sign out everywhere",
        description="Ends every session of this account, on every device and instance.",
        status_code=HTTP_200_OK,
    )
    async def logout_all(self, db: DB, viewer: CurrentViewer) -> Response[schemas.SignedOutAll]:
        ended = await end_all_sessions(db, viewer.user_id)
        await db.commit()
        return Response(schemas.SignedOutAll(ended), cookies=[cleared_session_cookie()])

    @get(
        "/me",
        operation_id="getMe",
        policy="signed-in",
        summary="The signed-in user, role, clinic, and for a patient their id, locale and pain setting",
        description="For a patient also `crisis`: the whole crisis screen (resources for their "
        "country, the clinic's phone, every word in one language), which the app keeps so that "
        "it shows without the server. Send the phone's IANA time zone in `X-Time-Zone`: when it "
        "is in another country, that country's emergency number comes first.",
    )
    async def me(
        self,
        db: DB,
        viewer: CurrentViewer,
        phone_zone: Annotated[str | None, HeaderParameter(name=PHONE_ZONE_HEADER)] = None,
    ) -> schemas.MeOut:
        return await viewer_me(db, viewer, phone_zone)

    @put(
        "/me/language",
        operation_id="updateMyLanguage",
        policy="own-patient",
        summary="Choose your language (patients)",
        description="Stored with the patient, so that the app on every device, reminder pushes "
        "and the crisis screen follow it. `locale` is one of the app's languages, with or "
        "without a region (es, es-US). Answers who is signed in, with the new locale and the "
        "crisis screen in it (send `X-Time-Zone` as for `GET /api/me`).",
    )
    async def change_language(
        self,
        data: JSONBody[schemas.LanguageChange],
        db: DB,
        viewer: CurrentViewer,
        phone_zone: Annotated[str | None, HeaderParameter(name=PHONE_ZONE_HEADER)] = None,
    ) -> schemas.MeOut:
        if not viewer.is_patient:
            raise PermissionDeniedException(
                detail="Only patients choose their language here; staff change it on the "
                "patient's record."
            )
        me = await change_own_language(db, viewer, data.locale, phone_zone)
        await db.commit()
        return me


class EnrollmentController(Controller):
    path = "/api/enrollment"
    tags = ["Accounts"]

    @get(
        "/{token:str}",
        opt=PUBLIC,
        operation_id="getEnrollment",
        policy="public",
        summary="What an enrollment or password reset link is for",
        description="Lets the app greet the patient (or new staff member) before they set a "
        "password. A reset link (`purpose` password_reset) names the account it resets.",
    )
    async def show(self, token: FromPath[str], db: DB, now: Now) -> schemas.InviteOut:
        return await link_info(db, token, now)

    @post(
        "/{token:str}",
        opt=PUBLIC,
        operation_id="acceptEnrollment",
        raises=[Conflict],
        policy="public",
        summary="Set a password and sign in",
        description="Uses the one-time link: creates the account (or, for a reset link, sets its "
        "new password and ends its other sessions), marks the link used, starts a session. A "
        "patient chooses the email they sign in with; an email taken in this clinic is a 409, and "
        "a link refused that way 5 times stops working.",
        status_code=HTTP_201_CREATED,
    )
    async def accept(
        self,
        token: FromPath[str],
        data: JSONBody[schemas.InviteAccept],
        db: DB,
        settings: AppSettings,
        request: Request[Any, Any, Any],
        now: Now,
    ) -> Response[schemas.MeOut]:
        user = await use_link(db, token, data, client_address(request, settings), now)
        return await _signed_in(db, settings, request, user, now, HTTP_201_CREATED)


class PatientController(Controller):
    path = "/api/patients"
    tags = ["Patients"]

    @post(
        "/",
        guards=[clinicians_only],
        operation_id="createPatient",
        raises=[Conflict],
        policy="clinic-clinician",
        summary="Add a patient and get their enrollment link",
        description="The link is valid for 7 days and works once; it is in this answer only, "
        "with its QR code (SVG) for the printed handout. `country` (ISO 3166-1 alpha-2) decides "
        "the patient's crisis help; left out, it is the time zone's country. `external_id`, the "
        "clinic's record number, is unique within the clinic (409 when another patient has it).",
        status_code=HTTP_201_CREATED,
    )
    async def create(
        self,
        data: JSONBody[schemas.PatientCreate],
        db: DB,
        settings: AppSettings,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.PatientCreated:
        created = await add_patient(db, settings, viewer, data, now)
        await db.commit()
        return created

    @get(
        "/",
        guards=[clinicians_only],
        operation_id="listPatients",
        policy="clinic-clinician",
        summary="The clinic's patients",
        description="Filter by name or email with `q`. Audited as a read of the patient list.",
    )
    async def list_patients(
        self,
        db: DB,
        viewer: CurrentViewer,
        q: FromQuery[str | None] = None,
        include_inactive: FromQuery[bool] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Offset = 0,
    ) -> list[schemas.PatientOut]:
        patients = await clinic_patients(
            db, viewer, q=q, include_inactive=include_inactive, limit=limit, offset=offset
        )
        await db.commit()
        return patients

    @get(
        "/{patient_id:int}",
        operation_id="getPatient",
        policy="own-patient-or-clinic-clinician",
        summary="One patient's profile",
    )
    async def show(
        self, patient_id: FromPath[Id], db: DB, viewer: CurrentViewer
    ) -> schemas.PatientOut:
        patient = await patient_profile(db, viewer, patient_id)
        await db.commit()
        return patient

    @patch(
        "/{patient_id:int}",
        guards=[clinicians_only],
        operation_id="updatePatient",
        raises=[Conflict],
        policy="clinic-clinician",
        summary="Change a patient's profile",
        description="Time zone changes take effect from the next reminder slot.",
    )
    async def update(
        self,
        patient_id: FromPath[Id],
        data: JSONBody[schemas.PatientUpdate],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.PatientOut:
        patient = await update_patient(db, viewer, patient_id, data, now)
        await db.commit()
        return patient

    @get(
        "/{patient_id:int}/enrollment",
        guards=[clinicians_only],
        operation_id="getEnrollmentStatus",
        policy="clinic-clinician",
        summary="Whether a patient has set up the app, and when their link expires",
        description="The link itself was shown once, when issued (only its hash is stored): "
        "to print the handout again, issue a new link. Audited.",
    )
    async def enrollment(
        self, patient_id: FromPath[Id], db: DB, viewer: CurrentViewer, now: Now
    ) -> schemas.EnrollmentStatus:
        status = await enrollment_status(db, viewer, patient_id, now)
        await db.commit()
        return status

    @post(
        "/{patient_id:int}/enrollment",
        guards=[clinicians_only],
        operation_id="reissueEnrollment",
        raises=[Conflict],
        policy="clinic-clinician",
        summary="A new enrollment link, with its QR code for the printed handout",
        description="Earlier links for this patient stop working. The link is in this answer "
        "only (with its QR code as SVG, the clinic's name and phone number for the handout); "
        "a patient who has already enrolled is a 409.",
        status_code=HTTP_201_CREATED,
    )
    async def reissue(
        self,
        patient_id: FromPath[Id],
        db: DB,
        settings: AppSettings,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.EnrollmentHandout:
        link = await reissue_enrollment(db, settings, viewer, patient_id, now)
        await db.commit()
        return link

    @post(
        "/{patient_id:int}/password-reset",
        guards=[clinicians_only],
        operation_id="issuePatientPasswordReset",
        raises=[Conflict],
        policy="clinic-clinician",
        summary="A one-time link for an enrolled patient to set a new password",
        description="For a patient locked out of the app: show the QR code (or send the link). "
        "It works once, for one hour; using it ends the patient's other sessions. Audited.",
        status_code=HTTP_201_CREATED,
    )
    async def password_reset(
        self,
        patient_id: FromPath[Id],
        db: DB,
        settings: AppSettings,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.ResetLink:
        link = await patient_reset_link(db, settings, viewer, patient_id, now)
        await db.commit()
        return link


class StaffController(Controller):
    path = "/api/staff"
    tags = ["Clinic administration"]
    guards = [admins_only]

    @get(
        "/",
        operation_id="listStaff",
        policy="clinic-admin",
        summary="The clinic's clinicians and admins",
    )
    async def list_staff(self, db: DB, viewer: CurrentViewer) -> list[schemas.StaffOut]:
        return await clinic_staff(db, viewer.clinic_id)

    @post(
        "/",
        operation_id="inviteStaff",
        raises=[Conflict],
        policy="clinic-admin",
        summary="Invite a clinician or admin",
        description="Returns a one-time link, valid 7 days, where they set their password.",
        status_code=HTTP_201_CREATED,
    )
    async def invite(
        self,
        data: JSONBody[schemas.StaffCreate],
        db: DB,
        settings: AppSettings,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.StaffCreated:
        created = await invite_staff(db, settings, viewer, data, now)
        await db.commit()
        return created

    @patch(
        "/{user_id:int}",
        operation_id="updateStaff",
        raises=[Conflict],
        policy="clinic-admin",
        summary="Deactivate or reactivate a staff account",
        description="Deactivating ends all of that person's sessions at once.",
    )
    async def update(
        self,
        user_id: FromPath[Id],
        data: JSONBody[schemas.StaffUpdate],
        db: DB,
        viewer: CurrentViewer,
    ) -> schemas.StaffOut:
        staff = await set_staff_active(db, viewer, user_id, data.is_active)
        await db.commit()
        return staff

    @post(
        "/{user_id:int}/password-reset",
        operation_id="issueStaffPasswordReset",
        raises=[Conflict],
        policy="clinic-admin",
        summary="A one-time link for a staff member to set a new password",
        description="For a clinician or admin of your clinic locked out: show the QR code (or send "
        "the link). It works once, for one hour; using it ends their other sessions. Audited.",
        status_code=HTTP_201_CREATED,
    )
    async def password_reset(
        self,
        user_id: FromPath[Id],
        db: DB,
        settings: AppSettings,
        viewer: CurrentViewer,
        now: Now,
    ) -> schemas.ResetLink:
        link = await staff_reset_link(db, settings, viewer, user_id, now)
        await db.commit()
        return link


class ClinicSettingsController(Controller):
    path = "/api/clinic/settings"
    tags = ["Clinic administration"]
    guards = [admins_only]

    @get(
        "/",
        operation_id="getClinicSettings",
        policy="clinic-admin",
        summary="The clinic's settings, defaults filled in",
        description="The clinic's own crisis lists by country (each label in every language of "
        "the app), safety alert windows, on-call contact, the clinic's phone shown on the crisis "
        "screen, and overrides of the relief thresholds.",
    )
    async def show(self, db: DB, viewer: CurrentViewer) -> ClinicSettings:
        return await settings_of_clinic(db, viewer.clinic_id)

    @get(
        "/relief-thresholds",
        operation_id="listReliefThresholds",
        policy="clinic-admin",
        summary="The relief thresholds a clinic may override, with defaults and ranges",
        description="Every name `relief` in the settings takes (CLINICAL.md §2-§4), its default, "
        "and the lowest and highest value it accepts; `whole` means whole numbers only.",
    )
    async def relief_thresholds(self) -> list[ReliefThresholdSpec]:
        return relief_threshold_specs()

    @get(
        "/crisis-help",
        operation_id="getCrisisHelp",
        policy="clinic-admin",
        summary="Afterglow's own crisis lists by country, and whose crisis text is reviewed",
        description="What patients of each country see when the clinic has no list of its own "
        "for it (labels in every language of the app); the countries that get 112 alone; and "
        "for each language whether its crisis text is reviewed (patients see the crisis screen "
        "in English until it is), with the published wording it follows.",
    )
    async def crisis_help(self) -> CrisisHelpOut:
        return crisis_help()

    @put(
        "/",
        operation_id="updateClinicSettings",
        policy="clinic-admin",
        summary="Replace the clinic's settings",
        description="Send the whole object (fields left out take their defaults). Audited.",
    )
    async def update(
        self, data: JSONBody[ClinicSettings], db: DB, viewer: CurrentViewer
    ) -> ClinicSettings:
        stored = await replace_clinic_settings(db, viewer, data)
        await db.commit()
        return stored

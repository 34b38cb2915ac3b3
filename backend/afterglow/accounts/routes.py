"""HTTP for sign-in, enrollment, patients and staff: translate requests, call the services, reply."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post, put
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, NotFoundException, TooManyRequestsException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts import schemas
from afterglow.accounts.access import open_patient
from afterglow.accounts.auth import PUBLIC, admins_only, client_address, clinicians_only
from afterglow.accounts.clinic_settings import (
    ClinicSettings,
    checked_clinic_settings,
    clinic_settings,
)
from afterglow.accounts.models import Clinic, Patient, User
from afterglow.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
)
from afterglow.accounts.service import (
    IssuedLink,
    accept_invite,
    checked_email,
    checked_on_call,
    checked_timezone,
    choose_a_clinic,
    email_taken,
    issue_invite,
    issue_reset_link,
    link_qr_svg,
    matching_accounts,
    normalise_email,
    open_invite,
    reset_account,
)
from afterglow.accounts.sessions import SESSION_COOKIE, end_all_sessions, end_session, start_session
from afterglow.accounts.throttle import (
    Throttled,
    begin_login_attempt,
    forgive_login_attempt,
)
from afterglow.audit.service import record_account_audit, record_audit
from afterglow.clock import utcnow
from afterglow.errors import Conflict, conflict, invalid
from afterglow.fields import Id, Offset
from afterglow.http import DB, AppSettings, CurrentViewer
from afterglow.relief.service import refresh_patient_relief
from afterglow.reminders.service import replan_patient
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


async def me_out(db: AsyncSession, user: User, patient_id: int | None) -> schemas.MeOut:
    clinic = await db.get(Clinic, user.clinic_id)
    assert clinic is not None and clinic.id is not None and user.id is not None
    patient = await db.get(Patient, patient_id) if patient_id is not None else None
    return schemas.MeOut(
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        clinic=schemas.ClinicOut(id=clinic.id, name=clinic.name),
        patient_id=patient_id,
        locale=patient.locale if patient else None,
        pain_enabled=patient.pain_enabled if patient else None,
    )


async def _signed_in(
    db: DB,
    settings: AppSettings,
    request: Request[Any, Any, Any],
    user: User,
    status_code: int,
) -> Response[schemas.MeOut]:
    now = utcnow()
    token, lifetime = await start_session(
        db,
        settings,
        user,
        now,
        user_agent=request.headers.get("user-agent"),
        address=client_address(request, settings),
    )
    patient_id = await db.scalar(select(col(Patient.id)).where(col(Patient.user_id) == user.id))
    body = await me_out(db, user, patient_id)
    await db.commit()
    return Response(
        body, status_code=status_code, cookies=[session_cookie(settings, request, token, lifetime)]
    )


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
    ) -> Response[schemas.MeOut]:
        now = utcnow()
        email = normalise_email(data.email)
        attempt = await begin_login_attempt(
            db, settings, email, client_address(request, settings), now
        )
        if isinstance(attempt, Throttled):
            raise TooManyRequestsException(
                detail=attempt.reason, headers={"Retry-After": str(attempt.retry_after_seconds)}
            )
        query = select(User).where(col(User.email) == email, col(User.is_active).is_(True))
        if data.clinic_id is not None:
            query = query.where(col(User.clinic_id) == data.clinic_id)
        accounts = list((await db.execute(query)).scalars())
        # Argon2 takes tens of milliseconds: give the connection back while it runs.
        await db.commit()
        matches = await matching_accounts(accounts, data.password)
        if not matches:
            raise NotAuthorizedException(detail="The email or password is not right.")
        await forgive_login_attempt(db, settings, attempt, now)
        if len(matches) > 1:
            await db.commit()
            raise await choose_a_clinic(db, matches)
        [user] = matches
        if needs_rehash(user.password_hash):
            user.password_hash = await hash_password(data.password)
        return await _signed_in(db, settings, request, user, HTTP_200_OK)

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
    )
    async def me(self, db: DB, viewer: CurrentViewer) -> schemas.MeOut:
        user = await db.get(User, viewer.user_id)
        assert user is not None
        return await me_out(db, user, viewer.patient_id)


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
    async def show(self, token: FromPath[str], db: DB) -> schemas.InviteOut:
        now = utcnow()
        invite = await open_invite(db, token, now)
        clinic = await db.get(Clinic, invite.clinic_id)
        assert clinic is not None
        if invite.reset_user_id is not None:
            user = await db.get(User, invite.reset_user_id)
            assert user is not None
            return schemas.InviteOut(
                purpose="password_reset",
                clinic=clinic.name,
                role=user.role,
                display_name=user.display_name,
                email=user.email,
                needs_email=False,
                expires_at=invite.expires_at,
            )
        patient = await db.get(Patient, invite.patient_id) if invite.patient_id else None
        return schemas.InviteOut(
            purpose="enrollment",
            clinic=clinic.name,
            role=invite.role,
            display_name=patient.display_name if patient else invite.display_name,
            email=invite.email,
            needs_email=invite.email is None,
            expires_at=invite.expires_at,
        )

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
    ) -> Response[schemas.MeOut]:
        now = utcnow()
        problem = password_problem(data.password)
        if problem:
            raise invalid("password", problem)
        # Hash before touching the database, so no connection waits on Argon2.
        password_hash = await hash_password(data.password)
        invite = await open_invite(db, token, now)
        if invite.reset_user_id is not None:
            user = await reset_account(db, invite, now, password_hash=password_hash)
            record_account_audit(
                db,
                user,
                "account.password_reset.use",
                address=client_address(request, settings),
                target=f"user:{user.id}",
            )
        else:
            user = await accept_invite(
                db, invite, now, email=data.email, password_hash=password_hash
            )
        return await _signed_in(db, settings, request, user, HTTP_201_CREATED)


def patient_out(patient: Patient) -> schemas.PatientOut:
    assert patient.id is not None
    return schemas.PatientOut(
        id=patient.id,
        display_name=patient.display_name,
        email=patient.email,
        timezone=patient.timezone,
        locale=patient.locale,
        pain_enabled=patient.pain_enabled,
        is_active=patient.is_active,
        enrolled=patient.user_id is not None,
        created_at=patient.created_at,
    )


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
        description="The link is valid for 7 days and works once; send it to the patient's phone.",
        status_code=HTTP_201_CREATED,
    )
    async def create(
        self,
        data: JSONBody[schemas.PatientCreate],
        db: DB,
        settings: AppSettings,
        viewer: CurrentViewer,
    ) -> schemas.PatientCreated:
        now = utcnow()
        timezone = checked_timezone(data.timezone)
        email = checked_email(data.email) if data.email else None
        if email and await email_taken(db, viewer.clinic_id, email):
            raise conflict("An account of your clinic already has this email.")
        patient = Patient(
            clinic_id=viewer.clinic_id,
            display_name=data.display_name.strip(),
            email=email,
            timezone=timezone,
            locale=data.locale,
            pain_enabled=data.pain_enabled,
            created_by=viewer.user_id,
            created_at=now,
        )
        db.add(patient)
        await db.flush()
        assert patient.id is not None
        link = await issue_invite(
            db,
            settings,
            now,
            clinic_id=viewer.clinic_id,
            role="patient",
            created_by=viewer.user_id,
            patient_id=patient.id,
            email=email,
        )
        record_audit(db, viewer, "patient.create", patient_id=patient.id)
        await refresh_patient_relief(db, patient.id, now)
        await db.commit()
        return schemas.PatientCreated(
            patient=patient_out(patient),
            enrollment=schemas.EnrollmentLink(url=link.url, expires_at=link.expires_at),
        )

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
        query = select(Patient).where(col(Patient.clinic_id) == viewer.clinic_id)
        if not include_inactive:
            query = query.where(col(Patient.is_active).is_(True))
        if q:
            pattern = f"%{q.strip().lower()}%"
            query = query.where(
                or_(col(Patient.display_name).ilike(pattern), col(Patient.email).ilike(pattern))
            )
        rows = (
            await db.execute(query.order_by(col(Patient.display_name)).limit(limit).offset(offset))
        ).scalars()
        patients = [patient_out(p) for p in rows]
        record_audit(db, viewer, "patients.list", detail={"q": q, "count": len(patients)})
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
        patient = await open_patient(db, viewer, patient_id, "patient.read")
        await db.commit()
        return patient_out(patient)

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
    ) -> schemas.PatientOut:
        patient = await open_patient(db, viewer, patient_id, "patient.update")
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        if "display_name" in changes:
            changes["display_name"] = changes["display_name"].strip()
        if "timezone" in changes:
            changes["timezone"] = checked_timezone(changes["timezone"])
        if "email" in changes:
            changes["email"] = checked_email(changes["email"])
            if patient.user_id is not None:
                raise conflict("This patient has signed up; their sign-in email is theirs to keep.")
        for key, value in changes.items():
            setattr(patient, key, value)
        if changes.get("is_active") is False and patient.user_id is not None:
            await end_all_sessions(db, patient.user_id)
            user = await db.get(User, patient.user_id)
            assert user is not None
            user.is_active = False
        elif changes.get("is_active") is True and patient.user_id is not None:
            user = await db.get(User, patient.user_id)
            assert user is not None
            user.is_active = True
        if "timezone" in changes or "is_active" in changes:
            await db.flush()
            await replan_patient(db, patient_id, utcnow())
        await db.commit()
        return patient_out(patient)

    @post(
        "/{patient_id:int}/enrollment",
        guards=[clinicians_only],
        operation_id="reissueEnrollment",
        raises=[Conflict],
        policy="clinic-clinician",
        summary="A new enrollment link",
        description="Earlier links for this patient stop working.",
        status_code=HTTP_201_CREATED,
    )
    async def reissue(
        self, patient_id: FromPath[Id], db: DB, settings: AppSettings, viewer: CurrentViewer
    ) -> schemas.EnrollmentLink:
        patient = await open_patient(db, viewer, patient_id, "patient.enrollment")
        if patient.user_id is not None:
            raise conflict("This patient already has an account.")
        link = await issue_invite(
            db,
            settings,
            utcnow(),
            clinic_id=patient.clinic_id,
            role="patient",
            created_by=viewer.user_id,
            patient_id=patient_id,
            email=patient.email,
        )
        await db.commit()
        return schemas.EnrollmentLink(url=link.url, expires_at=link.expires_at)

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
        self, patient_id: FromPath[Id], db: DB, settings: AppSettings, viewer: CurrentViewer
    ) -> schemas.ResetLink:
        patient = await open_patient(
            db, viewer, patient_id, "patient.password_reset.issue", staff_only=True
        )
        if patient.user_id is None:
            raise conflict("This patient has not enrolled yet: give them a new enrollment link.")
        user = await db.get(User, patient.user_id)
        assert user is not None
        link = await issue_reset_link(db, settings, utcnow(), user=user, issued_by=viewer.user_id)
        await db.commit()
        return reset_link_out(link)


def reset_link_out(link: IssuedLink) -> schemas.ResetLink:
    return schemas.ResetLink(url=link.url, expires_at=link.expires_at, qr_svg=link_qr_svg(link.url))


def staff_out(user: User) -> schemas.StaffOut:
    return schemas.StaffOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        is_active=user.is_active,
        created_at=user.created_at,
    )


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
        rows = await db.execute(
            select(User)
            .where(col(User.clinic_id) == viewer.clinic_id, col(User.role) != "patient")
            .order_by(col(User.display_name))
        )
        return [staff_out(u) for u in rows.scalars()]

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
    ) -> schemas.StaffCreated:
        email = checked_email(data.email)
        # Only the clinic's own staff list can clash here; anything else surfaces, if at all,
        # to the invitee when they accept.
        if await email_taken(db, viewer.clinic_id, email, staff_only=True):
            raise conflict("A staff member of your clinic already has this email.")
        link = await issue_invite(
            db,
            settings,
            utcnow(),
            clinic_id=viewer.clinic_id,
            role=data.role,
            created_by=viewer.user_id,
            email=email,
            display_name=data.display_name.strip(),
        )
        record_audit(db, viewer, "staff.invite", target=email, detail={"role": data.role})
        await db.commit()
        return schemas.StaffCreated(
            email=email,
            display_name=data.display_name.strip(),
            role=data.role,
            invite=schemas.EnrollmentLink(url=link.url, expires_at=link.expires_at),
        )

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
        user = await db.get(User, user_id)
        if user is None or user.clinic_id != viewer.clinic_id or user.role == "patient":
            raise NotFoundException(detail=f"No staff member {user_id} in your clinic.")
        if user.id == viewer.user_id and not data.is_active:
            raise conflict("You cannot deactivate your own account.")
        user.is_active = data.is_active
        if not data.is_active:
            await end_all_sessions(db, user_id)
        record_audit(
            db,
            viewer,
            "staff.update",
            target=f"user:{user_id}",
            detail={"is_active": data.is_active},
        )
        await db.commit()
        return staff_out(user)

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
        self, user_id: FromPath[Id], db: DB, settings: AppSettings, viewer: CurrentViewer
    ) -> schemas.ResetLink:
        user = await db.get(User, user_id)
        if user is None or user.clinic_id != viewer.clinic_id or user.role == "patient":
            raise NotFoundException(detail=f"No staff member {user_id} in your clinic.")
        link = await issue_reset_link(db, settings, utcnow(), user=user, issued_by=viewer.user_id)
        record_audit(db, viewer, "staff.password_reset.issue", target=f"user:{user_id}")
        await db.commit()
        return reset_link_out(link)


class ClinicSettingsController(Controller):
    path = "/api/clinic/settings"
    tags = ["Clinic administration"]
    guards = [admins_only]

    @get(
        "/",
        operation_id="getClinicSettings",
        policy="clinic-admin",
        summary="The clinic's settings, defaults filled in",
        description="Crisis resources by locale, safety alert windows, on-call contact, and "
        "overrides of the relief thresholds.",
    )
    async def show(self, db: DB, viewer: CurrentViewer) -> ClinicSettings:
        clinic = await db.get(Clinic, viewer.clinic_id)
        assert clinic is not None
        return clinic_settings(clinic.settings)

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
        checked_clinic_settings(data)
        if data.on_call_user_id is not None:
            await checked_on_call(db, viewer.clinic_id, data.on_call_user_id)
        clinic = await db.get(Clinic, viewer.clinic_id)
        assert clinic is not None
        stored = msgspec.to_builtins(data)
        changed = {key: True for key, value in stored.items() if clinic.settings.get(key) != value}
        clinic.settings = stored
        record_audit(db, viewer, "clinic.settings.update", detail={"changes": changed})
        await db.commit()
        return data

"""create_app(settings) -> Litestar: wiring only, no logic."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar, Request
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Tag
from sqlmodel import SQLModel

import afterglow.models  # noqa: F401  (registers every table)
from afterglow import __version__
from afterglow.accounts.auth import SessionAuthMiddleware
from afterglow.accounts.csrf import SessionBoundCSRFMiddleware
from afterglow.accounts.routes import (
    AuthController,
    ClinicSettingsController,
    EnrollmentController,
    PatientController,
    StaffController,
)
from afterglow.accounts.viewer import Viewer
from afterglow.alerts.routes import AlertController
from afterglow.audit.routes import AuditController
from afterglow.checkins.routes import CheckinController
from afterglow.clinic.routes import WorkspaceController
from afterglow.clock import SYSTEM_CLOCK, Clock
from afterglow.crisis.routes import CrisisTextController
from afterglow.db import create_engine
from afterglow.errors import (
    EXCEPTION_HANDLERS,
    AfterglowRequest,
    add_request_id,
    document_client_errors,
)
from afterglow.exports.routes import BulkExportController, ExportsController
from afterglow.fhir.routes import FhirController
from afterglow.health import HealthController
from afterglow.history.routes import HistoryController
from afterglow.infusions.routes import EventController, InfusionController
from afterglow.instruments.routes import InstrumentController
from afterglow.journal.routes import JournalController
from afterglow.operations.routes import OperationsPlugin
from afterglow.push.routes import PushController
from afterglow.push.vapid import load_vapid
from afterglow.relief.routes import ReliefController
from afterglow.relief.triage import TriageController
from afterglow.reminders.routes import MyRemindersController, PatientRemindersController
from afterglow.settings import Settings
from afterglow.text import strip_nul_from_query
from afterglow.trends.routes import TrendsController
from afterglow.web import SKIP_COMPRESSION, pwa_router
from afterglow.web.api_docs import docs_assets_router, docs_render_plugins
from afterglow.web.headers import security_headers
from afterglow.worker import scheduler_lifespan

OPENAPI_TAGS = [
    Tag(name="Accounts", description="Sign-in, sessions and enrollment links."),
    Tag(name="Patients", description="The clinic's patients (clinicians)."),
    Tag(name="Check-ins", description="Mood, pain, PHQ-9, GAD-7 and side-effect check-ins."),
    Tag(name="Infusions", description="Ketamine treatments recorded by clinicians."),
    Tag(
        name="Clinical events",
        description="Hospitalisation, suicide attempt, medication change, ECT/TMS.",
    ),
    Tag(name="Safety alerts", description="PHQ-9 item 9 alerts and their acknowledgement."),
    Tag(
        name="Crisis help",
        description="A clinic's clinicians confirming a language's crisis text for its patients.",
    ),
    Tag(name="Relief", description="Relief episodes, Kaplan-Meier and the booster outlook."),
    Tag(name="Instruments", description="The questionnaires, as data."),
    Tag(name="Reminders", description="Reminder schedules in the patient's local time, and sends."),
    Tag(
        name="Journal",
        description="The patient's integration journal: private unless the patient shares an entry.",
    ),
    Tag(
        name="FHIR Bulk Data",
        description="FHIR Bulk Data Access 2.0 export of a clinic (kick-off, status, files).",
    ),
    Tag(
        name="Exports",
        description="The clinic's exports, CSV, and the API tokens integrations export with.",
    ),
    Tag(
        name="FHIR",
        description="A patient's record as FHIR R4 (LOINC-coded), and check-ins read from FHIR.",
    ),
    Tag(name="Push notifications", description="Web Push devices and the server's VAPID key."),
    Tag(name="Clinic administration", description="Staff accounts and the audit trail (admins)."),
    Tag(name="Operations", description="Health and readiness probes."),
]


# gzip for API JSON worth it (GET /api/instruments: 11.4 KB -> 1.9 KB at level 6, ~70 us).
# Not for the patient app's files (gzipped once at start) nor for check-ins: their answers are a
# few hundred bytes and the wrapper costs ~14 us on the busiest write.
COMPRESSION = CompressionConfig(
    backend="gzip",
    minimum_size=1024,
    gzip_compress_level=6,
    exclude_opt_key=SKIP_COMPRESSION,
    exclude=["^/api/checkins$"],
)


def provide_viewer(request: Request[Any, Any, Any]) -> Viewer:
    viewer = request.user
    assert isinstance(viewer, Viewer)
    return viewer


async def dispose_engine(app: Litestar) -> None:
    await app.state.engine.dispose()


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Litestar:
    """The app. `clock` is where every route's `now` comes from (the system clock unless a test
    or a simulation passes its own); the scheduler's tick reads the same clock."""
    settings = settings or Settings.from_env()
    clock = clock or SYSTEM_CLOCK
    engine = create_engine(settings)
    db_config = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_dependency_key="db",
        metadata=SQLModel.metadata,
        create_all=False,
        session_config=AsyncSessionConfig(expire_on_commit=False),
    )
    secure_cookies = settings.public_url.startswith("https://")
    app = Litestar(
        route_handlers=[
            pwa_router(settings.pwa_dir),
            docs_assets_router(),
            HealthController,
            AuthController,
            EnrollmentController,
            PatientController,
            StaffController,
            ClinicSettingsController,
            CrisisTextController,
            CheckinController,
            HistoryController,
            InfusionController,
            EventController,
            AlertController,
            AuditController,
            InstrumentController,
            ReliefController,
            TriageController,
            TrendsController,
            WorkspaceController,
            PushController,
            MyRemindersController,
            PatientRemindersController,
            JournalController,
            FhirController,
            BulkExportController,
            ExportsController,
        ],
        lifespan=[scheduler_lifespan],
        # The SQLAlchemy plugin leaves an engine it was handed open at shutdown: close its
        # connections, so nothing holds the database once the app has stopped.
        on_shutdown=[dispose_engine],
        plugins=[SQLAlchemyPlugin(config=db_config), OperationsPlugin()],
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "viewer": Provide(provide_viewer, sync_to_thread=False),
            "now": Provide(clock.now, sync_to_thread=False, use_cache=False),
        },
        middleware=[
            strip_nul_from_query,
            DefineMiddleware(SessionAuthMiddleware, exclude=["^/schema"]),
            # After authentication, so a request without a session is a 401 (sign in again)
            # before it can be a 403 (fetch a new token): the app's outbox tells them apart.
            DefineMiddleware(
                SessionBoundCSRFMiddleware,
                config=CSRFConfig(
                    secret=settings.secret_key,
                    cookie_name="csrftoken",
                    header_name="x-csrftoken",
                    cookie_secure=secure_cookies,
                    cookie_samesite="strict",
                ),
            ),
        ],
        compression_config=COMPRESSION,
        request_class=AfterglowRequest,
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[add_request_id, security_headers(https=secure_cookies)],
        openapi_config=OpenAPIConfig(
            title="Afterglow API",
            version=__version__,
            description=(
                "Outcome tracking for ketamine therapy clinics. Sign in with `POST /api/auth/login`; "
                "send the `csrftoken` cookie's value in the `x-csrftoken` header on every POST, "
                "PUT, PATCH and DELETE. The token belongs to the session: signing in or out "
                "sets a new cookie, and every response names the current token in `x-csrftoken`."
            ),
            path="/schema",
            tags=OPENAPI_TAGS,
            use_handler_docstrings=False,
            render_plugins=docs_render_plugins(),
        ),
        state=State(
            {
                "settings": settings,
                "clock": clock,
                "db_config": db_config,
                "engine": engine,
                "vapid": load_vapid(settings),
            }
        ),
    )
    document_client_errors(app)
    return app

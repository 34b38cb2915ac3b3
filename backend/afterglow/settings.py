"""The one settings object, read from AFTERGLOW_* environment variables."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _whole(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole-number setting from the environment, or a start-up error that says what to fix."""
    text = env.get(name)
    if text is None or text.strip() == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(
            f"{name} must be a whole number from {low} to {high}, not {text!r}"
        ) from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}, not {value}")
    return value


def _host_list(value: str | None) -> tuple[str, ...]:
    return tuple(h.strip().lower() for h in (value or "").split(",") if h.strip())


def read_or_create_secret_file(path: Path, make: Callable[[], str]) -> str:
    """The secret stored at `path`, made with `make` and stored there first if there is none.

    Several processes may start together on a new data folder (`serve --workers`, a worker beside
    the app): the secret is written whole to a private temporary file and linked into place, which
    fails if another process linked first. So no process ever reads a half-written file, and all
    of them end up with the one that was linked.
    """
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = make()
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secret)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(draft, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        os.unlink(draft)
    return secret


def _load_or_create_secret(data_dir: Path) -> str:
    """Keep the signing secret in the data folder so restarts keep sessions and CSRF tokens valid."""
    return read_or_create_secret_file(data_dir / "secret_key", lambda: secrets.token_urlsafe(48))


# The push services of Chrome/Android, Firefox, Safari/iOS and Edge. The server POSTs to a
# device's endpoint, so only these hosts (and subdomains) are accepted for it.
DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
)


# The patient app's files (static, no build step) live next to `backend/` in the repository;
# an installed package is pointed at them with AFTERGLOW_PWA_DIR.
DEFAULT_PWA_DIR = Path(__file__).resolve().parents[2] / "pwa"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    # Off in tests and on web-only instances: the reminder tick runs where this is on.
    scheduler: bool = True
    # Behind a reverse proxy, take the client address from the last X-Forwarded-For hop
    # and the scheme from X-Forwarded-Proto.
    trust_proxy_headers: bool = False
    # SQLite "synchronous" pragma: FULL survives power loss after every acknowledged write.
    sqlite_synchronous: str = "FULL"
    db_pool_size: int = 10
    # Web Push: the VAPID private key (generated into the data folder when not given) and the
    # contact push services see; seconds between reminder ticks.
    vapid_private_key: str | None = None
    vapid_subject: str | None = None
    tick_seconds: float = 15.0
    push_hosts: tuple[str, ...] = DEFAULT_PUSH_HOSTS
    patient_session_days: int = 30
    staff_session_hours: int = 12
    login_window_minutes: int = 15
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 30
    enrollment_days: int = 7
    pwa_dir: Path = DEFAULT_PWA_DIR
    # `GET /metrics` answers only requests that send `Authorization: Bearer <this>`; none: off.
    metrics_token: str | None = None
    # Email for safety escalations to staff with no device that takes notifications; no host:
    # no email (such escalations are recorded as not delivered). Port 465 is TLS from the start;
    # elsewhere STARTTLS unless AFTERGLOW_SMTP_STARTTLS=off (a relay on the same host).
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str | None = None
    smtp_starttls: bool = True

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("AFTERGLOW_DATA_DIR") or "data").resolve()
        database_url = (
            env.get("AFTERGLOW_DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'afterglow.db'}"
        )
        database_url = normalise_database_url(database_url)
        host = env.get("AFTERGLOW_HOST") or "127.0.0.1"
        port = int(env.get("AFTERGLOW_PORT") or 8000)
        secret_key = env.get("AFTERGLOW_SECRET_KEY") or _load_or_create_secret(data_dir)
        values: dict[str, object] = {
            "data_dir": data_dir,
            "database_url": database_url,
            "secret_key": secret_key,
            "host": host,
            "port": port,
            "public_url": (env.get("AFTERGLOW_PUBLIC_URL") or f"http://{host}:{port}").rstrip("/"),
            "scheduler": _flag(env.get("AFTERGLOW_SCHEDULER"), True),
            "trust_proxy_headers": _flag(env.get("AFTERGLOW_TRUST_PROXY_HEADERS"), False),
            "sqlite_synchronous": (env.get("AFTERGLOW_SQLITE_SYNCHRONOUS") or "FULL").upper(),
            "db_pool_size": int(env.get("AFTERGLOW_DB_POOL_SIZE") or 10),
            "vapid_private_key": env.get("AFTERGLOW_VAPID_PRIVATE_KEY") or None,
            "vapid_subject": env.get("AFTERGLOW_VAPID_SUBJECT") or None,
            "tick_seconds": float(env.get("AFTERGLOW_TICK_SECONDS") or 15),
            "push_hosts": _host_list(env.get("AFTERGLOW_PUSH_HOSTS")) or DEFAULT_PUSH_HOSTS,
            "pwa_dir": (
                Path(env["AFTERGLOW_PWA_DIR"]).resolve()
                if env.get("AFTERGLOW_PWA_DIR")
                else DEFAULT_PWA_DIR
            ),
            "metrics_token": env.get("AFTERGLOW_METRICS_TOKEN") or None,
            "smtp_host": (env.get("AFTERGLOW_SMTP_HOST") or "").strip() or None,
            "smtp_port": _whole(env, "AFTERGLOW_SMTP_PORT", 587, 1, 65535),
            "smtp_username": env.get("AFTERGLOW_SMTP_USERNAME") or None,
            "smtp_password": env.get("AFTERGLOW_SMTP_PASSWORD") or None,
            "smtp_from": (env.get("AFTERGLOW_SMTP_FROM") or "").strip() or None,
            "smtp_starttls": _flag(env.get("AFTERGLOW_SMTP_STARTTLS"), True),
            "patient_session_days": _whole(env, "AFTERGLOW_PATIENT_SESSION_DAYS", 30, 1, 365),
            "staff_session_hours": _whole(env, "AFTERGLOW_STAFF_SESSION_HOURS", 12, 1, 24 * 14),
            "enrollment_days": _whole(env, "AFTERGLOW_ENROLLMENT_DAYS", 7, 1, 90),
            "login_window_minutes": _whole(env, "AFTERGLOW_LOGIN_WINDOW_MINUTES", 15, 1, 24 * 60),
            "login_max_failures_per_account": _whole(
                env, "AFTERGLOW_LOGIN_MAX_FAILURES_PER_ACCOUNT", 5, 1, 1000
            ),
            "login_max_failures_per_address": _whole(
                env, "AFTERGLOW_LOGIN_MAX_FAILURES_PER_ADDRESS", 30, 1, 100000
            ),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def normalise_database_url(url: str) -> str:
    """Accept the URLs operators usually have and pick the async driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite:///"):
        url = "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url

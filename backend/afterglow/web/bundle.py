"""The apps' files, read once into memory with their cache policy, ETags and gzip forms.

The apps have no build step, so this is where a release gets its identity: the build id is a
hash of every file of the app. The patient app (`pwa/`) serves its code under `/app/<build>/...`
(immutable, since the URL changes with the content), vendor code under folders named with their
versions (immutable too); the HTML, the manifest and `sw.js` are revalidated on every load so a
new release reaches phones on their next start.

The clinician workspace (`pwa/clinic/`) is a bundle of its own with its own build id, served at
`/clinic/`: a patient's phone never downloads it, and a change to it changes nothing of the
patient app (neither its build id nor its service worker's precache list).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Icons keep their names across releases (the manifest and installed apps point at them).
ICONS = "public, max-age=604800"

MEDIA_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".md": "text/plain",
    "": "text/plain",  # LICENSE files
}
COMPRESSIBLE = {".html", ".js", ".mjs", ".css", ".json", ".map", ".webmanifest", ".svg", ".md", ""}
# What the service worker stores at install so the app starts and works offline.
PRECACHED = {".js", ".mjs", ".css", ".json", ".png", ".svg"}

# sw.js names this placeholder; the server replaces it with the release (build id, precache list).
RELEASE_PLACEHOLDER = "__AFTERGLOW_RELEASE__"

# The HTML may load only this origin's code and styles, and talk only to this origin.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HTML_SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


@lru_cache(maxsize=1024)
def _gzipped(body: bytes) -> bytes | None:
    """The gzip body of a file, when it saves bytes; kept for the files of this process, so an
    app made again (each test makes one) does not compress the same release again."""
    packed = gzip.compress(body, compresslevel=9, mtime=0)
    return packed if len(packed) < len(body) else None


@dataclass(frozen=True)
class Asset:
    """One file as sent: body, gzip body (when it saves bytes), ETag and headers."""

    body: bytes
    gzipped: bytes | None
    etag: str
    media_type: str
    cache_control: str

    @classmethod
    def of(cls, body: bytes, suffix: str, cache_control: str) -> Asset:
        return cls(
            body=body,
            gzipped=_gzipped(body) if suffix in COMPRESSIBLE and len(body) > 512 else None,
            etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"',
            media_type=MEDIA_TYPES[suffix],
            cache_control=cache_control,
        )


@dataclass(frozen=True)
class Bundle:
    """The release being served: every asset by URL path, and the build id."""

    build: str
    assets: dict[str, Asset]

    def find(self, url_path: str) -> Asset | None:
        return self.assets.get(url_path)


# The folder of pwa/ that holds the clinician workspace, a bundle apart from the patient app.
CLINIC_DIR = "clinic"


def _served_files(root: Path, leave_out: str | None = None) -> dict[str, bytes]:
    """Every file under `root` with a type we serve, keyed by its path relative to `root`,
    except those in the top folder `leave_out`."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in MEDIA_TYPES and not path.name.startswith("."):
            name = path.relative_to(root).as_posix()
            if leave_out is not None and name.split("/", 1)[0] == leave_out:
                continue
            files[name] = path.read_bytes()
    return files


def build_id(files: dict[str, bytes]) -> str:
    """Twelve hex digits that change whenever any file (or its name) changes."""
    digest = hashlib.sha256()
    for name, body in sorted(files.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(body).digest())
    return digest.hexdigest()[:12]


def _cache_policy(name: str) -> str | None:
    """How long browsers may keep a file at its unversioned URL; None: not served there."""
    top = name.split("/", 1)[0]
    if top == "vendor":
        return IMMUTABLE
    if top == "icons":
        return ICONS
    if top == "app":
        return REVALIDATE
    return None


def load_bundle(root: Path) -> Bundle:
    """Read `pwa/` into memory: versioned app URLs, the HTML pointing at them, sw.js with its release."""
    files = _served_files(root, leave_out=CLINIC_DIR)
    for required in ("index.html", "sw.js", "manifest.webmanifest"):
        if required not in files:
            raise FileNotFoundError(f"{root / required} is missing")
    build = build_id(files)
    assets: dict[str, Asset] = {}
    precache = ["/", "/manifest.webmanifest"]
    for name, body in files.items():
        suffix = Path(name).suffix
        policy = _cache_policy(name)
        if policy is None:
            continue
        asset = Asset.of(body, suffix, policy)
        url = "/" + name
        assets[url] = asset
        if name.startswith("app/"):
            url = f"/app/{build}/" + name.removeprefix("app/")
            assets[url] = replace(asset, cache_control=IMMUTABLE)
        if suffix in PRECACHED:
            precache.append(url)

    html = files["index.html"].decode().replace('="/app/', f'="/app/{build}/')
    assets["/"] = Asset.of(html.encode(), ".html", REVALIDATE)
    assets["/manifest.webmanifest"] = Asset.of(
        files["manifest.webmanifest"], ".webmanifest", REVALIDATE
    )
    release = json.dumps({"build": build, "precache": precache}, separators=(",", ":"))
    worker = files["sw.js"].decode()
    if RELEASE_PLACEHOLDER not in worker:
        raise ValueError(f"sw.js must contain {RELEASE_PLACEHOLDER} where the release goes")
    assets["/sw.js"] = Asset.of(
        worker.replace(RELEASE_PLACEHOLDER, release).encode(), ".js", REVALIDATE
    )
    return Bundle(build=build, assets=assets)


# The workspace page names its service worker here when there is one, so that the page never
# asks for a worker that is not served (a failed registration is an error in the console).
CLINIC_WORKER_PLACEHOLDER = "__AFTERGLOW_CLINIC_WORKER__"


def load_clinic_bundle(root: Path) -> Bundle | None:
    """Read `pwa/clinic/` (the clinician workspace) into memory, None when it is not there.

    Its URLs are those the server answers: `/clinic/` (the page, revalidated, pointing at this
    release's code), `/clinic/app/<build>/...` (immutable) and `/clinic/sw.js` (revalidated; only
    when the folder has one). It shares the patient app's `/vendor/` files, which it does not hold.
    """
    if not (root / "index.html").is_file():
        return None
    files = _served_files(root)
    build = build_id(files)
    assets: dict[str, Asset] = {}
    for name, body in files.items():
        if name.startswith("app/"):
            url = f"/clinic/app/{build}/" + name.removeprefix("app/")
            assets[url] = Asset.of(body, Path(name).suffix, IMMUTABLE)
    worker = files.get("sw.js")
    if worker is not None:
        release = json.dumps({"build": build}, separators=(",", ":"))
        assets["/clinic/sw.js"] = Asset.of(
            worker.decode().replace(RELEASE_PLACEHOLDER, release).encode(), ".js", REVALIDATE
        )
    html = files["index.html"].decode().replace('="/clinic/app/', f'="/clinic/app/{build}/')
    html = html.replace(CLINIC_WORKER_PLACEHOLDER, "/clinic/sw.js" if worker is not None else "")
    assets["/clinic/"] = Asset.of(html.encode(), ".html", REVALIDATE)
    return Bundle(build=build, assets=assets)

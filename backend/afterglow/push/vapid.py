"""Afterglow's VAPID identity: the key pair push services use to know the messages come from us.

Generated into the data folder on first start (like the secret key) unless the operator gives
`AFTERGLOW_VAPID_PRIVATE_KEY`; every instance must use the same key, or devices subscribed through
one instance reject messages from another.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02

from afterglow.settings import Settings, read_or_create_secret_file

KEY_FILE = "vapid_private_key"


@dataclass(frozen=True)
class VapidIdentity:
    signer: Vapid02
    # The applicationServerKey a browser subscribes with: the uncompressed P-256 point, base64url.
    public_key: str
    # Who runs this server, for the push services (`mailto:` or `https:`).
    subject: str

    def authorization(self, audience: str, expires_at: datetime) -> str:
        """A signed `Authorization: vapid t=<jwt>, k=<public key>` value for one push service.

        `audience` is the push service's origin (scheme://host[:port]); the token is valid for
        every message to that origin until `expires_at` (RFC 8292: at most 24 h ahead).
        """
        claims = {"sub": self.subject, "aud": audience, "exp": int(expires_at.timestamp())}
        header: str = self.signer.sign(claims)["Authorization"]
        return header


def load_vapid(settings: Settings) -> VapidIdentity:
    private = settings.vapid_private_key or _load_or_create_key(settings.data_dir)
    signer = _signer(private)
    point = signer.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    public_key = base64.urlsafe_b64encode(point).rstrip(b"=").decode()
    return VapidIdentity(signer, public_key, vapid_subject(settings))


def vapid_subject(settings: Settings) -> str:
    """The configured subject, else the public URL when it is https, else a placeholder address.

    Apple's push service refuses subjects at localhost, `.local` or `.invalid`: production sets
    `AFTERGLOW_VAPID_SUBJECT` to a real `mailto:` or serves on a real https URL.
    """
    if settings.vapid_subject:
        return settings.vapid_subject
    if settings.public_url.startswith("https://"):
        return settings.public_url
    return "mailto:push@afterglow.example.org"


def _signer(private: str) -> Vapid02:
    text = private.strip()
    if text.startswith("-----BEGIN"):
        return Vapid02.from_pem(text.encode())
    try:
        return Vapid02.from_string(text)
    except Exception as error:
        raise ValueError(
            "AFTERGLOW_VAPID_PRIVATE_KEY: give the VAPID private key as PEM, or as base64url "
            "(raw 32 bytes or DER), as `vapid --gen` or `afterglow vapid` make it"
        ) from error


def _load_or_create_key(data_dir: Path) -> str:
    return read_or_create_secret_file(data_dir / KEY_FILE, _new_private_key)


def _new_private_key() -> str:
    """A new P-256 private key as the base64url of its 32-byte scalar."""
    signer = Vapid02()
    signer.generate_keys()
    raw = signer.private_key.private_numbers().private_value.to_bytes(32, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

"""Each push message is encrypted exactly as RFC 8291 (aes128gcm) says, as http_ece does it."""

import base64

import http_ece
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from afterglow.push.delivery import Device, encrypt


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def a_browser() -> tuple[ec.EllipticCurvePrivateKey, bytes, Device]:
    """A subscribed browser's private key, auth secret, and the device the server knows."""
    key = ec.generate_private_key(ec.SECP256R1())
    auth = bytes(range(16))
    point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return key, auth, Device(1, "https://push.example.test/send/1", b64url(point), b64url(auth))


@pytest.mark.parametrize("size", [0, 1, 150, 4078, 4079, 4080, 9000])
def test_a_message_is_the_same_bytes_http_ece_makes_and_the_browser_reads_it_back(size: int):
    browser_key, auth, device = a_browser()
    ours = ec.generate_private_key(ec.SECP256R1())
    salt = bytes(range(100, 116))
    payload = bytes((n * 7) % 251 for n in range(size))

    body = encrypt(payload, device, private_key=ours, salt=salt)

    reference = http_ece.encrypt(
        payload,
        salt=salt,
        private_key=ours,
        dh=base64.urlsafe_b64decode(device.p256dh + "=="),
        auth_secret=auth,
        version="aes128gcm",
    )
    assert body == reference
    if size:  # http_ece reads no record out of a body without one
        read = http_ece.decrypt(
            body, private_key=browser_key, auth_secret=auth, version="aes128gcm"
        )
        assert read == payload


def test_every_message_has_its_own_key_and_salt():
    browser_key, auth, device = a_browser()
    first, second = encrypt(b"{}", device), encrypt(b"{}", device)
    assert first[:16] != second[:16] and first[21:86] != second[21:86]
    for body in (first, second):
        assert (
            http_ece.decrypt(body, private_key=browser_key, auth_secret=auth, version="aes128gcm")
            == b"{}"
        )


def test_keys_that_are_not_a_point_on_the_curve_are_refused_before_anything_is_sent():
    _, _, device = a_browser()
    off_curve = Device(1, device.endpoint, b64url(b"\x04" + bytes(64)), device.auth)
    with pytest.raises(ValueError):
        encrypt(b"{}", off_curve)

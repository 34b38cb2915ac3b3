"""Request and response shapes of push devices."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Base64Url = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+=*$")
]


class PushKey(msgspec.Struct):
    """The applicationServerKey to pass to `pushManager.subscribe()`."""

    public_key: str


class SubscriptionKeys(msgspec.Struct):
    p256dh: Base64Url
    auth: Base64Url


class SubscriptionIn(msgspec.Struct):
    """What `PushSubscription.toJSON()` gives in the browser, plus a name for the device."""

    endpoint: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    keys: SubscriptionKeys
    device_label: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "This device"
    # Browsers add this; push subscriptions here do not expire on a date.
    expirationTime: int | None = None


class SubscriptionOut(msgspec.Struct):
    id: int
    device_label: str
    created_at: datetime
    last_sent_at: datetime | None
    # Set when sending to this device kept failing: it gets nothing until it subscribes again.
    broken_at: datetime | None


class TestSent(msgspec.Struct):
    """How many of your devices the test notification goes to."""

    devices: int

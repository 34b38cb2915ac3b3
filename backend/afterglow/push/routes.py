"""HTTP for push devices: the server's public key, and each user's devices."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from afterglow.accounts.auth import PUBLIC, staff_only
from afterglow.clock import utcnow
from afterglow.errors import Conflict
from afterglow.fields import Id
from afterglow.http import DB, AppSettings, CurrentViewer, Now
from afterglow.push.models import PushSubscription
from afterglow.push.schemas import PushKey, SubscriptionIn, SubscriptionOut, TestSent
from afterglow.push.service import (
    queue_test_notification,
    register_device,
    unsubscribe_device,
    user_devices,
)


class PushController(Controller):
    path = "/api/push"
    tags = ["Push notifications"]

    @get(
        "/key",
        opt=PUBLIC,
        operation_id="getPushKey",
        policy="public",
        summary="The VAPID public key (applicationServerKey) to subscribe with",
    )
    async def key(self, request: Request[Any, Any, Any]) -> PushKey:
        return PushKey(public_key=request.app.state.vapid.public_key)

    @get(
        "/subscriptions",
        operation_id="listPushSubscriptions",
        policy="signed-in",
        summary="Your devices with notifications on",
    )
    async def list_devices(self, db: DB, viewer: CurrentViewer) -> list[SubscriptionOut]:
        return [_device_out(d) for d in await user_devices(db, viewer.user_id)]

    @post(
        "/subscriptions",
        operation_id="createPushSubscription",
        policy="signed-in",
        summary="Turn notifications on for this device",
        description=(
            "Send what `pushManager.subscribe()` returned (`endpoint`, `keys.p256dh`, "
            "`keys.auth`) and a `device_label`. 201 for a new device, 200 when this device was "
            "already registered (its keys and label are updated, and a broken device is "
            "repaired). 400 names the field when the endpoint or a key cannot be used."
        ),
    )
    async def subscribe(
        self, data: JSONBody[SubscriptionIn], db: DB, viewer: CurrentViewer, settings: AppSettings
    ) -> Response[SubscriptionOut]:
        registration = await register_device(db, viewer, data, settings.push_hosts, utcnow())
        await db.commit()
        return Response(
            _device_out(registration.device),
            status_code=HTTP_201_CREATED if registration.created else HTTP_200_OK,
        )

    @delete(
        "/subscriptions/{subscription_id:int}",
        operation_id="deletePushSubscription",
        policy="self",
        summary="Turn notifications off for one of your devices",
    )
    async def unsubscribe(
        self, subscription_id: FromPath[Id], db: DB, viewer: CurrentViewer
    ) -> None:
        await unsubscribe_device(db, viewer.user_id, subscription_id, utcnow())
        await db.commit()

    @post(
        "/test",
        operation_id="sendTestNotification",
        guards=[staff_only],
        raises=[Conflict],
        policy="clinic-staff",
        summary="Send a test notification to your devices",
        description=(
            "Queues a notification to every device of yours with notifications on; the next "
            "reminder tick sends it (within AFTERGLOW_TICK_SECONDS). 409 when none has them on."
        ),
        status_code=HTTP_202_ACCEPTED,
    )
    async def test(self, db: DB, viewer: CurrentViewer, now: Now) -> TestSent:
        devices = await queue_test_notification(db, viewer, now)
        await db.commit()
        return TestSent(devices=devices)


def _device_out(device: PushSubscription) -> SubscriptionOut:
    assert device.id is not None
    return SubscriptionOut(
        id=device.id,
        device_label=device.device_label,
        created_at=device.created_at,
        last_sent_at=device.last_sent_at,
        broken_at=device.broken_at,
    )

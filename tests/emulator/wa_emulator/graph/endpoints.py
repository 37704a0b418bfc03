"""The Graph endpoints of a move to the Cloud API. Every choice the vendor does not document is
marked "ours" here and in README.md."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING

from .. import crypto
from ..api import _parse_backup
from ..messages import Request, Response
from . import callback, onprem
from .errors import GraphError, bad_parameter, no_object
from .store import digest

if TYPE_CHECKING:
    from .app import GraphApp

WEEK = 7 * 24 * 3600
APP_CALLBACK = "https://app.example.invalid/whatsapp/webhook"  # ours: the app's own callback URL
APP = {"id": "1000000000000001", "name": "wabiz emulator app", "link": "https://app.example.invalid"}
PHONE_FIELDS = (
    "id",
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "code_verification_status",
    "platform_type",
    "throughput",
    "account_mode",
    "name_status",
    "messaging_limit_tier",
    "is_official_business_account",
    "webhook_configuration",
)
DEFAULT_FIELDS = ("id", "display_phone_number", "verified_name")  # ours, when no fields are asked for
MAX_CALLBACK = 200


class Endpoints:
    def __init__(self, app: GraphApp):
        self.app = app
        self.store = app.store
        self.config = app.config

    def route(self, method: str, object_id: str, edge: str | None):
        numbers, wabas = self.store.data["numbers"], self.store.data["wabas"]
        table = {
            (None, "GET"): (numbers, self.get_number),
            (None, "POST"): (numbers, self.set_number),
            ("register", "POST"): (numbers, self.register),
            ("subscribed_apps", "GET"): (wabas, self.get_subscribed_apps),
            ("subscribed_apps", "POST"): (wabas, self.subscribe_app),
            ("subscribed_apps", "DELETE"): (wabas, self.unsubscribe_app),
        }
        entry = table.get((edge, method))
        if entry is None or object_id not in entry[0]:
            raise no_object(object_id)
        return entry[1]

    @staticmethod
    def ok(body: dict) -> Response:
        return Response(200, body)

    def success(self) -> Response:
        return self.ok({"success": "true" if self.config.success_as_string else True})

    # -- the phone number ---------------------------------------------------------------------
    def _number_view(self, number_id: str, number: dict) -> dict:
        waba = self.store.data["wabas"].get(number["waba_id"], {})
        webhooks = {"application": APP_CALLBACK}
        if waba.get("override_callback_uri"):
            webhooks["whatsapp_business_account"] = waba["override_callback_uri"]
        if number.get("override_callback_uri"):
            webhooks["phone_number"] = number["override_callback_uri"]
        return {
            "id": number_id,
            "display_phone_number": "+" + number["display_phone_number"],
            "verified_name": number["verified_name"],
            "quality_rating": "GREEN",
            "code_verification_status": "VERIFIED",
            "platform_type": number["platform_type"],
            "throughput": {"level": number["throughput"]},
            "account_mode": "LIVE",
            "name_status": "APPROVED",
            "messaging_limit_tier": "TIER_1K",
            "is_official_business_account": False,
            "webhook_configuration": webhooks,
        }

    def get_number(self, req: Request, number_id: str) -> Response:
        fields = [f.strip() for f in self.app.query(req).get("fields", "").split(",") if f.strip()]
        for field in fields:
            if field not in PHONE_FIELDS:
                raise bad_parameter(f"Tried accessing nonexisting field ({field[:40]}) on node type (PhoneNumber)")
        with self.store.lock:
            view = self._number_view(number_id, self.store.data["numbers"][number_id])
        return self.ok({k: view[k] for k in ["id", *(fields or DEFAULT_FIELDS)]})

    def _check_callback(self, uri: object, token: object) -> None:
        if not isinstance(uri, str) or not uri or len(uri) > MAX_CALLBACK:
            raise bad_parameter(f"override_callback_uri must be a URL of at most {MAX_CALLBACK} characters")
        if not isinstance(token, str) or not token:
            raise bad_parameter("verify_token is required with override_callback_uri")
        problem = callback.verify(uri, token)
        if problem:
            raise GraphError(400, 2200, f"Callback verification failed: {problem}", "OAuthException")

    def set_number(self, req: Request, number_id: str) -> Response:
        config = req.json().get("webhook_configuration")
        if not isinstance(config, dict) or "override_callback_uri" not in config:
            raise bad_parameter("webhook_configuration with override_callback_uri is required")
        uri = config["override_callback_uri"]
        if uri != "":  # ours: an empty override_callback_uri removes the number's override
            self._check_callback(uri, config.get("verify_token"))
        with self.store.lock:
            self.store.data["numbers"][number_id]["override_callback_uri"] = uri or None
            self.store.save()
        return self.success()

    # -- register -----------------------------------------------------------------------------
    def _count_register_call(self, number: dict) -> None:
        """Ours: every authenticated call counts, 10 (--register-limit) in any 7 days."""
        now = time.time()
        calls = [t for t in number["register_calls"] if t > now - WEEK]
        if len(calls) >= self.config.register_limit:
            raise GraphError(400, 133016, "Account register deregister rate limit exceeded", "OAuthException")
        number["register_calls"] = [*calls, now]
        self.store.save()

    @staticmethod
    def _register_body(req: Request) -> tuple[str, str, str]:
        body = req.json()
        if body.get("messaging_product") != "whatsapp":
            raise bad_parameter("The parameter messaging_product is required and must be whatsapp.")
        pin = body.get("pin")
        if not isinstance(pin, str) or len(pin) != 6 or not pin.isdigit():
            raise bad_parameter("Param pin must be 6 digits.")
        backup = body.get("backup")
        if not isinstance(backup, dict):
            raise bad_parameter("Param backup must be an object with data and password.")
        data, password = backup.get("data"), backup.get("password")
        if not isinstance(data, str) or not data or not isinstance(password, str) or not password:
            raise bad_parameter("Param backup must have data and password (non-empty strings).")
        return pin, data, password

    def register(self, req: Request, number_id: str) -> Response:
        with self.store.lock:
            number = self.store.data["numbers"][number_id]
            self._count_register_call(number)
        pin, data, password = self._register_body(req)
        req.body = b""
        try:
            backup = _parse_backup(crypto.decrypt_backup(data, password))
        except (crypto.DecryptError, crypto.InvalidBackup) as exc:
            # Ours: code 100, and the on-prem client is left alone (the backup was never opened).
            raise bad_parameter("The backup could not be decrypted: wrong password or corrupted data.") from exc
        del data
        reg = backup["registration"]
        if reg["cc"] + reg["phone_number"] != number["display_phone_number"]:
            raise bad_parameter("The backup is of another phone number than this phone number ID.")  # ours
        time.sleep(self.config.register_delay)  # the vendor: up to 15 s
        with self.store.lock:
            if number["platform_type"] == "CLOUD_API":
                return self.success()  # ours: registering again succeeds and changes nothing
            if number["pin_sha256"] and not secrets.compare_digest(number["pin_sha256"], digest(pin)):
                # Documented: a wrong PIN leaves the on-prem deployment down and disconnected.
                self._shut_down_onprem("wrong_pin")
                raise GraphError(400, 133005, "Two step verification PIN mismatch", "OAuthException")  # code ours
            number["pin_sha256"] = number["pin_sha256"] or digest(pin)
            self._shut_down_onprem("cloud_register")
            number.update(
                platform_type="CLOUD_API",
                throughput="HIGH" if backup["shards"] >= 2 else "STANDARD",
                registrations=number["registrations"] + 1,
            )
            self.store.save()
        return self.success()

    def _shut_down_onprem(self, reason: str) -> None:
        outcome = onprem.shut_down(self.config.onprem_url, self.config.onprem_password, reason)
        self.store.data["onprem"]["shutdowns"].append({"reason": reason, "outcome": outcome, "ts": time.time()})
        self.store.save()

    # -- the WABA's subscribed apps ------------------------------------------------------------
    def get_subscribed_apps(self, req: Request, waba_id: str) -> Response:
        waba = self.store.data["wabas"][waba_id]
        if not waba["subscribed"]:
            return self.ok({"data": []})
        entry = {"whatsapp_business_api_data": dict(APP)}
        if waba["override_callback_uri"]:
            entry["override_callback_uri"] = waba["override_callback_uri"]
        return self.ok({"data": [entry]})

    def subscribe_app(self, req: Request, waba_id: str) -> Response:
        body = req.json(optional=True)
        uri = body.get("override_callback_uri")
        if uri is not None:
            self._check_callback(uri, body.get("verify_token"))
        with self.store.lock:
            # Ours: a POST without override_callback_uri subscribes and removes the override.
            self.store.data["wabas"][waba_id].update(subscribed=True, override_callback_uri=uri)
            self.store.save()
        return self.success()

    def unsubscribe_app(self, req: Request, waba_id: str) -> Response:
        with self.store.lock:
            self.store.data["wabas"][waba_id].update(subscribed=False, override_callback_uri=None)
            self.store.save()
        return self.success()

    # -- test hooks (ours) ---------------------------------------------------------------------
    def builtin_callback(self, req: Request) -> Response:
        """A callback that answers Meta's challenge when hub.verify_token is --callback-verify-token."""
        query = self.app.query(req)
        expected = self.config.callback_verify_token
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") == "subscribe" and expected and secrets.compare_digest(token, expected):
            return Response(200, raw=query.get("hub.challenge", "").encode(), content_type="text/plain")
        return Response(403, raw=b"verification failed", content_type="text/plain")

    def state(self, req: Request) -> Response:
        snap = self.store.snapshot()
        for number in snap["numbers"].values():
            number["pin_set"] = bool(number.pop("pin_sha256"))
            number["register_calls"] = len(number["register_calls"])
        return self.ok({"state": snap})

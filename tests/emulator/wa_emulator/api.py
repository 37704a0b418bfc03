"""The endpoints. Each handler takes a Request and returns a Response or raises ApiError."""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import hashlib
import json
import re
import secrets
import time
from typing import TYPE_CHECKING

from . import business_profile, crypto, lifecycle, passwords, reqlog, settings
from .config import SHARD_COUNTS
from .envelope import ApiError, bad_request, dumps, missing, not_found
from .messages import Request, Response
from .state import DEFAULT_ADMIN, MAX_TOKENS, iso, new_identity_key_id, register, summary

if TYPE_CHECKING:
    from .app import App

BACKUP_FORMAT = 1

# Calls the vendor does not document (our extensions): 404 with --documented-only. The test
# hooks under /v1/_emulator are ours too, but the harness needs them, so they always answer.
EXTENSIONS = frozenset([("GET", "/v1/account")])


def _string(body: dict, name: str, *, pattern: str | None = None, required: bool = True, what: str = "") -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str) or not value or (pattern and not re.fullmatch(pattern, value)):
        raise bad_request(f"{name} must be {what or 'a non-empty string'}")
    return value


def _jwt_part(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()


class Api:
    def __init__(self, app: App):
        self.app = app
        self.store = app.store
        self.config = app.config

    def routes(self) -> dict:
        return {
            "/v1/users/login": {"POST": ("none", self.login)},
            "/v1/users/logout": {"POST": ("token", self.logout)},
            "/v1/users": {"POST": ("admin", self.create_user)},
            "/v1/health": {"GET": ("token", self.health)},
            "/v1/account": {"GET": ("token", self.get_account), "POST": ("token", self.register)},
            "/v1/account/verify": {"POST": ("token", self.verify)},
            "/v1/account/shards": {"GET": ("token", self.get_shards), "POST": ("token", self.shards)},
            "/v1/support": {"GET": ("token", self.support)},
            "/v1/settings/application": {
                "GET": ("token", self.get_application),
                "PATCH": ("token", self.patch_application),
                "DELETE": ("token", self.reset_application),
            },
            "/v1/settings/profile/about": {
                "GET": ("token", self.get_about),
                "PATCH": ("token", self.set_about),
                "POST": ("token", self.set_about),
            },
            "/v1/settings/business/profile": {
                "GET": ("admin", self.get_business_profile),
                "POST": ("admin", self.set_business_profile),
            },
            "/v1/settings/backup": {"POST": ("admin", self.backup)},
            "/v1/settings/restore": {"POST": ("admin", self.restore)},
            "/v1/_emulator/faults": {
                "GET": ("admin", self.get_faults),
                "POST": ("admin", self.set_faults),
                "DELETE": ("admin", self.clear_faults),
            },
            "/v1/_emulator/state": {"GET": ("admin", self.get_state)},
            "/v1/_emulator/requests": {"GET": ("admin", self.get_requests)},
            "/v1/_emulator/lifecycle": {"GET": ("admin", self.get_lifecycle)},
            "/v1/_emulator/shutdown": {"POST": ("admin", self.shutdown)},
        }

    # -- users --------------------------------------------------------------------------------
    def login(self, req: Request) -> Response:
        body = req.json(optional=True)
        username, password = self._basic_auth(req)
        new_password = body.get("new_password")
        with self.store.transaction() as draft:
            record = draft["users"].get(username)
            if record is None or not passwords.check_password(record, password):
                raise ApiError(401, 1005, "invalid username or password")
            if new_password is None:
                if record.get("must_change"):
                    raise ApiError(
                        401,
                        1005,
                        "password change required: the first login must set a new password with new_password",
                    )
            else:
                problem = passwords.problem(new_password)
                if problem:
                    raise bad_request(f"new_password {problem}")
                if new_password == password:
                    raise bad_request("new_password must differ from the current password")
                record.update(passwords.hash_password(new_password), must_change=False)
            token, expires = self._issue_token(username)
            tokens = {h: t for h, t in draft["tokens"].items() if float(t.get("expires", 0)) > time.time()}
            tokens[hashlib.sha256(token.encode()).hexdigest()] = {"user": username, "expires": expires.timestamp()}
            if len(tokens) > MAX_TOKENS:
                tokens = dict(sorted(tokens.items(), key=lambda kv: kv[1]["expires"])[-MAX_TOKENS:])
            draft["tokens"] = tokens
        expires_after = expires.strftime("%Y-%m-%d %H:%M:%S+00:00")
        return self.app.ok(200, {"users": [{"token": token, "expires_after": expires_after}]})

    @staticmethod
    def _basic_auth(req: Request) -> tuple[str, str]:
        scheme, _space, value = req.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic" or not value.strip():
            raise ApiError(401, 1005, "login needs HTTP Basic authentication (username and password)")
        try:
            username, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
            raise ApiError(401, 1005, "malformed Basic authorization header") from exc
        if not sep:
            raise ApiError(401, 1005, "malformed Basic authorization header")
        return username, password

    def _issue_token(self, username: str) -> tuple[str, dt.datetime]:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        expires = now + dt.timedelta(seconds=self.config.token_ttl)
        header = _jwt_part({"alg": "HS256", "typ": "JWT"})
        payload = _jwt_part(
            {
                "user": username,
                "iat": int(now.timestamp()),
                "exp": int(expires.timestamp()),
                "jti": secrets.token_hex(8),
            }
        )
        signature = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
        return f"{header}.{payload}.{signature}", expires

    def logout(self, req: Request) -> Response:
        with self.store.transaction() as draft:
            draft["tokens"].pop(req.token_hash, None)
        return self.app.ok()

    def create_user(self, req: Request) -> Response:
        body = req.json()
        username = _string(body, "username", pattern=r"[A-Za-z0-9_.@-]{1,64}", what="1 to 64 letters, digits, _.@-")
        password = _string(body, "password")
        problem = passwords.problem(password)
        if problem:
            raise bad_request(f"password {problem}")
        with self.store.transaction() as draft:
            if username in draft["users"] or username == DEFAULT_ADMIN:
                raise ApiError(409, 1004, "a user with this username already exists")
            record = passwords.hash_password(password)
            record.update(role="user", must_change=False)
            draft["users"][username] = record
        return self.app.ok(201, {"users": [{"username": username}]})

    # -- health and account -------------------------------------------------------------------
    def health(self, req: Request) -> Response:
        return self.app.ok(200, {"health": self.app.deployment.health(self.store.snapshot())})

    def support(self, req: Request) -> Response:
        return self.app.ok(200, {"support": self.app.deployment.support(self.store.snapshot())})

    def get_shards(self, req: Request) -> Response:
        snap = self.store.snapshot()
        if not snap.get("registered"):
            # Not documented for an unregistered client: our choice is 404/1006.
            raise not_found("the client is not registered: it has no shards")
        return self.app.ok(200, {"account": {"shards": int(snap["shards"])}})

    def get_account(self, req: Request) -> Response:
        snap = self.store.snapshot()
        if not snap.get("registered"):
            raise not_found("the client is not registered")
        account = {
            "cc": snap["cc"],
            "phone_number": snap["phone_number"],
            "vname": snap["vname"],
            "wa_id": f"{snap['cc']}{snap['phone_number']}",
        }
        return self.app.ok(200, {"account": [account]})

    def _number(self, body: dict) -> tuple[str, str]:
        cc = _string(body, "cc", pattern=r"\d{1,3}", what="the country calling code (1 to 3 digits)")
        phone = _string(body, "phone_number", pattern=r"\d{4,14}", what="the number without country code (digits)")
        return cc, phone

    def register(self, req: Request) -> Response:
        body = req.json()
        cc, phone = self._number(body)
        method = _string(body, "method", pattern=r"sms|voice", what="sms or voice")
        _string(body, "cert")
        _string(body, "pin", pattern=r"\d{6}", required=False, what="6 digits")
        with self.store.transaction() as draft:
            if draft["registered"]:
                if (draft["cc"], draft["phone_number"]) == (cc, phone):
                    return self.app.ok(201)
                raise bad_request("this client is already registered with another phone number")
            draft["pending"] = {"cc": cc, "phone_number": phone, "method": method, "vname": self.config.vname}
        return self.app.ok(202, {"account": [{"vname": self.config.vname}]})

    def verify(self, req: Request) -> Response:
        body = req.json()
        code = _string(body, "code", pattern=r"\d{6}", what="the 6-digit code")
        with self.store.transaction() as draft:
            pending = draft.get("pending")
            if draft["registered"] and not pending:
                raise bad_request("the client is already registered")
            if not pending:
                raise bad_request("no registration is pending: request a code with POST /v1/account first")
            if not secrets.compare_digest(code, self.config.verify_code):
                raise bad_request("code is not valid")
            register(draft, cc=pending["cc"], phone_number=pending["phone_number"], vname=pending["vname"], shards=1)
        return self.app.ok(201)

    def shards(self, req: Request) -> Response:
        body = req.json()
        cc, phone = self._number(body)
        shards = body.get("shards")
        if shards is None:
            raise missing("shards")
        if isinstance(shards, bool) or not isinstance(shards, int) or shards not in SHARD_COUNTS:
            raise bad_request(f"shards must be one of {', '.join(map(str, SHARD_COUNTS))}")
        _string(body, "pin", pattern=r"\d{6}", required=False, what="6 digits")
        with self.store.transaction() as draft:
            if not draft["registered"]:
                raise bad_request("the client is not registered: register it before setting shards")
            if (draft["cc"], draft["phone_number"]) != (cc, phone):
                raise bad_request("cc and phone_number do not match the registered number")
            running = self.app.deployment.coreapps_running(draft["generation"])
            if shards > running:
                raise bad_request(f"{shards} shards need {shards} coreapps running; {running} are running")
            draft["shards"] = shards
        return self.app.ok()

    # -- settings -----------------------------------------------------------------------------
    def get_application(self, req: Request) -> Response:
        return self.app.ok(200, {"settings": {"application": self.store.get("settings")["application"]}})

    def patch_application(self, req: Request) -> Response:
        body = req.json()
        with self.store.transaction() as draft:
            draft["settings"]["application"] = settings.merged_application(draft["settings"]["application"], body)
        return self.app.ok()

    def reset_application(self, req: Request) -> Response:
        with self.store.transaction() as draft:
            draft["settings"]["application"] = settings.default_settings()["application"]
        return self.app.ok()

    def get_about(self, req: Request) -> Response:
        about = self.store.get("settings")["profile"]["about"]
        return self.app.ok(200, {"settings": {"profile": {"about": about}}})

    def set_about(self, req: Request) -> Response:
        body = req.json()
        if body.get("text") is None:
            raise missing("text")
        problem = settings.about_problem(body["text"])
        if problem:
            raise bad_request(problem)
        with self.store.transaction() as draft:
            draft["settings"]["profile"]["about"] = {"text": body["text"]}
        return self.app.ok()

    def get_business_profile(self, req: Request) -> Response:
        profile = business_profile.current(self.store.get("business_profile"))
        return self.app.ok(200, {"settings": {"business": {"profile": profile}}})

    def set_business_profile(self, req: Request) -> Response:
        body = req.json()
        with self.store.transaction() as draft:
            draft["business_profile"] = business_profile.updated(
                business_profile.current(draft.get("business_profile")), body
            )
        return self.app.ok()

    # -- backup and restore -------------------------------------------------------------------
    def backup(self, req: Request) -> Response:
        body = req.json()
        password = _string(body, "password")
        snap = self.store.snapshot()
        if not snap.get("registered"):
            raise ApiError(400, 1000, "backup needs a registered client: this client is not registered")
        running = self.app.deployment.coreapps_running(snap["generation"])
        if running < snap["shards"]:
            raise ApiError(
                400, 1000, f"backup needs a running client: {running} of {snap['shards']} coreapps are running"
            )
        document = {
            "format": BACKUP_FORMAT,
            "registration": {k: snap[k] for k in ("cc", "phone_number", "vname")},
            "shards": snap["shards"],
            "settings": snap["settings"],
            "version": self.config.api_version,
            "created_at": iso(),
        }
        writer = crypto.BackupWriter(document, password, self.config.backup_padding_bytes)
        prefix = b'{"settings":{"data":"'
        suffix = b'"},"meta":' + dumps(self.app.meta()) + b"}"

        def chunks():
            yield prefix
            yield from writer.chunks()
            yield suffix

        return Response(
            200,
            stream=chunks(),
            length=len(prefix) + writer.b64_len + len(suffix),
            exit_midway=self.app.faults.take_backup_exit(),
        )

    def restore(self, req: Request) -> Response:
        body = req.json()
        password = _string(body, "password")
        data = body.get("data")
        if data is None:
            raise missing("data")
        del body
        req.body = b""  # the request body is no longer needed: free it before decrypting
        try:
            backup = _parse_backup(crypto.decrypt_backup(data, password))
        except crypto.DecryptError as exc:
            raise bad_request("could not decrypt: wrong password or corrupted data") from exc
        except crypto.InvalidBackup as exc:
            raise bad_request("data is not a valid backup") from exc
        del data
        with self.store.lock:
            current = self.store.data
            if current["registered"]:
                have, what = int(current["shards"]), "registered shards"
                mismatch = backup["shards"] != have
            else:
                # Ours: an unregistered client needs at least that many coreapps (HA standbys allowed).
                have, what = self.app.deployment.coreapps_running(current["generation"]), "coreapps running"
                mismatch = backup["shards"] > have
            if mismatch:
                raise bad_request(
                    f"shard count mismatch: the backup has {backup['shards']} shards, this deployment has {have} "
                    f"({what}); restore onto a deployment with the same number of shards"
                )
            crash = self.app.faults.take_restore_crash()
            if crash == "before_commit":
                req.abort(1, "restore_crash:before_commit")
            with self.store.transaction() as draft:
                reg = backup["registration"]
                draft.update(
                    registered=True,
                    pending=None,
                    cc=reg["cc"],
                    phone_number=reg["phone_number"],
                    vname=reg["vname"],
                    shards=backup["shards"],
                    settings=backup["settings"],
                    identity_key_id=new_identity_key_id(),
                    generation=int(draft["generation"]) + 1,
                    restored_at=iso(),
                    registered_at=draft.get("registered_at") or iso(),
                )
            if crash == "after_commit":
                req.abort(1, "restore_crash:after_commit")
        body_kind = self.config.restore_body
        answer = {"meta": self.app.meta()} if body_kind == "meta" else {} if body_kind == "empty" else None
        exiting = self.config.after_restore == "exit"
        return Response(200, answer, close=exiting, after=self.app.exit_soon if exiting else None)

    # -- test hooks ---------------------------------------------------------------------------
    def get_faults(self, req: Request) -> Response:
        return self.app.ok(200, {"faults": self.app.faults.view()})

    def set_faults(self, req: Request) -> Response:
        return self.app.ok(200, {"faults": self.app.faults.replace(req.json())})

    def clear_faults(self, req: Request) -> Response:
        self.app.faults.clear()
        return self.app.ok(200, {"faults": {}})

    def get_state(self, req: Request) -> Response:
        snap = self.store.snapshot()
        out = summary(snap)
        dep = self.app.deployment
        out.update(
            coreapps_running=dep.coreapps_running(snap["generation"]),
            external_coreapps=dep.external,
            single_instance=dep.single_instance(),
            version=self.config.api_version,
        )
        return self.app.ok(200, {"state": out})

    def shutdown(self, req: Request) -> Response:
        """Ours: the Graph emulator's stand-in for WhatsApp's servers disconnecting this client."""
        reason = req.json(optional=True).get("reason") or "shutdown"
        if not isinstance(reason, str) or not re.fullmatch(r"[a-z_]{1,32}", reason):
            raise bad_request("reason must be 1 to 32 lower-case letters or _")
        self.app.exiting = True
        return self.app.ok(200, {"shutdown": reason}, close=True, after=lambda: self.app.request_exit(0, reason))

    def get_lifecycle(self, req: Request) -> Response:
        return self.app.ok(200, {"lifecycle": lifecycle.read(self.app.data_dir)})

    def get_requests(self, req: Request) -> Response:
        return self.app.ok(200, {"requests": reqlog.read(self.app.data_dir / "requests.log")})


def _parse_backup(doc: dict) -> dict:
    """The parts of a decrypted backup document we apply; InvalidBackup when any is wrong."""
    try:
        if doc.get("format") != BACKUP_FORMAT:
            raise ValueError("format")
        reg = doc["registration"]
        cc, phone, vname = reg["cc"], reg["phone_number"], reg["vname"]
        if not (
            isinstance(cc, str)
            and re.fullmatch(r"\d{1,3}", cc)
            and isinstance(phone, str)
            and re.fullmatch(r"\d{4,14}", phone)
            and isinstance(vname, str)
        ):
            raise ValueError("registration")
        shards = doc["shards"]
        if isinstance(shards, bool) or not isinstance(shards, int) or shards not in SHARD_COUNTS:
            raise ValueError("shards")
        return {
            "registration": {"cc": cc, "phone_number": phone, "vname": vname},
            "shards": shards,
            "settings": settings.validate_settings_document(copy.deepcopy(doc.get("settings", {}))),
        }
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise crypto.InvalidBackup("bad document") from exc

"""Application settings and the profile "about" text: defaults and validated merges."""

from __future__ import annotations

import copy
from urllib.parse import urlsplit

from .envelope import ApiError, bad_request

MEDIA_TYPES = ("audio", "document", "image", "sticker", "video", "voice")
ABOUT_MAX = 139
DEFAULT_ABOUT = "Hey there! I am using WhatsApp."

DEFAULT_APPLICATION = {
    "callback_backoff_delay_ms": 3000,
    "callback_persist": True,
    "db_garbagecollector_enable": True,
    "heartbeat_interval": 5,
    "max_callback_backoff_delay_ms": 900000,
    "media": {"auto_download": []},
    "notify_user_change_number": False,
    "pass_through": True,
    "sent_status": False,
    "show_security_notifications": False,
    "skip_referral_media_download": False,
    "unhealthy_interval": 30,
    "webhooks": {"max_concurrent_requests": 6, "url": ""},
}


def _bool(value):
    return isinstance(value, bool)


def _nonneg_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2**31


def _url(value):
    if not isinstance(value, str) or len(value) > 2048:
        return False
    if value == "":
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _media_list(value):
    return isinstance(value, list) and all(isinstance(v, str) and v in MEDIA_TYPES for v in value)


def _concurrency(value):
    return _nonneg_int(value) and value in (6, 12, 18, 24)


SCHEMA = {
    "callback_backoff_delay_ms": _nonneg_int,
    "callback_persist": _bool,
    "db_garbagecollector_enable": _bool,
    "heartbeat_interval": _nonneg_int,
    "max_callback_backoff_delay_ms": _nonneg_int,
    "media": {"auto_download": _media_list},
    "notify_user_change_number": _bool,
    "pass_through": _bool,
    "sent_status": _bool,
    "show_security_notifications": _bool,
    "skip_referral_media_download": _bool,
    "unhealthy_interval": _nonneg_int,
    "webhooks": {"max_concurrent_requests": _concurrency, "url": _url},
}


def default_settings() -> dict:
    return {"application": copy.deepcopy(DEFAULT_APPLICATION), "profile": {"about": {"text": DEFAULT_ABOUT}}}


def _name(key: object) -> str:
    text = str(key)
    return text if len(text) <= 64 and text.isprintable() else "(unprintable or too long)"


def _validate(patch: object, schema: dict, prefix: str) -> None:
    if not isinstance(patch, dict):
        raise bad_request(f"{prefix or 'application settings'} must be a JSON object")
    for key, value in patch.items():
        where = f"{prefix}.{_name(key)}" if prefix else _name(key)
        check = schema.get(key)
        if check is None:
            raise bad_request(f"unknown setting: {where}")
        if isinstance(check, dict):
            _validate(value, check, where)
        elif not check(value):
            raise bad_request(f"invalid value for setting {where}")


def _merge(target: dict, patch: dict) -> None:
    for key, value in patch.items():
        if isinstance(value, dict):
            _merge(target.setdefault(key, {}), value)
        else:
            target[key] = copy.deepcopy(value)


def merged_application(current: dict, patch: object) -> dict:
    """``current`` with ``patch`` applied; raises ApiError (400/1009) and changes nothing when invalid."""
    _validate(patch, SCHEMA, "")
    result = copy.deepcopy(current)
    _merge(result, patch)
    return result


def validate_settings_document(settings: object) -> dict:
    """A settings document from a backup, checked like a PATCH; missing keys take defaults."""
    if not isinstance(settings, dict):
        raise ValueError("settings")
    out = default_settings()
    try:
        out["application"] = merged_application(out["application"], settings.get("application", {}))
        about = settings.get("profile", {}).get("about", {}).get("text", DEFAULT_ABOUT)
    except (ApiError, AttributeError) as exc:
        raise ValueError("settings") from exc
    if about_problem(about):
        raise ValueError("settings")
    out["profile"]["about"]["text"] = about
    return out


def about_problem(text: object) -> str | None:
    if not isinstance(text, str):
        return "text must be a string"
    if not 1 <= len(text) <= ABOUT_MAX:
        return f"text must be 1 to {ABOUT_MAX} characters"
    return None

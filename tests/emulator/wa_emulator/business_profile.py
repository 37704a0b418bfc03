"""The business profile (vendor: GET/POST /v1/settings/business/profile): defaults and validated updates.

Vendor limits: address up to 256 characters, description up to 512, email up to 128 (a valid
address), vertical (the business's industry) a string, websites at most 2 of up to 256
characters each (http or https). A POST sets the fields it gives and keeps the others.
Kept in ``state.json`` under ``business_profile`` (a state without it has the defaults).
"""

from __future__ import annotations

import copy
import re
from urllib.parse import urlsplit

from .envelope import bad_request

FIELDS = ("address", "description", "email", "vertical", "websites")
MAX_LENGTH = {"address": 256, "description": 512, "email": 128, "vertical": 256}
MAX_WEBSITES = 2
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

DEFAULT_PROFILE = {"address": "", "description": "", "email": "", "vertical": "", "websites": []}


def current(state_value: object) -> dict:
    """The stored profile, or the defaults when none was ever set."""
    profile = copy.deepcopy(DEFAULT_PROFILE)
    if isinstance(state_value, dict):
        profile.update(copy.deepcopy(state_value))
    return profile


def _website(value: object) -> bool:
    if not isinstance(value, str) or not 0 < len(value) <= 256:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def updated(profile: dict, body: object) -> dict:
    """``profile`` with the fields of ``body``; raises ApiError (400/1009) and changes nothing when invalid."""
    if not isinstance(body, dict):
        raise bad_request("the business profile must be a JSON object")
    for key, value in body.items():
        if key not in FIELDS:
            raise bad_request("unknown business profile field")
        if key == "websites":
            if not isinstance(value, list) or len(value) > MAX_WEBSITES or not all(_website(v) for v in value):
                raise bad_request(f"websites must be a list of at most {MAX_WEBSITES} http(s) URLs")
        elif not isinstance(value, str) or len(value) > MAX_LENGTH[key]:
            raise bad_request(f"{key} must be a string of at most {MAX_LENGTH[key]} characters")
        elif key == "email" and value and not EMAIL.fullmatch(value):
            raise bad_request("email must be a valid email address")
    result = copy.deepcopy(profile)
    result.update(copy.deepcopy(body))
    return result

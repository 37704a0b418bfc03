"""Password rules of the client and salted password hashes."""

from __future__ import annotations

import hashlib
import hmac
import os
import string

RULES = (
    "8 to 64 characters with at least one digit, one upper-case letter, one lower-case letter and one special character"
)
_ITERATIONS = 20_000


def problem(password: object) -> str | None:
    """Why ``password`` breaks the rules (without quoting it), or None when it is acceptable."""
    if not isinstance(password, str):
        return "must be a string"
    if not 8 <= len(password) <= 64:
        return f"must be {RULES}"
    checks = (
        any(c.isdigit() for c in password),
        any(c.isupper() for c in password),
        any(c.islower() for c in password),
        any(c in string.punctuation or not c.isalnum() for c in password),
    )
    if not all(checks):
        return f"must be {RULES}"
    return None


def hash_password(password: str) -> dict:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)
    return {"salt": salt.hex(), "hash": digest.hex(), "iterations": _ITERATIONS}


def check_password(record: dict, password: str) -> bool:
    try:
        salt = bytes.fromhex(record["salt"])
        want = bytes.fromhex(record["hash"])
        iterations = int(record.get("iterations", _ITERATIONS))
    except (KeyError, TypeError, ValueError):
        return False
    got = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return hmac.compare_digest(got, want)

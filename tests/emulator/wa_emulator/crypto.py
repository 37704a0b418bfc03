"""Backup data: ``base64(b"WABK1" + salt(16) + nonce(12) + AES-GCM(scrypt(password, salt), document))``.

The plaintext is a JSON object whose first key is ``padding`` (random base64 characters,
``--backup-padding-bytes`` of them) so that benchmarks can make large backups. Both
directions stream: a 64 MiB backup is never held in memory more than once per direction.
The streamed GCM output (ciphertext then 16-byte tag) is what ``AESGCM.encrypt`` produces, so
``AESGCM(key).decrypt(nonce, blob[33:], None)`` opens a backup too.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"WABK1"
SALT_LEN = 16
NONCE_LEN = 12
TAG_LEN = 16
HEADER_LEN = len(MAGIC) + SALT_LEN + NONCE_LEN
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
PREFIX = b'{"padding":"'
CHUNK = 1 << 20  # plaintext bytes per step
B64_CHUNK = 4 * (1 << 18)  # base64 characters per step (a multiple of 4)


class InvalidBackup(ValueError):
    """The data is not a backup at all (bad base64, bad header, bad document)."""


class DecryptError(ValueError):
    """Wrong password, or the data was changed."""


def derive_key(password: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(password.encode())


class _B64Encoder:
    def __init__(self):
        self._rest = b""

    def feed(self, data: bytes) -> bytes:
        data = self._rest + data
        cut = len(data) - len(data) % 3
        self._rest = data[cut:]
        return base64.b64encode(data[:cut])

    def close(self) -> bytes:
        out, self._rest = base64.b64encode(self._rest), b""
        return out


def _padding(n: int) -> bytes:
    """``n`` random base64-alphabet characters (never a quote or a backslash)."""
    return base64.b64encode(os.urandom((n // 4 + 1) * 3))[:n]


class BackupWriter:
    """One backup of ``document`` under ``password``; ``b64_len`` is known before streaming."""

    def __init__(self, document: dict, password: str, padding: int = 0):
        if not document:
            raise ValueError("empty document")
        self._password = password
        self._head = PREFIX
        self._tail = b'",' + json.dumps(document, separators=(",", ":"), sort_keys=True).encode()[1:]
        self._padding = max(0, int(padding))
        plain_len = len(self._head) + self._padding + len(self._tail)
        raw_len = HEADER_LEN + plain_len + TAG_LEN
        self.b64_len = 4 * ((raw_len + 2) // 3)

    def chunks(self) -> Iterator[bytes]:
        """The base64 text (ASCII bytes), piece by piece."""
        salt, nonce = os.urandom(SALT_LEN), os.urandom(NONCE_LEN)
        encryptor = Cipher(algorithms.AES(derive_key(self._password, salt)), modes.GCM(nonce)).encryptor()
        b64 = _B64Encoder()
        yield b64.feed(MAGIC + salt + nonce)
        yield b64.feed(encryptor.update(self._head))
        left = self._padding
        while left:
            step = min(CHUNK, left)
            left -= step
            yield b64.feed(encryptor.update(_padding(step)))
        yield b64.feed(encryptor.update(self._tail))
        yield b64.feed(encryptor.finalize() + encryptor.tag)
        yield b64.close()

    def text(self) -> str:
        return b"".join(self.chunks()).decode("ascii")


def encrypt_backup(document: dict, password: str, padding: int = 0) -> str:
    return BackupWriter(document, password, padding).text()


class _Plaintext:
    """Collects the decrypted document, skipping the padding as it streams by."""

    def __init__(self):
        self._prefix = bytearray()
        self._rest = bytearray()
        self._stage = "prefix"

    def feed(self, data: bytes) -> None:
        if self._stage == "prefix":
            need = len(PREFIX) - len(self._prefix)
            self._prefix += data[:need]
            data = data[need:]
            if len(self._prefix) < len(PREFIX):
                return
            self._stage = "padding" if self._prefix == PREFIX else "bad"
        if self._stage == "padding":
            end = data.find(b'"')
            if end < 0:
                return
            self._stage, data = "rest", data[end:]
        if self._stage == "rest":
            self._rest += data

    def document(self) -> dict:
        if self._stage != "rest":
            raise InvalidBackup("no document")
        try:
            doc = json.loads(PREFIX + bytes(self._rest))
        except ValueError as exc:
            raise InvalidBackup("bad document") from exc
        if not isinstance(doc, dict):
            raise InvalidBackup("bad document")
        doc.pop("padding", None)
        return doc


def _decoded_chunks(data: str) -> Iterator[bytes]:
    for start in range(0, len(data), B64_CHUNK):
        try:
            yield base64.b64decode(data[start : start + B64_CHUNK], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidBackup("bad base64") from exc


def decrypt_backup(data: object, password: str) -> dict:
    """The document inside ``data``. Raises InvalidBackup or DecryptError."""
    if not isinstance(data, str) or not data.isascii() or len(data) % 4:
        raise InvalidBackup("not base64")
    equals = data.find("=")
    if equals != -1 and (equals < len(data) - 2 or data[equals:].strip("=")):
        raise InvalidBackup("not base64")
    raw_len = len(data) // 4 * 3 - data.count("=", len(data) - 2)
    if raw_len < HEADER_LEN + len(PREFIX) + TAG_LEN:
        raise InvalidBackup("too short")

    chunks = _decoded_chunks(data)
    first = next(chunks)
    if first[: len(MAGIC)] != MAGIC:
        raise InvalidBackup("bad header")
    salt = first[len(MAGIC) : len(MAGIC) + SALT_LEN]
    nonce = first[len(MAGIC) + SALT_LEN : HEADER_LEN]
    decryptor = Cipher(algorithms.AES(derive_key(password, salt)), modes.GCM(nonce)).decryptor()
    plain = _Plaintext()
    carry = first[HEADER_LEN:]
    for chunk in chunks:
        buf = carry + chunk
        plain.feed(decryptor.update(buf[:-TAG_LEN]))
        carry = buf[-TAG_LEN:]
    if len(carry) > TAG_LEN:
        plain.feed(decryptor.update(carry[:-TAG_LEN]))
        carry = carry[-TAG_LEN:]
    try:
        plain.feed(decryptor.finalize_with_tag(carry))
    except (InvalidTag, ValueError) as exc:
        raise DecryptError("could not decrypt") from exc
    return plain.document()

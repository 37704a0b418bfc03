"""The ``serve`` options, checked once at start-up."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from . import DEFAULT_API_VERSION, faults, passwords
from .envelope import ApiError

SHARD_COUNTS = (1, 2, 4, 8, 16, 32)


class ConfigError(ValueError):
    pass


@dataclasses.dataclass
class Config:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8443
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_self_signed: bool = False
    state: str = "unregistered"
    phone: str = "15550001111"
    cc: str = "1"
    vname: str = "Emulated Business"
    shards: int | None = None
    coreapps: int | None = None
    external_coreapps: bool = False
    api_version: str = DEFAULT_API_VERSION
    admin_password: str | None = None
    start_delay: float = 0.0
    token_ttl: float = 604800
    verify_code: str = "123456"
    after_restore: str = "exit"
    restore_body: str = "meta"
    backup_padding_bytes: int = 0
    faults: dict | None = None
    documented_only: bool = False

    @property
    def tls(self) -> bool:
        return bool(self.tls_cert or self.tls_self_signed)

    @property
    def national_number(self) -> str:
        return self.phone[len(self.cc) :]

    def check(self) -> Config:
        """Raise ConfigError (never quoting a secret) when an option is unusable."""
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError("--tls-cert and --tls-key go together")
        if self.tls_cert and self.tls_self_signed:
            raise ConfigError("use either --tls-cert/--tls-key or --tls-self-signed")
        self.phone = self.phone.lstrip("+")
        if not re.fullmatch(r"\d{1,3}", self.cc):
            raise ConfigError("--cc must be 1 to 3 digits")
        if not re.fullmatch(r"\d{6,17}", self.phone) or not self.phone.startswith(self.cc):
            raise ConfigError("--phone must be the full international number (digits) starting with --cc")
        if self.shards is not None and self.shards not in SHARD_COUNTS:
            raise ConfigError(f"--shards must be one of {', '.join(map(str, SHARD_COUNTS))}")
        if self.coreapps is not None and not 1 <= self.coreapps <= 64:
            raise ConfigError("--coreapps must be from 1 to 64")
        if self.admin_password is not None and passwords.problem(self.admin_password):
            raise ConfigError(f"--admin-password must be {passwords.RULES}")
        if self.start_delay < 0 or self.token_ttl <= 0 or self.backup_padding_bytes < 0:
            raise ConfigError("--start-delay, --backup-padding-bytes must be >= 0 and --token-ttl > 0")
        if isinstance(self.faults, str):
            try:
                self.faults = faults.normalize(json.loads(self.faults))
            except ValueError as exc:
                raise ConfigError("--faults must be a JSON object of known fault keys") from exc
            except ApiError as exc:
                raise ConfigError(f"--faults: {exc.details}") from exc
        return self

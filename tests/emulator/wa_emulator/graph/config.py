"""The Graph emulator's options (``python -m wa_emulator graph``)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from . import DEFAULT_GRAPH_VERSION


class GraphConfigError(ValueError):
    pass


@dataclasses.dataclass
class GraphConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 9443
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_self_signed: bool = False
    access_token: list[str] = dataclasses.field(default_factory=list)
    read_only_token: list[str] = dataclasses.field(default_factory=list)
    phone_number_id: str = "106540352242922"
    display_phone_number: str = "15550001111"
    verified_name: str = "Emulated Business"
    waba_id: str = "102290129340398"
    two_step_pin: str | None = None
    register_limit: int = 10
    register_delay: float = 0.2
    success_as_string: bool = False
    onprem_url: str | None = None
    onprem_password: str | None = None
    callback_verify_token: str | None = None
    api_version: str = DEFAULT_GRAPH_VERSION

    @property
    def tls(self) -> bool:
        return bool(self.tls_self_signed or self.tls_cert)

    def check(self) -> GraphConfig:
        self.data_dir = Path(self.data_dir)
        if bool(self.tls_cert) != bool(self.tls_key):
            raise GraphConfigError("--tls-cert and --tls-key go together")
        if not self.access_token:
            raise GraphConfigError("give at least one --access-token")
        for name in ("phone_number_id", "waba_id", "display_phone_number"):
            if not re.fullmatch(r"\d{4,20}", getattr(self, name)):
                raise GraphConfigError(f"--{name.replace('_', '-')} must be digits")
        if self.two_step_pin is not None and not re.fullmatch(r"\d{6}", self.two_step_pin):
            raise GraphConfigError("--two-step-pin must be 6 digits")
        if self.register_limit < 0 or self.register_delay < 0:
            raise GraphConfigError("--register-limit and --register-delay must not be negative")
        return self

"""Emulator of the on-premises WhatsApp Business API client (package ``wa_emulator``).

Standard library and ``cryptography`` only. See ``README.md`` and ``docs/architecture.md``.
"""

__version__ = "0.1.0"

DEFAULT_API_VERSION = "v2.45.1"

"""An emulator of the part of Meta's Graph API that moves a number from on-prem to the Cloud API.

``python -m wa_emulator graph --data-dir DIR ...``; see README.md in this directory for what is
documented and what is ours.
"""

DEFAULT_GRAPH_VERSION = "v23.0"

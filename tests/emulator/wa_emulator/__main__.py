"""``python -m wa_emulator serve | coreapp | make-certs | graph`` (see README.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import DEFAULT_API_VERSION

SERVE_EXAMPLE = "python -m wa_emulator serve --data-dir /tmp/wa --state registered --shards 2"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wa_emulator", description="WhatsApp Business API client emulator")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the REST API", epilog=f"example: {SERVE_EXAMPLE}")
    serve.add_argument("--data-dir", required=True, type=Path, help="state.json, requests.log, nodes/, tls/")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443, help="0 picks a free port (printed at start)")
    serve.add_argument("--tls-cert", type=Path)
    serve.add_argument("--tls-key", type=Path)
    serve.add_argument("--tls-self-signed", action="store_true", help="generate DIR/tls/self-signed.pem/.key once")
    initial = serve.add_argument_group("initial state (only when DIR/state.json does not exist yet)")
    initial.add_argument("--state", choices=("unregistered", "registered"), default="unregistered")
    initial.add_argument("--phone", default="15550001111", help="full international number, digits")
    initial.add_argument("--cc", default="1", help="country calling code, the prefix of --phone (extension)")
    initial.add_argument("--shards", type=int, help="registered shard count (1,2,4,...,32); default 1")
    initial.add_argument("--admin-password", help="admin's password, no forced change (default: secret + change)")
    serve.add_argument("--coreapps", type=int, help="coreapps running (default: --shards, else the state's shards)")
    serve.add_argument("--external-coreapps", action="store_true", help="coreapps are `coreapp` processes")
    serve.add_argument("--version", dest="api_version", default=DEFAULT_API_VERSION, help="meta.version")
    serve.add_argument("--start-delay", type=float, default=0.0, help="answer 503/1011 that many seconds")
    serve.add_argument("--token-ttl", type=float, default=604800.0, help="token lifetime in seconds")
    serve.add_argument("--verify-code", default="123456")
    serve.add_argument("--after-restore", choices=("exit", "continue"), default="exit")
    serve.add_argument("--restore-body", choices=("meta", "empty", "null"), default="meta")
    serve.add_argument("--backup-padding-bytes", type=int, default=0)
    serve.add_argument("--faults", help="initial fault set, JSON (see faults.py)")
    serve.add_argument(
        "--documented-only",
        action="store_true",
        help="answer only what the vendor documents: our extensions (GET /v1/account) answer 404",
    )

    core = sub.add_parser("coreapp", help="a multiconnect coreapp node (heartbeats)")
    core.add_argument("--data-dir", required=True, type=Path)
    core.add_argument("--name", required=True)
    core.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)

    certs = sub.add_parser("make-certs", help="a private CA and a server certificate signed by it")
    certs.add_argument("--out", required=True, type=Path)
    certs.add_argument("--hostname", action="append", help="DNS name (repeatable; default localhost)")
    certs.add_argument("--ip", action="append", help="IP address (repeatable; default 127.0.0.1)")
    _graph_parser(sub)
    return parser


def _graph_parser(sub) -> None:
    """``graph``: the Graph API emulator of a move to the Cloud API (graph/README.md)."""
    graph = sub.add_parser("graph", help="serve the Graph API of a move to the Cloud API (graph/README.md)")
    graph.add_argument("--data-dir", required=True, type=Path)
    graph.add_argument("--host", default="127.0.0.1")
    graph.add_argument("--port", type=int, default=9443)
    graph.add_argument("--tls-cert", type=Path)
    graph.add_argument("--tls-key", type=Path)
    graph.add_argument("--tls-self-signed", action="store_true")
    graph.add_argument("--access-token", action="append", default=[], help="a valid system user token (repeatable)")
    graph.add_argument("--read-only-token", action="append", default=[], help="a token without management rights")
    graph.add_argument("--phone-number-id", default="106540352242922")
    graph.add_argument("--display-phone-number", default="15550001111", help="digits, as the on-prem cc+number")
    graph.add_argument("--verified-name", default="Emulated Business")
    graph.add_argument("--waba-id", default="102290129340398")
    graph.add_argument("--two-step-pin", help="the number's two-step PIN (default: none set)")
    graph.add_argument("--register-limit", type=int, default=10, help="register calls per 7 days")
    graph.add_argument("--register-delay", type=float, default=0.2, help="seconds a register call takes")
    graph.add_argument("--success-as-string", action="store_true", help='answer {"success": "true"}')
    graph.add_argument("--onprem-url", help="the on-prem emulator that register shuts down")
    graph.add_argument("--onprem-password", help="its admin password (for the shutdown hook)")
    graph.add_argument("--callback-verify-token", help="verify token of the built-in /_emulator/webhook")


def _graph_main(options: dict) -> int:
    from .graph.config import GraphConfig, GraphConfigError
    from .graph.serve import serve as serve_graph

    try:
        config = GraphConfig(**options).check()
    except GraphConfigError as exc:
        print(f"wa_emulator graph: {exc}", file=sys.stderr)
        return 2
    try:
        return serve_graph(config)
    except OSError as exc:
        print(f"wa_emulator graph: cannot serve on {config.host}:{config.port}: {exc.strerror}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "make-certs":
        from .certs import make_certs

        paths = make_certs(args.out, args.hostname or ["localhost"], args.ip or ["127.0.0.1"])
        print(" ".join(str(p) for p in paths.values()))
        return 0
    if args.command == "coreapp":
        from .coreapp import run

        return run(args.data_dir, args.name, args.interval)
    if args.command == "graph":
        options = vars(args)
        options.pop("command")
        return _graph_main(options)

    from .config import Config, ConfigError
    from .server import serve

    options = vars(args)
    options.pop("command")
    try:
        config = Config(**options).check()
    except ConfigError as exc:
        print(f"wa_emulator: {exc}", file=sys.stderr)
        return 2
    try:
        code = serve(config)
    except OSError as exc:
        print(f"wa_emulator: cannot serve on {config.host}:{config.port}: {exc.strerror}", file=sys.stderr)
        return 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())

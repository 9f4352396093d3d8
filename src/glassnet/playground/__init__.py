"""``glassnet playground``: train small networks in the browser, every number from glassnet.

Pick a data set, input features and hidden layers, press play, and watch the decision
region form; click an edge or a bias to see ``gn.explain.chain_rule`` for it; export the
network as a runnable glassnet script and its weights as safetensors. Needs the
``playground`` extra (Starlette, uvicorn, websockets)::

    pip install 'glassnet[playground]'
    glassnet playground            # http://127.0.0.1:8765, opens a browser tab

Not imported by ``import glassnet``; the web framework is imported only here.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main", "create_app", "serve_in_thread", "Session"]


def __getattr__(name: str):
    if name in ("create_app", "serve_in_thread"):
        from . import server

        return getattr(server, name)
    if name == "Session":
        from .session import Session

        return Session
    raise AttributeError(f"module 'glassnet.playground' has no attribute {name!r}")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="glassnet playground",
        description="Start the glassnet playground: a local web page that trains glassnet "
                    "networks, explains their gradients and exports them as scripts.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; "
                        "0.0.0.0 lets other machines connect)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        print(f"glassnet playground: --port {args.port} is not a port (0 to 65535)",
              file=sys.stderr)
        return 2
    from .server import LOOPBACK, _require_extras

    try:
        _require_extras()
    except SystemExit as e:
        print(e, file=sys.stderr)
        return 1
    import socket
    import threading
    import time
    import webbrowser

    import uvicorn

    from .server import create_app

    host = args.host
    any_host = host in ("0.0.0.0", "::", "")
    allowed = None if any_host else tuple(LOOPBACK) + (host,)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, args.port))
    except OSError as e:
        print(f"glassnet playground: cannot listen on {host}:{args.port}: {e.strerror}"
              f"{' (another program uses the port; try --port 0)' if e.errno == 98 else ''}",
              file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if any_host else (f"[{host}]" if ":" in host else host)
    url = f"http://{shown}:{port}/"
    server = uvicorn.Server(uvicorn.Config(create_app(allowed_hosts=allowed),
                                           log_level="warning"))

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            print(f"glassnet playground: {url}  (Ctrl+C stops it)", flush=True)
            if any_host:
                print("warning: listening on every network interface; anyone who can reach "
                      "this machine can use the playground", file=sys.stderr)
            if not args.no_browser:
                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=[sock])
    return 0

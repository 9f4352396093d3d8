"""The playground's web server: a Starlette app with one WebSocket per browser tab.

Routes: ``/`` the page, ``/static/*`` its script and style, ``/ws`` the WebSocket,
``/export/{session}/playground_model.py`` and ``.../playground_weights.safetensors`` the
exported script and weights, ``/health`` the number of open sessions.

The protocol (JSON text messages; see ``docs/playground.md``). The page sends
``{"type": T, ...}`` with T one of ``play``, ``pause``, ``step`` (``steps``: 1 to 10000),
``reset``, ``regenerate``, ``set`` (``config``: fields to change), ``add_point`` (``x1``,
``x2``, ``label``), ``explain`` (``param``, ``index``), ``export``. The server answers
with ``hello`` (once), ``config``, ``data``, ``state`` (about 25 a second while playing),
``explain``, ``export`` and ``error`` (``message`` says what was wrong; the session goes
on).

Training runs in worker threads, a time slice at a time, so the event loop keeps serving
every tab while several train.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import sys
import threading
import traceback
from importlib import resources
from urllib.parse import urlsplit

from . import config as C
from . import export as E
from .session import CommandError, Session

__all__ = ["create_app", "serve_in_thread", "TICK_SECONDS", "LOOPBACK"]

TICK_SECONDS = 0.025  # training time per page update (plus a few ms to draw the state)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_STEPS = 10000    # most steps one "step" message may ask for
STEP_CHUNK = 100     # ... run this many at a time between other tabs' turns


def static_dir() -> str:
    return str(resources.files(__package__).joinpath("static"))


def _host_name(host_header: str) -> str:
    """The host part of a Host header (``[::1]:8765`` -> ``::1``)."""
    try:
        return (urlsplit("//" + host_header).hostname or "").lower()
    except ValueError:
        return ""


def _error(message: str, request: str | None = None) -> dict:
    return {"type": "error", "message": message, "request": request}


class _Connection:
    """One WebSocket: its session, the send lock and the play/pause event."""

    def __init__(self, ws, session: Session):
        self.ws = ws
        self.session = session
        self.send_lock = asyncio.Lock()
        self.wake = asyncio.Event()

    async def send(self, msg: dict) -> None:
        text = json.dumps(msg, allow_nan=False, separators=(",", ":"))
        async with self.send_lock:
            await self.ws.send_text(text)


def create_app(*, allowed_hosts=LOOPBACK, max_sessions: int | None = None,
               tick_seconds: float = TICK_SECONDS):
    """The Starlette application.

    ``allowed_hosts``: host names the Host header may carry (guards against DNS
    rebinding); ``None`` allows any (for a server bound to all interfaces).
    ``max_sessions``: most open tabs (default ``config.LIMITS["sessions"]``).
    """
    import os

    import anyio.to_thread
    from starlette.applications import Starlette
    from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    for name in ("index.html", "app.js", "style.css"):
        if not os.path.isfile(os.path.join(static_dir(), name)):
            raise RuntimeError(
                f"the playground's page file {name} is missing from this installation "
                f"(expected in {static_dir()}); reinstall glassnet with its package data")
    sessions: dict[str, Session] = {}
    limit = C.LIMITS["sessions"] if max_sessions is None else max_sessions
    allowed = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}

    def host_ok(headers) -> bool:
        return allowed is None or _host_name(headers.get("host", "")) in allowed

    def origin_problem(headers) -> str | None:
        if not host_ok(headers):
            return f"the Host header {headers.get('host', '')!r} is not one this server serves"
        origin = headers.get("origin")
        if origin is None:  # not a browser (browsers always send Origin on WebSockets)
            return None
        try:
            o = urlsplit(origin)
        except ValueError:
            return f"bad Origin header {origin!r}"
        if o.scheme not in ("http", "https") or o.netloc.lower() != headers.get("host", "").lower():
            return f"cross-origin WebSocket from {origin!r} refused"
        return None

    async def index(request):
        if not host_ok(request.headers):
            return PlainTextResponse("bad Host header", status_code=400)
        host = request.headers.get("host", "")
        csp = ("default-src 'self'; script-src 'self'; style-src 'self'; "
               f"img-src 'self' data: blob:; connect-src 'self' ws://{host} wss://{host}; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
        return FileResponse(f"{static_dir()}/index.html", headers={
            "Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store"})

    async def health(request):
        if not host_ok(request.headers):
            return PlainTextResponse("bad Host header", status_code=400)
        return JSONResponse({"sessions": len(sessions)})

    async def favicon(request):
        return Response(status_code=204)

    async def export_file(request):
        if not host_ok(request.headers):
            return PlainTextResponse("bad Host header", status_code=400)
        session = sessions.get(request.path_params["sid"])
        name = request.path_params["name"]
        if session is None:
            return PlainTextResponse("no such session (the tab was closed?)", status_code=404)
        if name == E.SCRIPT_NAME:
            body = await anyio.to_thread.run_sync(E.script, session)
            media = "text/x-python; charset=utf-8"
            data = body.encode("utf-8")
        elif name == E.WEIGHTS_NAME:
            data = await anyio.to_thread.run_sync(E.weights_bytes, session)
            media = "application/octet-stream"
        else:
            return PlainTextResponse(f"unknown export {name!r}", status_code=404)
        return Response(data, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    async def runner(conn: _Connection) -> None:
        session = conn.session
        while True:
            await conn.wake.wait()
            if not session.playing:
                conn.wake.clear()
                continue
            # tabs take turns on the engine: share the slice so each still updates often
            playing = sum(1 for s in sessions.values() if s.playing)
            budget = max(0.008, tick_seconds / max(1, playing))
            try:
                msg = await anyio.to_thread.run_sync(_tick, session, budget)
            except Exception as e:  # report it and stop training; the server goes on
                traceback.print_exc(file=sys.stderr)
                session.playing = False
                await conn.send(_error(f"training stopped: {type(e).__name__}: {e}"))
                continue
            await conn.send(msg)
            if not _finite(session):
                session.playing = False
                await conn.send(_error(
                    "training stopped: the loss is no longer a finite number (the weights "
                    "diverged); lower the learning rate and press reset", "play"))
                await conn.send(await anyio.to_thread.run_sync(session.snapshot))

    async def ws_endpoint(ws):
        problem = origin_problem(ws.headers)
        if problem:
            await ws.close(code=1008, reason=problem[:120])
            return
        await ws.accept()
        if len(sessions) >= limit:
            await ws.send_text(json.dumps(_error(
                f"too many playground tabs are open ({limit}); close one and reload")))
            await ws.close(code=1013)
            return
        query = ws.url.query
        err = None
        try:
            cfg = C.from_query(query)
        except C.ConfigError as e:
            cfg = C.defaults_for("circle")
            err = f"the URL's settings were not used: {e}"
        sid = secrets.token_urlsafe(16)
        session = await anyio.to_thread.run_sync(Session, cfg, sid)
        sessions[sid] = session
        conn = _Connection(ws, session)
        task = asyncio.create_task(runner(conn))
        try:
            await conn.send(_hello(session))
            if err:
                await conn.send(_error(err, "url"))
            await conn.send(session.data_message())
            await conn.send(await anyio.to_thread.run_sync(session.snapshot))
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    await conn.send(_error("binary messages are not understood; send JSON text"))
                    continue
                for reply in await _handle(conn, text):
                    await conn.send(reply)
        except Exception as e:  # the tab went away mid-send, or a bug: end this session only
            if type(e).__name__ not in ("WebSocketDisconnect", "ClientDisconnected",
                                        "ConnectionClosed", "ConnectionClosedOK"):
                traceback.print_exc(file=sys.stderr)
        finally:
            session.playing = False
            task.cancel()
            sessions.pop(sid, None)

    app = Starlette(routes=[
        Route("/", index),
        Route("/health", health),
        Route("/favicon.ico", favicon),
        Route("/export/{sid}/{name}", export_file),
        WebSocketRoute("/ws", ws_endpoint),
        Mount("/static", app=StaticFiles(directory=static_dir()), name="static"),
    ])
    app.state.sessions = sessions
    return app


def _finite(session: Session) -> bool:
    return math.isfinite(session.train_loss) or not len(session.Xf_train)


def _tick(session: Session, seconds: float) -> dict:
    session.train(seconds=seconds)
    return session.snapshot()


def _hello(session: Session) -> dict:
    from glassnet import __version__

    return {"type": "hello", "session": session.sid, "version": __version__,
            "config": session.cfg, "query": C.to_query(session.cfg),
            "limits": {k: v for k, v in C.LIMITS.items()}, "datasets": list(C.DATASETS),
            "tasks": C.TASKS, "features": list(C.FEATURES),
            "feature_labels": C.FEATURE_LABELS, "activations": list(C.ACTIVATIONS),
            "optimizers": list(C.OPTIMIZERS), "iris_names": list(_iris_names()),
            "layers": session.layers_info()}


def _iris_names():
    from .datasets import IRIS_NAMES

    return IRIS_NAMES


def _config_message(session: Session) -> dict:
    return {"type": "config", "config": session.cfg, "query": C.to_query(session.cfg),
            "layers": session.layers_info()}


_TYPES = ("play", "pause", "step", "reset", "regenerate", "set", "add_point", "explain",
          "export")


async def _handle(conn: _Connection, text: str) -> list:
    """The replies to one message from the page (errors included: never raises)."""
    import anyio.to_thread

    session = conn.session
    if len(text) > C.LIMITS["message_bytes"]:
        return [_error(f"message too large ({len(text):,} characters; at most "
                       f"{C.LIMITS['message_bytes']:,})")]
    try:
        msg = json.loads(text)
    except json.JSONDecodeError as e:
        return [_error(f"message is not valid JSON ({e.msg} at character {e.pos})")]
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
        return [_error('a message must be a JSON object with a "type" field, e.g. '
                       '{"type": "play"}')]
    kind = msg["type"]
    if kind not in _TYPES:
        return [_error(f"unknown message type {kind!r}; expected one of {', '.join(_TYPES)}",
                       kind)]
    run = anyio.to_thread.run_sync
    try:
        if kind == "play":
            session.playing = True
            conn.wake.set()
            return [{"type": "playing", "playing": True}]
        if kind == "pause":
            session.playing = False
            conn.wake.clear()
            return await run(_paused_replies, session)
        if kind == "step":
            steps = msg.get("steps", 1)
            if isinstance(steps, bool) or not isinstance(steps, int) or \
                    not 1 <= steps <= MAX_STEPS:
                return [_error(f"step: steps must be a whole number from 1 to {MAX_STEPS}, "
                               f"got {steps!r}", kind)]
            session.playing = False
            conn.wake.clear()
            while steps > 0:  # in slices, so other tabs get their turns meanwhile
                chunk = min(steps, STEP_CHUNK)
                await run(lambda n=chunk: session.train(steps=n))
                steps -= chunk
            return await run(_paused_replies, session)
        if kind == "reset":
            await run(session.reset)
            return [await run(session.snapshot)]
        if kind == "regenerate":
            await run(session.regenerate)
            return [_config_message(session), session.data_message(),
                    await run(session.snapshot)]
        if kind == "set":
            changes = msg.get("config")
            if not isinstance(changes, dict):
                return [_error('set: expected {"type": "set", "config": {name: value, ...}}',
                               kind)]
            rebuilt = await run(session.set_config, changes)
            replies = [_config_message(session)]
            if "data" in rebuilt:
                replies.append(session.data_message())
            replies.append(await run(session.snapshot))
            return replies
        if kind == "add_point":
            await run(session.add_point, msg.get("x1"), msg.get("x2"), msg.get("label"))
            return [session.data_message(), await run(session.snapshot)]
        if kind == "explain":
            return [await run(session.explain, msg.get("param"), msg.get("index"))]
        if kind == "export":
            script = await run(E.script, session)
            base = f"/export/{session.sid}/"
            return [{"type": "export", "script": script, "script_name": E.SCRIPT_NAME,
                     "weights_name": E.WEIGHTS_NAME, "script_url": base + E.SCRIPT_NAME,
                     "weights_url": base + E.WEIGHTS_NAME}]
    except (C.ConfigError, CommandError) as e:
        return [_error(str(e), kind)]
    except Exception as e:  # a bug: say so, keep the session
        traceback.print_exc(file=sys.stderr)
        return [_error(f"internal error while handling {kind!r}: {type(e).__name__}: {e}",
                       kind)]
    return []  # pragma: no cover


def _paused_replies(session: Session) -> list:
    """The state, and the selected weight's explanation refreshed (it is shown paused)."""
    replies = [session.snapshot()]
    if session.selected is not None:
        try:
            replies.append(session.explain(*session.selected))
        except CommandError:
            session.selected = None
    return replies


def _require_extras() -> None:
    missing = []
    for mod in ("starlette", "uvicorn"):
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    ws_ok = False
    for mod in ("websockets", "wsproto"):
        try:
            __import__(mod)
            ws_ok = True
            break
        except ImportError:
            pass
    if not ws_ok:
        missing.append("websockets")
    if missing:
        raise SystemExit(
            f"glassnet playground needs {', '.join(missing)}: pip install 'glassnet[playground]'")


def serve_in_thread(host: str = "127.0.0.1", port: int = 0, **app_kw):
    """Start a server in a background thread. Returns ``(url, stop)``; ``stop()`` shuts
    it down. ``port=0`` picks a free port. For tests and benchmarks."""
    import socket

    import uvicorn

    _require_extras()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    port = sock.getsockname()[1]
    app = create_app(**app_kw)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="auto",
                                           ws_max_size=C.LIMITS["message_bytes"] * 2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    import time

    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the playground server did not start")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}", stop

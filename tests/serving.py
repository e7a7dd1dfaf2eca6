"""Test helpers: `clinimg serve` (and an OPA stand-in) in a background thread on a free loopback
port, stopped at the end."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import dataclasses
import json
import threading
import time
import uuid
from typing import Any, Iterator

from checker.engines.base import BaseEngine, EngineFailure
from checker.policy import PolicySet
from checker.server import DecisionService, ServeOptions, bind, create_app, make_server


@dataclasses.dataclass
class Running:
    url: str
    port: int
    service: Any


@contextlib.contextmanager
def running_app(app: Any, *, service: Any = None) -> Iterator[Running]:
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"test-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield Running(f"http://127.0.0.1:{port}", port, service)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@contextlib.contextmanager
def running_server(policy: PolicySet | None = None, **options: Any) -> Iterator[Running]:
    """`clinimg serve` as the CLI builds it: DecisionService + Starlette app + uvicorn."""
    service = DecisionService(policy or PolicySet.build(), ServeOptions(**{"workers": 2, **options}))
    with running_app(create_app(service), service=service) as running:
        yield running


# ---------------------------------------------------------------------------------------------
# An OPA stand-in: the real OPA Go engine (opa_bindings) behind the parts of OPA's REST API that
# `opa run --server --bundle bundle.tar.gz` offers and the OPA engine uses — the Data API (with
# provenance: the bundle's revision), the Query API (ad-hoc queries, parsed and evaluated by OPA
# itself) and /health; no Batch API (404), like open-source OPA.


def opa_stub_app(bundle: bytes, *, token: str | None = None) -> Any:
    from opa_bindings import OpaEngine, OpaError, OpaUndefinedError
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    from checker.bundle import load_into_opa, read_bundle

    files = read_bundle(bundle)
    manifest = json.loads(files[".manifest"])
    opa = OpaEngine()
    opa.print_handler = lambda message, location: None
    load_into_opa(files, opa)
    lock = threading.Lock()  # one evaluation at a time on the one engine
    provenance = {"version": "1.20.0", "bundles": {"bundle.tar.gz": {"revision": manifest["revision"]}}}

    def authorized(request: Request) -> bool:
        return token is None or request.headers.get("authorization") == f"Bearer {token}"

    async def data(request: Request) -> Any:
        if not authorized(request):
            return JSONResponse({"code": "unauthorized", "message": "missing or invalid token"}, status_code=401)
        body = await request.json() if (await request.body()).strip() else {}
        path = request.path_params["path"].strip("/").replace("/", ".")
        out: dict[str, Any] = {"decision_id": str(uuid.uuid4())}
        if request.query_params.get("provenance", "").lower() == "true":
            out["provenance"] = provenance
        try:
            with lock:
                out["result"] = opa.eval_document(path, body.get("input"))
        except OpaUndefinedError:
            pass  # OPA: 200 without "result"
        except OpaError as exc:
            return JSONResponse({"code": "internal_error", "message": str(exc)[:200]}, status_code=500)
        return JSONResponse(out)

    async def query(request: Request) -> Any:
        if not authorized(request):
            return JSONResponse({"code": "unauthorized", "message": "missing or invalid token"}, status_code=401)
        body = await request.json()
        try:
            with lock:
                rows = opa.eval_query(body["query"], body.get("input"))
        except OpaError as exc:
            return JSONResponse({"code": "invalid_parameter", "message": str(exc)[:200]}, status_code=400)
        return JSONResponse({"result": rows} if rows else {})

    async def health(request: Request) -> Any:
        return JSONResponse({})

    async def not_found(request: Request) -> Any:
        return PlainTextResponse("404 page not found", status_code=404)

    return Starlette(routes=[
        Route("/health", health, methods=["GET"]),
        Route("/v1/data/{path:path}", data, methods=["POST"]),
        Route("/v1/query", query, methods=["POST"]),
        Route("/v1/batch/data/{path:path}", not_found, methods=["POST"]),
    ])


@contextlib.contextmanager
def serve_process(*args: str) -> Iterator[tuple[str, "subprocess.Popen[Any]"]]:
    """`clinimg serve --port 0 --workers 1 ARGS…` as a process of its own, on loopback (as it
    binds unless told otherwise), answering /health: (its base URL, the process); stopped at the
    end (stop_serve_process)."""
    import requests

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen([sys.executable, "-m", "checker.cli", "serve", "--port", "0", "--workers", "1", *args],
                            cwd=root, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        line = proc.stderr.readline()
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert m, line
        url = m.group(1)
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.1)
        yield url, proc
    finally:
        stop_serve_process(proc)


def stop_serve_process(proc: "subprocess.Popen[Any]") -> None:
    """Stop a `clinimg serve` started as a process: SIGTERM (a graceful shutdown), then kill
    if it has not ended within 20 s; its stderr pipe is closed either way."""
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()


class BrokenEngine(BaseEngine):
    """An engine whose every decision fails (a crashed worker): serve must answer 500, never a
    decision, and count the error."""

    name = "broken"

    def decide(self, inputs: list[Any]) -> list[Any]:
        return [EngineFailure("worker crashed") for _ in inputs]

    def close(self) -> None:
        pass

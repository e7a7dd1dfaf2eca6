"""The decision service's speed: decisions/s and p50/p99 latency of `POST /v1/check` on loopback.

    python scripts/bench_serve.py [--seconds 10] [--clients 4] [--workers N]

Starts `clinimg serve` in a child process on a free loopback port, then runs `--clients` threads,
each with its own keep-alive connection, posting requests back to back for `--seconds`. Two
rounds:

- "examples": the ten example requests of examples/requests, over and over;
- "unique ids": the same requests with a fresh event, patient, actor and image id every time —
  like real traffic: the server's schema-verdict memo misses every time, while the engine's
  canonical fact-set cache (ids become placeholders) still hits;
- "fresh facts": requests made from a diverse generated log (checker.loggen --diverse: roles,
  subjects, devices, ages, capacity, consents, recipients, channels … varying independently),
  each with the consents its patient gave earlier in the log — a new fact set nearly every
  request, so the engine's whole-input cache misses and only its per-rule cache can help.

Every answer is checked: status 200 and the expected outcome (for "fresh facts": the first
FRESH_CHECKED requests' outcomes against an uncached engine, the rest a well-formed decision).
Target: ≥1,000 decisions/s, p99 < 20 ms.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def start_server(workers: int, engine: str = "embedded") -> tuple[subprocess.Popen[str], str, int]:
    proc = subprocess.Popen([sys.executable, "-m", "checker.cli", "serve", "--port", "0", "--workers", str(workers), "--engine", engine],
                            cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    m = re.search(r"listening on http://([\d.]+):(\d+)", line)
    if not m:
        proc.kill()
        raise SystemExit(f"clinimg serve did not start: {line.strip()}")
    host, port = m.group(1), int(m.group(2))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, host, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("clinimg serve did not answer /health")


def requests_with_outcomes() -> list[tuple[dict, str]]:
    sys.path.insert(0, str(ROOT))
    from checker.api import build_policy
    from checker.engines.embedded import EmbeddedEngine

    docs = [json.loads(p.read_text()) for p in sorted((ROOT / "examples" / "requests").glob("*.json"))]
    engine = EmbeddedEngine(build_policy())
    try:
        decisions = engine.decide(docs)
    finally:
        engine.close()
    return [(d, dec["outcome"]) for d, dec in zip(docs, decisions)]


def unique(doc: dict, n: int) -> dict:
    out = json.loads(json.dumps(doc))
    out["event_id"] = f"bench-{n}"
    out["patient"]["id"] = f"pt-bench-{n}"
    out["actor"]["id"] = f"staff-bench-{n}"
    if isinstance(out.get("image"), dict) and "id" in out["image"]:
        out["image"]["id"] = f"img-bench-{n}"
    for consent in out.get("consents", []):
        if consent.get("image_ids"):
            consent["image_ids"] = [f"img-bench-{n}"]
    return out


FRESH_CHECKED = 300
REQUEST_TYPES = {"capture", "disclosure", "record_transfer", "device_deletion", "receipt", "device_posture", "record_deletion", "access_request"}


def fresh_fact_requests(count: int, seed: int = 17) -> list[tuple[dict, str | None]]:
    """`count` requests from a diverse generated log, with their consents (what the patient's
    consent events said before, as an audit's state keeps them); the first FRESH_CHECKED with the
    outcome an uncached engine gives, the rest with None (any well-formed decision)."""
    import io

    sys.path.insert(0, str(ROOT))
    from checker import schemas
    from checker.api import build_policy
    from checker.engines.embedded import EmbeddedEngine
    from checker.loggen import write_log

    text = io.StringIO()
    write_log(text, int(count * 1.6) + 100, seed, diverse=True, malformed_rate=0)
    consents: dict[str, list[dict]] = {}
    docs: list[dict] = []
    for line in text.getvalue().splitlines():
        event = json.loads(line)
        patient = (event.get("patient") or {}).get("id")
        if event.get("type") == "consent" and isinstance(event.get("consent"), dict):
            consents.setdefault(patient, []).append({k: v for k, v in event["consent"].items() if k != "given_at"})
        elif event.get("type") in REQUEST_TYPES:
            doc = {**event, "consents": consents.get(patient, [])[-4:]}
            if not schemas.problems("request", doc):
                docs.append(doc)
        if len(docs) == count:
            break
    engine = EmbeddedEngine(build_policy())
    try:
        checked = engine.decide(docs[:FRESH_CHECKED])
    finally:
        engine.close()
    return [(d, dec["outcome"]) for d, dec in zip(docs, checked)] + [(d, None) for d in docs[FRESH_CHECKED:]]


def run_round(host: str, port: int, clients: int, seconds: float, cases: list[tuple[dict, str | None]], fresh_ids: bool) -> dict:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    stop = time.monotonic() + seconds
    counter = iter(range(10**9))
    lock = threading.Lock()
    encoded = [(json.dumps(doc).encode(), outcome) for doc, outcome in cases]

    def client(slot: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        while time.monotonic() < stop:
            with lock:  # (one counter for all clients: no two send the same request of a round)
                n = next(counter)
            doc, outcome = cases[n % len(cases)]
            body = json.dumps(unique(doc, n)).encode() if fresh_ids else encoded[n % len(cases)][0]
            t = time.perf_counter()
            conn.request("POST", "/v1/check", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            answer = response.read()
            latencies[slot].append(time.perf_counter() - t)
            found = json.loads(answer).get("outcome") if response.status == 200 else None
            if found != outcome and not (outcome is None and found in ("permit", "deny", "escalate")):
                errors.append(f"{response.status}")
        conn.close()

    threads = [threading.Thread(target=client, args=(s,)) for s in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    all_lat = sorted(x for lat in latencies for x in lat)
    q = statistics.quantiles(all_lat, n=100)
    return {"decisions": len(all_lat), "per_s": len(all_lat) / wall, "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "errors": len(errors)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SERVE_SECONDS", "10")))
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    ap.add_argument("--engine", default=os.environ.get("BENCH_SERVE_ENGINE", "embedded"), help="embedded (the default) or opa-inprocess (opt-in)")
    args = ap.parse_args(argv)
    cases = requests_with_outcomes()
    proc, host, port = start_server(args.workers, args.engine)
    try:
        print(f"clinimg serve --engine {args.engine}: {args.workers} engine worker(s), {args.clients} clients, {args.seconds:.0f} s a round, POST /v1/check on loopback ({os.cpu_count()} cores)")
        run_round(host, port, args.clients, 1.0, cases, False)  # warm up: workers' caches, connections
        failed = False
        # Enough fresh requests that no fact set comes round again within the round.
        fresh_cases = fresh_fact_requests(int(args.seconds * 2500))
        for name, fresh, round_cases in (("examples", False, cases), ("unique ids", True, cases), ("fresh facts", False, fresh_cases)):
            r = run_round(host, port, args.clients, args.seconds, round_cases, fresh)
            ok = r["per_s"] >= 1000 and r["p99_ms"] < 20
            failed |= bool(r["errors"])
            print(f"  {name:<11}: {r['per_s']:,.0f} decisions/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms "
                  f"({r['decisions']:,} decisions, {r['errors']} wrong) — target ≥1,000/s, p99 < 20 ms: {'met' if ok else 'NOT met'}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if proc.stderr:
            proc.stderr.close()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

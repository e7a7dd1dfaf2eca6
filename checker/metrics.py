"""`clinimg serve`'s Prometheus metrics (GET /metrics), with prometheus-client.

One registry per service (several services in one process — the tests — never share counters).
Decisions are counted where every endpoint records them (DecisionService._log calls `decided`),
so they add up over all engine worker processes; the cache counts and the workers' state are
asked of the worker processes at each scrape (EnginePool.snapshot) and summed.

- clinimg_decisions_total{endpoint, outcome}: permit / deny / escalate / error
- clinimg_engine_errors_total{endpoint}: decisions the engine could not make (fail closed)
- clinimg_http_requests_total{endpoint, status}
- clinimg_request_duration_seconds{endpoint}: histogram of the whole request (body read to answer)
- clinimg_cache_lookups_total, clinimg_cache_misses_total, clinimg_cache_hit_ratio (all workers)
- clinimg_engine_workers{state}: size, idle, busy, alive
- clinimg_policy_info{version, digest}: 1
"""
from __future__ import annotations

import time
from typing import Any

ENDPOINTS = ("/v1/check", "/v1/data", "/v1/batch", "/v1/query", "/cds-services", "/health", "/metrics", "/openapi.json", "/v1/policies")


def endpoint_of(path: str, cds_services: tuple[str, ...] = ()) -> str:
    """A bounded label for a request path (unknown paths are one label, "other")."""
    if path.startswith("/v1/batch/data/"):
        return "/v1/batch"
    if path.startswith("/v1/data/"):
        return "/v1/data"
    if path.startswith("/cds-services/"):
        service_id = path[len("/cds-services/"):]
        return f"/cds-services/{service_id}" if service_id in cds_services else "other"
    if path.startswith("/static/"):
        return "/static"
    path = path.rstrip("/") or "/"
    return path if path in ENDPOINTS or path == "/" else "other"


class _PoolCollector:
    """Cache and worker gauges, read from the engine pool at scrape time."""

    def __init__(self, service: Any) -> None:
        self.service = service

    def collect(self) -> Any:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        snap = self.service.pool.snapshot()
        lookups, misses = snap["cache_lookups"], snap["cache_misses"]
        yield CounterMetricFamily("clinimg_cache_lookups", "Decisions asked of the engine workers' fact-set cache (all workers).", value=lookups)
        yield CounterMetricFamily("clinimg_cache_misses", "Decisions the cache did not hold and the engine evaluated (all workers).", value=misses)
        yield GaugeMetricFamily("clinimg_cache_hit_ratio", "1 - misses / lookups over all workers since start (0 before any lookup).",
                                value=(1 - misses / lookups) if lookups else 0.0)
        workers = GaugeMetricFamily("clinimg_engine_workers", "Engine worker processes by state.", labels=["state"])
        for state in ("size", "idle", "busy", "alive"):
            workers.add_metric([state], snap[state])
        yield workers


class Metrics:
    def __init__(self, service: Any, *, cds_services: tuple[str, ...] = ()) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.cds_services = cds_services
        self.registry = CollectorRegistry(auto_describe=True)
        self.decisions = Counter("clinimg_decisions", "Decisions by outcome and endpoint.", ["endpoint", "outcome"], registry=self.registry)
        self.engine_errors = Counter("clinimg_engine_errors", "Inputs the engine could not decide (answered as errors, never permits).", ["endpoint"], registry=self.registry)
        self.requests = Counter("clinimg_http_requests", "HTTP requests by endpoint and status.", ["endpoint", "status"], registry=self.registry)
        self.latency = Histogram("clinimg_request_duration_seconds", "Request latency, body read to answer sent.", ["endpoint"], registry=self.registry,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
        info = Gauge("clinimg_policy_info", "The policy in force.", ["version", "digest"], registry=self.registry)
        info.labels(version=str(service.stamp.get("version", "")), digest=str(service.stamp.get("digest", ""))).set(1)
        self.registry.register(_PoolCollector(service))

    def decided(self, path: str, result: Any) -> None:
        endpoint = endpoint_of(path, self.cds_services)
        outcome = result.get("outcome", "error") if isinstance(result, dict) else "error"
        self.decisions.labels(endpoint=endpoint, outcome=str(outcome)).inc()
        if not isinstance(result, dict):
            self.engine_errors.labels(endpoint=endpoint).inc()

    def exposition(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def middleware(self, app: Any) -> Any:
        """The ASGI app, timing and counting every HTTP request."""
        metrics = self

        async def timed(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            start = time.perf_counter()
            status = {"code": 500}

            async def sending(message: dict[str, Any]) -> None:
                if message.get("type") == "http.response.start":
                    status["code"] = int(message.get("status", 500))
                await send(message)

            try:
                await app(scope, receive, sending)
            finally:
                endpoint = endpoint_of(str(scope.get("path", "")), metrics.cds_services)
                metrics.requests.labels(endpoint=endpoint, status=str(status["code"])).inc()
                metrics.latency.labels(endpoint=endpoint).observe(time.perf_counter() - start)

        return timed

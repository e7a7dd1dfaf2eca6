"""`clinimg serve` for the platform team: GET /metrics (Prometheus), GET /openapi.json (every
endpoint described), GET /v1/policies (OPA's policy list, so opa-python-client's
check_connection() and list_policies() work). /metrics and /v1/policies take the bearer token
like the decision endpoints; /openapi.json and /health do not (they hold nothing private)."""
from __future__ import annotations

from typing import Any, Callable


def platform_routes(service: Any, *, guarded: Callable[..., Any], answer: Callable[..., Any]) -> list[Any]:
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from .openapi import openapi_document

    document = openapi_document(service)

    async def metrics(request: Request) -> Response:
        body, content_type = await run_in_threadpool(service.metrics.exposition)
        return Response(body, media_type=content_type.split(";")[0], headers={"Content-Type": content_type})

    async def openapi(request: Request) -> Response:
        return answer(200, document)

    async def policies(request: Request) -> Response:
        # OPA's GET /v1/policies: every module with its id (the policy path) and source.
        return answer(200, {"result": [{"id": m.path, "raw": m.source} for m in service.policy.modules if not m.is_test]})

    return [
        Route("/metrics", guarded(metrics), methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/v1/policies", guarded(policies), methods=["GET"]),
        Route("/v1/policies/", guarded(policies), methods=["GET"]),
    ]

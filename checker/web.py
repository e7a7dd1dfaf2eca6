"""The clinician's page on `clinimg serve`: "May I share this image?" at `/`.

A plain-words form (checker/static/index.html + app.js + app.css) that walks the guide's decision
flow, builds a disclosure request from the answers (filling the bookkeeping fields itself) and
posts it to `POST /v1/check` with the same bearer token as any other client. The page and its
static files are served from the package (package data), never from another origin, under a
strict Content-Security-Policy: scripts and styles from this server only, no inline script or
style, no frames, and fetches to this server only.

The page itself needs no token (it holds nothing but the form); the decision call does when
serve has one. What the page learns from the server is only what shapes the questions — the
hospital's name (the request's `facility`) and the overlay settings that decide whether a
question matters (`written_consent_required`, `personal_devices`) — put in `<meta>` tags.
"""
from __future__ import annotations

import gzip
import html
import importlib.resources
import json
from typing import Any

# Every header the page and its files are sent with. `default-src 'none'` denies anything not
# named; `connect-src 'self'` lets app.js post to /v1/check; `form-action 'self'` keeps a form
# from being pointed elsewhere; `frame-ancestors 'none'` (and X-Frame-Options for old browsers)
# stops framing (click-jacking); no inline script or style is allowed anywhere.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# The static files served under /static/, by name (no path from the URL ever reaches the disk).
STATIC_TYPES = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
DEFAULT_FACILITY = "clinimg-web"
# Overlay settings the page needs to know which questions matter (and their guide defaults).
PAGE_CONFIG_DEFAULTS = {"written_consent_required": False, "personal_devices": "allowed"}


def static_text(name: str) -> str:
    return importlib.resources.files("checker").joinpath("static", name).read_text(encoding="utf-8")


def page_settings(config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(facility, the overlay settings the page reads) from the hospital overlay in force."""
    facility = config.get("hospital") if isinstance(config.get("hospital"), str) and config.get("hospital") else DEFAULT_FACILITY
    settings = {key: config.get(key, default) for key, default in PAGE_CONFIG_DEFAULTS.items()}
    return facility[:200], settings


def render_index(config: dict[str, Any]) -> str:
    """index.html with the hospital's name and settings filled in (HTML-escaped, as attributes)."""
    facility, settings = page_settings(config)
    page = static_text("index.html")
    page = page.replace("{{facility}}", html.escape(facility, quote=True))
    return page.replace("{{config}}", html.escape(json.dumps(settings, sort_keys=True), quote=True))


def routes(config: dict[str, Any]) -> list[Any]:
    """The page's Starlette routes: GET / and GET /static/{name}. Files are read once, here."""
    from starlette.responses import Response
    from starlette.routing import Route

    def both(body: bytes) -> tuple[bytes, bytes]:
        # Compressed once, here (mtime=0: the same bytes every start): ~63 KB → ~17 KB on a phone.
        return body, gzip.compress(body, compresslevel=9, mtime=0)

    index = both(render_index(config).encode("utf-8"))
    files = {name: (both(static_text(name).encode("utf-8")), media) for name, media in STATIC_TYPES.items()}

    def send(request: Any, bodies: tuple[bytes, bytes], media: str, cache: str) -> Response:
        headers = {**SECURITY_HEADERS, "Cache-Control": cache, "Vary": "Accept-Encoding"}
        accepted = request.headers.get("accept-encoding", "")
        if any(part.split(";")[0].strip() == "gzip" for part in accepted.split(",")):
            headers["Content-Encoding"] = "gzip"
            return Response(bodies[1], media_type=media, headers=headers)
        return Response(bodies[0], media_type=media, headers=headers)

    async def page(request: Any) -> Response:
        # no-store: the page is small, and a cached copy would outlive an overlay change.
        return send(request, index, "text/html; charset=utf-8", "no-store")

    async def static(request: Any) -> Response:
        found = files.get(request.path_params["name"])
        if found is None:
            return Response(b'{"code":"resource_not_found","message":"no such file"}', status_code=404,
                            media_type="application/json", headers=SECURITY_HEADERS)
        bodies, media = found
        return send(request, bodies, media, "no-cache")

    return [Route("/", page, methods=["GET"]), Route("/static/{name}", static, methods=["GET"])]

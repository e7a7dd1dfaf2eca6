"""serve's page without a browser: what the server fills into it, that it speaks the CLI's words,
and that its files ship in the package."""
from __future__ import annotations

import fnmatch
import html
import json
import pathlib
import re
import tomllib

from checker import web
from checker.reports.check import HEADLINE, MARK

ROOT = pathlib.Path(__file__).resolve().parents[2]
STATIC = ROOT / "checker" / "static"


def _meta(page: str, name: str) -> str:
    found = re.search(rf'<meta name="{name}" content="([^"]*)">', page)
    assert found, name
    return html.unescape(found.group(1))


def test_the_hospital_and_its_settings_are_filled_in_escaped() -> None:
    hostile = 'Saint "Q" <script>alert(1)</script> & Co'
    page = web.render_index({"hospital": hostile, "written_consent_required": True, "personal_devices": "with_approval", "jurisdiction": "NSW"})
    assert "<script>alert" not in page and "{{" not in page
    assert _meta(page, "clinimg-facility") == hostile
    assert json.loads(_meta(page, "clinimg-config")) == {"written_consent_required": True, "personal_devices": "with_approval"}
    # no overlay: the guide's defaults, and a facility id the request schema accepts
    page = web.render_index({})
    assert _meta(page, "clinimg-facility") == web.DEFAULT_FACILITY
    assert json.loads(_meta(page, "clinimg-config")) == {"written_consent_required": False, "personal_devices": "allowed"}
    assert len(_meta(web.render_index({"hospital": "x" * 300}), "clinimg-facility")) == 200


def test_the_page_says_what_the_cli_says() -> None:
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    decoded = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), script)  # "—" is written \u2014 there
    for outcome, line in HEADLINE.items():
        assert f'{outcome}: "{line}"' in decoded, outcome
    for effect, mark in MARK.items():
        assert f'{effect}: "{mark}"' in decoded, effect


def test_the_csp_allows_nothing_inline_or_foreign() -> None:
    directives = dict(d.strip().split(" ", 1) for d in web.CSP.split(";"))
    assert directives["default-src"] == "'none'"
    for name in ("script-src", "style-src", "img-src", "connect-src", "form-action"):
        assert directives[name] == "'self'", name
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"


def test_every_static_file_is_served_and_ships_as_package_data() -> None:
    files = sorted(p.name for p in STATIC.iterdir() if p.is_file())
    assert set(files) == set(web.STATIC_TYPES) | {"index.html"}
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["checker"]
    for name in files:
        assert any(fnmatch.fnmatch(f"static/{name}", g) for g in globs), f"{name} would not ship in the wheel"


def test_files_are_sent_compressed_when_the_browser_takes_gzip() -> None:
    import gzip

    import requests
    from starlette.applications import Starlette

    from tests.serving import running_app

    original = (STATIC / "app.js").read_bytes()
    with running_app(Starlette(routes=web.routes({}))) as server:
        plain = requests.get(server.url + "/static/app.js", headers={"Accept-Encoding": "identity"}, timeout=10)
        assert "content-encoding" not in plain.headers and plain.content == original
        packed = requests.get(server.url + "/static/app.js", headers={"Accept-Encoding": "br, gzip;q=0.8"}, stream=True, timeout=10)
        assert packed.headers["content-encoding"] == "gzip" and packed.headers["vary"] == "Accept-Encoding"
        body = packed.raw.read(decode_content=False)
        assert len(body) < len(original) / 2 and gzip.decompress(body) == original

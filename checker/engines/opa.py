"""The OPA server engine: decisions from an Open Policy Agent server (or `clinimg serve`) over HTTP,
through opa-python-client (SPEC §7).

- TLS certificates are verified by default (opa-python-client does not verify unless asked);
  `verify_tls=False` (`--opa-insecure`) turns that off, and the CLI says so loudly. A path to a CA
  bundle may be given instead of True.
- Every request has a timeout; a refused connection, a timeout or a 502/503/504 is retried a
  bounded number of times with backoff (decisions are pure queries, so a retry is safe).
- Many decisions per round trip: the OPA Batch API (`POST /v1/batch/data/clinimg/decision` with
  `{"inputs": {id: input}}`, as Enterprise OPA and `clinimg serve` answer it). A server without
  it (404, e.g. open-source `opa run --server`) gets opa-python-client's bulk query instead (one
  ad-hoc `POST /v1/query` evaluating the entry point `with input as` each input), and a batch
  that fails there is decided one input at a time (`POST /v1/data/clinimg/decision`).
- A server that is down, refuses the token (401/403) or lacks the clinimg policies (the entry
  point is undefined for every input) is an EngineError: one clear line, exit 2. A failure for one
  input is an EngineFailure for that input: fail closed, never a permit.
- Decisions from a server carry no `policy`; stamp() gives `{"version": <this clinimg>, "digest":
  <the server's bundle revision when it reports one (`?provenance=true`), else "server">,
  "engine": "opa"}`. A bundle from `clinimg policy bundle` has the policy digest as its revision.
"""
from __future__ import annotations

import re
import time
import urllib.parse
from typing import Any

from ..errors import CheckerError, EngineError
from .base import BaseEngine, Decision, EngineFailure, contract_failure, without_values

PACKAGE = "clinimg"
RULE = "decision"
DEFAULT_TIMEOUT = 5.0
DEFAULT_RETRIES = 2
DEFAULT_BATCH = 256
_RETRY_STATUS = (502, 503, 504)
_UNDEFINED = object()


def parse_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path prefix) of an OPA server URL; CheckerError when it is not one."""
    try:
        parsed = urllib.parse.urlsplit(url.strip())
    except ValueError:  # `http://[::1` (an IPv6 address without its closing bracket)
        raise CheckerError("--opa-url is not a URL (an IPv6 address is written in brackets: http://[::1]:8181)") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise CheckerError("--opa-url must be an http:// or https:// URL of an OPA server, e.g. http://127.0.0.1:8181")
    if parsed.username or parsed.password:
        raise CheckerError("--opa-url must not hold credentials; give the token with --opa-token or CLINIMG_OPA_TOKEN")
    if parsed.query or parsed.fragment:
        raise CheckerError("--opa-url must not have a query or fragment")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 8181)
    except ValueError:
        raise CheckerError("--opa-url has an invalid port") from None
    host = parsed.hostname
    if not re.fullmatch(r"[A-Za-z0-9._:%-]+", host):  # `http://a b` (a space): no host is spelt so
        raise CheckerError("--opa-url is not a URL (its host name has a character a host name cannot have)")
    # An IPv6 address keeps its brackets: the client joins host and port as host:port.
    return parsed.scheme, f"[{host}]" if ":" in host else host, port, parsed.path.rstrip("/")


# provenance: the bundle revision that decided; strict-builtin-errors: a builtin that fails on an
# input (to_number of a word) is an error, not an undefined expression that quietly drops a
# hospital rule's deny — as on the embedded and the reference engine.
QUERY_PARAMS = {"provenance": "true", "strict-builtin-errors": "true"}


def _short(text: Any, limit: int = 160) -> str:
    line = without_values(" ".join(str(text or "").split()))  # (never the input value a builtin quotes)
    return line if len(line) <= limit else line[: limit - 1] + "…"


class OpaServerEngine(BaseEngine):
    """Engine protocol over an OPA server's REST API."""

    name = "opa"

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        verify_tls: bool | str = True,
        batch: int = DEFAULT_BATCH,
        version: str | None = None,
    ) -> None:
        try:
            from opa_client import OpaClient
        except ImportError:  # pragma: no cover - a runtime dependency
            raise CheckerError("the OPA engine needs opa-python-client: pip install opa-python-client") from None
        from .. import __version__

        scheme, host, port, prefix = parse_url(url)
        self.url = f"{scheme}://{host if ':' not in host else '[' + host + ']'}:{port}{prefix}"
        self.timeout = timeout
        self.retries = max(0, retries)
        self.batch = max(1, batch)
        self.version = version or __version__
        self.revision: str | None = None
        self._asked_revision = False
        self._mode = "batch"  # → "bulk" (POST /v1/query) → "single"
        if verify_tls is False:
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # said once, by the CLI
        client_class = _client_class(OpaClient)
        # Retries are ours (POST is not retried by the client's urllib3 policy).
        self._client = client_class(
            host=host, port=port, ssl=scheme == "https", token=token, retries=0, timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": f"clinimg/{self.version}"}, verify_tls=verify_tls,
        )
        if prefix:  # an OPA behind a reverse proxy at a path
            self._client.root_url = f"{self.url}/{self._client.version}"
        self._root = self._client.root_url
        self._closed = False

    # -- the engine protocol ---------------------------------------------------------------

    def decide(self, inputs: list[dict[str, Any]]) -> list[Decision | EngineFailure]:
        results: list[Decision | EngineFailure] = []
        for start in range(0, len(inputs), self.batch):
            results.extend(self._decide_chunk(inputs[start : start + self.batch]))
        if inputs and all(isinstance(r, EngineFailure) and r.reason.startswith("undefined") for r in results):
            raise EngineError(
                f"the OPA server at {self.url} has no clinimg policies: data.clinimg.decision is undefined "
                "(serve the bundle from `clinimg policy bundle`: opa run --server --bundle bundle.tar.gz)"
            )
        return results

    def stamp(self) -> dict[str, str]:
        return {"version": self.version, "digest": self.revision or "server", "engine": "opa"}

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._client.close_connection()

    def __enter__(self) -> "OpaServerEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------

    def _call(self, what: str, fn: Any) -> Any:
        """Run one HTTP exchange with bounded retries; EngineError for transport and auth failures."""
        import requests

        delay = 0.2
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = fn()
            except requests.exceptions.SSLError:
                raise EngineError(
                    f"OPA server at {self.url}: TLS certificate verification failed "
                    "(give the right CA, or --opa-insecure to skip verification — unsafe)"
                ) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                if last:
                    why = "timed out" if isinstance(exc, requests.exceptions.Timeout) else "connection refused or unreachable"
                    raise EngineError(f"OPA server at {self.url} is not answering ({why}, {self.retries + 1} attempt(s)): no decision (fail closed)") from None
            except requests.exceptions.RequestException as exc:
                raise EngineError(f"OPA server at {self.url}: {what} failed ({type(exc).__name__}): no decision (fail closed)") from None
            else:
                status = response.status_code
                if status in (401, 403):
                    raise EngineError(f"OPA server at {self.url} refused the request (HTTP {status}): check --opa-token / CLINIMG_OPA_TOKEN")
                if status in _RETRY_STATUS and not last:
                    pass
                else:
                    return response
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _json(response: Any) -> Any:
        try:
            return response.json()
        except ValueError:
            return None

    def _note_provenance(self, body: Any) -> None:
        if self.revision is not None or not isinstance(body, dict):
            return
        prov = body.get("provenance")
        if not isinstance(prov, dict):
            return
        revisions = [b.get("revision") for b in (prov.get("bundles") or {}).values() if isinstance(b, dict) and b.get("revision")]
        if not revisions and prov.get("revision"):
            revisions = [prov["revision"]]
        digests = [r for r in revisions if isinstance(r, str) and r.startswith("sha256:") and len(r) == 71]
        if len(digests) == 1:
            self.revision = digests[0]

    # -- one input: the Data API, through the client's query_rule --------------------------

    def _decide_one(self, item: dict[str, Any]) -> Decision | EngineFailure:
        import requests

        def call() -> Any:
            try:
                body = self._client.query_rule(item, PACKAGE, RULE, query_params=QUERY_PARAMS)
            except requests.exceptions.HTTPError as exc:
                return exc.response
            return _Answer(200, body)

        response = self._call("query", call)
        body = response.body if isinstance(response, _Answer) else self._json(response)
        if response.status_code != 200:
            return EngineFailure(f"OPA server answered HTTP {response.status_code}: {_short((body or {}).get('message') if isinstance(body, dict) else '')}")
        self._note_provenance(body)
        return self._result(body)

    @staticmethod
    def _result(body: Any) -> Decision | EngineFailure:
        if not isinstance(body, dict):
            return EngineFailure("OPA server answered something that is not a JSON object")
        if "result" not in body:
            return EngineFailure("undefined: the OPA server gave no decision for this input (data.clinimg.decision is undefined)")
        result = body["result"]
        if not isinstance(result, dict) or result.get("outcome") not in ("permit", "deny", "escalate"):
            return EngineFailure("OPA server's result is not a clinimg decision")
        return contract_failure(result) or result

    # -- many inputs -----------------------------------------------------------------------

    def _decide_chunk(self, chunk: list[dict[str, Any]]) -> list[Decision | EngineFailure]:
        out: list[Decision | EngineFailure] = []
        if not self._asked_revision and chunk:  # the first decision also asks the server's revision
            self._asked_revision = True
            out.append(self._decide_one(chunk[0]))
            chunk = chunk[1:]
        if not chunk:
            return out
        if len(chunk) == 1 or self._mode == "single":
            return out + [self._decide_one(item) for item in chunk]
        if self._mode == "batch":
            got = self._batch_api(chunk)
            if got is not None:
                return out + got
            self._mode = "bulk"
        got = self._bulk_query(chunk)
        if got is not None:
            return out + got
        return out + [self._decide_one(item) for item in chunk]

    def _batch_api(self, chunk: list[dict[str, Any]]) -> list[Decision | EngineFailure] | None:
        """The OPA Batch API; None when the server has none (404/405/501)."""
        url = f"{self._root}/batch/data/{PACKAGE}/{RULE}?" + "&".join(f"{k}={v}" for k, v in QUERY_PARAMS.items())
        payload = {"inputs": {str(i): item for i, item in enumerate(chunk)}}
        response = self._call("batch query", lambda: self._client.http.post(url, json=payload, timeout=self.timeout))
        if response.status_code in (404, 405, 501):
            return None
        if response.status_code == 413:  # larger than the server takes: halve, down to one input
            if len(chunk) == 1:
                return [EngineFailure("the OPA server refused this input as too large (HTTP 413)")]
            half = len(chunk) // 2
            first, second = self._batch_api(chunk[:half]), self._batch_api(chunk[half:])
            if first is None or second is None:  # pragma: no cover - the endpoint vanished mid-way
                return None
            return first + second
        body = self._json(response)
        responses = body.get("responses") if isinstance(body, dict) else None
        if response.status_code not in (200, 207, 400, 500) or not isinstance(responses, dict):
            message = body.get("message") if isinstance(body, dict) else ""
            return [EngineFailure(f"OPA server answered HTTP {response.status_code} to a batch: {_short(message)}")] * len(chunk)
        results: list[Decision | EngineFailure] = []
        for i in range(len(chunk)):
            entry = responses.get(str(i))
            if not isinstance(entry, dict):
                results.append(EngineFailure("OPA server's batch answer lacks this input"))
            elif "result" in entry:
                self._note_provenance(entry)
                results.append(self._result(entry))
            elif "code" in entry:
                results.append(EngineFailure(f"OPA server: {_short(entry.get('code'))}: {_short(entry.get('message'))}"))
            else:
                results.append(self._result(entry))
        return results

    def _bulk_query(self, chunk: list[dict[str, Any]]) -> list[Decision | EngineFailure] | None:
        """opa-python-client's bulk query (one ad-hoc query); None when it cannot decide them all."""
        import requests
        from opa_client.errors import QueryExecuteError

        def call() -> Any:
            try:
                # (strict: one input's builtin error fails the query; each is then asked alone)
                return _Answer(200, self._client.bulk_query_rule(chunk, PACKAGE, RULE, query_params={"strict-builtin-errors": "true"}))
            except requests.exceptions.HTTPError as exc:
                return exc.response
            except QueryExecuteError:  # undefined for at least one input
                return _Answer(422, None)

        response = self._call("bulk query", call)
        if not isinstance(response, _Answer) or response.status_code != 200:
            if getattr(response, "status_code", 0) in (404, 405, 501):
                self._mode = "single"
            return None
        values = response.body
        if not isinstance(values, list) or len(values) != len(chunk):
            return None
        return [self._result({"result": v}) for v in values]


class _Answer:
    """A decoded answer from a client call that does not hand back its response."""

    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code = status_code
        self.body = body


def _client_class(base: type) -> type:
    """opa-python-client's OpaClient with TLS verification as asked (on by default; off, or a CA
    bundle's path) and its HTTP session public as `http`, for OPA's Batch API, which the client
    has no method for. The client builds its session in `_init_session`, the hook its base class
    leaves to subclasses; overriding it is how the client is meant to be extended, where setting
    attributes of its private session afterwards would break silently if it changed."""

    class ClinimgOpaClient(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, verify_tls: bool | str = True, **kwargs: Any) -> None:
            self.verify_tls = verify_tls
            self.http: Any = None
            super().__init__(*args, **kwargs)

        def _init_session(self) -> Any:
            session = super()._init_session()
            session.verify = self.verify_tls
            self.http = session
            return session

    return ClinimgOpaClient

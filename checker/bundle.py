"""`clinimg policy bundle`: the policy set as a standard OPA bundle (SPEC §6).

The bundle is what `opa run --server --bundle bundle.tar.gz` serves unchanged:

- `/.manifest` — `revision` is the PolicySet digest (so a decision from that server can be traced
  to the same policies and overlay as an embedded one), `roots: ["clinimg"]`, `rego_version: 1`,
  and `metadata` (clinimg version, entry point);
- every non-test Rego module at its policy path (`/clinimg/rules/<area>/<rule>.rego`, a hospital's
  own rules at `/local/…`, exactly the names the embedded engine compiles them under);
- the overlay as `/clinimg/config/data.json` — OPA mounts a data.json at its directory's path, so
  `data.clinimg.config` is the overlay (`{}` when there is none).

The bytes are deterministic: entries sorted, fixed mtime/uid/gid/mode, gzip mtime 0 and no file
name in the gzip header — the same policy set always gives the same file.
"""
from __future__ import annotations

import gzip
import io
import json
import pathlib
import tarfile
from typing import Any

from .errors import CheckerError
from .policy import PolicySet

ROOT = "clinimg"
CONFIG_DATA_PATH = "clinimg/config/data.json"
MANIFEST_PATH = ".manifest"
_MTIME = 0


def manifest(policy: PolicySet) -> dict[str, Any]:
    return {
        "revision": policy.digest,
        "roots": [ROOT],
        "rego_version": 1,
        "metadata": {"clinimg_version": policy.version, "entrypoint": "clinimg/decision"},
    }


def bundle_files(policy: PolicySet) -> dict[str, bytes]:
    """Path inside the bundle (no leading slash) → content."""
    files: dict[str, bytes] = {}
    for module in policy.modules:
        if module.is_test:
            continue
        if module.path in files or module.path == CONFIG_DATA_PATH:  # pragma: no cover - paths are unique
            raise CheckerError(f"{module.path}: two policy modules with one path; cannot bundle")
        files[module.path] = module.source.encode("utf-8")
    overlay = (policy.data.get(ROOT) or {}).get("config") or {}
    files[CONFIG_DATA_PATH] = _json_bytes(overlay)
    files[MANIFEST_PATH] = _json_bytes(manifest(policy))
    return files


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def build_bundle(policy: PolicySet) -> bytes:
    """The gzipped tar of bundle_files(), byte-for-byte reproducible."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in sorted(bundle_files(policy).items()):
            info = tarfile.TarInfo("/" + name)  # `opa build` writes rooted names too
            info.size = len(content)
            info.mtime = _MTIME
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(content))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=_MTIME, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def write_bundle(policy: PolicySet, output: str | pathlib.Path) -> int:
    """Write the bundle (atomically: a temporary file renamed into place); its size in bytes."""
    from .outputs import write_atomically

    data = build_bundle(policy)
    write_atomically(output, data, "--output")
    return len(data)


def read_bundle(data: bytes) -> dict[str, bytes]:
    """The files of a bundle (leading slash removed) — for tests and `policy bundle --check`."""
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile():
                fh = tar.extractfile(member)
                assert fh is not None
                files[member.name.lstrip("/")] = fh.read()
    return files


def load_into_opa(files: dict[str, bytes], opa: Any) -> None:
    """Load a bundle's contents into an opa_bindings.OpaEngine the way OPA does: each module by its
    path, each data.json at its directory's dotted path."""
    for name, content in sorted(files.items()):
        if name.endswith(".rego"):
            opa.add_policy(name, content.decode("utf-8"))
        elif name.endswith("data.json"):
            where = ".".join(pathlib.PurePosixPath(name).parent.parts)
            opa.add_data(json.loads(content), path=where)

"""`clinimg policy bundle`: a standard OPA bundle, byte-for-byte reproducible, that real OPA decides
exactly as the embedded engine does."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import pathlib
import tarfile

import pytest

from checker.api import build_policy
from checker.bundle import CONFIG_DATA_PATH, build_bundle, load_into_opa, read_bundle
from checker.engines.embedded import EmbeddedEngine
from checker.engines.reference import available
from tests.conftest import EXAMPLES

OVERLAY = EXAMPLES / "overlay" / "hospital.yaml"
LOCAL = EXAMPLES / "local_rules"
REQUESTS = sorted((EXAMPLES / "requests").glob("*.json"))


def test_same_policy_same_bytes():
    a = build_bundle(build_policy(OVERLAY, [LOCAL]))
    b = build_bundle(build_policy(OVERLAY, [LOCAL]))
    assert a == b
    assert build_bundle(build_policy()) != a


def test_deterministic_headers():
    data = build_bundle(build_policy(OVERLAY))
    assert data[:2] == b"\x1f\x8b" and data[4:8] == b"\0\0\0\0"  # gzip, mtime 0
    assert data[3] & 0x08 == 0  # no file name in the gzip header
    assert gzip.decompress(data)  # a whole gzip stream
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert all(n.startswith("/") for n in names)
    assert all(m.mtime == 0 and m.uid == 0 and m.gid == 0 and m.uname == "" and m.gname == "" and m.mode == 0o644 and m.isfile() for m in members)


def test_manifest_modules_and_data():
    policy = build_policy(OVERLAY, [LOCAL])
    files = read_bundle(build_bundle(policy))
    manifest = json.loads(files[".manifest"])
    assert manifest["revision"] == policy.digest
    assert manifest["roots"] == ["clinimg"]
    assert manifest["metadata"]["clinimg_version"] == policy.version
    rego = {name for name in files if name.endswith(".rego")}
    assert rego == {m.path for m in policy.modules}
    assert not any(name.endswith("_test.rego") for name in files)
    assert "clinimg/entrypoint.rego" in rego and "local/no_video_in_theatre.rego" in rego
    assert any(name.startswith("clinimg/rules/") for name in rego)
    for m in policy.modules:
        assert files[m.path].decode() == m.source
    assert json.loads(files[CONFIG_DATA_PATH]) == policy.data["clinimg"]["config"]
    assert set(files) == rego | {".manifest", CONFIG_DATA_PATH}


def test_empty_overlay_is_an_empty_object():
    files = read_bundle(build_bundle(build_policy()))
    assert json.loads(files[CONFIG_DATA_PATH]) == {}


def _embedded(policy, requests):
    with EmbeddedEngine(policy) as engine:
        return engine.decide(requests)


@pytest.mark.skipif(not available(), reason="reference OPA engine not installed (make test installs it)")
@pytest.mark.parametrize("overlay", [None, OVERLAY], ids=["guide", "hospital-overlay"])
def test_bundle_in_reference_opa_decides_as_embedded(overlay):
    from opa_bindings import OpaEngine

    policy = build_policy(overlay)
    files = read_bundle(build_bundle(policy))
    opa = OpaEngine()
    opa.print_handler = lambda message, location: None
    try:
        load_into_opa(files, opa)
        assert opa.eval_document("clinimg.config") == policy.data["clinimg"]["config"]
        requests = [json.loads(p.read_text()) for p in REQUESTS]
        expected = _embedded(policy, requests)
        for path, request, want in zip(REQUESTS, requests, expected):
            got = opa.eval_document("clinimg.decision", request)
            assert got == want, path.name
    finally:
        opa.close()


def test_cli_writes_the_same_file_twice(cli, tmp_path):
    out1, out2 = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    r1 = cli("policy", "bundle", "--output", str(out1), "--policy-config", str(OVERLAY), "--policy-dir", str(LOCAL))
    r2 = cli("policy", "bundle", "-o", str(out2), "--policy-config", str(OVERLAY), "--policy-dir", str(LOCAL))
    assert r1.code == 0 and r2.code == 0, r1.err + r2.err
    assert out1.read_bytes() == out2.read_bytes()
    digest = build_policy(OVERLAY, [LOCAL]).digest
    assert digest in r1.out
    assert json.loads(read_bundle(out1.read_bytes())[".manifest"])["revision"] == digest
    assert hashlib.sha256(out1.read_bytes()).hexdigest() == hashlib.sha256(build_bundle(build_policy(OVERLAY, [LOCAL]))).hexdigest()


def test_cli_refuses_rego_that_does_not_compile(cli, tmp_path):
    bad = tmp_path / "rules"
    bad.mkdir()
    (bad / "broken.rego").write_text("package clinimg.rules.local.broken\n\ndeny contains f if {\n")
    out = tmp_path / "bundle.tar.gz"
    r = cli("policy", "bundle", "-o", str(out), "--policy-dir", str(bad))
    assert r.code == 2
    assert "broken.rego" in r.err and "no bundle written" in r.err
    assert not out.exists()


def test_cli_bad_overlay_is_one_clear_error(cli, tmp_path):
    overlay = tmp_path / "h.yaml"
    overlay.write_text("personal_devices: sometimes\n")
    r = cli("policy", "bundle", "-o", str(tmp_path / "b.tar.gz"), "--policy-config", str(overlay))
    assert r.code == 2 and "personal_devices" in r.err and "Traceback" not in r.err
    assert not (tmp_path / "b.tar.gz").exists()


def test_cli_unwritable_output(cli, tmp_path):
    r = cli("policy", "bundle", "-o", str(tmp_path / "no" / "such" / "dir" / "b.tar.gz"))
    assert r.code == 2 and "--output: its directory does not exist" in r.err


def test_bundle_paths_are_relative_to_policies_root():
    policy = build_policy()
    root = pathlib.Path(__file__).resolve().parents[2] / "policies"
    for m in policy.modules:
        assert (root / m.path).is_file()

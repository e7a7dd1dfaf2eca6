"""A non-editable install (`pip install .`, as a wheel would be) works on its own: the shipped
policies, schemas, rule cases and example overlay ride inside the package (setup.py), and the
engine workers and audit partitions start from wherever the package is installed."""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES, ROOT

# What a clean checkout holds, without this machine's leftovers (a venv, build output, caches).
IGNORED = shutil.ignore_patterns(".venv", ".git", "build", "out", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "*.pyc")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    source = tmp_path_factory.mktemp("source") / "clinimg"
    shutil.copytree(ROOT, source, ignore=IGNORED, symlinks=True)
    target = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return target


def _run(installed: pathlib.Path, cwd: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The test venv holds an editable install of the checkout; PYTHONPATH puts the installed copy
    # first, and each run checks that copy is the one imported.
    env = {**os.environ, "PYTHONPATH": str(installed)}
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_installed_package_carries_its_data(installed: pathlib.Path) -> None:
    package = installed / "checker"
    assert (package / "policies" / "clinimg" / "decide.rego").is_file()
    assert (package / "schemas").is_dir() and any((package / "schemas").glob("*.json"))
    assert (package / "cases" / "bases.yaml").is_file()
    assert (package / "overlay" / "hospital.yaml").is_file()
    for name in ("index.html", "app.js", "app.css", "favicon.svg"):  # serve's page (pyproject package-data)
        assert (package / "static" / name).is_file(), name
    # Every file of the repository's data directories, byte for byte, and nothing else (setup.py's
    # DATA_DIRS): all the shipped rules' tests and cases pass on the checkout (make test), so they
    # pass on these copies too — the package's own run below needs only a few of them.
    for source, target in (("policies", "policies"), ("schemas", "schemas"), ("tests/cases", "cases"), ("examples/overlay", "overlay")):
        assert _files(ROOT / source) == _files(package / target), source


def _files(top: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(top)): p.read_bytes() for p in sorted(top.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def test_installed_package_decides_from_anywhere(installed: pathlib.Path, tmp_path: pathlib.Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed)}
    where = subprocess.run([sys.executable, "-c", "import checker; print(checker.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert pathlib.Path(where).is_relative_to(installed), where

    request = EXAMPLES / "requests" / "disallowed_case1_post_on_facebook.json"
    if not request.exists():
        request = sorted((EXAMPLES / "requests").glob("disallowed_*.json"))[0]
    checked = _run(installed, tmp_path, "check", str(request), "--format", "json")
    assert checked.returncode == 1, checked.stderr
    assert json.loads(checked.stdout)["outcome"] == "deny"

    # The shipped policy's unit tests and data-driven rule cases, read from the package: one
    # area's (Rego tests on reference OPA, cases under four overlays on both engines; all of them
    # take ~20 s CPU and are run on the checkout by make test — the copies are identical, above).
    tested = _run(installed, tmp_path, "policy", "test", "-k", "storage", "-v")
    assert tested.returncode == 0, tested.stdout[-2000:] + tested.stderr[-2000:]
    assert " 0 failed" in tested.stdout and "passed" in tested.stdout
    assert "PASS policies/clinimg/rules/storage/" in tested.stdout  # the Rego tests ran
    assert "PASS [embedded] storage.yaml::" in tested.stdout and "PASS [reference] storage.yaml::" in tested.stdout  # the cases

    # The parallel audit starts its partition processes (and their regopy workers) from the
    # installed package, not from a checkout.
    log = tmp_path / "week.jsonl"
    generated = subprocess.run([sys.executable, "-m", "checker.loggen", "--events", "400", "--seed", "5"], cwd=tmp_path,
                               env={**os.environ, "PYTHONPATH": str(installed)}, capture_output=True, check=True)
    log.write_bytes(generated.stdout)
    audited = _run(installed, tmp_path, "audit", str(log), "--workers", "2", "--format", "json", "-o", str(tmp_path / "r.json"))
    assert audited.returncode in (0, 1), audited.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    counts = report["counts"]
    assert counts["read"] == counts["decided"] + counts["invalid"] + counts["duplicate"] > 0

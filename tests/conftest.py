from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from typing import Any

import pytest

# Image files are read by clinimg alone unless a test asks for ExifTool as the second reader
# (tests/unit/test_images_real.py): the expected findings must not depend on the machine.
os.environ.setdefault("CLINIMG_EXIFTOOL", "off")

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


class CLIResult:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(*args: str, stdin: str | None = None, timeout: float = 120, cwd: str | pathlib.Path | None = None) -> CLIResult:
    """The real command line, in a child process, as a user would run it (from `cwd`, default the
    repository; the package is installed, so any directory works)."""
    proc = subprocess.run(
        [sys.executable, "-m", "checker.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=timeout,
    )
    return CLIResult(proc)


@pytest.fixture
def cli():
    return run_cli

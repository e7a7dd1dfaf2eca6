"""Regenerate docs/audit-report.png: the HTML audit report of the example week, audited as two
nights into one state store, as headless Chromium shows it (needs chromium, chromedriver, selenium).

    .venv/bin/python scripts/screenshot_report.py [docs/audit-report.png]
"""
from __future__ import annotations

import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    target = pathlib.Path(argv[0]) if argv else ROOT / "docs" / "audit-report.png"
    lines = (ROOT / "examples" / "logs" / "week.jsonl").read_text().splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        page = pathlib.Path(tmp) / "report.html"
        for n, part in enumerate((lines[:200], lines[200:]), start=1):
            log = pathlib.Path(tmp) / f"night{n}.jsonl"
            log.write_text("\n".join(part) + "\n")
            subprocess.run([sys.executable, "-m", "checker.cli", "audit", str(log), "--state", f"{tmp}/state.sqlite",
                            "--format", "html", "--output", str(page)], cwd=ROOT, check=False, capture_output=True)
        options = webdriver.ChromeOptions()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,2000", "--hide-scrollbars"):
            options.add_argument(arg)
        options.binary_location = "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(page.as_uri())
            driver.save_screenshot(str(target))
        finally:
            driver.quit()
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Screenshots of serve's page for the README (docs/page-*.png): Case Study Two answered on a
phone (390 CSS px) and on a desktop (1280 px), in headless Chromium.

    .venv/bin/python scripts/page_screenshots.py [--out docs]

Needs the test extras and Debian's chromium + chromium-driver (`make browser`)."""
from __future__ import annotations

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import answer, chromium, desktop, phone  # noqa: E402
from tests.page_answers import CASES  # noqa: E402
from tests.serving import running_server  # noqa: E402

CASE = CASES["disallowed_case2_show_from_phone.json"]
FIRST_QUESTIONS = [a for a in CASE if a[0] in ("action", "role", "modality", "subject")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    out = pathlib.Path(parser.parse_args().out)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def shoot(driver, name: str) -> None:
        driver.save_screenshot(str(out / name))
        print(out / name)

    def checked(driver) -> None:
        driver.find_element(By.ID, "check").click()
        WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "result").is_displayed())

    with running_server(workers=1) as server, chromium((1280, 900)) as driver:
        phone(driver)
        driver.get(server.url + "/")
        answer(driver, FIRST_QUESTIONS)
        driver.execute_script("window.scrollTo(0, 0)")
        shoot(driver, "page-phone-questions.png")
        answer(driver, [a for a in CASE if a not in FIRST_QUESTIONS])
        checked(driver)
        driver.execute_script("document.getElementById('result').scrollIntoView(true)")
        shoot(driver, "page-phone-answer.png")
        desktop(driver)
        driver.get(server.url + "/")
        answer(driver, CASE)
        checked(driver)
        driver.execute_script("window.scrollTo(0, 0)")
        shoot(driver, "page-desktop.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How fast serve's page is on a slow phone connection: headless Chromium at 390 px under emulated
"regular 3G" (100 ms latency, 750 kbit/s down, 250 kbit/s up, no cache), five rounds of loading
the page and answering Case Study Two; prints load times, bytes transferred for the page, and the
time from pressing Check to the answer shown (embedded engine, one worker).

    .venv/bin/python scripts/page_timing.py"""
from __future__ import annotations

import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import answer, chromium, phone  # noqa: E402
from tests.page_answers import CASES  # noqa: E402
from tests.serving import running_server  # noqa: E402


def main() -> int:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with running_server(workers=1) as server, chromium() as driver:
        phone(driver)
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 100, "downloadThroughput": 750 * 1024 / 8, "uploadThroughput": 250 * 1024 / 8})
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        loads, answers = [], []
        for _ in range(5):
            driver.get(server.url + "/")
            loads.append(driver.execute_script(
                "var t = performance.getEntriesByType('navigation')[0];"
                "var all = performance.getEntriesByType('resource').reduce(function (s, r) { return s + r.transferSize; }, t.transferSize);"
                "return [t.domContentLoadedEventEnd, t.loadEventEnd, all];"))
            answer(driver, CASES["disallowed_case2_show_from_phone.json"])
            start = time.monotonic()
            driver.find_element(By.ID, "check").click()
            WebDriverWait(driver, 20, poll_frequency=0.01).until(lambda d: d.find_element(By.ID, "result").is_displayed())
            answers.append((time.monotonic() - start) * 1000)
    print("page loaded (DOMContentLoaded / load, ms):", ", ".join(f"{a:.0f}/{b:.0f}" for a, b, _ in loads))
    print("bytes transferred for the page and its files:", loads[0][2])
    print(f"Check → answer shown, ms: {', '.join(f'{a:.0f}' for a in answers)} (median {statistics.median(answers):.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

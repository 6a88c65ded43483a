"""The dashboard in a real browser: headless Chromium uploads MIT-BIH 100 and the
results appear without any error on the page. A screenshot is saved for a look."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dashboard import browser

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def driver():
    chromium, chromedriver = browser.find_browser()
    if not chromium or not chromedriver:
        pytest.skip("headless Chromium not installed (/usr/bin/chromium and /usr/bin/chromedriver; "
                    "apt-get install chromium chromium-driver)")
    pytest.importorskip("selenium")
    with browser.chromium() as d:
        yield d


def test_upload_record_in_browser(driver, mitdb_dir, tmp_path):
    for ext in ("hea", "dat", "atr"):
        shutil.copy(mitdb_dir / f"100.{ext}", tmp_path / f"100.{ext}")
    empty = tmp_path / "no-samples"
    empty.mkdir()
    with browser.serve(env={"ECG_DATA_DIR": str(empty)}) as url:
        driver.get(url)
        browser.wait_ready(driver, timeout_s=60)
        assert not browser.errors_on_page(driver)
        browser.upload(driver, [tmp_path / f"100.{e}" for e in ("hea", "dat", "atr")])
        browser.wait_for(driver, browser.results_shown, timeout_s=120, what="the analysed trace")
        page = driver.find_element("tag name", "body").text
        shot = tmp_path / "dashboard_upload.png"
        driver.save_screenshot(str(shot))
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, out / "dashboard_upload.png")
        assert browser.errors_on_page(driver) == []
        assert "HR mean" in page and "bpm" in page
        assert "100" in page  # the record's name in the overview

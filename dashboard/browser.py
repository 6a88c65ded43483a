"""Drive the dashboard in headless Chromium (selenium), for the browser test and the benchmark.

    with serve() as url, chromium() as driver:
        driver.get(url); wait_ready(driver)
        upload(driver, [".../100.hea", ".../100.dat", ".../100.atr"]); wait_results(driver)
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from ecg_lstm.paths import ROOT

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMEDRIVER = ("/usr/bin/chromedriver",)


def find_browser() -> tuple[str | None, str | None]:
    """Paths of Chromium and chromedriver, or None where absent."""
    b = next((p for p in CHROMIUM if Path(p).exists()), None)
    d = next((p for p in CHROMEDRIVER if Path(p).exists()), None) or shutil.which("chromedriver")
    return b, d


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(app: str | Path = ROOT / "dashboard" / "app.py", env: dict | None = None, timeout_s: float = 60.0):
    """Run the dashboard on a free loopback port; yields its URL, stops it after."""
    with server(app, env, timeout_s) as (url, _proc):
        yield url


@contextlib.contextmanager
def server(app: str | Path = ROOT / "dashboard" / "app.py", env: dict | None = None, timeout_s: float = 60.0,
           port: int | None = None):
    """As :func:`serve`, yielding ``(url, process)``: a test may kill the server (``kill -9``)."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true",
           # No reloading when a source file changes under a running test or benchmark.
           "--server.fileWatcherType", "none"]
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        t0 = time.monotonic()
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the dashboard exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() - t0 > timeout_s:
                raise TimeoutError(f"the dashboard did not answer on {url} within {timeout_s:.0f} s")
            time.sleep(0.3)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.contextmanager
def chromium(width: int = 1500, height: int = 1800):
    """A headless Chromium driven by selenium, with a fresh profile removed afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = find_browser()
    if not browser or not driver_path:
        raise FileNotFoundError("chromium/chromedriver not installed (apt-get install chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="ecg-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--no-first-run", f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, predicate, timeout_s: float = 30.0, what: str = "the page"):
    """Poll ``predicate(driver)`` until truthy; returns its value. An element that Streamlit
    replaced while the predicate read it (stale) counts as "not yet"."""
    from selenium.common.exceptions import StaleElementReferenceException

    t0 = time.monotonic()
    while True:
        try:
            v = predicate(driver)
        except StaleElementReferenceException:
            v = None
        if v:
            return v
        if time.monotonic() - t0 > timeout_s:
            raise TimeoutError(f"{what} did not appear within {timeout_s:.0f} s")
        time.sleep(0.05)


def _css(driver, sel):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, sel)


def running(driver) -> bool:
    """True while the script is running (Streamlit's status widget shows)."""
    return bool(_css(driver, '[data-testid="stStatusWidget"]'))


def wait_ready(driver, timeout_s: float = 60.0) -> None:
    """Wait for the first render (the sidebar uploader)."""
    wait_for(driver, lambda d: _css(d, 'input[type="file"]'), timeout_s, "the upload control")


def models_loading(driver) -> bool:
    """The first page's note that the analysis code and the models are loading is shown
    (``dashboard.loading.WARM_UP_NOTE``); it goes once they are loaded."""
    captions = _css(driver, '[data-testid="stCaptionContainer"]')
    return any(e.text.startswith("Loading the analysis code") for e in captions)


def first_page_shown(driver) -> bool:
    """The page a user sees first is drawn: the title, and the upload control in the sidebar."""
    titles = _css(driver, '[data-testid="stMain"] h1')
    uploader = _css(driver, '[data-testid="stSidebar"] input[type="file"]')
    return bool(uploader) and any("ECG monitor" in t.text for t in titles)


def upload(driver, paths: list[str | Path]) -> None:
    """Give the uploader these files at once (as selecting them in the file dialog would)."""
    field = _css(driver, 'input[type="file"]')[0]
    field.send_keys("\n".join(str(Path(p).resolve()) for p in paths))


def results_shown(driver) -> bool:
    """The trace and the navigator have been drawn (plotly's main SVG of each is in the page).

    Streamlit's "running" indicator is not waited for: it lingers a moment after the
    script has finished, so it would add its fade-out to every figure."""
    return bool(_css(driver, '.st-key-ecg_chart .main-svg')) and bool(_css(driver, '.st-key-nav_chart .main-svg'))


def errors_on_page(driver) -> list[str]:
    """Texts of exceptions and error alerts on the page."""
    out = [e.text for e in _css(driver, '[data-testid="stException"]')]
    for alert in _css(driver, '[data-testid="stAlert"]'):
        if _css(alert, '[data-testid="stAlertContentError"]') or "error" in (alert.get_attribute("class") or ""):
            out.append(alert.text)
    return out

"""The observer's page in a real browser: headless Chromium (Debian's package) driven by
Playwright for Python, on the page of a running demo system (``python -m airsrt.observe --demo``).

It finds the tree and a known actor, sees that actor's processed count rise, sees a crash and
its restart appear in the events feed, and saves a screenshot under ``build/artifacts/`` (CI
keeps it). With ``AIRSRT_UPDATE_SCREENSHOT=1`` it also refreshes the guide's picture,
``docs/img/observer.png``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("aiohttp", reason="airsrt.observe needs aiohttp: pip install 'airsrt[observe]'")
playwright_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the browser test needs Playwright for Python: pip install 'airsrt[observe-test]'",
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "artifacts"
CHROMIUM = os.environ.get("AIRSRT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"the browser test needs Chromium at {CHROMIUM} (Debian: apt-get install -y chromium; "
            "or set AIRSRT_CHROMIUM to a Chromium binary)"
        )
    return CHROMIUM


@pytest.fixture
def demo_url():
    """A running demo system (a subprocess), its flaky worker crashing about every second."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "airsrt.observe", "--demo", "--crash-every", "1.5", "--duration", "120"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert match, f"the demo did not print its address: {line!r}"
        yield match.group(0)
    finally:
        proc.send_signal(signal.SIGINT)  # a graceful shutdown, as Ctrl+C
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def processed(page, name: str) -> int:
    text = page.locator(f'#tree-body tr.row[data-name="{name}"] td.c-processed').inner_text()
    return int(text.replace(",", ""))


@pytest.mark.timeout(240)  # a browser and a demo system on a busy 2-core machine
def test_the_page_shows_a_running_system(chromium, demo_url):
    errors: list[str] = []
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(demo_url)
            page.wait_for_selector("#conn.conn-live", timeout=15_000)
            assert page.inner_text("#system-name") == "demo"

            # The tree, opened at the first visit: the guardian, the app supervisor, its orders.
            orders = page.locator('#tree-body tr.row[data-name="orders"]')
            orders.wait_for(timeout=15_000)
            assert page.locator('#tree-body tr.row[data-name="app"] .kind').inner_text() == "S"
            assert page.locator('#tree-body tr.row[data-name="resizers"] .kind').inner_text() == "P"
            first = processed(page, "orders")
            page.wait_for_function(
                """(before) => {
                    const cell = document.querySelector('#tree-body tr.row[data-name="orders"] td.c-processed');
                    return cell && Number(cell.textContent.replace(/,/g, '')) > before;
                }""",
                arg=first, timeout=15_000,
            )
            assert processed(page, "orders") > first

            # A crash of the flaky worker and its restart, in the feed.
            page.wait_for_selector('#feed li[data-kind="actor.failed"][data-actor="flaky"]', timeout=20_000)
            page.wait_for_selector('#feed li[data-kind="actor.restarted"][data-actor="flaky"]', timeout=20_000)
            page.wait_for_function(
                """() => {
                    const cell = document.querySelector('#tree-body tr.row[data-name="flaky"] td.c-restarts');
                    return cell && Number(cell.textContent.replace(/,/g, '')) > 0;
                }""",
                timeout=15_000,
            )

            # Grouping: the sensors supervisor has more children than the group size.
            page.click('#tree-body tr.row[data-name="sensors"] [data-toggle]')
            page.wait_for_selector('#tree-body tr.group >> text=Sensor', timeout=10_000)

            # Search by name, then back to the tree.
            page.fill("#search", "gateway")
            page.wait_for_selector('#tree-body tr.row[data-name="gateway"] .path', timeout=10_000)
            assert "/app/payments/gateway" in page.inner_text('#tree-body tr.row[data-name="gateway"]')
            page.fill("#search", "")
            page.wait_for_selector('#tree-body tr.row[data-name="orders"]', timeout=10_000)

            # Details of the flaky worker: its supervisor's spec and restarts.
            page.click('#tree-body tr.row[data-name="flaky"] .name')
            page.wait_for_selector("#details >> text=As a child of its supervisor", timeout=10_000)
            assert "permanent" in page.inner_text("#details")

            # Dead letters by reason, and the charts drawn from a few seconds of ticks.
            page.wait_for_selector("#dead >> text=mailbox_full", timeout=15_000)
            page.wait_for_function("() => document.querySelector('#c-rate').textContent !== '–'", timeout=15_000)
            # A few more points on the plots for the picture (more for the guide's picture).
            time.sleep(45 if os.environ.get("AIRSRT_UPDATE_SCREENSHOT") == "1" else 4)

            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "observer.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000
            if os.environ.get("AIRSRT_UPDATE_SCREENSHOT") == "1":
                shutil.copyfile(shot, ROOT / "docs" / "img" / "observer.png")
        finally:
            browser.close()
    assert errors == []

"""Tests of airsrt.observe: the HTTP API (aiohttp's client) and the page in a real browser."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "browser: drives the observer's page in headless Chromium (Playwright and Debian's "
        "chromium; skipped when either is missing)",
    )

"""What the dashboard's tests share: a real ``orchdsl serve`` process on a free port of
127.0.0.1 (``--bind 127.0.0.1:0``: the address it prints is the one it got), plain HTTP
requests, and a real headless Chromium driven by Selenium (Debian's chromium and
chromium-driver; .ci/run installs them)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from conftest import REPO, isolated_env, orchdsl_executable

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("ORCHDSL_TEST_ARTIFACTS") or REPO / "build" / "test-artifacts"
                 ) / "web"
# With ORCHDSL_DOCS_SCREENSHOTS=1 the screenshots are also written to docs/img (how the
# images of docs/dashboard.md are made).
DOCS_IMAGES = REPO / "docs" / "img"


class Server:
    """``orchdsl serve ARGS... --bind BIND``, started and stopped by a test."""

    def __init__(self, *args, bind: str = "127.0.0.1:0", env: dict | None = None,
                 cwd=None):
        self.process = subprocess.Popen([orchdsl_executable(), "serve", *map(str, args),
                                         "--bind", bind], cwd=cwd, env=isolated_env(env),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        line = self.process.stdout.readline()
        found = re.search(r"(http://\S+:\d+)/", line)
        if not found:
            self.stop()
            raise AssertionError(f"orchdsl serve did not start: {line!r} "
                                 f"{self.process.stderr.read()}")
        self.url = found.group(1).replace("0.0.0.0", "127.0.0.1")
        self.line = line

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@dataclass
class Answer:
    status: int
    headers: dict
    body: str

    def json(self):
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(url: str, method: str = "GET", data: dict | None = None,
            headers: dict | None = None, follow: bool = True) -> Answer:
    body = None
    if data is not None:
        from urllib.parse import urlencode

        body = urlencode(data).encode()
    made = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = urllib.request.build_opener(*(() if follow else (_NoRedirect(),)))
    try:
        with opener.open(made, timeout=30) as answer:
            return Answer(answer.status, {k.lower(): v for k, v in answer.headers.items()},
                          answer.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()},
                      error.read().decode("utf-8"))


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)


def wait_for(check, timeout: float = 30.0, every: float = 0.1, what: str = "it"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def start_browser(tz: str = "UTC"):
    """A headless Chromium (a profile of its own, in the zone ``tz``) under Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        assert os.path.exists(path), f"{path} is missing: apt-get install chromium " \
                                     "chromium-driver (.ci/run does)"
    profile = tempfile.mkdtemp(prefix="orchdsl-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    service = Service(CHROMEDRIVER, env={**os.environ, "TZ": tz})
    driver = webdriver.Chrome(options=options, service=service)
    driver.profile_dir = profile
    return driver


def stop_browser(driver) -> None:
    driver.quit()
    shutil.rmtree(driver.profile_dir, ignore_errors=True)


def screenshot(driver, name: str) -> Path:
    """The page as the browser shows it, whole (the window grown to its height)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, max(700, min(int(height) + 40, 4000)))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)
    if os.environ.get("ORCHDSL_DOCS_SCREENSHOTS"):
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMAGES / f"dashboard-{name}.png")
    return path

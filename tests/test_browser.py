"""End to end in a real browser: JupyterLab on 127.0.0.1 runs a report notebook in Chromium."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from analysis import paths

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
INSTALL = "install Debian's browser: apt-get install chromium chromium-driver"

pytestmark = [
    pytest.mark.notebooks, pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                       reason=f"Chromium or ChromeDriver not found: {INSTALL}"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """Start JupyterLab on a copy of the notebooks (autosave must never touch the originals)."""
    root = tmp_path / "lab"
    shutil.copytree(paths.NOTEBOOKS, root / "notebooks")
    port, token = _free_port(), "routes-and-rights-test"
    log = open(tmp_path / "jupyterlab.log", "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        stdout=log, stderr=subprocess.STDOUT, cwd=root,
        env={**os.environ, "JUPYTER_NO_CONFIG": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/api/status?token={token}", proc, tmp_path / "jupyterlab.log")
        yield url, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: int = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {seconds} s: {log.read_text()[-2000:]}")


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _run_all_and_wait(driver, timeout: int = 600) -> dict:
    """Run every cell through JupyterLab's own command, then wait until the kernel is idle."""
    ready = ("return !!(window.jupyterapp && window.jupyterapp.shell.currentWidget && "
             "window.jupyterapp.shell.currentWidget.sessionContext && "
             "window.jupyterapp.shell.currentWidget.sessionContext.session && "
             "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel && "
             "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status "
             "=== 'idle')")
    _poll(driver, ready, 120, "the notebook's kernel never became idle")
    driver.execute_script("window.__ran = false; window.jupyterapp.commands"
                          ".execute('notebook:run-all-cells').then(() => {window.__ran = true;})")
    _poll(driver, "return window.__ran === true", timeout, "Run All did not finish")
    return driver.execute_script("""
        const nb = window.jupyterapp.shell.currentWidget.content;
        const cells = nb.model.cells;
        const out = {n: cells.length, code: 0, executed: 0, errors: []};
        for (let i = 0; i < cells.length; i++) {
            const cell = cells.get(i);
            if (cell.type !== 'code') continue;
            out.code += 1;
            if (cell.executionCount) out.executed += 1;
            const outputs = cell.outputs;
            for (let j = 0; j < outputs.length; j++) {
                const o = outputs.get(j).toJSON();
                if (o.output_type === 'error') out.errors.push([i, o.ename, o.evalue]);
            }
        }
        return out;""")


def _poll(driver, script: str, seconds: int, message: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if driver.execute_script(script):
            return
        time.sleep(1)
    pytest.fail(message)


def test_routes_notebook_runs_in_jupyterlab_without_an_error(lab, browser, tmp_path):
    url, token = lab
    browser.get(f"{url}/lab/tree/notebooks/01-routes.ipynb?token={token}")
    result = _run_all_and_wait(browser)
    browser.save_screenshot(str(tmp_path / "jupyterlab.png"))
    assert result["code"] > 5, json.dumps(result)
    assert result["errors"] == [], f"cells failed in JupyterLab: {result['errors']}"
    assert result["executed"] == result["code"], json.dumps(result)
    # The run wrote into the copy, never into the committed notebook.
    committed = json.loads((paths.NOTEBOOKS / "01-routes.ipynb").read_text())
    assert all(not c.get("outputs") for c in committed["cells"] if c["cell_type"] == "code")


def test_the_browser_check_sees_a_failing_cell(lab, browser, tmp_path):
    """The detector above can fail: a notebook whose second cell raises is reported."""
    import nbformat

    url, token = lab
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell("x = 1"),
                  nbformat.v4.new_code_cell("raise ValueError('stale sentence')")]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}
    nbformat.write(book, tmp_path / "lab" / "notebooks" / "99-broken.ipynb")
    browser.get(f"{url}/lab/tree/notebooks/99-broken.ipynb?token={token}")
    result = _run_all_and_wait(browser, timeout=120)
    assert result["errors"] == [[1, "ValueError", "stale sentence"]]

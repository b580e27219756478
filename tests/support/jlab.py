"""Drive a real JupyterLab in headless Chromium: start/stop the server, open and run notebooks.

:func:`start_lab` starts the ``jupyter-lab`` executable itself (its PID is the server's) on
127.0.0.1 with a random token; :func:`stop_lab` stops it by that PID. :func:`open_notebook`,
:func:`run_all`, :func:`restart_kernel`, :func:`press` and :func:`wait_for` drive the page.
JupyterLab runs with ``expose_app_in_browser`` so commands run through ``window.jupyterapp``.

Tests never wait a fixed time and never measure the machine's clock. A test about timing
installs Playwright's fake clock before the page loads (``page.clock.install()``: time flows
as usual, JupyterLab's timers included), then, for the measurement only, stops it with
:func:`paused_clock` and moves it by exact amounts with ``page.clock.run_for(ms)``: timers and
``requestAnimationFrame`` callbacks fire at their simulated times, the latter every
:data:`REFRESH_MS`. Anything that needs real time (a kernel round trip, an image decoded) is
waited for as a state with :func:`wait_for`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium")
#: How long a wait for a state may take (ms) before the test fails. It only catches a hang, so
#: it is generous: on a busy machine a test waits longer, it does not fail.
WAIT_MS = 300_000
#: The same for running a notebook's cells (the face model runs on the first opening of a clip).
RUN_MS = 600_000
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Lab:
    """A running JupyterLab server."""

    url: str
    token: str
    root: Path
    proc: subprocess.Popen
    log: Path

    def api(self, path: str, method: str = "GET", body: dict | None = None) -> object:
        """Call the server's REST API with the token; returns decoded JSON (or None)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=WAIT_MS / 1000) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def lab_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?token={self.token}&reset"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_project(root: Path) -> Path:
    """A project directory with the built-in sample and the notebooks.

    The repository's prepared sample (``make sample``) is copied when present, else made;
    its analysis (landmarks, curves) is in the user's analysis cache, keyed on content, so
    the clips made by ``make test``'s detector run are read back, not analysed again.
    """
    from workbench.sample import DATASET, make_sample

    root.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TQDM_DISABLE", "1")
    if (REPO / "data" / DATASET).is_dir():
        shutil.copytree(REPO / "data" / DATASET, root / "data" / DATASET, dirs_exist_ok=True)
    make_sample(root)  # writes the truth; keeps the copied clips
    shutil.copytree(REPO / "notebooks", root / "notebooks", dirs_exist_ok=True)
    return root


def start_lab(root: Path, log_dir: Path) -> Lab:
    """Start ``jupyter-lab`` (the executable itself, so its PID is the server's)."""
    import secrets

    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        path = log_dir / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["PYTHONUNBUFFERED"] = "1"
    env["TQDM_DISABLE"] = "1"
    settings = log_dir / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env["JUPYTERLAB_SETTINGS_DIR"] = str(log_dir / "lab-settings")
    exe = Path(sys.executable).with_name("jupyter-lab")
    cmd = [
        str(exe),
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = log_dir / "jupyter-lab.log"
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, proc, log)
    deadline = time.monotonic() + WAIT_MS / 1000  # only a hang: a busy machine starts it slowly
    while time.monotonic() < deadline:
        try:
            lab.api("/api/status")
            return lab
        except OSError:
            pass
        try:  # not answering yet: wait for the server to exit, or ask again in 0.5 s
            proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            continue
        raise RuntimeError(f"jupyter-lab exited with {proc.returncode}; see {log}")
    stop_lab(lab)
    raise TimeoutError(f"Expected jupyter-lab on {lab.url} within {WAIT_MS / 1000:g} s; see {log}")


def stop_lab(lab: Lab) -> None:
    """Stop the server by its PID: SIGTERM (it shuts its kernels down), then SIGKILL."""
    if lab.proc.poll() is None:
        lab.proc.send_signal(signal.SIGTERM)
        try:
            lab.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.proc.kill()
            lab.proc.wait(timeout=10)


def shut_down_kernels(lab: Lab, notebook: str) -> None:
    """End the kernel sessions of ``notebook`` (REST API), so that the next opening starts
    a fresh kernel instead of restoring the widgets an earlier test left in it."""
    import json
    import urllib.request

    def call(method: str, path: str) -> bytes:
        req = urllib.request.Request(f"{lab.url}{path}?token={lab.token}", method=method)
        with urllib.request.urlopen(req, timeout=WAIT_MS / 1000) as resp:
            return resp.read()

    for session in json.loads(call("GET", "/api/sessions")):
        if session.get("path") == notebook:
            call("DELETE", f"/api/sessions/{session['id']}")


def open_notebook(page, lab: Lab, notebook: str, *, fresh: bool = True) -> None:
    """Open ``notebook`` (path relative to the server root) and wait for an idle kernel
    (a fresh one unless ``fresh`` is False)."""
    if fresh:
        shut_down_kernels(lab, notebook)
    page.goto(lab.lab_url(notebook))
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=WAIT_MS)
    page.wait_for_selector(".jp-NotebookPanel", timeout=WAIT_MS)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    accept_kernel_dialog(page)
    wait_kernel_idle(page)


def accept_kernel_dialog(page, timeout: float = WAIT_MS) -> None:
    """Accept the "Select Kernel" dialog shown for a notebook without a kernelspec.

    Waits until the notebook either has a kernel (the normal case: nothing to do) or shows
    that dialog.
    """
    dialog = wait_for(
        page,
        """() => {
          if (document.querySelector('.jp-Dialog .jp-mod-accept')) return 'dialog';
          const w = window.jupyterapp.shell.currentWidget;
          const s = w && w.sessionContext && w.sessionContext.session;
          return s && s.kernel ? 'kernel' : false;
        }""",
        timeout=timeout,
    )
    if dialog == "dialog":
        page.locator(".jp-Dialog .jp-mod-accept").first.click()


def wait_kernel_idle(page, timeout: float = WAIT_MS) -> None:
    page.wait_for_function(
        """() => {
          const w = window.jupyterapp.shell.currentWidget;
          const s = w && w.sessionContext && w.sessionContext.session;
          const k = s && s.kernel;
          return k && k.status === 'idle';
        }""",
        timeout=timeout,
    )


def run_all(page, timeout: float = RUN_MS) -> None:
    """Run every cell and wait until the kernel is idle and no cell is queued."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => {
          const w = window.jupyterapp.shell.currentWidget;
          const k = w.sessionContext.session.kernel;
          const prompts = [...document.querySelectorAll('.jp-InputArea-prompt')]
            .map(p => p.textContent);
          return k.status === 'idle' && prompts.every(p => !p.includes('*'));
        }""",
        timeout=timeout,
    )
    errors = page.evaluate(
        """() => {
          const nb = window.jupyterapp.shell.currentWidget.content;
          const out = [];
          for (const cell of nb.widgets) {
            const outputs = cell.model.outputs ? cell.model.outputs.toJSON() : [];
            for (const o of outputs) {
              if (o.output_type === 'error') out.push(o.ename + ': ' + o.evalue);
            }
          }
          return out;
        }"""
    )
    if errors:
        raise AssertionError("A cell raised: " + " | ".join(errors))


def restart_kernel(page) -> None:
    """Restart the kernel of the current notebook (no dialog) and wait for it to be idle.

    The page's promise resolves once the restarted kernel is connected again (its status went
    to 'restarting' on the way), so the 'idle' waited for afterwards is the new kernel's.
    """
    page.evaluate("async () => { await window.jupyterapp.shell.currentWidget.sessionContext.restartKernel(); }")
    wait_kernel_idle(page)


def press(page, selector: str, *keys: str) -> None:
    """Focus ``selector`` and press ``keys`` (playwright names: 'ArrowRight', 'Shift+ArrowLeft')."""
    page.locator(selector).first.focus()
    for key in keys:
        page.keyboard.press(key)


def wait_for(page, js: str, arg: object = None, timeout: float = WAIT_MS, *, state: str | None = None):
    """Wait until the JavaScript expression/function ``js`` is truthy; returns its value.

    ``state``: a JavaScript function whose value (JSON) is put in the failure's message, what the
    page showed instead.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(js, arg=arg, timeout=timeout).json_value()
    except PlaywrightTimeout as exc:
        if state is None:
            raise
        errors = getattr(page, "js_errors", None)  # the page's uncaught errors (tests/browser/conftest.py)
        raise AssertionError(
            f"Expected {js} within {timeout / 1000:g} s; the page had {page.evaluate(state)}; errors: {errors}"
        ) from exc


def plot_state(container: str) -> str:
    """A JavaScript function: what the plotly plot in ``container`` shows (its x range asked for
    and drawn, its traces, its shapes' names, the text around it), for a failure's message."""
    return """() => {
      const box = document.querySelector(CONTAINER);
      const gd = box && box.querySelector('.js-plotly-plot');
      if (!gd) return 'no plot in ' + CONTAINER;
      const xa = (gd.layout && gd.layout.xaxis) || {};
      return JSON.stringify({
        range: xa.range, autorange: xa.autorange, title: xa.title,
        drawn: gd._fullLayout && gd._fullLayout.xaxis && gd._fullLayout.xaxis.range,
        traces: (gd.data || []).map(t => [t.name, t.x && t.x.length]),
        shapes: ((gd.layout && gd.layout.shapes) || []).map(s => s.name),
        text: box.innerText.slice(0, 300),
      });
    }""".replace("CONTAINER", json.dumps(container))


def notebook_variant(project: Path, name: str, **params: object) -> str:
    """Copy ``notebooks/annotate.ipynb`` into ``project`` with its parameter cell's values
    replaced (``DATASET="big"``, ``RATER=None`` ...); returns its path relative to ``project``."""
    import nbformat

    nb = nbformat.read(REPO / "notebooks" / "annotate.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "RATER =" in cell.source:
            lines = []
            for line in cell.source.splitlines():
                key = line.split("=")[0].strip()
                lines.append(f"{key} = {params[key]!r}" if key in params else line)
            cell.source = "\n".join(lines)
    out = project / "notebooks" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return f"notebooks/{name}"


#: Installed before the page loads (``page.add_init_script(f"({DECODE_GATE})()")``):
#: window.createImageBitmap behind a gate the test opens and closes (decoding held while
#: closed, so "a frame on its way" lasts exactly as long as the test wants); it records the
#: size of the last picture decoded.
DECODE_GATE = """() => {
  const original = window.createImageBitmap.bind(window);
  const gate = (window.__wbGate = { open: true, queued: [], inflight: 0, width: 0, height: 0 });
  window.createImageBitmap = (...args) => new Promise((resolve, reject) => {
    const run = () => {
      gate.inflight += 1;
      original(...args).then((bmp) => { gate.width = bmp.width; gate.height = bmp.height; resolve(bmp); }, reject)
        .finally(() => { gate.inflight -= 1; });
    };
    if (gate.open) run(); else gate.queued.push(run);
  });
}"""
OPEN_GATE = "() => { const g = window.__wbGate; g.open = true; g.queued.splice(0).forEach((run) => run()); }"
CLOSE_GATE = "() => { window.__wbGate.open = false; }"

#: The display refresh of Playwright's fake clock: requestAnimationFrame callbacks run at
#: every multiple of 16 ms of the page's ``performance.now()``.
REFRESH_MS = 16


@contextmanager
def paused_clock(page):
    """Stop the page's fake clock (installed before the page loaded) on a refresh boundary.

    Inside the block the page's time moves only by ``page.clock.run_for(ms)`` (or
    ``fast_forward``); it flows again afterwards. JupyterLab's own timers (kernel heartbeats,
    polls) stop too, so keep the block to the measurement.
    """
    from playwright.sync_api import Error as PlaywrightError

    ahead_ms = 1000
    while True:
        # pause_at takes a time of the page's fake Date: shortly after its present, so that
        # the clock only runs on to it (firing what is due), never back
        now_ms = page.evaluate("() => Date.now()")
        try:
            page.clock.pause_at((now_ms + ahead_ms) / 1000)  # seconds since the epoch
            break
        except PlaywrightError as exc:  # the page's time ran past it meanwhile: further ahead
            if "past" not in str(exc) or ahead_ms >= 60_000:
                raise
            ahead_ms *= 4
    ticks = round(page.evaluate("() => performance.now()"))
    page.clock.run_for(-ticks % REFRESH_MS)  # the next requestAnimationFrame is one refresh away
    try:
        yield
    finally:
        page.clock.resume()


def run_until(page, js: str, arg: object = None, *, step_ms: int = REFRESH_MS, limit_ms: int = 10_000) -> int:
    """Run the paused clock ``step_ms`` at a time until ``js`` is truthy; returns the ms run.

    Fails when ``js`` is still false after ``limit_ms`` of the page's (simulated) time.
    """
    ran = 0
    while not page.evaluate(js, arg):
        if ran >= limit_ms:
            raise AssertionError(f"Expected {js} within {limit_ms} ms of the page's clock, but it stayed false.")
        page.clock.run_for(step_ms)
        ran += step_ms
    return ran

"""A class of 30 against one `workbench seminar serve` on this machine, with a server crash mid-quiz.

Starts the real command (Solara's server, 127.0.0.1) on a copy of the built-in sample, course
forms of 4 faces, no AU curves (the face analysis is not what is measured). Then 30 students
arrive ``--arrival`` s apart (default 1 s) and take the pre-test:

- ``--real`` of them (default 6) are real pages in headless Debian Chromium (one browser, one
  context each): they type their name, click Join and Start, press Space to flash and 1 to
  answer. The flash is timed by the page as in class (rAF against the display);
- the others are protocol-level clients: Python websockets speaking Solara's protocol (the
  Jupyter widget messages a page sends): the same session cookie, the same widget messages
  (name typed, Join and Start clicked, load / shown / answer to the quiz widget), but no
  browser: they show nothing, so they report every flash as shown as asked.

Once ``--kill-after`` answers are acknowledged the server is killed (SIGKILL) and started again;
every student reconnects (real pages reload; the session cookie brings them back to their place)
and finishes. Printed: time to the first item (p50, p95; goal p95 <= 10 s), answer to
acknowledgement (p50, p95; goal p95 <= 300 ms), server memory (PSS) per connected student, the
share of flashes the real pages showed as asked, and answers lost: acknowledged to a student but
missing from the ledger after the restart (goal 0).

Run: ``.venv/bin/python benchmarks/seminar_load.py`` (a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
import tempfile
import time
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.jlab import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.seminar import Served, restart, serve, stop  # noqa: E402

GOALS = {"first_item_p95_s": 10.0, "ack_p95_ms": 300.0, "lost": 0}
WAIT = 300.0  # seconds any one state may take on a loaded machine


class Class:
    """What the students share: the server, the count of acknowledged answers, the crash."""

    def __init__(self, served: Served, kill_after: int, students: int):
        self.served = served
        self.kill_after = kill_after
        self.students = students
        self.acked = 0
        self.up = asyncio.Event()
        self.up.set()
        self.killed = False
        self.generation = 0
        self.killed_at = 0
        self.name_box: dict[str, float] = {}
        self.joined: dict[str, float] = {}
        self.connected_pss: float | None = None
        self.connected_cpu: float | None = None
        self.connected_n = 0  # students joined when the server's memory and CPU were read
        self.down: tuple[float, float] | None = None  # monotonic: from the kill to the server up again
        self.spans: dict[str, list[tuple[float, float]]] = {}  # waits measured: (start, end) per who
        self.first_item: dict[str, float] = {}
        self.acks: dict[str, list[float]] = {}
        self.flashes: list[bool] = []
        self.done: dict[str, set[int]] = {}

    def first(self, who: str, seconds: float) -> None:
        """``who`` sees the first item; once every student does, the server's memory and CPU are read
        (here, not by a poll: on a quiet machine the first students finish before a poll would see them all)."""
        if who not in self.first_item:
            now = time.monotonic()
            self.spans.setdefault("first:" + who, []).append((now - seconds, now))
        self.first_item.setdefault(who, seconds)
        if len(self.first_item) == self.students:
            self._snapshot()

    def _snapshot(self) -> None:
        """Read the first server's memory and CPU once: when every student has joined, or just
        before it is killed (whichever comes first), with the number of students joined by then."""
        if self.connected_pss is None and not self.killed:
            self.connected_pss = _pss(self.served.pid)
            self.connected_cpu = _cpu(self.served.pid)
            self.connected_n = len(self.first_item)

    def calm(self, kind: str, who: str) -> list[float]:
        """The waits of ``kind`` (first, ack) for students starting with ``who``, in ms, that did not
        span the crash (the server down or starting again): what a class sees when nothing fails."""
        out = []
        for key, spans in self.spans.items():
            k, name = key.split(":", 1)
            if k == kind and name.startswith(who):
                out += [1000 * (b - a) for a, b in spans if self.down is None or b < self.down[0] or a > self.down[1]]
        return out

    async def acknowledged(self, who: str, item: int, ms: float) -> None:
        print(f"  {who}: item {item + 1} acknowledged in {ms:.0f} ms", file=sys.stderr, flush=True)
        self.acks.setdefault(who, []).append(ms)
        now = time.monotonic()
        self.spans.setdefault("ack:" + who, []).append((now - ms / 1000, now))
        self.done.setdefault(who, set()).add(item)
        self.acked += 1
        if not self.killed and self.acked >= self.kill_after:
            self._snapshot()
            self.killed = True
            self.killed_at = self.acked
            print(f"  -- killing the server (SIGKILL) after {self.acked} answers", file=sys.stderr, flush=True)
            self.up.clear()
            self.generation += 1
            killed = time.monotonic()
            stop(self.served, signal.SIGKILL)  # a crash: nothing is written on the way out
            self.served = await asyncio.to_thread(restart, self.served)
            self.down = (killed, time.monotonic())
            self.up.set()


# ---- protocol-level students --------------------------------------------------------------------------
def _message(msg_type: str, content: dict, session: str) -> str:
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session, "username": "", "version": "5.2"}
    return json.dumps(
        {"header": header, "parent_header": {}, "metadata": {}, "content": content, "buffers": [], "channel": "shell"}
    )


def _parse(frame) -> dict:
    """A Jupyter websocket message: JSON text, or binary (count, offsets, JSON, buffers)."""
    if isinstance(frame, str):
        return json.loads(frame)
    n = int.from_bytes(frame[:4], "big")
    offsets = [int.from_bytes(frame[4 + 4 * i : 8 + 4 * i], "big") for i in range(n)]
    end = offsets[1] if n > 1 else len(frame)
    return json.loads(frame[offsets[0] : end])


class ProtocolStudent:
    """One student without a browser: Solara's websocket protocol, the widget messages a page sends."""

    def __init__(self, room: Class, name: str, items: int):
        self.room, self.name, self.items = room, name, items
        self.jar = CookieJar()
        self.t0 = 0.0

    def _cookie(self) -> str:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        with opener.open(self.room.served.students, timeout=WAIT) as resp:
            resp.read()
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    async def run(self) -> None:
        self.t0 = time.monotonic()
        while True:
            await self.room.up.wait()
            generation = self.room.generation
            try:
                if await self._session():
                    return
            except Exception:
                if self.room.generation == generation and self.room.up.is_set():
                    raise  # not the crash: a real failure
            await self.room.up.wait()  # the server was killed: connect again once it is back

    async def _session(self) -> bool:
        import websockets

        cookie = await asyncio.to_thread(self._cookie)
        host = self.room.served.url.removeprefix("http://")
        session = str(uuid.uuid4())
        url = f"ws://{host}/jupyter/api/kernels/{uuid.uuid4()}/channels?session_id={session}"
        path = "/" + self.room.served.students.split("/", 3)[3]
        async with websockets.connect(url, additional_headers={"Cookie": cookie}, max_size=None) as ws:
            send = lambda t, c: ws.send(_message(t, c, session))  # noqa: E731
            control = str(uuid.uuid4())
            await send("kernel_info_request", {})
            await send("comm_open", {"comm_id": control, "target_name": "solara.control", "data": {}})
            run = {"path": path, "dark": False, "themes": {"light": {}, "dark": {}}, "appName": None}
            await send("comm_msg", {"comm_id": control, "data": {"method": "run", "args": run}})
            widgets: dict[str, dict] = {}
            acted: set[str] = set()
            typed = False
            quiz = None
            requested: set[int] = set()
            answered: set[int] = set()
            flashed = None

            async def request(k: int) -> None:
                if k not in requested:
                    requested.add(k)
                    load = {"method": "custom", "content": {"type": "load", "item": k}}
                    await send("comm_msg", {"comm_id": quiz, "data": load})

            pending: dict[int, float] = {}
            while True:
                msg = _parse(await asyncio.wait_for(ws.recv(), WAIT))
                kind, content = msg.get("msg_type") or msg["header"]["msg_type"], msg.get("content", {})
                data = content.get("data", {})
                if kind == "comm_open":
                    widgets[content["comm_id"]] = dict(data.get("state", {}))
                elif kind == "comm_close":
                    widgets.pop(content["comm_id"], None)
                elif kind == "comm_msg" and data.get("method") == "update":
                    widgets.setdefault(content["comm_id"], {}).update(data.get("state", {}))
                    if content["comm_id"] == quiz and "shown_ms" in data.get("state", {}) and flashed is not None:
                        k, flashed = flashed, None
                        pending[k] = time.monotonic()
                        answer = {"type": "answer", "item": k, "answer": "happiness", "response_ms": 500}
                        await send("comm_msg", {"comm_id": quiz, "data": {"method": "custom", "content": answer}})
                    if content["comm_id"] == quiz and "index" in data.get("state", {}):
                        await request(int(data["state"]["index"]))  # a resumed quiz: the first face not answered
                elif kind == "comm_msg" and data.get("method") == "custom" and content["comm_id"] == quiz:
                    m = data["content"]
                    if m.get("type") == "item":
                        k = int(m["item"])
                        if k != int(widgets[quiz].get("index", 0)) or k in pending or k in answered:
                            continue  # an item the quiz has moved past, or one sent twice
                        self.room.first(self.name, time.monotonic() - self.t0)
                        shown = {"type": "shown", "item": k, "shown_ms": m["asked_ms"], "refresh_ms": 16.7}
                        await send("comm_msg", {"comm_id": quiz, "data": {"method": "custom", "content": shown}})
                        flashed = k  # answer once the server has taken the flash report (its shown_ms update)
                    elif m.get("type") == "recorded":
                        k = int(m["item"])
                        answered.add(k)
                        sent = pending.pop(k, None)
                        if sent is not None:
                            await self.room.acknowledged(self.name, k, (time.monotonic() - sent) * 1000)
                        if k + 1 >= self.items:
                            return True
                        widgets[quiz]["index"] = k + 1
                        update = {"method": "update", "state": {"index": k + 1}, "buffer_paths": []}
                        await send("comm_msg", {"comm_id": quiz, "data": update})
                        await request(k + 1)
                    continue
                else:
                    continue
                if any("wb-intro-training" in str(s.get("class_", "")) for s in widgets.values()):
                    return True  # the pre-test is over (its last answer was journalled as the server died)
                for cid, state in list(widgets.items()):
                    if cid in acted:
                        continue
                    if state.get("label") == "Your name":
                        acted.add(cid)
                        update = {"method": "update", "state": {"v_model": self.name}, "buffer_paths": []}
                        await send("comm_msg", {"comm_id": cid, "data": update})
                        typed = True
                    elif state.get("class_") == "wb-join" and typed or "wb-start" in str(state.get("class_", "")):
                        acted.add(cid)
                        click = {"method": "custom", "content": {"event": "click", "data": {}}}
                        await send("comm_msg", {"comm_id": cid, "data": click})
                    elif "n_items" in state and "feedback" in state and quiz is None:
                        acted.add(cid)
                        quiz = cid
                        await request(int(state.get("index", 0)))


# ---- real pages -----------------------------------------------------------------------------------------
ANSWER_JS = """async (key) => {
  const q = document.querySelector('.wb-quiz');
  const t0 = performance.now();
  q.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
  const acked = await new Promise((done) => {
    if (q.dataset.phase !== 'checking') return done(true);
    const ob = new MutationObserver(() => { if (q.dataset.phase !== 'checking') { ob.disconnect(); done(true); } });
    ob.observe(q, {attributes: true, attributeFilter: ['data-phase']});
    setTimeout(() => { ob.disconnect(); done(false); }, 30000);  // no answer: the server is gone
  });
  return acked ? performance.now() - t0 : null;
}"""


STATE_JS = """() => {
  const q = document.querySelector('.wb-quiz');
  if (q) return `quiz:${q.dataset.phase}:${q.dataset.item}`;
  if (document.querySelector('.wb-intro-pre .wb-start')) return 'start';
  if (document.querySelector('.wb-intro-training')) return 'over';
  if ([...document.querySelectorAll('label')].some((l) => l.textContent.includes('Your name'))) return 'name';
  return 'other';
}"""


async def real_student(room: Class, browser, name: str, items: int) -> None:
    """A real page: whatever it shows (name box, Start, the quiz) it does what a student does next;
    after the server's crash it reloads once the server is back."""
    context = await browser.new_context(viewport={"width": 1300, "height": 950})
    page = await context.new_page()
    page.set_default_timeout(WAIT * 1000)
    t0 = time.monotonic()
    generation = room.generation
    await page.goto(room.served.students)
    done: set[int] = set()
    acted = ""
    while len(done) < items:
        if time.monotonic() - t0 > 4 * WAIT:
            raise TimeoutError(f"{name}: no progress in {4 * WAIT:.0f} s (answers {sorted(done)})")
        if room.generation != generation:  # the server was killed: reload once it is back
            await room.up.wait()
            generation = room.generation
            await page.reload()
            acted = ""
        state = await page.evaluate(STATE_JS)
        if state == "over":  # the pre-test is over (its last answer was journalled as the server died)
            break
        if state == "name":
            room.name_box.setdefault(name, time.monotonic() - t0)
        if state == "name" and acted != "name":
            await page.get_by_label("Your name").fill(name)
            await page.get_by_role("button", name="Join").click()
            room.joined.setdefault(name, time.monotonic() - t0)
            acted = "name"
        elif state == "start" and acted != "start":
            await page.locator(".wb-intro-pre .wb-start").click()
            acted = "start"
        elif state.startswith("quiz:ready:") and int(state.rsplit(":", 1)[1]) not in done:
            k = int(state.rsplit(":", 1)[1])
            room.first(name, time.monotonic() - t0)
            await page.locator(".wb-quiz").focus()
            await page.keyboard.press(" ")
            await page.locator(".wb-quiz[data-phase=answer]").wait_for()
            room.flashes.append((await page.locator(".wb-quiz").get_attribute("data-disturbed")) == "false")
            ms = await page.evaluate(ANSWER_JS, "1")
            if ms is not None:  # else never acknowledged (the server died): asked again after the reload
                done.add(k)
                await room.acknowledged(name, k, ms)
        else:
            await asyncio.sleep(0.2)  # poll the page's state
    await context.close()


# ---- the run ----------------------------------------------------------------------------------------------
async def drive(room: Class, n: int, real: int, items: int, arrival: float) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        tasks = []
        for k in range(n):
            name = f"real {k + 1:02d}" if k < real else f"proto {k + 1:02d}"
            if k < real:
                tasks.append(asyncio.create_task(real_student(room, browser, name, items)))
            else:
                tasks.append(asyncio.create_task(ProtocolStudent(room, name, items).run()))
            await asyncio.sleep(arrival)
        while not all(t.done() for t in tasks):
            await asyncio.sleep(0.2)
        for t in tasks:
            t.result()  # raise what went wrong
        await browser.close()


def _pss(pid: int) -> float:
    proc = psutil.Process(pid)
    return proc.memory_full_info().pss / 2**20


def _cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def _settled_pss(pid: int, limit: float = 120.0) -> float:
    """The server's PSS once it stops changing (three reads a second apart within 2 MB)."""
    reads = [_pss(pid)]
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(1.0)
        reads.append(_pss(pid))
        if len(reads) >= 3 and max(reads[-3:]) - min(reads[-3:]) < 2:
            break
    return reads[-1]


def _pct(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--real", type=int, default=6, help="students in real Chromium pages (the rest: protocol)")
    ap.add_argument("--items", type=int, default=4, help="faces in the pre-test")
    ap.add_argument("--arrival", type=float, default=1.0, help="seconds between two students arriving")
    ap.add_argument("--kill-after", type=int, default=60, help="answers acknowledged before the server is killed")
    a = ap.parse_args()

    from workbench.sample import make_sample

    work = Path(tempfile.mkdtemp(prefix="seminar-load-"))
    if (REPO / "data" / "sample").is_dir():
        shutil.copytree(REPO / "data" / "sample", work / "data" / "sample")
    make_sample(work)
    args = ("--n-test", str(a.items), "--n-practice", "2", "--no-curves")
    served = serve(work, "load", args=args, log=work / "server.log")
    try:
        idle = _settled_pss(served.pid)  # after the start-up encoding of the items
        room = Class(served, a.kill_after, a.students)
        t0 = time.monotonic()
        cpu_idle = _cpu(served.pid)
        asyncio.run(drive(room, a.students, a.real, a.items, a.arrival))
        wall = time.monotonic() - t0
        ledger = _ledger_rows(room.served)
    finally:
        stop(room.served if "room" in locals() else served)
    acked = {(who, k) for who, items in room.done.items() for k in items}
    lost = sorted(acked - ledger)

    def of(table: dict, kind: str) -> list[float]:
        return [v for k, v in table.items() if k.startswith(kind)]

    def p50_95(values, fmt: str) -> str:
        return f"{_pct(values, 50):{fmt}} / {_pct(values, 95):{fmt}}"

    real_acks = [ms for k, v in room.acks.items() if k.startswith("real") for ms in v]
    proto_acks = [ms for k, v in room.acks.items() if k.startswith("proto") for ms in v]
    joined_to_item = [room.first_item[k] - room.joined[k] for k in room.joined if k in room.first_item]
    connected = room.connected_pss or float("nan")
    cpu_join = (room.connected_cpu or float("nan")) - cpu_idle
    rows = [
        ("students: real Chromium pages + protocol-level clients", f"{a.real} + {a.students - a.real}", ""),
        ("first item, real pages: p50 / p95 (s)", p50_95(of(room.first_item, "real"), ".1f"), "p95 <= 10"),
        ("  of which page open -> name box: p50 / p95 (s)", p50_95(of(room.name_box, "real"), ".1f"), ""),
        ("  of which Join -> first item: p50 / p95 (s)", p50_95(joined_to_item, ".1f"), ""),
        ("first item, protocol clients: p50 / p95 (s)", p50_95(of(room.first_item, "proto"), ".1f"), "p95 <= 10"),
        ("answer -> ack, real pages: p50 / p95 (ms)", p50_95(real_acks, ".0f"), "p95 <= 300"),
        ("answer -> ack, protocol clients: p50 / p95 (ms)", p50_95(proto_acks, ".0f"), "p95 <= 300"),
        (
            "  the same, not across the crash: real / protocol p95 (ms)",
            f"{_pct(room.calm('ack', 'real'), 95):.0f} / {_pct(room.calm('ack', 'proto'), 95):.0f}",
            "p95 <= 300",
        ),
        (
            "first item not across the crash: real / protocol p95 (s)",
            f"{_pct(room.calm('first', 'real'), 95) / 1000:.1f} / {_pct(room.calm('first', 'proto'), 95) / 1000:.1f}",
            "p95 <= 10",
        ),
        (f"server PSS: idle -> {room.connected_n} students joined (MB)", f"{idle:.0f} -> {connected:.0f}", ""),
        ("memory per joined student (MB)", f"{(connected - idle) / max(room.connected_n, 1):.1f}", ""),
        ("server CPU per student, joining to first item (CPU-s)", f"{cpu_join / max(room.connected_n, 1):.2f}", ""),
        ("flashes shown as asked, real pages", f"{sum(room.flashes)}/{len(room.flashes)}", ""),
        ("answers acknowledged / in the ledger after the crash", f"{len(acked)} / {len(acked) - len(lost)}", ""),
        ("answers lost", f"{len(lost)}", "0"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"seminar load test: {a.students} students arriving {a.arrival:g} s apart, pre-test of {a.items} faces, "
          f"server killed (SIGKILL) after {room.killed_at} acknowledged answers and restarted; "
          f"{wall:.0f} s; load average "
          f"{psutil.getloadavg()[0]:.0f} on {psutil.cpu_count()} cores")  # fmt: skip
    print(f"{'metric':<{width}}  {'measured':>15}  goal")
    for name, value, goal in rows:
        print(f"{name:<{width}}  {value:>15}  {goal}")
    if lost:
        print("lost:", lost[:10])
    return 0 if not lost else 1


def _ledger_rows(served: Served) -> set[tuple[str, int]]:
    """(name, item index) of every answer in the class's journal (what a restarted server reads)."""
    out = set()
    for line in (served.folder / ".journal" / "ledger.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["op"] == "answer" and record["row"]["stage"] == "pre":
            out.add((record["row"]["name"], int(record["row"]["item"]) - 1))
    return out


if __name__ == "__main__":
    sys.exit(main())

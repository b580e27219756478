"""The seminar's pages, served by Solara: ``/`` for students, ``/presenter?key=...`` for the presenter.

Started by ``workbench seminar serve`` (:mod:`workbench.seminar.cli`), which saves the settings and
runs ``solara run workbench.seminar.app``; the settings' path comes in ``$WORKBENCH_SEMINAR``.
One process serves the whole class: the :class:`~workbench.seminar.classroom.Classroom` (ledger,
course, material) is shared by every page; Solara's per-page state (``use_state``) is per tab.

Students' page. The class code (from ``?code=`` or typed) and a name, then the course: one
stage at a time, each opened with a short card and its Start button; in a stage the flash quiz
(:class:`~workbench.seminar.widgets.StageQuiz`) or the training
(:class:`~workbench.seminar.widgets.Training`); at the end the student's own result. A browser
that joined before (Solara's session cookie) comes back to its place without typing anything.
The page runs no code: Solara's virtual kernel takes only widget messages.

Presenter's page. Live (it waits on the ledger, and refreshes at most once per :data:`PRESENTER_EVERY`
seconds): who is where, the class gain with its interval, the pairs the training shows now, per
stage the scores, the answers per item and the confusion matrix; an export of everything as CSV.
"""

from __future__ import annotations

import html
import os
import threading
from functools import lru_cache
from urllib.parse import parse_qs

import pandas as pd
import solara

from workbench.schema import EMOTIONS
from workbench.seminar.classroom import Classroom, Settings
from workbench.seminar.ledger import NameTakenError, Student
from workbench.seminar.widgets import StageQuiz, Training
from workbench.teach.course import ORDER, STAGE_TITLES, TEST_STAGES, stage_answers

SETTINGS_ENV = "WORKBENCH_SEMINAR"

INTRO = {
    "pre": "{n} faces, one at a time. Each shows an expression for a moment. Choose the emotion you saw. "
    "No feedback yet: this measures where you start.",
    "training": "The pairs of emotions your class mixed up most, side by side in slow motion, "
    "with the movements that tell them apart.",
    "practice": "{n} faces. After each answer you see the truth, the face in slow motion and the "
    "Action Units (AUs) that make the expression.",
    "post": "{n} other faces, no feedback: this measures what you learned.",
}
KEYS = "Keys: Space flashes the face, 1–7 answer (0: others), r replays a disturbed flash."
HONEST = (
    "What this measures: recognising emotions in brief expressions of these clips. A training like "
    "this one (METT) raised recognition by 29 % in medical students against 11 % for taking the test "
    "again (Patient Educ Couns 2016); it does not make anyone better at telling lies from truth "
    "(Jordan et al. 2019)."
)


#: Least seconds between two refreshes of the presenter's page. A class answering together changes the
#: ledger several times a second, and each refresh recomputes the whole class's tables in the server
#: process that acknowledges the answers; so the tally follows the answers, a moment behind, not each one.
PRESENTER_EVERY = 2.0


@lru_cache(maxsize=1)
def classroom() -> Classroom:
    """The seminar this server runs (made on first use; shared by every page)."""
    path = os.environ.get(SETTINGS_ENV)
    if not path:
        raise RuntimeError(f"Expected ${SETTINGS_ENV} naming a seminar.json; start with `workbench seminar serve`.")
    return Classroom(Settings.load(path))


def _query() -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(solara.use_router().search or "").items()}


@solara.component
def Bare(children=[]):  # noqa: B006 - Solara's layout signature; no app bar, no link to other routes
    solara.Column(children=children, style={"max-width": "1280px", "margin": "16px auto", "padding": "0 12px"})


# ---- students ---------------------------------------------------------------------------------------
@solara.component
def StudentPage():
    room = classroom()
    token = solara.get_session_id()
    query = _query()
    returning = room.ledger.returning(token)
    sid, set_sid = solara.use_state(returning.student if returning else None)
    solara.Title("Seminar")
    if sid is None:
        JoinForm(room, token, query.get("code", ""), set_sid)
    else:
        Course(room, room.ledger.students[sid], lambda: set_sid(None))


@solara.component
def JoinForm(room: Classroom, token: str, code_in_url: str, on_join):
    code = solara.use_reactive(code_in_url)
    name = solara.use_reactive("")
    error = solara.use_reactive("")
    code_ok = bool(code_in_url) and room.check_code(code_in_url)

    def join():
        if not room.check_code(code.value):
            error.set("This is not the code of this class: ask the presenter.")
            return
        try:
            student = room.ledger.join(name.value, token)
        except NameTakenError as exc:
            error.set(str(exc))
            return
        except ValueError as exc:
            error.set(f"{exc} Try another name.")
            return
        on_join(student.student)

    with solara.Card("Join the seminar"):
        if not code_ok:
            solara.InputText("Class code", value=code, continuous_update=True)
        solara.InputText("Your name", value=name, continuous_update=True)
        solara.Button("Join", on_click=join, color="primary", classes=["wb-join"])
        if error.value:
            solara.Error(error.value, classes=["wb-join-error"])


@solara.component
def Course(room: Classroom, student: Student, on_leave):
    tick, set_tick = solara.use_state(0)

    def connect():
        room.ledger.connected(student.student, +1)  # the presenter sees who is online
        return lambda: room.ledger.connected(student.student, -1)

    solara.use_effect(connect, [student.student])
    stage = room.settle(student)
    answered = student.answered(stage) if stage in TEST_STAGES else {}
    started, set_started = solara.use_state({})
    with solara.Row(style={"align-items": "center"}):
        solara.Text(f"{student.name}", style={"font-weight": "600"}, classes=["wb-student"])
        solara.Text(" · " + " → ".join(_stage_label(s, student) for s in _order(student)))
        solara.Button("Not you? Join under another name", on_click=on_leave, text=True, small=True)
    if stage is None:
        Summary(room, student)
        return
    if not (started.get(stage) or answered):
        items = room.items(student, stage)
        with solara.Card(STAGE_TITLES[stage], classes=[f"wb-intro-{stage}"]):
            solara.Text(INTRO[stage].format(n=len(items)))
            if stage in TEST_STAGES:
                solara.Text(KEYS)
            solara.Button(
                f"Start the {STAGE_TITLES[stage].lower()}",
                on_click=lambda: set_started({**started, stage: True}),
                color="primary",
                classes=["wb-start"],
            )
        return
    StageView(room, student, stage, lambda: set_tick(lambda t: t + 1)).key(f"{student.student}-{stage}-{tick}")


@solara.component
def StageView(room: Classroom, student: Student, stage: str, on_done):
    def finished():
        items = room.items(student, stage) if stage in TEST_STAGES else ()
        room.ledger.finish(student.student, stage, items)
        on_done()

    def make():
        if stage in TEST_STAGES:
            items = room.items(student, stage)
            return StageQuiz(items, room.material, ledger=room.ledger, student=student, stage=stage, on_done=finished)
        return Training(room.pairs(), room.examples(student), room.material, on_done=finished)

    widget = solara.use_memo(make, [student.student, stage])
    solara.use_effect(lambda: widget.close, [widget])
    solara.display(widget)


def _order(student: Student) -> list[str]:
    return list(ORDER[student.arm])


def _stage_label(stage: str, student: Student) -> str:
    title = STAGE_TITLES[stage]
    if stage in student.done:
        return f"{title} ✓"
    return f"[{title}]" if stage == student.stage() else title


@solara.component
def Summary(room: Classroom, student: Student):
    pre = [r for (s, _), r in student.answers.items() if s == "pre"]
    post = [r for (s, _), r in student.answers.items() if s == "post"]

    def share(rows):
        return sum(bool(r["correct"]) for r in rows) / len(rows) if rows else float("nan")

    gain = share(post) - share(pre)
    with solara.Card("Your result", classes=["wb-summary"]):
        solara.Text(f"Pre-test: {sum(bool(r['correct']) for r in pre)} of {len(pre)} right ({share(pre):.0%}).")
        solara.Text(f"Post-test: {sum(bool(r['correct']) for r in post)} of {len(post)} right ({share(post):.0%}).")
        solara.Text(f"Your gain: {gain * 100:+.0f} percentage points.", classes=["wb-gain"])
        solara.Text(
            "The pre-test and the post-test showed different faces, so this is not the memory of a face "
            "seen twice. One class is a small sample: the presenter shows the class's gain with its uncertainty."
        )
        solara.Text(HONEST)


# ---- presenter ----------------------------------------------------------------------------------------
@solara.component
def PresenterPage():
    room = classroom()
    allowed = room.check_key(_query().get("key", ""))
    version, set_version = solara.use_state(room.ledger.version)
    show_truth = solara.use_reactive(False)
    exclude = solara.use_reactive(False)
    exported = solara.use_reactive("")

    def watch(cancel: threading.Event):
        seen = version
        while allowed and not cancel.is_set():
            now = room.ledger.wait(seen, timeout=1.0)
            if now != seen:
                seen = now
                set_version(now)
                cancel.wait(PRESENTER_EVERY)  # what changes meanwhile is shown together, at the next refresh

    solara.use_thread(watch, dependencies=[allowed])
    solara.Title("Seminar · presenter")
    if not allowed:
        solara.Error("This page needs the presenter's key (printed by `workbench seminar serve`).")
        return
    results = room.results(exclude_disturbed=exclude.value)
    roster = room.ledger.roster()
    s = room.settings
    with solara.Card(f"Seminar {s.seminar} · class code {s.code}"):
        solara.Text(
            f"{len(roster)} student(s) joined, {int(roster['online'].sum()) if len(roster) else 0} online · "
            f"{len(results['answers'])} answer(s) · items from {s.dataset}:{s.rater} · forms of "
            f"{len(room.course.forms[0])} and {len(room.course.forms[1])} items",
            classes=["wb-presenter-status"],
        )
        with solara.Row():
            solara.Checkbox(label="show each item's truth", value=show_truth)
            solara.Checkbox(label="leave out answers after a disturbed flash", value=exclude)

            def export():
                paths = room.export()
                exported.set("wrote " + ", ".join(str(p) for p in paths))

            solara.Button("Export CSV", on_click=export, color="primary", classes=["wb-export"])
            solara.FileDownload(
                lambda: room.ledger.answers().to_csv(index=False), filename=f"{s.seminar}-answers.csv",
                label="Download the answers",
            )  # fmt: skip
        if exported.value:
            solara.Text(exported.value, classes=["wb-exported"])
    _html(_gain_html(results["class_gain"]), "wb-class-gain")
    _html(_table(roster.drop(columns=["joined_at"]), "students (online: a page of theirs is open)", False), "wb-roster")
    pairs = [
        f"{p.first}/{p.second} " + (f"({p.confusions} mix-ups)" if p.source == "class" else "(shared AUs)")
        for p in room.pairs()
    ]
    _html("<b>Training pairs now</b> (from the class's pre-test confusion): " + ", ".join(pairs), "wb-pairs")
    for stage in TEST_STAGES:
        part = stage_answers(results["answers"], stage)
        if part.empty:
            continue
        card = solara.Card(STAGE_TITLES[stage], classes=[f"wb-stage-{stage}"])
        with card, solara.Row(style={"flex-wrap": "wrap", "gap": "24px"}):
            _html(_table(_scores(results[f"scores_{stage}"]), "scores"), f"wb-scores-{stage}")
            _html(_table(_items(part, show_truth.value), "answers per item"), f"wb-items-{stage}")
            _html(_confusion_html(results[f"confusion_{stage}"]), f"wb-confusion-{stage}")
    solara.Text(HONEST)


def _html(inner: str, css_class: str) -> None:
    solara.HTML(tag="div", unsafe_innerHTML=f'<div class="{css_class}" style="font:14px system-ui">{inner}</div>')


STYLE = "border-collapse:collapse;margin:4px 0"
CELL = "padding:3px 9px;border-bottom:1px solid #e2e8f0;text-align:right"


def _table(df: pd.DataFrame, caption: str, index: bool = True) -> str:
    if df is None or df.empty:
        return f"<b>{html.escape(caption)}</b><br><i>none yet</i>"
    body = df.to_html(border=0, escape=True, na_rep="–", index=index)
    body = body.replace("<table", f'<table style="{STYLE}"').replace("<td>", f'<td style="{CELL}">')
    body = body.replace("<th>", f'<th style="{CELL}">')
    return f"<b>{html.escape(caption)}</b>{body}"


def _scores(df: pd.DataFrame | None) -> pd.DataFrame | None:
    if df is None:
        return None
    out = df.copy()
    out["accuracy"] = out["accuracy"].map(lambda v: "–" if pd.isna(v) else f"{v:.0%}")
    out["median_response_ms"] = out["median_response_ms"].map(lambda v: "–" if pd.isna(v) else f"{v:.0f}")
    return out.rename(columns={"median_response_ms": "median response (ms)"})


def _items(part: pd.DataFrame, show_truth: bool) -> pd.DataFrame:
    """Answers per item; an item is named by its form and number (``A1``: form A's first face)."""
    keyed = part.assign(item=part["form"].astype(str) + part["item"].astype(str))
    counts = pd.crosstab(keyed["item"], pd.Categorical(keyed["answer"], categories=list(EMOTIONS)))
    out = counts[[e for e in EMOTIONS if e in counts.columns and counts[e].sum() > 0]].copy()
    truth = keyed.groupby("item")["truth"].first()
    out.insert(0, "truth", [truth[i] if show_truth else "?" for i in out.index])
    out["right"] = [f"{v:.0%}" for v in keyed.groupby("item")["correct"].mean().reindex(out.index)]
    out.index.name, out.columns.name = "item", None
    return out


def _confusion_html(matrix: pd.DataFrame) -> str:
    names = [e for e in matrix.index if matrix.loc[e].sum() or matrix[e].sum()]
    if not names:
        return "<b>confusion</b><br><i>none yet</i>"
    top = max(1, int(matrix.loc[names, names].to_numpy().max()))
    head = "".join(f'<th style="{CELL}">{html.escape(n)}</th>' for n in names)
    rows = []
    for truth in names:
        cells = []
        for answer in names:
            v = int(matrix.loc[truth, answer])
            alpha = 0.08 + 0.8 * v / top if v else 0
            colour = f"rgba(37,99,235,{alpha:.2f})" if truth == answer else f"rgba(220,38,38,{alpha:.2f})"
            cells.append(f'<td style="{CELL};background:{colour}">{v or ""}</td>')
        rows.append(f'<tr><th style="{CELL}">{html.escape(truth)}</th>{"".join(cells)}</tr>')
    return (
        "<b>confusion</b> (rows: truth, columns: answer)"
        f'<table style="{STYLE}"><tr><th></th>{head}</tr>{"".join(rows)}</table>'
    )


def _gain_html(table: pd.DataFrame) -> str:
    if table.empty:
        return "<b>Class gain</b>: appears when students have finished the post-test."
    lines = []
    for arm, r in table.iterrows():
        ci = "" if pd.isna(r["low"]) else f", 95 % CI [{r['low'] * 100:+.0f}, {r['high'] * 100:+.0f}]"
        if arm == "trained - retest":
            lines.append(f"<li>trained minus retest: <b>{r['gain'] * 100:+.0f}</b> points{ci}</li>")
        else:
            lines.append(
                f"<li>{html.escape(str(arm))} ({int(r['students'])} students): pre {r['pre']:.0%} → post "
                f"{r['post']:.0%}, gain <b>{r['gain'] * 100:+.0f}</b> points{ci}</li>"
            )
    return "<b>Class gain</b> (post-test minus pre-test, on different faces)<ul>" + "".join(lines) + "</ul>"


if os.environ.get(SETTINGS_ENV):
    classroom()  # at start: a broken class fails now, and the items' frames are encoded before students come

routes = [
    solara.Route(path="/", component=StudentPage, layout=Bare),
    solara.Route(path="presenter", component=PresenterPage, layout=Bare),
]

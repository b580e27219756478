// Flash quiz: neutral face, the expression at true speed (or the apex held), neutral again;
// answer with one of eight emotions; reveal with a slow-motion replay, AU curves, FACS code,
// onset beside apex and an amplified motion image.
//
// Every frame of an item arrives as a JPEG buffer and is decoded to an ImageBitmap BEFORE
// the flash starts, so decoding never stretches the flash. The flash is timed with
// requestAnimationFrame against the frames' timestamps: at each display refresh the frame
// whose timestamp is current is drawn (frames are skipped when the clip is faster than the
// display), and the neutral frame comes back at the refresh nearest to the asked duration.
// The duration shown is measured from the rAF timestamp of the first paint of the expression
// to that of the first paint of the neutral frame after it, and reported to Python.
//
// A flash can be disturbed: on a loaded machine rAF callbacks come late and the expression
// stays on screen longer than asked. The display refresh is measured (median rAF interval)
// while the neutral face is shown before the flash; every rAF timestamp of the flash is kept,
// and the flash is disturbed when one interval exceeds 1.5 refreshes (frames were dropped) or
// when |shown - asked| exceeds one refresh. A disturbed flash is reported as such and a warning
// asks to replay it with r (a replay is measured and reported again); answering anyway stays
// possible, and Python marks that answer (flash_disturbed). The root element dispatches a
// "wb-quiz-flash" event ({item, stage: "expression" | "neutral", report}) at each of the two paints.
//
// Messages to Python:   {type: "load", item},
//                       {type: "shown", item, shown_ms, refresh_ms, dropped_frames, disturbed, painted},
//                       {type: "answer", item, answer, response_ms}
// Messages from Python: {type: "item", ...} + JPEG buffers (neutral, onset..offset),
//                       {type: "reveal", ...} + buffers (motion JPEG, float32 AU curves),
//                       {type: "refused", item} (the answer was not recorded: ask again),
//                       {type: "recorded", item, saving} (saved; no reveal: a test without feedback, on to the next item)
// When the last item is done the page sends {type: "done"}.

// The answer keys ([["1", "happiness"], ..., ["0", "others"]]) and the disturbed-flash rule come
// from Python as traits (emotion_keys, disturbed_interval): one definition for both sides.
const CURVE_COLOURS = ["#2563eb", "#dc2626", "#059669", "#9333ea", "#ea580c", "#0891b2"];
const STAGE = 560;
const STAGE_PRESENTER = 720;
const THUMB = 240;

const CSS = `
.wb-quiz { font: 15px/1.45 system-ui, sans-serif; color: #0f172a; background: #f1f5f9;
  border: 2px solid #cbd5e1; border-radius: 8px; outline: none; display: flex;
  flex-direction: column; gap: 10px; padding: 0 0 12px 0; max-width: 1240px; }
.wb-quiz:focus { border-color: #2563eb; }
.wb-quiz.wb-full { max-width: none; width: 100vw; height: 100vh; border: 0; border-radius: 0;
  overflow: auto; box-sizing: border-box; }
.wb-quiz .wb-q-head { display: flex; align-items: center; gap: 18px; background: #0f172a;
  color: #f8fafc; padding: 10px 16px; border-radius: 6px 6px 0 0; }
.wb-quiz .wb-q-title { font-size: 19px; font-weight: 650; flex: 1; }
.wb-quiz .wb-q-pill { background: #1e293b; border-radius: 999px; padding: 3px 12px; font-size: 14px; }
.wb-quiz .wb-q-pill b { color: #93c5fd; }
.wb-quiz .wb-q-body { display: flex; flex-wrap: wrap; gap: 16px; padding: 0 16px; align-items: flex-start; }
.wb-quiz .wb-q-stage { position: relative; background: #000; border-radius: 6px; line-height: 0;
  flex: none; overflow: hidden; }
.wb-quiz canvas.wb-q-face { display: block; }
.wb-quiz .wb-q-msg { position: absolute; left: 0; right: 0; bottom: 0; padding: 12px 16px;
  background: rgba(15,23,42,.82); color: #f8fafc; font-size: 17px; line-height: 1.4; text-align: center; }
.wb-quiz .wb-q-tag { position: absolute; left: 10px; top: 10px; line-height: 1.3; background: rgba(15,23,42,.8);
  color: #fde68a; padding: 3px 10px; border-radius: 4px; font: 600 14px ui-monospace, monospace; display: none; }
.wb-quiz .wb-q-side { flex: 1; min-width: 360px; display: flex; flex-direction: column; gap: 10px; }
.wb-quiz .wb-q-card { background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; padding: 12px 14px; }
.wb-quiz .wb-q-verdict { font-size: 22px; font-weight: 700; }
.wb-quiz .wb-q-verdict.ok { color: #15803d; } .wb-quiz .wb-q-verdict.no { color: #b91c1c; }
.wb-quiz .wb-q-facs { font: 600 17px ui-monospace, monospace; color: #1d4ed8; }
.wb-quiz ul.wb-q-aus { margin: 6px 0 0 0; padding-left: 18px; }
.wb-quiz canvas.wb-q-curves { display: block; width: 100%; height: 210px; }
.wb-quiz .wb-q-answers { display: grid; grid-template-columns: repeat(8, 1fr); gap: 8px; padding: 0 16px; }
.wb-quiz button { font: 600 15px system-ui, sans-serif; border-radius: 6px; cursor: pointer;
  border: 1px solid #94a3b8; background: #fff; color: #0f172a; padding: 10px 6px; }
.wb-quiz button:disabled { cursor: default; opacity: .45; }
.wb-quiz button.wb-q-emotion kbd { font: 12px ui-monospace, monospace; background: #e2e8f0;
  border: 1px solid #94a3b8; border-radius: 3px; padding: 0 4px; margin-right: 6px; }
.wb-quiz button.chosen { outline: 3px solid #2563eb; }
.wb-quiz button.truth { background: #dcfce7; border-color: #15803d; color: #14532d; opacity: 1; }
.wb-quiz button.wrong { background: #fee2e2; border-color: #b91c1c; color: #7f1d1d; opacity: 1; }
.wb-quiz .wb-q-nav { display: flex; gap: 10px; padding: 0 16px; align-items: center; flex-wrap: wrap; }
.wb-quiz .wb-q-nav button { padding: 8px 14px; background: #1d4ed8; color: #fff; border-color: #1e40af; }
.wb-quiz .wb-q-nav button.secondary { background: #fff; color: #1e3a8a; }
.wb-quiz .wb-q-timing { font: 13px ui-monospace, monospace; color: #334155; }
.wb-quiz .wb-q-strip { display: grid; grid-template-columns: repeat(3, 1fr); gap: 10px; }
.wb-quiz .wb-q-strip canvas { width: 100%; height: auto; display: block; border-radius: 4px; }
.wb-quiz figure { margin: 0; line-height: 0; }
.wb-quiz figcaption { line-height: 1.4; font-size: 13px; color: #334155; padding-top: 4px; }
.wb-quiz .wb-q-err { margin: 0 16px; color: #b00020; background: #fdecee; border: 1px solid #b00020;
  border-radius: 4px; padding: 4px 8px; white-space: pre-wrap; font: 13px ui-monospace, monospace; }
.wb-quiz .wb-q-save { font-size: 12.5px; color: #475569; }
.wb-quiz .wb-q-warn { margin: 0 16px; padding: 10px 14px; border-radius: 6px; background: #fef3c7;
  border: 2px solid #d97706; color: #78350f; font-size: 16px; line-height: 1.4; }
.wb-quiz .wb-q-warn b { color: #7c2d12; }
.wb-quiz .wb-q-warn small { display: block; font-size: 13px; color: #92400e; }
.wb-quiz .wb-q-timing.disturbed { color: #b45309; }
/* Served by Solara, Vuetify's own .secondary and kbd styles would win: */
.wb-quiz button.secondary { background: #fff !important; color: #1e3a8a !important; }
.wb-quiz button.wb-q-emotion kbd { color: #0f172a; box-shadow: none; }
`;

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const c of children) node.append(c);
  return node;
}

function median(values) {
  if (!values.length) return 0;
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// The verdict on one flash from its rAF timestamps (first paint of the expression .. first
// paint of the neutral frame after it) and the refresh measured before it. A flash is disturbed
// when one refresh during it took longer than `disturbedInterval` measured refreshes, or when
// the duration shown is off by more than one refresh.
function judgeFlash(stamps, refresh, asked, disturbedInterval) {
  const intervals = stamps.slice(1).map((t, i) => t - stamps[i]);
  const shown = stamps[stamps.length - 1] - stamps[0];
  let dropped = 0, longest = 0;
  for (const iv of intervals) {
    dropped += Math.max(0, Math.round(iv / refresh) - 1);
    longest = Math.max(longest, iv);
  }
  const late = longest > disturbedInterval * refresh;
  const off = Math.abs(shown - asked) > refresh;
  return { shown, intervals, longest, dropped, disturbed: late || off };
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function decode(buffer, type = "image/jpeg") {
  const bytes = buffer instanceof DataView
    ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : buffer;
  return createImageBitmap(new Blob([bytes], { type }));
}

function floats(buffer) {
  const copy = new Uint8Array(buffer.byteLength);
  copy.set(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
  return new Float32Array(copy.buffer);
}

function log(entry) {
  (window.__wbQuiz = window.__wbQuiz || []).push(entry);
}

function render({ model, el: host }) {
  const PAIRS = model.get("emotion_keys");  // [[key, emotion], ...] in the buttons' order
  const EMOTION_OF = Object.fromEntries(PAIRS);
  const KEY_OF = Object.fromEntries(PAIRS.map(([k, e]) => [e, k]));
  const EMOTIONS = PAIRS.map(([, e]) => e);
  if (!document.getElementById("wb-quiz-css")) {
    document.head.append(el("style", { id: "wb-quiz-css", textContent: CSS }));
  }
  // ---- layout ------------------------------------------------------------------
  const title = el("div", { className: "wb-q-title" });
  const counter = el("span", { className: "wb-q-pill wb-q-counter" });
  const who = el("span", { className: "wb-q-pill" });
  const score = el("span", { className: "wb-q-pill wb-q-score" });
  const fullBtn = el("button", { className: "secondary", textContent: "Full screen (f)",
    title: "presenter view: the quiz alone, full screen; Esc leaves" });
  const head = el("div", { className: "wb-q-head" }, [title, counter, who, score, fullBtn]);

  const face = el("canvas", { className: "wb-q-face", width: 400, height: 400 });
  const fctx = face.getContext("2d");
  const msg = el("div", { className: "wb-q-msg" });
  const tag = el("div", { className: "wb-q-tag" });
  const stage = el("div", { className: "wb-q-stage" }, [face, tag, msg]);

  const info = el("div", { className: "wb-q-card wb-q-info" });
  const curves = el("canvas", { className: "wb-q-curves", width: 520, height: 210 });
  const curvesCard = el("div", { className: "wb-q-card" }, [curves]);
  const timing = el("div", { className: "wb-q-timing" });
  const strip = el("div", { className: "wb-q-strip" });
  const side = el("div", { className: "wb-q-side" }, [info, curvesCard, strip, timing]);
  const body = el("div", { className: "wb-q-body" }, [stage, side]);

  const buttons = {};
  const answersBar = el("div", { className: "wb-q-answers" });
  for (const e of EMOTIONS) {
    const b = el("button", { className: `wb-q-emotion wb-q-${e}`, disabled: true });
    b.innerHTML = `<kbd>${KEY_OF[e]}</kbd>${e}`;
    b.addEventListener("click", () => answer(e, performance.now()));
    buttons[e] = b;
    answersBar.append(b);
  }
  const flashBtn = el("button", { className: "wb-q-flash", textContent: "▶ Flash (Space)" });
  const replayBtn = el("button", { className: "secondary wb-q-replay", textContent: "↻ Replay flash (r)" });
  const nextBtn = el("button", { className: "wb-q-next", textContent: "Next item → (Space)" });
  const save = el("span", { className: "wb-q-save" });
  const nav = el("div", { className: "wb-q-nav" }, [flashBtn, replayBtn, nextBtn, save]);

  const thumbs = {};
  for (const [name, caption] of [["onset", "onset"], ["apex", "apex"], ["motion", "movement"]]) {
    const c = el("canvas", { width: THUMB, height: THUMB, className: `wb-q-thumb-${name}` });
    const cap = el("figcaption", { textContent: caption });
    thumbs[name] = { canvas: c, caption: cap };
    strip.append(el("figure", {}, [c, cap]));
  }
  const err = el("div", { className: "wb-q-err" });
  const warn = el("div", { className: "wb-q-warn" });
  warn.setAttribute("role", "alert");
  const root = el("div", { className: "wb-quiz", tabIndex: 0 },
    [head, body, warn, answersBar, nav, err]);
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  host.append(root);

  // ---- state -------------------------------------------------------------------
  const s = {
    phase: "loading", item: null, bitmaps: [], neutral: null, reveal: null, motion: null,
    tEnd: 0, replayTimer: null, replayFrame: null, destroyed: false, flashing: false, request: 0,
    verdict: null,  // the last reported flash of this item: {asked, shown, refresh, dropped, disturbed, ...}
  };
  const disturbed = () => Boolean(s.verdict && s.verdict.disturbed);
  const n = () => model.get("n_items");
  const index = () => model.get("index");

  function setPhase(phase) {
    s.phase = phase;
    root.dataset.phase = phase;
    root.dataset.item = String(index());
    const answering = phase === "answer";
    for (const b of Object.values(buttons)) b.disabled = !answering;
    flashBtn.disabled = phase !== "ready";
    replayBtn.disabled = !(phase === "reveal" || (answering && disturbed()));
    nextBtn.disabled = phase !== "reveal";
    nextBtn.textContent = index() >= n() - 1 ? "Finish → (Space)" : "Next item → (Space)";
    strip.style.display = phase === "reveal" ? "" : "none";
    curvesCard.style.display = phase === "reveal" ? "" : "none";
    updateHead();
  }

  function size() {
    const full = document.fullscreenElement === root;
    let side = model.get("presenter") ? STAGE_PRESENTER : STAGE;
    if (full) side = Math.max(300, Math.min(window.innerHeight - 250, window.innerWidth - 560));
    const w = face.width, h = face.height;
    const scale = side / Math.max(w, h);
    face.style.width = `${Math.round(w * scale)}px`;
    face.style.height = `${Math.round(h * scale)}px`;
  }

  function draw(bmp) {
    if (!bmp) return;
    if (face.width !== bmp.width || face.height !== bmp.height) {
      face.width = bmp.width; face.height = bmp.height; size();
    }
    fctx.drawImage(bmp, 0, 0);
  }

  function message(html) {
    msg.innerHTML = html || "";
    msg.style.display = html ? "" : "none";
  }

  function updateHead() {
    title.textContent = model.get("title");
    counter.innerHTML = `item <b>${Math.min(index() + 1, n())}</b> / ${n()}`;
    who.innerHTML = model.get("student") ? `student <b>${model.get("student")}</b>` : "<b>demonstration</b>";
    score.innerHTML = model.get("score") ? `score <b>${model.get("score")}</b>` : "score –";
  }

  function showTiming() {
    const it = s.item;
    if (!it) { timing.textContent = ""; return; }
    const shown = (model.get("shown_ms") || [])[index()];
    const rec = (model.get("flashes") || [])[index()];
    const refresh = model.get("refresh_ms");
    const what = it.mode === "apex" ? `apex held` : `real speed, ${it.frames.length} frames at ${it.fps} fps`;
    timing.textContent = `${what} · asked ${it.asked_ms.toFixed(1)} ms`
      + (shown != null ? ` · shown ${shown.toFixed(1)} ms` : "")
      + (refresh ? ` · display refresh ${refresh.toFixed(1)} ms (${(1000 / refresh).toFixed(0)} Hz)` : "")
      + (rec && rec.disturbed ? ` · DISTURBED (${plural(rec.dropped_frames, "dropped frame")})` : "");
    timing.classList.toggle("disturbed", Boolean(rec && rec.disturbed));
    root.dataset.shown = shown != null ? String(shown) : "";
    root.dataset.disturbed = rec ? String(Boolean(rec.disturbed)) : "";
  }

  function showWarning() {
    const v = s.verdict;
    if (!v || !v.disturbed || s.phase !== "answer") {
      warn.innerHTML = "";
      warn.style.display = "none";
      return;
    }
    // "the display dropped 6 frames, shown 133 ms instead of 40 ms" (or, when the duration came
    // out right all the same, "the display dropped 8 frames during the 200 ms flash")
    const dropped = v.dropped > 0 ? `the display dropped ${plural(v.dropped, "frame")}` : "";
    const what = Math.abs(v.shown - v.asked) > v.refresh
      ? `${dropped ? `${dropped}, ` : ""}shown ${v.shown.toFixed(0)} ms instead of ${v.asked.toFixed(0)} ms`
      : `${dropped || "the display stalled"} during the ${v.asked.toFixed(0)} ms flash`;
    warn.innerHTML = `<b>Flash disturbed: ${what}; press r to replay</b>`
      + "<small>The computer was too busy to show the flash as asked. Replay it (r, or ↻) before "
      + "answering; an answer given now is marked as given after a disturbed flash.</small>";
    warn.style.display = "";
  }

  function showError(text) {
    err.textContent = text || "";
    err.style.display = text ? "" : "none";
  }

  // ---- loading -------------------------------------------------------------------
  function load() {
    stopReplay();
    s.item = null; s.reveal = null; s.request += 1;
    for (const b of Object.values(buttons)) b.classList.remove("chosen", "truth", "wrong");
    info.innerHTML = "<b>Watch the face.</b> It starts neutral, shows an expression for a moment, "
      + "and returns to neutral. Then say which emotion you saw: click a button or press its key "
      + "(<b>1</b>–<b>7</b>, <b>0</b> for others).";
    tag.style.display = "none";
    timing.textContent = "";
    save.textContent = "";
    s.verdict = null;
    showWarning();
    if (index() >= n()) { finish(); return; }
    message("Loading the frames…");
    setPhase("loading");
    model.send({ type: "load", item: index() });
  }

  async function onItem(m, buffers) {
    if (m.item !== index()) return;
    const request = s.request;
    try {
      const bitmaps = await Promise.all(buffers.map((b) => decode(b)));
      if (s.destroyed || request !== s.request) { bitmaps.forEach((b) => b.close()); return; }
      for (const b of s.bitmaps) b.close?.();
      s.neutral = bitmaps[0];
      s.bitmaps = bitmaps.slice(1);
      s.item = m;
      draw(s.neutral);
      message("Press <b>Space</b> (or ▶ Flash) when you are ready: watch closely, it is brief.");
      setPhase("ready");
      showTiming();
      root.focus({ preventScroll: true });
    } catch (e) {
      showError(`could not decode the frames of item ${m.number}: ${e}`);
    }
  }

  // ---- the flash -------------------------------------------------------------------
  function flash(report) {
    const it = s.item;
    if (!it || s.flashing) return;
    s.flashing = true;
    stopReplay();
    tag.style.display = "none";
    message("");
    if (report) { s.verdict = null; setPhase("flash"); showWarning(); }
    const { positions, times } = it.flash;
    const asked = it.asked_ms;
    const neutralMs = model.get("neutral_ms");
    const deltas = [];  // rAF intervals on the neutral face before the flash: the display refresh
    const stamps = [];  // rAF timestamps from the first paint of the expression to the neutral after it
    const painted = [];
    const item = index();
    const signal = (stage) => root.dispatchEvent(new CustomEvent("wb-quiz-flash", { detail: { item, stage, report } }));
    let start = null, prev = null, t0 = null, shownPos = -1;
    function step(ts) {
      if (s.destroyed) return;
      if (start === null) {
        start = ts; prev = ts; draw(s.neutral);
        requestAnimationFrame(step);
        return;
      }
      if (t0 === null) deltas.push(ts - prev);
      prev = ts;
      if (t0 === null) {
        if (ts - start < neutralMs) { requestAnimationFrame(step); return; }
        t0 = ts;
      }
      stamps.push(ts);
      const refresh = median(deltas) || 1000 / 60;
      const elapsed = ts - t0;
      if (elapsed > 0 && elapsed + refresh / 2 >= asked) {
        draw(s.neutral);
        signal("neutral");
        done(refresh, painted, ts);
        return;
      }
      let k = 0;
      while (k + 1 < times.length && times[k + 1] <= elapsed) k += 1;
      if (k !== shownPos) {
        draw(s.bitmaps[positions[k]]);
        painted.push(it.frames[positions[k]]);
        if (shownPos === -1) signal("expression");
        shownPos = k;
      }
      requestAnimationFrame(step);
    }
    function done(refresh, frames, tEnd) {
      s.flashing = false;
      s.tEnd = tEnd;
      const v = judgeFlash(stamps, refresh, asked, model.get("disturbed_interval"));
      log({ item, asked_ms: asked, shown_ms: v.shown, refresh_ms: refresh, dropped_frames: v.dropped,
        disturbed: v.disturbed, longest_ms: v.longest, intervals_ms: v.intervals, painted: frames, report });
      if (s.destroyed || item !== index()) return;
      if (report) {
        s.verdict = { asked, shown: v.shown, refresh, dropped: v.dropped, disturbed: v.disturbed };
        model.send({ type: "shown", item, shown_ms: v.shown, refresh_ms: refresh, dropped_frames: v.dropped,
          disturbed: v.disturbed, painted: frames });
        message(v.disturbed
          ? "Press <b>r</b> to replay the flash, or answer anyway: <b>1</b>–<b>7</b> / <b>0</b>."
          : "Which emotion did you see? Click it, or press <b>1</b>–<b>7</b> / <b>0</b>.");
        setPhase("answer");
        showWarning();
        root.focus({ preventScroll: true });
      } else {
        startReplay();
      }
    }
    requestAnimationFrame(step);
  }

  // r / ↻: after the reveal, the flash again for study (not reported); before the answer, only
  // when the flash was disturbed: the flash again, measured and reported again.
  function replay() {
    if (s.phase === "reveal") flash(false);
    else if (s.phase === "answer" && disturbed()) flash(true);
  }

  function answer(emotion, now) {
    if (s.phase !== "answer") return;
    buttons[emotion].classList.add("chosen");
    setPhase("checking");
    showWarning();
    message("Checking…");
    model.send({ type: "answer", item: index(), answer: emotion, response_ms: now - s.tEnd });
  }

  // ---- the reveal --------------------------------------------------------------------
  async function onReveal(m, buffers) {
    if (m.item !== index() || !s.item) return;
    try {
      s.motion?.close?.();
      s.motion = await decode(buffers[0]);
    } catch (e) {
      showError(`could not decode the motion image: ${e}`);
    }
    s.reveal = { ...m, values: m.curves ? floats(buffers[1]) : null };
    buttons[m.truth]?.classList.add("truth");
    if (!m.correct) buttons[m.answer]?.classList.add("wrong");
    const aus = (m.explanations || []).map(([au, words]) => `<li><b>${au}</b> ${words}</li>`).join("");
    info.innerHTML = `<div class="wb-q-verdict ${m.correct ? "ok" : "no"}">`
      + `${m.correct ? "✓ Right" : "✗ Not quite"}: it was <u>${m.truth}</u></div>`
      + `<div>your answer: <b>${m.answer}</b></div>`
      + `<div style="margin-top:8px">FACS code <span class="wb-q-facs">${m.aus || "–"}</span></div>`
      + (aus ? `<ul class="wb-q-aus">${aus}</ul>` : "")
      + `<div class="wb-q-save" style="margin-top:6px">${m.clip} · frames ${s.item.onset}–${s.item.offset}`
      + `, apex ${s.item.apex} · ${m.event_id}</div>`
      + (m.flash && m.flash.disturbed
        ? `<div class="wb-q-save wb-q-marked" style="margin-top:6px;color:#b45309">answered after a disturbed `
          + `flash (shown ${m.flash.shown_ms.toFixed(0)} ms instead of ${m.flash.asked_ms.toFixed(0)} ms): `
          + "marked in the class results</div>"
        : "");
    const pos = (f) => s.item.frames.indexOf(f);
    drawThumb("onset", s.bitmaps[pos(s.item.onset)], `onset · frame ${s.item.onset}`);
    drawThumb("apex", s.bitmaps[pos(s.item.apex)], `apex · frame ${s.item.apex}`);
    drawThumb("motion", s.motion, `movement, onset → apex (×${m.gain})`);
    thumbs.motion.canvas.title = m.outlines;
    save.textContent = model.get("saving");
    setPhase("reveal");
    showTiming();
    startReplay();
    message("");
    root.focus({ preventScroll: true });
  }

  function drawThumb(name, bmp, caption) {
    const { canvas, caption: cap } = thumbs[name];
    const g = canvas.getContext("2d");
    g.fillStyle = "#000"; g.fillRect(0, 0, canvas.width, canvas.height);
    if (bmp) {
      const sc = Math.min(canvas.width / bmp.width, canvas.height / bmp.height);
      const w = bmp.width * sc, h = bmp.height * sc;
      g.drawImage(bmp, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
    }
    cap.textContent = caption;
  }

  function drawCurves(cursor) {
    const r = s.reveal;
    const it = s.item;
    if (!r || !it) return;
    const W = curves.clientWidth || 520, H = 210;
    if (curves.width !== W) curves.width = W;
    const g = curves.getContext("2d");
    const span = it.offset - it.onset + 1;
    const pad = Math.max(10, span >> 1);
    const names = r.curves ? r.curves.names : [];
    const first = r.curves ? r.curves.first : it.onset - pad;
    const len = r.curves ? r.curves.n : span + 2 * pad;
    const values = r.values || [];
    const L = 44, R = 10, T = 24, B = 26;
    const X = (f) => L + ((f - first) / Math.max(1, len - 1)) * (W - L - R);
    let lo = Infinity, hi = -Infinity;
    for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (!Number.isFinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-6) hi = lo + 1;
    const Y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
    g.clearRect(0, 0, W, H);
    if (!r.curves) {
      g.fillStyle = "#64748b"; g.font = "13px system-ui, sans-serif"; g.textAlign = "center";
      g.fillText("no AU curves for this clip: the event's span only", W / 2, (H - B + T) / 2);
    }
    g.fillStyle = "rgba(245,158,11,.18)";
    g.fillRect(X(it.onset), T, X(it.offset + 1) - X(it.onset), H - T - B);
    g.strokeStyle = "#b45309"; g.setLineDash([4, 3]);
    g.beginPath(); g.moveTo(X(it.apex), T); g.lineTo(X(it.apex), H - B); g.stroke();
    g.setLineDash([]);
    g.strokeStyle = "#94a3b8"; g.beginPath(); g.moveTo(L, H - B); g.lineTo(W - R, H - B); g.stroke();
    g.fillStyle = "#334155"; g.font = "12px system-ui, sans-serif"; g.textAlign = "center";
    for (const [f, label] of [[it.onset, "onset"], [it.apex, "apex"], [it.offset, "offset"]]) {
      g.fillText(`${label} ${f}`, Math.min(W - 40, Math.max(L + 20, X(f))), H - 8);
    }
    g.textAlign = "right";
    g.fillText(hi.toFixed(2), L - 4, T + 8); g.fillText(lo.toFixed(2), L - 4, H - B);
    g.textAlign = "left";
    let lx = L;
    g.font = "600 12px system-ui, sans-serif";
    names.forEach((name, k) => {
      const colour = CURVE_COLOURS[k % CURVE_COLOURS.length];
      g.strokeStyle = colour; g.lineWidth = 2;
      g.beginPath();
      let pen = false;
      for (let i = 0; i < len; i++) {
        const v = values[k * len + i];
        if (!Number.isFinite(v)) { pen = false; continue; }
        if (pen) g.lineTo(X(first + i), Y(v)); else g.moveTo(X(first + i), Y(v));
        pen = true;
      }
      g.stroke();
      g.fillStyle = colour;
      g.fillText(name, lx, 15);
      lx += g.measureText(name).width + 12;
    });
    g.lineWidth = 1;
    g.font = "12px system-ui, sans-serif";
    g.fillStyle = "#64748b";
    g.fillText(r.curves ? "AU intensity · shaded: the event's span" : "shaded: the event's span", lx + 6, 15);
    if (cursor != null) {
      g.strokeStyle = "#0f172a"; g.lineWidth = 1.5;
      g.beginPath(); g.moveTo(X(cursor), T); g.lineTo(X(cursor), H - B); g.stroke();
      g.lineWidth = 1;
    }
  }

  function startReplay() {
    stopReplay();
    const it = s.item;
    if (!it || s.phase !== "reveal") return;
    const rate = it.fps * model.get("slow");
    const frames = it.frames;
    const pauseMs = 700;
    const loopMs = (frames.length / rate) * 1000;
    let start = null;
    function step(ts) {
      if (s.destroyed || s.phase !== "reveal" || s.flashing) return;
      if (start === null) start = ts;
      const t = (ts - start) % (loopMs + pauseMs);
      const k = Math.min(frames.length - 1, Math.floor((t / 1000) * rate));
      if (k !== s.replayFrame) {
        s.replayFrame = k;
        draw(s.bitmaps[k]);
        const f = frames[k];
        const phase = f === it.apex ? " · apex" : f === it.onset ? " · onset" : f === it.offset ? " · offset" : "";
        tag.textContent = `slow motion ${fraction(model.get("slow"))} · frame ${f}${phase}`;
        tag.style.display = "block";
        drawCurves(f);
      }
      s.replayTimer = requestAnimationFrame(step);
    }
    s.replayTimer = requestAnimationFrame(step);
  }

  function stopReplay() {
    if (s.replayTimer) cancelAnimationFrame(s.replayTimer);
    s.replayTimer = null; s.replayFrame = null;
  }

  function fraction(x) {
    return x >= 1 ? "1×" : `1/${Math.round(1 / x)}×`;
  }

  function next() {
    if (s.phase !== "reveal") return;
    if (index() >= n() - 1) { finish(); return; }
    model.set("index", index() + 1);  // change:index loads the item (onIndex), once
    model.save_changes();
  }

  function finish() {
    stopReplay();
    tag.style.display = "none";
    const answers = model.get("answers") || [];
    const correct = model.get("correct") || [];
    const rows = answers.map((a, k) => `<li>item ${k + 1}: ${a || "–"} ${correct[k] == null ? "" : correct[k] ? "✓" : "✗"}</li>`);
    info.innerHTML = `<div class="wb-q-verdict">Finished: score ${model.get("score") || "0 / 0"}</div>`
      + `<ul class="wb-q-aus">${rows.join("")}</ul>`;
    if (model.get("feedback") === false) {  // a test without feedback: no score until the course ends
      info.innerHTML = `<div class="wb-q-verdict">Finished: ${plural(answers.filter(Boolean).length, "answer")}`
        + " recorded</div>";
    }
    message("The quiz is over. Thank you!");
    setPhase("done");
    model.send({ type: "done" });
  }

  // ---- keys and buttons ---------------------------------------------------------------------
  function toggleFull() {
    if (document.fullscreenElement === root) document.exitFullscreen?.();
    else root.requestFullscreen?.().catch((e) => showError(`full screen refused: ${e}`));
  }

  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    let used = true;
    if (k === " " || k === "Enter" || k === "ArrowRight") {
      if (s.phase === "ready") flash(true);
      else if (s.phase === "reveal") next();
    } else if (k in EMOTION_OF) answer(EMOTION_OF[k], e.timeStamp || performance.now());
    else if (k === "r" || k === "R") replay();
    else if (k === "f" || k === "F") toggleFull();
    else used = false;
    if (used) { e.preventDefault(); e.stopPropagation(); }
  }

  root.addEventListener("keydown", onKey);
  flashBtn.addEventListener("click", () => flash(true));
  replayBtn.addEventListener("click", replay);
  nextBtn.addEventListener("click", next);
  fullBtn.addEventListener("click", toggleFull);
  stage.addEventListener("mousedown", () => root.focus({ preventScroll: true }));
  const onFull = () => {
    root.classList.toggle("wb-full", document.fullscreenElement === root);
    size();
    if (s.reveal) drawCurves(s.item?.frames[s.replayFrame ?? 0]);
  };
  document.addEventListener("fullscreenchange", onFull);

  // ---- model -> view -------------------------------------------------------------------------
  function onCustom(m, buffers) {
    if (m.type === "item") onItem(m, buffers);
    else if (m.type === "reveal") onReveal(m, buffers);
    else if (m.type === "recorded" && m.item === index() && s.phase === "checking") {
      // A test without feedback (the seminar's pre- and post-test): the answer is saved, on to the next item.
      save.textContent = m.saving ?? model.get("saving");
      if (index() >= n() - 1) finish();
      else { model.set("index", index() + 1); model.save_changes(); }  // change:index loads it
    } else if (m.type === "refused" && m.item === index() && s.phase === "checking") {
      for (const b of Object.values(buttons)) b.classList.remove("chosen");
      message("Your answer could not be recorded (see the red message). Answer again.");
      setPhase("answer");
      showWarning();
    }
  }
  function onIndex() {
    if (s.item && s.item.item === index()) return;
    load();
  }
  const handlers = [
    ["msg:custom", onCustom],
    ["change:index", onIndex],
    ["change:score change:student change:title", updateHead],
    ["change:shown_ms change:refresh_ms change:flashes", showTiming],
    ["change:saving", () => { save.textContent = model.get("saving"); }],
    ["change:presenter", size],
    ["change:error", () => showError(model.get("error"))],
  ];
  for (const [ev, fn] of handlers) model.on(ev, fn);
  showError(model.get("error"));
  size();
  load();

  return () => {
    s.destroyed = true;
    stopReplay();
    for (const [ev, fn] of handlers) model.off(ev, fn);
    document.removeEventListener("fullscreenchange", onFull);
    for (const b of s.bitmaps) b.close?.();
    s.neutral?.close?.();
    s.motion?.close?.();
  };
}

export default { render };

// Training: two expressions the class confuses, side by side in slow motion, with the AUs that
// tell them apart in plain words (brows, eyes, nose, mouth).
//
// Messages to Python:   {type: "load", pair}, {type: "done"} (the student left the last pair)
// Messages from Python: {type: "pair", pair, sides: [{emotion, aus, fps, frames, neutral, apex, n}, ...]}
//                       + JPEG buffers: each side's neutral frame then its frames, side after side
// Keys (click the panel first): Space / right arrow: next pair; left arrow: previous; r: replay.

const CSS = `
.wb-train { font: 15px/1.45 system-ui, sans-serif; color: #0f172a; background: #f1f5f9; outline: none;
  border: 2px solid #cbd5e1; border-radius: 8px; display: flex; flex-direction: column; gap: 10px;
  padding: 0 0 12px 0; max-width: 1240px; }
.wb-train:focus { border-color: #2563eb; }
.wb-train .wb-t-head { background: #0f172a; color: #f8fafc; padding: 10px 16px; border-radius: 6px 6px 0 0;
  display: flex; gap: 16px; align-items: center; }
.wb-train .wb-t-title { font-size: 19px; font-weight: 650; flex: 1; }
.wb-train .wb-t-why { padding: 0 16px; color: #334155; }
.wb-train .wb-t-sides { display: flex; gap: 16px; padding: 0 16px; flex-wrap: wrap; }
.wb-train figure { margin: 0; line-height: 0; background: #000; border-radius: 6px; overflow: hidden; }
.wb-train canvas { display: block; width: 380px; height: auto; align-self: flex-start; }
.wb-train figcaption { line-height: 1.4; background: #fff; padding: 6px 10px; font-size: 16px; }
.wb-train figcaption b { font-size: 18px; }
.wb-train table { border-collapse: collapse; margin: 0 16px; background: #fff; }
.wb-train td, .wb-train th { padding: 5px 10px; border-bottom: 1px solid #e2e8f0; text-align: left; vertical-align: top; }
.wb-train .wb-t-tells { color: #1d4ed8; font-weight: 600; }
.wb-train .wb-t-nav { display: flex; gap: 10px; padding: 0 16px; }
.wb-train button { font: 600 15px system-ui, sans-serif; border-radius: 6px; cursor: pointer; padding: 8px 14px;
  border: 1px solid #1e40af; background: #1d4ed8; color: #fff; }
.wb-train button.wb-t-secondary { background: #fff; color: #1e3a8a; }
.wb-train button:disabled { opacity: .45; cursor: default; }
.wb-train .wb-t-err { margin: 0 16px; color: #b00020; white-space: pre-wrap; font: 13px ui-monospace, monospace; }
`;

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const c of children) node.append(c);
  return node;
}

function decode(buffer) {
  const bytes = buffer instanceof DataView
    ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : buffer;
  return createImageBitmap(new Blob([bytes], { type: "image/jpeg" }));
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function render({ model, el: host }) {
  if (!document.getElementById("wb-train-css")) {
    document.head.append(el("style", { id: "wb-train-css", textContent: CSS }));
  }
  const title = el("div", { className: "wb-t-title" });
  const counter = el("span");
  const head = el("div", { className: "wb-t-head" }, [title, counter]);
  const why = el("div", { className: "wb-t-why" });
  const sides = el("div", { className: "wb-t-sides" });
  const table = el("table", { className: "wb-t-table" });
  const prev = el("button", { className: "wb-t-secondary wb-t-prev", textContent: "← Previous pair" });
  const replay = el("button", { className: "wb-t-secondary wb-t-replay", textContent: "↻ Replay (r)" });
  const next = el("button", { className: "wb-t-next" });
  const nav = el("div", { className: "wb-t-nav" }, [prev, replay, next]);
  const err = el("div", { className: "wb-t-err" });
  const root = el("div", { className: "wb-train", tabIndex: 0 }, [head, why, sides, table, nav, err]);
  host.append(root);

  const s = { pair: -1, players: [], timer: null, destroyed: false, request: 0 };
  const pairs = () => model.get("pairs") || [];

  function stop() {
    if (s.timer) cancelAnimationFrame(s.timer);
    s.timer = null;
  }

  function play() {
    stop();
    const rate = model.get("slow");
    let start = null;
    const step = (ts) => {
      if (s.destroyed) return;
      if (start === null) start = ts;
      for (const p of s.players) {
        const loopMs = (p.frames.length / (p.fps * rate)) * 1000;
        const t = (ts - start) % (loopMs + 800);  // a pause on the neutral face between loops
        const k = Math.floor((t / 1000) * p.fps * rate);
        const bmp = k < p.frames.length ? p.bitmaps[k + 1] : p.bitmaps[0];
        if (bmp !== p.shown) { p.ctx.drawImage(bmp, 0, 0); p.shown = bmp; }
      }
      s.timer = requestAnimationFrame(step);
    };
    s.timer = requestAnimationFrame(step);
  }

  function describe(k) {
    const p = pairs()[k];
    title.textContent = `Training: ${p.first} or ${p.second}?`;
    counter.textContent = `pair ${k + 1} / ${pairs().length}`;
    why.innerHTML = p.source === "class"
      ? `Your class mixed these two up <b>${p.confusions}</b> time${p.confusions === 1 ? "" : "s"} in the pre-test.`
      : "These two share movements of the face (their FACS prototypes share AUs).";
    const rows = p.regions.map((r) => `<tr><th>${escape(r.region)}</th>`
      + `<td>${r.first.map(escape).join("<br>") || "–"}</td><td>${r.second.map(escape).join("<br>") || "–"}</td>`
      + `<td class="wb-t-tells">${escape(r.tells)}</td></tr>`).join("");
    table.innerHTML = `<tr><th></th><th>${escape(p.first)}</th><th>${escape(p.second)}</th>`
      + `<th>what tells them apart</th></tr>${rows}`;
    prev.disabled = k === 0;
    next.textContent = k >= pairs().length - 1 ? "Continue to the next stage →" : "Next pair → (Space)";
  }

  function load(k) {
    stop();
    s.pair = k;
    s.request += 1;
    root.dataset.pair = String(k);
    root.dataset.state = "loading";
    for (const p of s.players) p.bitmaps.forEach((b) => b.close?.());
    s.players = [];
    sides.replaceChildren();
    if (!pairs().length) {
      title.textContent = "Training";
      why.textContent = "No pairs to train on in this course.";
      next.textContent = "Continue to the next stage →";
      root.dataset.state = "ready";
      return;
    }
    describe(k);
    if (!pairs()[k].examples.length) {
      sides.textContent = "No clip of these emotions in this course: the table below says what tells them apart.";
      root.dataset.state = "ready";
      return;
    }
    model.send({ type: "load", pair: k });
  }

  async function onPair(m, buffers) {
    if (m.pair !== s.pair) return;
    const request = s.request;
    let at = 0;
    const players = [];
    for (const side of m.sides) {
      const bitmaps = await Promise.all(buffers.slice(at, at + side.n).map(decode));
      at += side.n;
      const canvas = el("canvas", { width: bitmaps[0].width, height: bitmaps[0].height });
      const caption = el("figcaption");
      caption.innerHTML = `<b>${escape(side.emotion)}</b> · FACS ${escape(side.aus || "–")} · `
        + `slowed ${Math.round(1 / model.get("slow"))}×`;
      const fig = el("figure", { className: `wb-t-side wb-t-${side.emotion}` }, [canvas, caption]);
      players.push({ ...side, bitmaps, canvas, ctx: canvas.getContext("2d"), shown: null, fig });
    }
    if (s.destroyed || request !== s.request) { players.forEach((p) => p.bitmaps.forEach((b) => b.close?.())); return; }
    s.players = players;
    sides.replaceChildren(...players.map((p) => p.fig));
    root.dataset.state = "ready";
    play();
    root.focus({ preventScroll: true });
  }

  function go(delta) {
    const k = s.pair + delta;
    if (k < 0) return;
    if (k >= pairs().length) {
      stop();
      root.dataset.state = "done";
      next.disabled = true;
      model.send({ type: "done" });
      return;
    }
    load(k);
  }

  root.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    let used = true;
    if (e.key === " " || e.key === "ArrowRight" || e.key === "Enter") go(1);
    else if (e.key === "ArrowLeft") go(-1);
    else if (e.key === "r" || e.key === "R") play();
    else used = false;
    if (used) { e.preventDefault(); e.stopPropagation(); }
  });
  prev.addEventListener("click", () => go(-1));
  next.addEventListener("click", () => go(1));
  replay.addEventListener("click", play);
  const onCustom = (m, buffers) => { if (m.type === "pair") onPair(m, buffers); };
  const onError = () => { err.textContent = model.get("error") || ""; };
  model.on("msg:custom", onCustom);
  model.on("change:error", onError);
  onError();
  load(0);
  return () => {
    s.destroyed = true;
    stop();
    model.off("msg:custom", onCustom);
    model.off("change:error", onError);
  };
}

export default { render };

// Frame-exact player: JPEG frames arrive as binary buffers of custom messages,
// are decoded to ImageBitmaps and kept in a cache around the cursor. Stepping and
// playback inside the cached window draw at once, with no kernel round trip.
// Every JPEG received is also kept (up to store_mb), and while nothing else is on its way
// the player fills that store with the rest of the clip, nearest first, in ascending runs
// (the kernel decodes forward), the next run asked for when half of the last one is in.
// A jump to a held frame then decodes it here instead of asking the kernel.
//
// In a container of class wb-linked (the Workbench, the review panel) the player also
// draws the timeline's cursor over its plotly plot, in the same display frame as the video
// frame, and a click on the plot seeks here, by the x clicked: the kernel only hears of the
// new frame (throttled), with no plot relayout. (Seeking from the kernel's click callback
// lost clicks: plotly names the clicked trace by its index in the page's figure, and while
// new curves were on their way the kernel's index named another trace.)
//
// Frames come at the size they are shown: the player tells the kernel the box its canvas
// fits in device pixels (view_px); the kernel sends the whole frame or, zoomed, the face
// crop (the crop trait, in source pixels) fitted into it. A new view_id drops what is held.
// When the store is full it keeps the frames nearest the cursor and the held bar says which.
//
// Honest readout: the frame index and time always name the picture on screen (data-shown);
// while the asked frame (data-frame, the cursor) is on its way a "loading frame N…" notice
// shows (data-loading). A mark (o / a / f) waits for the picture of its frame and is sent
// once it is drawn; if the cursor moves on first, the mark is dropped and the player says so.
// Actions pressed after a waiting mark wait behind it, in order.
//
// Messages to Python:   {type: "get", indices, token, view, front?, fill?, cursor} (frames wanted)
//                       {type: "action", action, arg, frame}    (mark, emotion, save, undo, ...)
// Messages from Python: {type: "frames", indices, token, view, fill} + one JPEG buffer per index
//
// For the benchmark, every key press is measured from the keydown event to the
// animation frame after the new frame was drawn, and reported in a "wb-painted" event on the
// player's element (benchmarks/scrub_latency.py listens; nothing is kept here).

const SPEEDS = [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1];
const SPEED_LABELS = ["1/16x", "1/8x", "1/4x", "1/2x", "1x"];
const CHUNK = 12;
const RETRY_MS = 3000;
const SYNC_MS = 80;
const FILL_BATCH = 12;  // frames per fill request (the kernel's worker sends them 4 per message)
// Fill frames on their way at most: enough to keep the kernel busy through a round trip (a
// dozen in flight filled a 2K clip at ~70 frames/s, a tenth of what the kernel encodes), few
// enough that a jump's frame is not queued behind much (the worker serves it between messages).
const FILL_AHEAD = 60;
const FILL_WAIT_MS = 120;  // retry a fill this long after other requests were last in flight
const MAX_W = 520;
const MAX_H = 480;

const CSS = `
.wb-player { font: 12px/1.4 system-ui, sans-serif; color: #1f2933; outline: none;
  border: 2px solid #cbd2d9; border-radius: 6px; padding: 6px; background: #f8fafc;
  display: inline-flex; flex-direction: column; gap: 4px; }
.wb-player:focus, .wb-player:focus-within { border-color: #2563eb; }
.wb-player .wb-bar { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.wb-player .wb-info { font: 13px/1.4 ui-monospace, monospace; font-weight: 600; }
.wb-player .wb-info b { color: #2563eb; }
.wb-player .wb-stage { position: relative; background: #111; line-height: 0; align-self: flex-start; }
.wb-player canvas.wb-frame { display: block; }
.wb-player .wb-hint { position: absolute; left: 8px; bottom: 8px; line-height: 1.3;
  background: rgba(0,0,0,.65); color: #fff; padding: 2px 6px; border-radius: 3px; font-size: 12px; }
.wb-player .wb-loading { position: absolute; right: 8px; top: 8px; line-height: 1.3;
  background: rgba(180,83,9,.9); color: #fff; padding: 1px 6px; border-radius: 3px; display: none; }
.wb-player.wb-is-loading .wb-loading { display: block; }
.wb-player.wb-is-loading .wb-info .wb-frame-index, .wb-player.wb-is-loading .wb-info .wb-time { color: #b45309; }
.wb-player .wb-held { color: #52606d; font-size: 11px; }
.wb-player .wb-note { color: #b45309; }
.wb-player canvas.wb-scrub { display: block; width: 100%; height: 14px; cursor: pointer; }
.wb-player .wb-marks { font: 12px ui-monospace, monospace; }
.wb-player .wb-err { color: #b00020; background: #fdecee; border: 1px solid #b00020;
  border-radius: 4px; padding: 2px 6px; white-space: pre-wrap; font-family: ui-monospace, monospace; }
.wb-player .wb-keys { display: grid; grid-template-columns: repeat(4, auto); gap: 0 14px;
  color: #52606d; font-size: 11.5px; }
.wb-player kbd { font: 11px ui-monospace, monospace; background: #fff; border: 1px solid #9aa5b1;
  border-bottom-width: 2px; border-radius: 3px; padding: 0 3px; color: #1f2933; }
.wb-player input.wb-goto { width: 70px; font: 12px ui-monospace, monospace; }
.wb-player label { user-select: none; }
.wb-plot-cursor { position: absolute; left: -1px; top: 0; width: 2px; background: #111827;
  pointer-events: none; z-index: 5; will-change: transform; }
`;

const KEYS_HELP = [
  ["&larr; / &rarr;", "frame back / fwd"], ["Shift+&larr;/&rarr;", "10 frames"],
  ["Home / End", "first / last"], ["Space", "play / pause"],
  ["[ / ]", "slower / faster"], ["o / a / f", "onset / apex / offset"],
  ["1-7, 0", "emotion (0 others)"], ["Enter", "save event"],
  ["Ctrl+Z", "undo"], ["Ctrl+Shift+Z", "redo"], ["n / p", "next / prev event"],
  ["click bar", "seek"],
];

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const c of children) node.append(c);
  return node;
}

function asBytes(value) {
  if (!value) return null;
  if (value instanceof DataView) return value;
  if (value instanceof ArrayBuffer) return new DataView(value);
  if (ArrayBuffer.isView(value)) return new DataView(value.buffer, value.byteOffset, value.byteLength);
  return null;
}

function render({ model, el: host }) {
  if (!document.getElementById("wb-player-css")) {
    document.head.append(el("style", { id: "wb-player-css", textContent: CSS }));
  }
  const info = el("span", { className: "wb-info" });
  const gotoBox = el("input", { className: "wb-goto", type: "text", placeholder: "go to #",
    title: "type a frame number and press Enter" });
  const toggles = {};
  const toggleBar = el("span", { className: "wb-bar" });
  for (const [name, label, title] of [
    ["zoom", "zoom face", "zoom to the face box"],
    ["overlay", "regions", "landmark / region overlay: eyes, brows, nose, mouth"],
    ["diff", "diff vs onset", "amplified difference from the reference frame (the marked onset)"],
  ]) {
    const box = el("input", { type: "checkbox", className: `wb-toggle-${name}` });
    box.addEventListener("change", () => {
      model.set(name, box.checked); model.save_changes(); root.focus();
    });
    toggles[name] = box;
    toggleBar.append(el("label", { title }, [box, " " + label]));
  }
  const canvas = el("canvas", { className: "wb-frame", width: 320, height: 240 });
  const ctx = canvas.getContext("2d");
  const off = document.createElement("canvas");
  const offCtx = off.getContext("2d");
  const hint = el("div", { className: "wb-hint", textContent: "click here, then use the keys below" });
  const loadingText = new Text("loading…");
  const loading = el("div", { className: "wb-loading" }, [loadingText]);
  const stage = el("div", { className: "wb-stage" }, [canvas, hint, loading]);
  const scrub = el("canvas", { className: "wb-scrub", height: 14, width: 640,
    title: "held frames (light grey), decoded frames (grey), cursor (blue), draft marks (orange); click to seek" });
  const heldInfo = el("div", { className: "wb-held" });
  const marks = el("div", { className: "wb-marks" });
  const err = el("div", { className: "wb-err" });
  const keys = el("div", { className: "wb-keys" });
  keys.innerHTML = KEYS_HELP.map(([k, v]) => `<span><kbd>${k}</kbd> ${v}</span>`).join("");
  const root = el("div", { className: "wb-player", tabIndex: 0 }, [
    el("div", { className: "wb-bar" }, [info, gotoBox, toggleBar]),
    stage, scrub, heldInfo, marks, err, keys,
  ]);
  host.append(root);
  const infoText = { frame: new Text(), total: new Text(), time: new Text(), rest: new Text() };
  info.append("frame ", el("b", { className: "wb-frame-index" }, [infoText.frame]), infoText.total,
    el("b", { className: "wb-time" }, [infoText.time]), infoText.rest);
  const marksText = new Text();
  const noteText = new Text();
  marks.append(marksText, el("span", { className: "wb-note" }, [noteText]));
  const heldText = new Text();
  heldInfo.append(heldText);

  const s = {
    cur: model.get("frame"), want: -1, drawn: -1, dir: 1, token: model.get("token"),
    cache: new Map(), pending: new Map(), blobs: new Map(), decoding: 0, measure: null, playing: false,
    jpegs: new Map(), jpegBytes: 0, filling: 0, inFill: new Set(), fillTimer: null, cursorTimer: null,
    unfillable: new Set(), actions: [], note: "", view: model.get("view_id"),
    playFrom: 0, playStart: 0, lastSync: 0, syncTimer: null, painted: 0, destroyed: false,
  };

  const emotionOf = Object.fromEntries(model.get("emotion_keys"));  // from schema.EMOTION_KEYS
  const n = () => model.get("n_frames");
  const fps = () => model.get("fps");
  const clamp = (i) => Math.max(0, Math.min(n() - 1, i | 0));
  const refFrame = () => (model.get("reference") >= 0 ? model.get("reference") : 0);

  // ---- cache -------------------------------------------------------------
  function evict() {
    const cap = Math.max(16, model.get("cache_size"));
    if (s.cache.size <= cap) return;
    const keep = new Set([s.cur, refFrame()]);
    const far = [...s.cache.keys()].filter((i) => !keep.has(i))
      .sort((a, b) => Math.abs(b - s.cur) - Math.abs(a - s.cur));
    for (const i of far.slice(0, s.cache.size - cap)) {
      s.cache.get(i).close?.();
      s.cache.delete(i);
    }
  }

  function request(indices, front = false) {
    const now = performance.now();
    let want = indices.filter((i) => i >= 0 && i < n() && !s.cache.has(i) && !s.blobs.has(i)
      && !(s.pending.has(i) && now - s.pending.get(i) < RETRY_MS));
    const held = want.filter((i) => s.jpegs.has(i));
    if (held.length) {  // decode here what the store holds; ask the kernel for the rest
      for (const i of held) s.blobs.set(i, s.jpegs.get(i));
      want = want.filter((i) => !s.jpegs.has(i));
      pump();
    }
    if (!want.length) return;
    for (const i of want) s.pending.set(i, now);
    const size = front ? 1 : CHUNK;
    for (let k = 0; k < want.length; k += size) {
      model.send({ type: "get", indices: want.slice(k, k + size), token: s.token, view: s.view, front, cursor: s.cur });
    }
  }

  function prefetch(limit = Infinity) {
    const cap = Math.max(16, model.get("cache_size"));
    const ahead = Math.min(limit, Math.floor(cap * 0.7), Math.max(model.get("prefetch"),
      s.playing ? Math.ceil(fps() * SPEEDS[speedIndex()] * 1.5) : 0));
    const behind = Math.min(limit / 2, Math.max(8, Math.floor(model.get("prefetch") / 4)));
    // Monotonic runs (ahead in the direction of travel, then behind), so that the
    // kernel's decoder moves on instead of seeking for every frame.
    const order = [];
    for (let k = 1; k <= ahead; k++) order.push(s.cur + s.dir * k);
    for (let k = 1; k <= behind; k++) order.push(s.cur - s.dir * k);
    if (model.get("diff")) order.unshift(refFrame());
    request(order.filter((i) => i >= 0 && i < n()));
  }

  // Arrived JPEGs wait here; at most two decode at a time, the wanted frame first, then
  // the nearest to the cursor, so a jump is not queued behind a burst of prefetch.
  function onFrames(msg, buffers) {
    if (msg.type !== "frames" || msg.token !== s.token || msg.view !== s.view) return;
    const recv = performance.now();
    msg.indices.forEach((i, k) => {
      if (s.measure && s.measure.frame === i) s.measure.recv = recv;
      s.pending.delete(i);
      s.inFill.delete(i);
      let blob = s.jpegs.get(i);
      if (!blob) {
        blob = new Blob([buffers[k]], { type: "image/jpeg" });
        s.jpegs.set(i, blob);
        s.jpegBytes += blob.size;
        s.heldDirty = true;
      }
      // fill batches are only stored; what the screen or the window asked for is decoded
      if (!s.cache.has(i) && (!msg.fill || i === s.want)) s.blobs.set(i, blob);
    });
    if (msg.fill) {
      for (const i of msg.failed || []) { s.unfillable.add(i); s.inFill.delete(i); }  // cannot be read
      scrubSoon();
    }
    trimStore();
    pump();
    scheduleFill(0);
  }

  // ---- the clip's JPEGs, filled while idle ---------------------------------------
  function trimStore() {
    const budget = model.get("store_mb") * 1e6;
    if (s.jpegBytes <= budget) return;
    const keep = refFrame();
    const far = [...s.jpegs.keys()].filter((i) => i !== keep)
      .sort((a, b) => Math.abs(b - s.cur) - Math.abs(a - s.cur));
    for (const i of far) {
      if (s.jpegBytes <= budget * 0.9) break;
      s.jpegBytes -= s.jpegs.get(i).size;
      s.jpegs.delete(i);
      s.heldDirty = true;
    }
  }

  function scheduleFill(delay) {
    if (s.fillTimer == null && !s.destroyed) {
      s.fillTimer = setTimeout(() => { s.fillTimer = null; fill(); }, delay);
    }
  }

  const fillable = (i) => i >= 0 && i < n() && !s.jpegs.has(i) && !s.unfillable.has(i) && !s.inFill.has(i);

  // The next run to fill: the missing frame nearest the cursor and the missing frames
  // next to it on its far side, in ascending order, so the kernel decodes forward.
  function nextRun() {
    for (let d = 0; d < n(); d++) {
      for (const i of d ? [s.cur + d, s.cur - d] : [s.cur]) {
        if (!fillable(i)) continue;
        const step = i >= s.cur ? 1 : -1;
        const run = [];
        for (let j = i; fillable(j) && run.length < FILL_BATCH; j += step) run.push(j);
        return run.sort((a, b) => a - b);
      }
    }
    return [];
  }

  function fill() {
    if (s.destroyed || n() <= 0 || model.get("store_mb") <= 0) return;
    const now = performance.now();
    if (s.inFill.size && now - s.filling > RETRY_MS) s.inFill.clear();  // lost on the way: ask again
    for (const t of s.pending.values()) {  // the screen and the window come first
      if (now - t < RETRY_MS) { scheduleFill(FILL_WAIT_MS); return; }
    }
    while (s.inFill.size + FILL_BATCH <= FILL_AHEAD) {  // else arrivals call fill() again
      const want = nextRun();
      if (!want.length) {  // the whole clip is here (or on its way)
        if (!s.inFill.size) root.dataset.held = "all";
        return;
      }
      if (s.jpegBytes >= model.get("store_mb") * 1e6 * 0.9) {
        // Full: go on only while the missing frames are nearer the cursor than the farthest
        // held ones, which trimStore then drops; the store becomes the window around the cursor.
        const near = Math.min(...want.map((i) => Math.abs(i - s.cur)));
        if (near + FILL_BATCH >= farthestHeld()) { root.dataset.held = "near"; showHeld(); return; }
      }
      try {
        model.send({ type: "get", indices: want, token: s.token, view: s.view, fill: true, cursor: s.cur });
        s.filling = now;
        for (const i of want) s.inFill.add(i);
        clearTimeout(s.fillWatch);  // if the answer never comes, ask again
        s.fillWatch = setTimeout(fill, RETRY_MS + 50);
      } catch (e) {  // the kernel is gone (restarted, shut down): no fill until it answers again
        s.inFill.clear();
        return;
      }
    }
  }

  function farthestHeld() {
    let far = 0;
    for (const i of s.jpegs.keys()) far = Math.max(far, Math.abs(i - s.cur));
    return far;
  }

  // "held 4,210 / 9,000 frames · 212 MB": the bar above shows which (light grey).
  function showHeld() {
    const N = n(), count = s.jpegs.size;
    const state = root.dataset.held === "all" ? "the whole clip"
      : root.dataset.held === "near" ? `store full (${model.get("store_mb")} MB): the frames nearest the cursor`
        : "filling";
    setText(heldText, `held ${count.toLocaleString("en")} / ${N.toLocaleString("en")} frames · `
      + `${(s.jpegBytes / 1e6).toFixed(0)} MB · ${state}`);
    root.dataset.heldFrames = String(count);
    root.dataset.heldBytes = String(s.jpegBytes);
  }

  function reach() {  // frames this far from the cursor are dropped on both sides (Player.reach)
    return model.get("reach");
  }

  function pump() {
    const far = reach();
    for (const i of [...s.blobs.keys()]) if (Math.abs(i - s.cur) > far && i !== refFrame()) s.blobs.delete(i);
    while (s.decoding < 2 && s.blobs.size) {
      let i = s.blobs.has(s.want) ? s.want : -1;
      if (i < 0) {
        for (const j of s.blobs.keys()) if (i < 0 || Math.abs(j - s.cur) < Math.abs(i - s.cur)) i = j;
      }
      const blob = s.blobs.get(i);
      s.blobs.delete(i);
      s.decoding += 1;
      const token = s.token;
      createImageBitmap(blob).then((bmp) => {
        if (s.destroyed || token !== s.token) { bmp.close(); return; }
        s.cache.get(i)?.close?.();
        s.cache.set(i, bmp);
        if (i === s.want || (model.get("diff") && i === refFrame() && s.drawn === s.cur)) draw(s.want);
        evict();
        showAhead();
        scrubSoon();
      }).catch((e) => showError(`could not decode frame ${i}: ${e}`))
        .finally(() => { s.decoding -= 1; pump(); });
    }
  }

  // ---- drawing -------------------------------------------------------------
  // The part of the source frame the pictures show (source pixels): the kernel cut them so.
  function cropRect() {
    const c = model.get("crop");
    return c && c.length === 4 ? c : [0, 0, model.get("width") || 1, model.get("height") || 1];
  }

  // The canvas: the crop fitted into MAX_W x MAX_H CSS pixels, its backing store in device pixels.
  function fitCanvas(w, h) {
    const dpr = window.devicePixelRatio || 1;
    const scale = Math.min(MAX_W / w, MAX_H / h);
    const cssW = Math.round(w * scale), cssH = Math.round(h * scale);
    const cw = Math.round(cssW * dpr), ch = Math.round(cssH * dpr);
    if (canvas.width !== cw || canvas.height !== ch) {
      canvas.width = cw; canvas.height = ch; off.width = cw; off.height = ch;
      canvas.style.width = `${cssW}px`; canvas.style.height = `${cssH}px`;
    }
  }

  function tellView() {  // the box frames are sent to fit, in device pixels
    const dpr = window.devicePixelRatio || 1;
    const box = [Math.round(MAX_W * dpr), Math.round(MAX_H * dpr)];
    const was = model.get("view_px") || [];
    if (was[0] !== box[0] || was[1] !== box[1]) { model.set("view_px", box); model.save_changes(); }
  }

  function drawOverlay(i, rect) {
    const lm = asBytes(model.get("landmarks"));
    const regions = model.get("regions") || [];
    if (!lm || !regions.length) return;
    const per = model.get("n_points");
    const pts = new Float32Array(lm.buffer, lm.byteOffset, lm.byteLength / 4);
    const base = i * per * 2;
    if (base + per * 2 > pts.length || Number.isNaN(pts[base])) return;
    const [sx, sy, sw, sh] = rect;
    const W = model.get("width"), H = model.get("height");
    const X = (x) => ((x * W - sx) / sw) * canvas.width;
    const Y = (y) => ((y * H - sy) / sh) * canvas.height;
    ctx.lineWidth = 1.5;
    for (const r of regions) {
      ctx.strokeStyle = r.color || "#22d3ee";
      ctx.beginPath();
      for (let k = r.start; k < r.stop; k++) {
        const x = X(pts[base + 2 * k]), y = Y(pts[base + 2 * k + 1]);
        if (k === r.start) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      }
      if (r.closed) ctx.closePath();
      ctx.stroke();
    }
  }

  function draw(i) {
    const bmp = s.cache.get(i);
    if (!bmp) return false;
    const rect = cropRect();
    fitCanvas(rect[2], rect[3]);
    const ref = s.cache.get(refFrame());
    if (model.get("diff") && ref) {
      offCtx.globalCompositeOperation = "copy";
      offCtx.drawImage(bmp, 0, 0, off.width, off.height);
      offCtx.globalCompositeOperation = "difference";
      offCtx.drawImage(ref, 0, 0, off.width, off.height);
      ctx.fillStyle = "#000";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.filter = `brightness(${model.get("diff_gain")})`;
      ctx.drawImage(off, 0, 0);
      ctx.filter = "none";
    } else {
      ctx.drawImage(bmp, 0, 0, canvas.width, canvas.height);
    }
    if (model.get("overlay")) drawOverlay(i, rect);
    s.drawn = i;
    root.dataset.shown = String(i);
    showLoading();
    flushActions();
    if (s.syncAfterDraw) { s.syncAfterDraw = false; requestAnimationFrame(sync); }
    if (s.prefetchAfterDraw) { s.prefetchAfterDraw = false; prefetch(12); }
    updateInfo();
    const m = s.measure;
    if (m && m.frame === i) {
      s.measure = null;
      const drawnAt = performance.now();
      requestAnimationFrame(() => {
        const t1 = performance.now();
        s.painted += 1;
        root.dataset.painted = String(s.painted);
        root.dataset.paintedFrame = String(i);
        root.dispatchEvent(new CustomEvent("wb-painted", { bubbles: true, detail: {
          widget: "player", kind: m.kind, frame: i, t0: m.t0, t1, ms: t1 - m.t0, cached: m.cached, held: m.held,
          recv: m.recv == null ? null : m.recv - m.t0, drawn: drawnAt - m.t0 } }));
      });
    }
    return true;
  }

  // Background changes (a frame decoded, a fill batch stored) redraw the bar once per
  // display frame, not once per change.
  function scrubSoon() {
    if (s.scrubQueued || s.destroyed) return;
    s.scrubQueued = true;
    requestAnimationFrame(() => { s.scrubQueued = false; drawScrub(); });
  }

  function heldLayer(w, N) {  // frames held as JPEG (a jump there needs no kernel), redrawn on change
    const layer = (s.held = s.held || document.createElement("canvas"));
    if (!s.heldDirty && layer.width === w) return layer;
    layer.width = w; layer.height = 2;
    const g = layer.getContext("2d");
    g.fillStyle = "#cbd2d9";
    for (let a = 0; a < N; a++) {
      if (!s.jpegs.has(a)) continue;
      let b = a;
      while (b + 1 < N && s.jpegs.has(b + 1)) b += 1;
      g.fillRect((a / N) * w, 0, ((b + 1 - a) / N) * w, 2);
      a = b;
    }
    s.heldDirty = false;
    showHeld();
    return layer;
  }

  function drawScrub() {
    // the width comes from a ResizeObserver: reading clientWidth here, after the step has
    // changed the text above, would force a layout of the whole page on every step
    const w = s.scrubW || 640;
    if (scrub.width !== w) scrub.width = w;
    const g = scrub.getContext("2d");
    const N = Math.max(1, n());
    const X = (i) => (i / N) * w;
    g.fillStyle = "#e4e7eb"; g.fillRect(0, 0, w, 14);
    g.drawImage(heldLayer(w, N), 0, 6);
    g.fillStyle = "#9aa5b1";
    for (const i of s.cache.keys()) g.fillRect(X(i), 4, Math.max(1, w / N), 6);
    const mk = model.get("marks") || {};
    g.fillStyle = "#f59e0b";
    if (mk.onset != null && mk.offset != null) g.fillRect(X(mk.onset), 0, Math.max(2, X(mk.offset + 1) - X(mk.onset)), 3);
    for (const k of ["onset", "apex", "offset"]) if (mk[k] != null) g.fillRect(X(mk[k]), 0, 2, 14);
    g.fillStyle = "#2563eb"; g.fillRect(X(s.cur), 0, Math.max(2, w / N), 14);
  }

  // Text nodes are only written when their text changes: a step changes the frame index
  // and the time, not the rest (fewer style and layout invalidations per step).
  function setText(node, text) { if (node.data !== text) node.data = text; }

  // The frame index and time name the picture on screen (s.drawn), never the one asked for.
  function updateInfo() {
    const f = s.drawn;
    setText(infoText.frame, f >= 0 ? String(f) : "–");
    setText(infoText.total, n() > 0 ? ` / ${n() - 1} · ` : " / – · ");
    setText(infoText.time, f >= 0 ? `${((f * 1000) / fps()).toFixed(1)} ms` : "– ms");
    setText(infoText.rest, ` · ${fps().toFixed(2).replace(/\.00$/, "")} fps · `
      + `${s.playing ? "▶" : "❚❚"} ${SPEED_LABELS[speedIndex()]}`);
    root.dataset.frame = String(s.cur);
    showAhead();
    const mk = model.get("marks") || {};
    const show = (k) => (mk[k] == null ? "–" : mk[k]);
    setText(marksText, `draft: onset ${show("onset")} · apex ${show("apex")} · offset ${show("offset")}`
      + ` · ${mk.emotion || "no emotion"}${mk.aus ? " · AU " + mk.aus : ""}`
      + `${model.get("status") ? "   —  " + model.get("status") : ""}`);
  }

  // The playback buffer: how many frames after the cursor, in the direction of travel, are
  // decoded and would be drawn at once (data-ahead; playback waits when it is 0).
  function showAhead() {
    let k = 0;
    while (s.cache.has(s.cur + s.dir * (k + 1))) k += 1;
    if (root.dataset.ahead !== String(k)) root.dataset.ahead = String(k);
  }

  function showError(text) {
    err.textContent = text || "";
    err.style.display = text ? "" : "none";
  }

  // ---- the timeline's cursor ----------------------------------------------------
  const hooked = new Map();  // plot -> its listener, removed when the player goes
  function linkedPlot() {  // looked up again only when the plot was replaced or is not there yet
    if (!s.plot?.isConnected) s.plot = root.closest(".wb-linked")?.querySelector(".wb-timeline .js-plotly-plot");
    return s.plot;
  }

  // plotly's widget announces each plot it has drawn, with its click handlers ready: hook the
  // linked one at once (a click right after the timeline appears must seek).
  const onPlotDrawn = (e) => {
    const gd = e.detail?.element;
    if (gd && root.closest(".wb-linked")?.contains(gd)) { s.plot = null; placeCursor(); }
  };
  document.addEventListener("plotlywidget-after-render", onPlotDrawn);

  function placeCursor() {
    const gd = linkedPlot();
    const full = gd && gd._fullLayout;
    const xa = full && full.xaxis, ya = full && full.yaxis;
    const host = gd && gd.querySelector(".svg-container");
    if (!xa || !ya || !host || typeof xa.l2p !== "function") {
      // The plot is not drawn yet, or this player is not in the page yet (its view and the
      // plot's attach in any order): look again until it is, however long plotly takes to load.
      const maybeLinked = !root.isConnected || root.closest(".wb-linked");
      if (maybeLinked && !s.destroyed && !s.cursorTimer) {
        s.cursorTimer = setTimeout(() => { s.cursorTimer = null; placeCursor(); }, 250);
      }
      return;
    }
    if (!hooked.has(gd) && typeof gd.on === "function") {  // zoom, pan, another clip
      const listener = () => placeCursor();
      const click = (e) => {
        const points = e?.points || [];
        const p = points.find((q) => q.data?.name === "seek") || points[0];
        if (p && Number.isFinite(Number(p.x))) seek(Math.floor(Number(p.x)), performance.now(), "click");
      };
      hooked.set(gd, [listener, click]);
      gd.on("plotly_afterplot", listener);
      gd.on("plotly_relayout", listener);
      gd.on("plotly_click", click);
    }
    let line = host.querySelector(":scope > .wb-plot-cursor");
    if (!line) { line = el("div", { className: "wb-plot-cursor" }); host.append(line); }
    const px = xa.l2p(s.cur + 0.5);
    line.style.display = px >= 0 && px <= xa._length ? "" : "none";
    line.style.transform = `translateX(${(xa._offset + px).toFixed(1)}px)`;
    line.style.top = `${ya._offset}px`;
    line.style.height = `${ya._length}px`;
    line.dataset.frame = String(s.cur);
  }

  // ---- moving ----------------------------------------------------------------
  function sync() {
    const send = () => {
      s.syncTimer = null;
      s.lastSync = performance.now();
      if (model.get("frame") !== s.cur) { model.set("frame", s.cur); model.save_changes(); }
    };
    if (s.syncTimer) return;
    const wait = SYNC_MS - (performance.now() - s.lastSync);
    if (wait <= 0) send(); else s.syncTimer = setTimeout(send, wait);
  }

  function seek(target, t0, kind) {
    if (n() <= 0) return;
    const f = clamp(target);
    if (f !== s.cur) s.dir = f > s.cur ? 1 : -1;
    const jump = Math.abs(f - s.cur) > model.get("prefetch");
    if (jump) {
      // a jump: the kernel drops prefetch requests far from the new cursor; ask again later
      const far = reach();
      for (const i of [...s.pending.keys()]) if (Math.abs(i - f) > far) s.pending.delete(i);
    }
    s.cur = f;
    s.want = f;
    const cached = s.cache.has(f);
    s.measure = t0 == null ? null : { t0, frame: f, kind, cached, held: s.jpegs.has(f) };
    const shown = draw(f);
    if (!shown) {
      // Tell Python (and so the plot cursor) after the frame is painted: the plot's
      // redraw would otherwise hold up the decoding of the frame asked for.
      s.syncAfterDraw = true;
      showLoading();
      updateInfo();
      request([f], true);
    }
    // After a jump the kernel first serves the frame alone; a small prefetch follows the
    // paint (see draw) and steps grow the window.
    if (shown || !jump) prefetch(jump ? 12 : Infinity); else s.prefetchAfterDraw = true;
    drawScrub();
    placeCursor();
    if (shown) sync(); else pump();
    if (s.actions.length) flushActions();  // a mark waiting for another frame is dropped
  }

  const speedIndex = () => {
    const v = model.get("speed");
    let best = 0;
    SPEEDS.forEach((x, k) => { if (Math.abs(x - v) < Math.abs(SPEEDS[best] - v)) best = k; });
    return best;
  };

  function setSpeed(k) {
    const idx = Math.max(0, Math.min(SPEEDS.length - 1, k));
    model.set("speed", SPEEDS[idx]); model.save_changes();
    s.playFrom = s.cur; s.playStart = performance.now();
    updateInfo();
  }

  function tick(now) {
    if (!s.playing || s.destroyed) return;
    const rate = fps() * SPEEDS[speedIndex()];
    const target = clamp(s.playFrom + Math.floor(((now - s.playStart) / 1000) * rate));
    if (target !== s.cur) {
      if (s.cache.has(target)) {
        s.dir = 1; s.cur = target; s.want = target; draw(target); drawScrub(); placeCursor(); sync();
      } else {
        s.playFrom = s.cur; s.playStart = now; request([s.cur + 1], true);
      }
      prefetch();
    }
    if (s.cur >= n() - 1) { setPlaying(false); return; }
    requestAnimationFrame(tick);
  }

  function setPlaying(on) {
    s.playing = on;
    if (model.get("playing") !== on) { model.set("playing", on); model.save_changes(); }
    if (on) {
      if (s.cur >= n() - 1) seek(0);
      s.dir = 1; s.playFrom = s.cur; s.playStart = performance.now();
      prefetch();
      requestAnimationFrame(tick);
    }
    updateInfo();
  }

  // Actions go out in the order pressed; a mark goes only once its frame's picture is drawn.
  function action(name, arg = null) {
    s.actions.push({ name, arg, frame: s.cur });
    s.note = "";
    flushActions();
  }

  function flushActions() {
    while (s.actions.length) {
      const a = s.actions[0];
      if (a.name === "mark" && s.drawn !== a.frame) {
        if (a.frame === s.cur) break;  // its picture is on the way: wait for it
        s.note = `  ${a.arg} not marked: you moved on before frame ${a.frame} was shown`;
        s.actions.shift();
        continue;
      }
      s.actions.shift();
      model.send({ type: "action", action: a.name, arg: a.arg, frame: a.frame });
    }
    const waiting = s.actions.find((a) => a.name === "mark");
    root.dataset.waiting = waiting ? waiting.arg : "";
    showLoading();
    setText(noteText, s.note);
  }

  function showLoading() {
    const on = s.drawn !== s.cur && n() > 0;
    if (root.classList.contains("wb-is-loading") !== on) root.classList.toggle("wb-is-loading", on);
    const value = on ? String(s.cur) : "";
    if (root.dataset.loading !== value) root.dataset.loading = value;
    const waiting = s.actions.find((a) => a.name === "mark");
    setText(loadingText, on ? `loading frame ${s.cur}…${waiting ? ` (${waiting.arg} waits for it)` : ""}` : "");
  }

  // ---- keys ----------------------------------------------------------------------
  function onKey(e) {
    if (e.target === gotoBox || e.target.type === "checkbox") return;
    const t0 = e.timeStamp || performance.now();
    const k = e.key;
    const ctrl = e.ctrlKey || e.metaKey;
    let done = true;
    if (k === "ArrowRight") seek(s.cur + (e.shiftKey ? 10 : 1), t0, e.shiftKey ? "step10" : "step");
    else if (k === "ArrowLeft") seek(s.cur - (e.shiftKey ? 10 : 1), t0, e.shiftKey ? "step10" : "step");
    else if (k === "Home") seek(0, t0, "jump");
    else if (k === "End") seek(n() - 1, t0, "jump");
    else if (k === " ") setPlaying(!s.playing);
    else if (k === "[") setSpeed(speedIndex() - 1);
    else if (k === "]") setSpeed(speedIndex() + 1);
    else if (ctrl && (k === "z" || k === "Z")) action(e.shiftKey ? "redo" : "undo");
    else if (ctrl && (k === "y" || k === "Y")) action("redo");
    else if (ctrl) done = false;
    else if (k === "o") action("mark", "onset");
    else if (k === "a") action("mark", "apex");
    else if (k === "f") action("mark", "offset");
    else if (emotionOf[k]) action("emotion", emotionOf[k]);
    else if (k === "Enter") action("save");
    else if (k === "n") action("next");
    else if (k === "p") action("prev");
    else done = false;
    if (done) { e.preventDefault(); e.stopPropagation(); }
  }

  root.addEventListener("keydown", onKey);
  root.addEventListener("focus", () => { hint.style.display = "none"; });
  root.addEventListener("blur", () => { hint.style.display = ""; });
  stage.addEventListener("mousedown", () => root.focus());
  gotoBox.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if (e.key !== "Enter") return;
    e.preventDefault();
    const v = parseInt(gotoBox.value, 10);
    if (Number.isFinite(v)) seek(v, e.timeStamp || performance.now(), "jump");
    gotoBox.value = "";
    root.focus();
  });
  scrub.addEventListener("mousedown", (e) => {
    const r = scrub.getBoundingClientRect();
    seek(Math.floor(((e.clientX - r.left) / r.width) * n()), e.timeStamp, "click");
    root.focus();
  });

  // ---- model -> view -------------------------------------------------------------
  function dropHeld() {
    for (const b of s.cache.values()) b.close?.();
    s.cache.clear(); s.pending.clear(); s.blobs.clear(); s.jpegs.clear();
    s.jpegBytes = 0; s.filling = 0; s.inFill.clear(); s.heldDirty = true; s.unfillable.clear();
    delete root.dataset.held;
  }
  function reset() {  // another clip
    dropHeld();
    s.token = model.get("token"); s.view = model.get("view_id");
    s.cur = clamp(model.get("frame")); s.drawn = -1; s.actions = []; s.note = "";
    root.dataset.token = String(s.token);
    setPlaying(false);
    seek(s.cur);
    scheduleFill(FILL_WAIT_MS);
  }
  function newView() {  // zoomed, or another canvas size: the same frames, cut or sized anew
    dropHeld();
    s.view = model.get("view_id");
    s.want = s.cur;
    request([s.cur], true);
    prefetch(12);
    drawScrub();
    scheduleFill(FILL_WAIT_MS);
  }
  // A new clip and a new view arrive together in one update: act once, after both.
  function onGeometry() {
    if (s.geometryQueued) return;
    s.geometryQueued = true;
    queueMicrotask(() => {
      s.geometryQueued = false;
      if (s.destroyed) return;
      if (model.get("token") !== s.token) reset();
      else if (model.get("view_id") !== s.view) newView();
    });
  }
  function onFrame() {
    const f = model.get("frame");
    if (f !== s.cur) seek(f, performance.now(), "model");
  }
  function redraw() {
    for (const [name, box] of Object.entries(toggles)) box.checked = !!model.get(name);
    if (model.get("diff")) request([refFrame()], true);
    if (s.drawn >= 0 && model.get("view_id") === s.view) draw(s.cur);  // else new pictures are on their way
    updateInfo(); drawScrub();
  }
  function onPlaying() { if (model.get("playing") !== s.playing) setPlaying(model.get("playing")); }
  const resize = new ResizeObserver((entries) => {
    const w = Math.round(entries[0].contentRect.width);
    if (w > 0 && w !== s.scrubW) { s.scrubW = w; drawScrub(); }
  });
  resize.observe(scrub);
  const handlers = [
    ["msg:custom", onFrames], ["change:token change:view_id", onGeometry], ["change:frame", onFrame],
    ["change:playing", onPlaying], ["change:speed", updateInfo],
    ["change:zoom change:overlay change:diff change:diff_gain change:reference change:face_box change:landmarks", redraw],
    ["change:marks change:status", () => { updateInfo(); drawScrub(); }],
    ["change:error", () => showError(model.get("error"))],
  ];
  for (const [ev, fn] of handlers) model.on(ev, fn);
  showError(model.get("error"));
  tellView();
  redraw();
  reset();

  return () => {
    s.destroyed = true;
    clearTimeout(s.fillTimer);
    clearTimeout(s.fillWatch);
    clearTimeout(s.syncTimer);
    clearTimeout(s.cursorTimer);
    document.removeEventListener("plotlywidget-after-render", onPlotDrawn);
    resize.disconnect();
    for (const [gd, [listener, click]] of hooked) {
      gd.removeListener?.("plotly_afterplot", listener);
      gd.removeListener?.("plotly_relayout", listener);
      gd.removeListener?.("plotly_click", click);
      gd.querySelector(".wb-plot-cursor")?.remove();
    }
    hooked.clear();
    s.jpegs.clear(); s.blobs.clear();
    for (const [ev, fn] of handlers) model.off(ev, fn);
    for (const b of s.cache.values()) b.close?.();
    s.cache.clear();
  };
}

export default { render };

// glassnet playground: the page. Every number shown comes from the server (glassnet);
// this script only draws and sends the user's actions. Plain JS, no libraries.
"use strict";

const $ = (id) => document.getElementById(id);
const SVGNS = "http://www.w3.org/2000/svg";
const POS = [8, 119, 189];    // class +1 / high values: blue
const NEG = [245, 147, 34];   // class -1 / low values: orange
const CLASS_COLORS = [[245, 147, 34], [8, 119, 189], [96, 170, 80]];
const PART_COLORS = ["#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                     "#bcbd22", "#7f7f7f"];

const pg = {            // everything the page knows; window.playground for tests
  ws: null, hello: null, config: null, data: null, state: null, layers: [],
  playing: false, selected: null, history: [], updates: 0, updateTimes: [],
  explained: 0, lastExplain: null, lastExport: null, errors: [],
};
window.playground = pg;

// ---- colours -------------------------------------------------------------------------
function mix(a, b, t) { return a.map((v, i) => Math.round(v + (b[i] - v) * t)); }
function diverging(v) {  // v in [-1, 1]: orange - white - blue
  return v >= 0 ? mix([255, 255, 255], POS, Math.min(v, 1)) : mix([255, 255, 255], NEG, Math.min(-v, 1));
}
function rgb(c) { return `rgb(${c[0]},${c[1]},${c[2]})`; }
function decode(b64) {
  const s = atob(b64); const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
function fmt(v, d = 4) {
  if (v === null || v === undefined) return "–";
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(2);
  return Number(v.toPrecision(d)).toString();
}

// ---- connection -----------------------------------------------------------------------
function send(msg) {
  if (pg.ws && pg.ws.readyState === WebSocket.OPEN) pg.ws.send(JSON.stringify(msg));
}
function setConfig(changes) { send({ type: "set", config: changes }); }

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/ws${location.search}`);
  pg.ws = ws;
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch (e) { showError("bad message from the server"); return; }
    const handler = HANDLERS[msg.type];
    if (handler) handler(msg);
  };
  ws.onclose = () => { $("disconnected").classList.remove("hidden"); setPlaying(false); };
}

const HANDLERS = {
  hello(msg) {
    pg.hello = msg;
    buildStaticControls(msg);
    onConfig(msg);
  },
  config: onConfig,
  data(msg) { pg.data = msg; pg.history = []; updateLegend(); drawMain(); },
  state: onState,
  playing(msg) { setPlaying(msg.playing); },
  explain: onExplain,
  export: onExport,
  error(msg) { pg.errors.push(msg.message); showError(msg.message); },
};

// ---- configuration --------------------------------------------------------------------
function onConfig(msg) {
  pg.config = msg.config;
  pg.layers = msg.layers;
  const c = msg.config;
  history.replaceState(null, "", "?" + msg.query);
  $("share").href = "?" + msg.query;
  setSelect("lr", c.lr);
  $("activation").value = c.activation;
  $("optimizer").value = c.optimizer;
  $("batch").value = c.batch;
  setSelect("l1", c.l1); setSelect("l2", c.l2); setSelect("dropout", c.dropout);
  $("noise").value = c.noise; $("noise-val").textContent = c.noise;
  $("ratio").value = c.ratio; $("ratio-val").textContent = c.ratio;
  $("n").value = c.n; $("n-val").textContent = c.n;
  for (const b of document.querySelectorAll("#datasets button"))
    b.classList.toggle("selected", b.dataset.name === c.dataset);
  $("iris-fields").classList.toggle("hidden", c.dataset !== "iris");
  $("iris_x").value = c.iris_x; $("iris_y").value = c.iris_y;
  $("layer-count").textContent = c.layers.length;
  const fixed = c.dataset === "dosage" || c.dataset === "iris";
  $("n").disabled = fixed;
  $("ratio").disabled = c.dataset === "dosage";
  updateNewLabel();
  buildNetwork();
}

function setSelect(id, value) {
  const sel = $(id);
  let found = false;
  for (const o of sel.options) if (Number(o.value) === Number(value)) { sel.value = o.value; found = true; }
  if (!found) { const o = document.createElement("option"); o.textContent = String(value); sel.appendChild(o); sel.value = o.value; }
}

function buildStaticControls(h) {
  const box = $("datasets");
  box.innerHTML = "";
  const titles = { circle: "circle", xor: "XOR", gauss: "two Gaussians", spiral: "spiral",
    plane: "plane", bumps: "Gaussian bumps", dosage: "dosage (the squiggle)", iris: "Iris" };
  for (const name of h.datasets) {
    const b = document.createElement("button");
    b.textContent = titles[name] || name;
    b.dataset.name = name;
    b.id = "dataset-" + name;
    b.title = h.tasks[name];
    b.onclick = () => setConfig({ dataset: name });
    box.appendChild(b);
  }
  for (const id of ["iris_x", "iris_y"]) {
    const sel = $(id); sel.innerHTML = "";
    h.iris_names.forEach((name, i) => {
      const o = document.createElement("option"); o.value = i; o.textContent = name; sel.appendChild(o);
    });
  }
}

function updateNewLabel() {
  const sel = $("new-label");
  const task = pg.hello.tasks[pg.config.dataset];
  sel.innerHTML = "";
  const opts = task === "binary" ? [["1", "blue points (+1)"], ["-1", "orange points (−1)"]]
    : task === "multiclass" ? [["0", "setosa"], ["1", "versicolor"], ["2", "virginica"]]
    : pg.config.dataset === "dosage" ? [["0", "a (dosage, effectiveness) point"]]
    : [["value", "points with the value →"]];
  for (const [v, t] of opts) {
    const o = document.createElement("option"); o.value = v; o.textContent = t; sel.appendChild(o);
  }
  $("new-value").classList.toggle("hidden", !(task === "regression" && pg.config.dataset !== "dosage"));
}

// ---- network drawing --------------------------------------------------------------------
const NODE = 36, GAP = 10, COL = 104, TOP = 28, LEFT = 56;

function buildNetwork() {
  const net = $("network");
  for (const el of net.querySelectorAll(".node, .bias, .col-buttons, .col-label")) el.remove();
  const svg = $("edges");
  svg.innerHTML = "";
  const c = pg.config, h = pg.hello;
  const cols = [];
  // inputs: every feature; the ones in use are active
  const usable = h.features.filter((f) => !(c.dataset === "dosage" && f.includes("2")));
  cols.push(usable.map((f) => ({ kind: "input", feature: f, active: c.features.includes(f) })));
  c.layers.forEach((units, l) => {
    const col = [];
    for (let j = 0; j < units; j++) col.push({ kind: "hidden", layer: l, unit: j });
    cols.push(col);
  });
  const nOut = pg.layers.length ? pg.layers[pg.layers.length - 1].out : 1;
  const outCol = [];
  for (let j = 0; j < nOut; j++) outCol.push({ kind: "output", unit: j });
  cols.push(outCol);
  const maxRows = Math.max(...cols.map((col) => col.length));
  const height = TOP + maxRows * (NODE + GAP) + 10;
  const width = LEFT + (cols.length - 1) * COL + NODE + 20;
  net.style.width = width + "px"; net.style.height = height + "px";
  svg.setAttribute("width", width); svg.setAttribute("height", height);
  pg.nodes = [];
  cols.forEach((col, ci) => {
    col.forEach((node, r) => {
      node.x = LEFT + ci * COL; node.y = TOP + r * (NODE + GAP);
      const div = document.createElement("div");
      div.className = "node " + (node.kind === "hidden" ? "neuron" : node.kind) + (node.kind === "input" && !node.active ? " off" : "");
      div.style.left = node.x + "px"; div.style.top = node.y + "px";
      if (node.kind === "output") {
        div.textContent = nOut > 1 ? ["set.", "vers.", "virg."][r] : "out";
      } else {
        const cv = document.createElement("canvas");
        cv.width = 25; cv.height = 25;
        div.appendChild(cv);
        node.canvas = cv;
      }
      if (node.kind === "input") {
        div.title = h.feature_labels[node.feature] + (node.active ? " (in use: click to drop)" : " (click to use)");
        div.id = "feature-" + node.feature;
        const lab = document.createElement("span");
        lab.className = "label"; lab.textContent = h.feature_labels[node.feature];
        div.appendChild(lab);
        div.onclick = () => toggleFeature(node.feature);
      } else if (node.kind === "hidden") {
        div.id = `neuron-${node.layer}-${node.unit}`;
      }
      net.appendChild(div);
    });
  });
  // edges between consecutive columns of active nodes, one per weight
  const activeCols = [cols[0].filter((n) => n.active), ...cols.slice(1)];
  pg.edgeEls = [];
  for (let l = 0; l < activeCols.length - 1; l++) {
    const info = pg.layers[l];
    activeCols[l + 1].forEach((to, j) => {
      activeCols[l].forEach((from, i) => {
        const d = `M${from.x + NODE},${from.y + NODE / 2} C${from.x + NODE + COL / 3},${from.y + NODE / 2} ` +
          `${to.x - COL / 3},${to.y + NODE / 2} ${to.x},${to.y + NODE / 2}`;
        const vis = document.createElementNS(SVGNS, "path");
        vis.setAttribute("d", d); vis.setAttribute("class", "edge");
        const hit = document.createElementNS(SVGNS, "path");
        hit.setAttribute("d", d); hit.setAttribute("class", "edge-hit");
        hit.dataset.param = info.weight; hit.dataset.index = `${j},${i}`;
        hit.id = `edge-${l}-${j}-${i}`;
        hit.onclick = () => select(info.weight, [j, i]);
        const title = document.createElementNS(SVGNS, "title");
        title.textContent = `${info.weight}[${j}, ${i}]`;
        hit.appendChild(title);
        svg.appendChild(vis); svg.appendChild(hit);
        pg.edgeEls.push({ vis, hit, layer: l, j, i });
      });
    });
    // the biases of the receiving column
    activeCols[l + 1].forEach((to, j) => {
      const b = document.createElement("div");
      b.className = "bias";
      b.style.left = (to.x - 6) + "px"; b.style.top = (to.y + NODE - 6) + "px";
      b.dataset.param = info.bias; b.dataset.index = `${j}`;
      b.id = `bias-${l}-${j}`;
      b.title = `${info.bias}[${j}]`;
      b.onclick = (e) => { e.stopPropagation(); select(info.bias, [j]); };
      net.appendChild(b);
      to.biasEl = b;
    });
  }
  // per-layer +/- buttons and labels
  c.layers.forEach((units, l) => {
    const x = LEFT + (l + 1) * COL;
    const box = document.createElement("div");
    box.className = "col-buttons"; box.style.left = (x - 4) + "px"; box.style.top = "0px";
    const plus = document.createElement("button"); plus.textContent = "+"; plus.id = `add-unit-${l}`;
    plus.onclick = () => { const ls = c.layers.slice(); ls[l] += 1; setConfig({ layers: ls }); };
    const minus = document.createElement("button"); minus.textContent = "−"; minus.id = `remove-unit-${l}`;
    minus.onclick = () => { const ls = c.layers.slice(); ls[l] -= 1; setConfig({ layers: ls }); };
    const lab = document.createElement("span"); lab.textContent = `${units}`;
    box.append(plus, minus, lab);
    net.appendChild(box);
  });
  pg.cols = cols;
  markSelected();
  if (pg.state) drawState(pg.state);
}

function toggleFeature(f) {
  const feats = pg.config.features.includes(f) ? pg.config.features.filter((x) => x !== f)
    : pg.config.features.concat([f]);
  setConfig({ features: feats });
}

function select(param, index) {
  pg.selected = { param, index };
  markSelected();
  send({ type: "explain", param, index });
}

function markSelected() {
  const s = pg.selected;
  for (const el of document.querySelectorAll(".selected-param")) el.classList.remove("selected-param");
  if (!s) return;
  const key = s.index.join(",");
  for (const el of document.querySelectorAll(`[data-param="${s.param}"][data-index="${key}"]`))
    el.classList.add("selected-param");
}

// ---- state ------------------------------------------------------------------------------
function onState(msg) {
  pg.state = msg;
  pg.updates += 1;
  const now = performance.now();
  pg.updateTimes.push(now);
  while (pg.updateTimes.length && now - pg.updateTimes[0] > 1000) pg.updateTimes.shift();
  if (msg.steps === 0 || (pg.history.length && msg.point[0] < pg.history[pg.history.length - 1][0]))
    pg.history = [];
  if (!pg.history.length || pg.history[pg.history.length - 1][0] !== msg.point[0]) pg.history.push(msg.point);
  if (pg.history.length > 2000) pg.history = pg.history.filter((_, i) => i % 2 === 0);
  setPlaying(msg.playing);
  $("epoch").textContent = msg.epoch;
  $("steps").textContent = msg.steps;
  $("train-loss").textContent = fmt(msg.train_loss);
  $("test-loss").textContent = msg.test_loss === null ? "–" : fmt(msg.test_loss);
  $("rate").textContent = Math.round(msg.steps_per_s);
  $("fps").textContent = pg.updateTimes.length;
  drawState(msg);
}

function drawState(msg) {
  if (!pg.cols) return;
  // thumbnails: inputs in use, hidden units
  const t = msg.thumb;
  let k = 0;
  for (const node of pg.cols[0]) {
    if (node.active && msg.inputs[k] !== undefined) drawThumb(node.canvas, msg.inputs[k++], t);
    else if (node.canvas) node.canvas.getContext("2d").clearRect(0, 0, t, t);
  }
  for (let l = 1; l < pg.cols.length - 1; l++) {
    const layer = msg.neurons[l - 1];
    if (!layer) continue;
    pg.cols[l].forEach((node, j) => { if (layer[j]) drawThumb(node.canvas, layer[j], t); });
  }
  // edges by weight, biases by value
  let maxW = 1e-9;
  for (const L of msg.layers) for (const row of L.W) for (const w of row) maxW = Math.max(maxW, Math.abs(w || 0));
  for (const e of pg.edgeEls) {
    const L = msg.layers[e.layer];
    if (!L || !L.W[e.j]) continue;
    const w = L.W[e.j][e.i] || 0;
    e.vis.setAttribute("stroke", rgb(w >= 0 ? POS : NEG));
    e.vis.setAttribute("stroke-width", (0.5 + 5.5 * Math.min(Math.abs(w) / Math.max(maxW, 1), 1)).toFixed(2));
    e.vis.setAttribute("stroke-opacity", (0.35 + 0.65 * Math.min(Math.abs(w) / Math.max(maxW, 1), 1)).toFixed(2));
    const g = L.gW ? L.gW[e.j][e.i] : null;
    e.hit.firstChild.textContent = `${L.weight}[${e.j}, ${e.i}] = ${fmt(w)}` + (g === null ? "" : `, gradient ${fmt(g)}`);
  }
  for (let l = 1; l < pg.cols.length; l++) {
    const L = msg.layers[l - 1];
    if (!L) continue;
    pg.cols[l].forEach((node, j) => {
      if (node.biasEl && L.b[j] !== undefined) {
        node.biasEl.style.background = rgb(diverging(Math.tanh(L.b[j] || 0)));
        node.biasEl.title = `${L.bias}[${j}] = ${fmt(L.b[j])}` + (L.gb ? `, gradient ${fmt(L.gb[j])}` : "");
      }
    });
  }
  drawMain();
  drawLoss();
}

function drawThumb(canvas, b64, t) {
  if (!canvas) return;
  const v = decode(b64);
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(t, t);
  for (let i = 0; i < t * t; i++) {
    const c = diverging(v[i] / 127.5 - 1);
    img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// ---- the main plot ----------------------------------------------------------------------
function toPixel(x1, x2, W, H) {
  const [[a, b], [c, d]] = pg.data.domain;
  return [(x1 - a) / (b - a) * W, (d - x2) / (d - c) * H];
}
function fromPixel(px, py, W, H) {
  const [[a, b], [c, d]] = pg.data.domain;
  return [a + px / W * (b - a), d - py / H * (d - c)];
}

const heatCanvas = document.createElement("canvas");

function drawMain() {
  const cv = $("heatmap"), ctx = cv.getContext("2d"), W = cv.width, H = cv.height;
  const s = pg.state, d = pg.data;
  if (!d) return;
  ctx.clearRect(0, 0, W, H);
  if (d.dataset === "dosage") { drawSquiggle(ctx, W, H); return; }
  const cells = s ? (d.task === "multiclass" ? 3 : 1) * s.grid * s.grid : 0;
  const v = s ? decode(s.heat) : null;
  if (s && v.length === cells) {  // (a state from before a change of data set waits)
    const G = s.grid;
    heatCanvas.width = G; heatCanvas.height = G;
    const hctx = heatCanvas.getContext("2d"), img = hctx.createImageData(G, G);
    for (let i = 0; i < G * G; i++) {
      let c;
      if (d.task === "multiclass") {
        const p = [v[3 * i] / 255, v[3 * i + 1] / 255, v[3 * i + 2] / 255];
        const k = p.indexOf(Math.max(...p));
        c = mix([255, 255, 255], CLASS_COLORS[k], Math.max(0, (p[k] - 1 / 3) * 1.5) * 0.8);
      } else {
        const x = v[i] / 127.5 - 1;
        c = diverging(x * 0.8);
      }
      img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
    }
    hctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(heatCanvas, 0, 0, W, H);
  }
  // axes through 0
  ctx.strokeStyle = "rgba(0,0,0,0.15)"; ctx.lineWidth = 1;
  const [ox, oy] = toPixel(0, 0, W, H);
  ctx.beginPath(); ctx.moveTo(ox, 0); ctx.lineTo(ox, H); ctx.moveTo(0, oy); ctx.lineTo(W, oy); ctx.stroke();
  const showTest = $("show-test").checked;
  drawPoints(ctx, d.train, W, H, false);
  if (showTest) drawPoints(ctx, d.test, W, H, true);
}

function pointColor(y) {
  const t = pg.data.task;
  if (t === "binary") return rgb(y > 0 ? POS : NEG);
  if (t === "multiclass") return rgb(CLASS_COLORS[Math.round(y)] || [0, 0, 0]);
  return rgb(diverging(Math.max(-1, Math.min(1, y))));
}

function drawPoints(ctx, set, W, H, test) {
  const [X, y] = set;
  for (let i = 0; i < X.length; i++) {
    const [px, py] = toPixel(X[i][0], X[i][1], W, H);
    ctx.beginPath(); ctx.arc(px, py, 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = pointColor(y[i]); ctx.fill();
    ctx.lineWidth = test ? 1.6 : 0.8;
    ctx.strokeStyle = test ? "#000" : "#fff"; ctx.stroke();
  }
}

function drawSquiggle(ctx, W, H) {
  const s = pg.state, d = pg.data;
  ctx.fillStyle = "#fafafa"; ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = "#ccc"; ctx.lineWidth = 1;
  const [x0, y0] = toPixel(0, 0, W, H), [x1, y1] = toPixel(1, 1, W, H);
  ctx.beginPath(); ctx.moveTo(0, y0); ctx.lineTo(W, y0); ctx.moveTo(x0, 0); ctx.lineTo(x0, H);
  ctx.setLineDash([3, 3]); ctx.moveTo(0, y1); ctx.lineTo(W, y1); ctx.moveTo(x1, 0); ctx.lineTo(x1, H); ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = "#555"; ctx.font = "11px sans-serif";
  ctx.fillText("dosage →", W - 60, y0 - 4); ctx.fillText("effectiveness", x0 + 4, 12);
  if (s && s.curves) {
    const cx = s.curves.x;
    const line = (ys, color, width, dash) => {
      ctx.beginPath(); ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash(dash || []);
      cx.forEach((x, i) => { const [px, py] = toPixel(x, ys[i], W, H); if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py); });
      ctx.stroke(); ctx.setLineDash([]);
    };
    s.curves.parts.forEach((p, k) => line(p, PART_COLORS[k % PART_COLORS.length], 1.5, [5, 3]));
    line(s.curves.sum, "#111", 2.5);
    ctx.fillStyle = "#111";
    ctx.fillText(`squiggle = Σ nodes × weight + ${fmt(s.curves.bias, 3)}`, 8, H - 8);
  }
  const [X, y] = d.train;
  for (let i = 0; i < X.length; i++) {
    const [px, py] = toPixel(X[i][0], y[i], W, H);
    ctx.beginPath(); ctx.arc(px, py, 5, 0, 2 * Math.PI);
    ctx.fillStyle = "#0877bd"; ctx.fill(); ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.5; ctx.stroke();
  }
}

function drawLoss() {
  const cv = $("loss-curve"), ctx = cv.getContext("2d"), W = cv.width, H = cv.height;
  ctx.clearRect(0, 0, W, H);
  const hs = pg.history;
  if (hs.length < 2) return;
  const xMax = Math.max(hs[hs.length - 1][0], 1);
  let yMax = 0;
  for (const p of hs) for (const v of [p[2], p[3]]) if (v !== null && isFinite(v)) yMax = Math.max(yMax, v);
  yMax = yMax || 1;
  const line = (k, color) => {
    ctx.beginPath(); ctx.strokeStyle = color; ctx.lineWidth = 1.5;
    let started = false;
    for (const p of hs) {
      if (p[k] === null) continue;
      const px = p[0] / xMax * (W - 2) + 1, py = H - 2 - Math.min(p[k] / yMax, 1) * (H - 4);
      if (started) ctx.lineTo(px, py); else { ctx.moveTo(px, py); started = true; }
    }
    ctx.stroke();
  };
  line(2, "#999");
  line(3, "#111");
}

function updateLegend() {
  const d = pg.data, el = $("legend");
  if (!d) return;
  if (d.task === "binary") el.innerHTML = '<span class="sw pos"></span> class +1 <span class="sw neg"></span> class −1 · ring: test point';
  else if (d.task === "multiclass") el.innerHTML = '<span class="sw c0"></span> setosa <span class="sw c1"></span> versicolor <span class="sw c2"></span> virginica';
  else if (d.dataset === "dosage") el.textContent = "dashed: each hidden node × its outgoing weight; black: their sum plus the bias (the squiggle)";
  else el.innerHTML = '<span class="sw neg"></span> −1 … <span class="sw pos"></span> +1';
}

// ---- glass box and export --------------------------------------------------------------
function onExplain(msg) {
  pg.lastExplain = msg;
  pg.explained += 1;
  pg.selected = { param: msg.param, index: msg.index };
  markSelected();
  $("explain-target").textContent = `${msg.param}[${msg.index.join(", ")}]`;
  $("explain-numbers").textContent =
    `value ${fmt(msg.value, 6)} · gradient ${fmt(msg.grad, 6)} (autograd ${fmt(msg.autograd, 6)}) · ` +
    `summed over a batch of ${msg.batch} points after ${msg.steps} steps` +
    (msg.notes.length ? " · " + msg.notes.join("; ") : "");
  $("explain").textContent = msg.text;
}

function onExport(msg) {
  pg.lastExport = msg;
  const s = $("script");
  s.textContent = msg.script; s.classList.remove("hidden");
  const a = $("download-script"), w = $("download-weights");
  a.href = msg.script_url; a.setAttribute("download", msg.script_name); a.classList.remove("hidden");
  w.href = msg.weights_url; w.setAttribute("download", msg.weights_name); w.classList.remove("hidden");
}

// ---- controls ---------------------------------------------------------------------------
function setPlaying(on) {
  pg.playing = on;
  const b = $("play");
  b.innerHTML = on ? "&#x275A;&#x275A;" : "&#x25B6;";
  b.classList.toggle("playing", on);
}

let errorTimer = null;
function showError(text) {
  const el = $("error");
  el.textContent = text; el.classList.remove("hidden");
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => el.classList.add("hidden"), 8000);
}

function wire() {
  $("play").onclick = () => { send({ type: pg.playing ? "pause" : "play" }); setPlaying(!pg.playing); };
  $("step").onclick = () => send({ type: "step" });
  $("reset").onclick = () => { pg.history = []; send({ type: "reset" }); };
  $("regenerate").onclick = () => send({ type: "regenerate" });
  $("export").onclick = () => send({ type: "export" });
  $("add-layer").onclick = () => {
    const ls = pg.config.layers.slice(); ls.push(ls.length ? ls[ls.length - 1] : 4); setConfig({ layers: ls });
  };
  $("remove-layer").onclick = () => setConfig({ layers: pg.config.layers.slice(0, -1) });
  for (const id of ["lr", "l1", "l2", "dropout"]) $(id).onchange = () => setConfig({ [id]: Number($(id).value) });
  for (const id of ["activation", "optimizer"]) $(id).onchange = () => setConfig({ [id]: $(id).value });
  $("batch").onchange = () => setConfig({ batch: Number($("batch").value) });
  for (const id of ["noise", "ratio", "n"]) {
    $(id).oninput = () => { $(id + "-val").textContent = $(id).value; };
    $(id).onchange = () => setConfig({ [id]: Number($(id).value) });
  }
  for (const id of ["iris_x", "iris_y"]) $(id).onchange = () => setConfig({ [id]: Number($(id).value) });
  $("show-test").onchange = drawMain;
  $("heatmap").onclick = (ev) => {
    if (!pg.data) return;
    const cv = $("heatmap"), r = cv.getBoundingClientRect();
    const [x1, x2] = fromPixel((ev.clientX - r.left) * cv.width / r.width, (ev.clientY - r.top) * cv.height / r.height, cv.width, cv.height);
    const task = pg.data.task;
    let label;
    if (pg.data.dataset === "dosage") label = 0;
    else if (task === "regression") label = Number($("new-value").value) * (ev.shiftKey ? -1 : 1);
    else if (task === "binary") label = Number($("new-label").value) * (ev.shiftKey ? -1 : 1);
    else label = Number($("new-label").value);
    send({ type: "add_point", x1, x2, label });
  };
}

wire();
connect();

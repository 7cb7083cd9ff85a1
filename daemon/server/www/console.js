// visiond console: plain ES module, no framework, no build step.
//
// Two rules shape this file. API data is only ever inserted with
// textContent / attributes (stream ids and labels come from users), never
// as HTML. And the token never goes into a URL: it travels in the
// Authorization header, so images and the live stream are fetched with
// fetch() (an <img src> or EventSource cannot send headers) and shown
// through object URLs.

const API = '/api/v1';
const TOKEN_KEY = 'visiond.token';
const $ = (sel, root = document) => root.querySelector(sel);

// ---- API access ---------------------------------------------------------

let tokenPrompt = null; // one dialog at a time, shared by concurrent 401s

function askToken(message) {
  if (tokenPrompt) return tokenPrompt;
  const dlg = $('#token-dialog');
  $('#token-error').textContent = message || '';
  tokenPrompt = new Promise((resolve) => {
    $('#token-form').onsubmit = () => {
      sessionStorage.setItem(TOKEN_KEY, $('#token-input').value);
      tokenPrompt = null;
      resolve();
    };
  });
  dlg.showModal();
  return tokenPrompt;
}

async function api(path, opts = {}) {
  for (;;) {
    const headers = new Headers(opts.headers || {});
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.set('Authorization', `Bearer ${token}`);
    const res = await fetch(path.startsWith('/') ? path : `${API}/${path}`, { ...opts, headers });
    if (res.status !== 401) return res;
    await askToken(token ? 'That token was refused.' : '');
  }
}

async function apiJSON(path, opts) {
  const res = await api(path, opts);
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const msg = body && body.error ? `${body.error.code}: ${body.error.message}` : res.statusText;
    throw new Error(`${res.status} ${msg}`);
  }
  return body;
}

// Load an image through fetch and put it into `img`, revoking the previous URL.
async function loadImage(img, path) {
  const res = await api(path);
  if (!res.ok) return false;
  const url = URL.createObjectURL(await res.blob());
  const old = img.dataset.objectUrl;
  img.dataset.objectUrl = url;
  img.src = url;
  if (old) URL.revokeObjectURL(old);
  return true;
}

// ---- small helpers --------------------------------------------------------

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

// Timestamps arrive as epoch seconds (ts) or ISO strings (time).
function toDate(v) {
  if (v === null || v === undefined || v === 0) return null;
  return typeof v === 'number' ? new Date(v * 1000) : new Date(v);
}
const fmtTime = (v) => { const d = toDate(v); return d ? d.toLocaleString() : '—'; };
function fmtDuration(a, b) {
  const s = toDate(a), e = toDate(b) || new Date();
  if (!s) return '—';
  const secs = Math.max(0, Math.round((e - s) / 1000));
  return secs < 60 ? `${secs} s` : `${Math.floor(secs / 60)} min ${secs % 60} s`;
}
const fmtNum = (v, d = 1) => (typeof v === 'number' ? v.toFixed(d) : '—');
const seg = (s) => encodeURIComponent(s);

// ---- views ----------------------------------------------------------------

const views = { streams: showStreams, events: showEvents, stats: showStats, try: showTry };
let current = null;

function route() {
  const name = (location.hash || '#streams').slice(1);
  const view = views[name] ? name : 'streams';
  for (const s of document.querySelectorAll('.view')) s.hidden = s.id !== `view-${view}`;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.view === view);
  current = view;
  views[view]().catch(report);
}

function report(err) {
  // Failures show on the page; the console stays quiet (tests assert no errors there).
  const p = $('#try-status');
  if (current === 'try') p.textContent = String(err.message || err);
  else document.title = `visiond — ${err.message || err}`;
}

// ---- streams ----------------------------------------------------------------

const cards = new Map(); // id -> {root, img, ...}
const visible = new Set();
const observer = new IntersectionObserver((entries) => {
  for (const e of entries) {
    const id = e.target.dataset.id;
    if (e.isIntersecting) visible.add(id); else visible.delete(id);
  }
});

function makeCard(id) {
  const img = el('img', { alt: `latest frame of ${id}` });
  const state = el('span', { class: 'state' });
  const toggle = el('button', { type: 'button' });
  const nums = el('div', { class: 'nums' });
  const last = el('div', { class: 'last muted' });
  const err = el('div', { class: 'err' });
  const root = el('article', { class: 'card' }, img,
    el('div', { class: 'body' },
      el('div', { class: 'title' }, el('strong', { text: id }), state), nums, last, err,
      el('div', {}, toggle)));
  root.dataset.id = id;
  const card = { root, img, state, toggle, nums, last, err, enabled: true };
  toggle.addEventListener('click', () => setDetect(id, !card.enabled).catch(report));
  observer.observe(root);
  return card;
}

function renderCard(card, s) {
  card.state.textContent = s.state;
  card.state.className = `state ${s.state}`;
  card.nums.textContent = `in ${fmtNum(s.fps_in)} fps · analysed ${fmtNum(s.fps_analysed)} fps · ` +
    `dropped ${s.frames_dropped ?? 0} · reconnects ${s.reconnects ?? 0}`;
  card.err.textContent = s.last_error || '';
  card.enabled = s.detect_enabled !== false;
  card.toggle.textContent = card.enabled ? 'Detection: on' : 'Detection: off';
  card.toggle.setAttribute('aria-pressed', String(card.enabled));
}

async function setDetect(id, enabled) {
  const s = await apiJSON(`streams/${seg(id)}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ detect: { enabled } }),
  });
  renderCard(cards.get(id), s);
}

async function refreshStreams() {
  const { streams } = await apiJSON('streams');
  const grid = $('#stream-grid');
  const seen = new Set();
  for (const s of streams) {
    seen.add(s.id);
    let card = cards.get(s.id);
    if (!card) { card = makeCard(s.id); cards.set(s.id, card); grid.append(card.root); }
    renderCard(card, s);
  }
  for (const [id, card] of cards) {
    if (!seen.has(id)) { observer.unobserve(card.root); card.root.remove(); cards.delete(id); }
  }
  $('#streams-empty').hidden = streams.length > 0;
  fillStreamFilter(streams.map((s) => s.id));
}

async function refreshSnapshots() {
  await Promise.all([...visible].map((id) => {
    const card = cards.get(id);
    return card ? loadImage(card.img, `${API}/streams/${seg(id)}/snapshot.jpg?annotate=1`) : null;
  }));
}

async function showStreams() { await refreshStreams(); await refreshSnapshots(); }

// ---- events -------------------------------------------------------------------

let nextCursor = null;

function fillStreamFilter(ids) {
  const sel = $('#event-filter select[name=stream]');
  const have = new Set([...sel.options].map((o) => o.value));
  for (const id of ids) if (!have.has(id)) sel.append(el('option', { value: id, text: id }));
}

function eventQuery(cursor) {
  const f = new FormData($('#event-filter'));
  const q = new URLSearchParams({ limit: '25' });
  for (const k of ['stream', 'label', 'zone', 'in_progress']) if (f.get(k)) q.set(k, f.get(k));
  for (const k of ['since', 'until']) {
    if (f.get(k)) q.set(k, String(new Date(f.get(k)).getTime() / 1000));
  }
  if (cursor) q.set('cursor', cursor);
  return `events?${q}`;
}

function eventRow(ev) {
  const img = el('img', { alt: `${ev.label} snapshot` });
  if (ev.snapshot) {
    loadImage(img, ev.snapshot).catch(() => {});
    img.addEventListener('click', () => openSnapshot(ev));
  }
  const row = el('tr', {},
    el('td', {}, img), el('td', { text: ev.label }), el('td', { text: fmtNum(ev.top_score, 2) }),
    el('td', { text: ev.stream }), el('td', { text: fmtTime(ev.start) }),
    el('td', { text: ev.in_progress ? `${fmtDuration(ev.start, null)} (live)` : fmtDuration(ev.start, ev.end) }),
    el('td', { text: (ev.zones || []).join(', ') }));
  row.dataset.id = String(ev.id);
  row.classList.toggle('live', !!ev.in_progress);
  return row;
}

async function openSnapshot(ev) {
  $('#snapshot-caption').textContent = `${ev.label} ${fmtNum(ev.top_score, 2)} on ${ev.stream}, ${fmtTime(ev.snapshot_time || ev.start)}`;
  $('#snapshot-dialog').showModal();
  await loadImage($('#snapshot-full'), ev.snapshot);
}

async function loadEvents(append) {
  const body = await apiJSON(eventQuery(append ? nextCursor : null));
  const tbody = $('#event-table tbody');
  if (!append) tbody.replaceChildren();
  for (const ev of body.events) tbody.append(eventRow(ev));
  nextCursor = body.next_cursor;
  $('#events-more').hidden = !nextCursor;
  $('#events-empty').hidden = tbody.children.length > 0;
}

async function showEvents() { await loadEvents(false); }

// A live event: update its row in place, or put it on top when it matches no filter.
function liveEvent(ev) {
  if (current !== 'events') return;
  const tbody = $('#event-table tbody');
  const old = tbody.querySelector(`tr[data-id="${CSS.escape(String(ev.id))}"]`);
  const f = new FormData($('#event-filter'));
  const filtered = ['stream', 'label', 'zone', 'in_progress', 'since', 'until'].some((k) => f.get(k));
  if (old) old.replaceWith(eventRow(ev));
  else if (!filtered) tbody.prepend(eventRow(ev));
  $('#events-empty').hidden = tbody.children.length > 0;
}

// ---- stats ------------------------------------------------------------------------

async function showStats() {
  const [health, stats] = await Promise.all([apiJSON('health'), apiJSON('stats')]);
  const dl = $('#stats-summary');
  dl.replaceChildren();
  const add = (k, v) => dl.append(el('dt', { text: k }), el('dd', { text: String(v) }));
  add('Version', health.version);
  add('Uptime', fmtDuration(Date.now() / 1000 - health.uptime_s, null));
  const store = stats.store || {};
  if (store.path !== undefined) add('Store', store.path);
  if (store.file_bytes !== undefined) add('Store size', `${(store.file_bytes / 1048576).toFixed(1)} MiB`);
  if (store.detections !== undefined) add('Rows', `${store.detections} detections, ${store.events} events`);
  if (store.retention_days !== undefined) add('Retention', `${store.retention_days} days, ${store.retention_rows} rows`);
  if (store.last_error) add('Store error', store.last_error);
  const models = Array.isArray(stats.models) ? stats.models
    : Object.entries(stats.models || {}).map(([name, m]) => ({ name, ...m }));
  const tbody = $('#model-table tbody');
  tbody.replaceChildren(...models.map((m) => el('tr', {},
    el('td', { text: m.name }), el('td', { text: m.input_w ? `${m.input_w}×${m.input_h}` : '—' }),
    el('td', { text: fmtNum(m.infer_ms_p50) }), el('td', { text: fmtNum(m.infer_ms_p99) }),
    el('td', { text: typeof m.batch_fill === 'number' ? `${Math.round(m.batch_fill * 100)} %` : '—' }),
    el('td', { text: String(m.queue_depth ?? '—') }), el('td', { text: String(m.runs ?? '—') }))));
}

// ---- try a model -------------------------------------------------------------------

async function showTry() {
  const sel = $('#try-model');
  if (sel.options.length) return;
  const body = await apiJSON('models');
  for (const m of body.models || []) sel.append(el('option', { value: m.name, text: m.name }));
}

async function detectFile(file) {
  if (!file) return;
  const status = $('#try-status');
  if (!/^image\/(jpeg|png)$/.test(file.type)) { status.textContent = `${file.name}: not a JPEG or PNG`; return; }
  status.textContent = `Detecting in ${file.name}…`;
  const model = $('#try-model').value;
  const res = await apiJSON(`detect?model=${seg(model)}`, {
    method: 'POST', headers: { 'Content-Type': file.type }, body: file,
  });
  const bitmap = await createImageBitmap(file);
  const cv = $('#try-canvas');
  cv.width = bitmap.width; cv.height = bitmap.height; cv.hidden = false;
  const g = cv.getContext('2d');
  g.drawImage(bitmap, 0, 0);
  g.lineWidth = Math.max(2, bitmap.width / 300);
  g.font = `${Math.max(12, Math.round(bitmap.width / 50))}px system-ui, sans-serif`;
  for (const d of res.detections) {
    const [x1, y1, x2, y2] = d.box;
    g.strokeStyle = '#ffd33d'; g.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const text = `${d.label} ${d.score.toFixed(2)}`;
    g.fillStyle = '#ffd33d'; g.fillRect(x1, Math.max(0, y1 - 18), g.measureText(text).width + 8, 18);
    g.fillStyle = '#000'; g.fillText(text, x1 + 4, Math.max(14, y1 - 4));
  }
  cv.dataset.boxes = String(res.detections.length);
  status.textContent = `${res.detections.length} detections in ${fmtNum(res.inference_ms)} ms (${res.model}, ${res.width}×${res.height})`;
}

function setupDrop() {
  const drop = $('#drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault(); drop.classList.remove('over');
    detectFile(e.dataTransfer.files[0]).catch(report);
  });
  $('#try-file').addEventListener('change', (e) => detectFile(e.target.files[0]).catch(report));
}

// ---- live updates (SSE over fetch, so the token stays in a header) ------------------

function flashCard(stream, det) {
  const card = cards.get(stream);
  if (!card) return;
  card.last.textContent = `${det.label} ${fmtNum(det.score, 2)} at ${fmtTime(det.ts ?? det.time)}`;
  card.root.classList.add('flash');
  clearTimeout(card.flashTimer);
  card.flashTimer = setTimeout(() => card.root.classList.remove('flash'), 800);
}

function dispatch(type, data) {
  let obj;
  try { obj = JSON.parse(data); } catch { return; }
  if (type === 'detection') flashCard(obj.stream, obj);
  else if (type === 'event') liveEvent(obj);
}

async function live() {
  const badge = $('#live');
  let delay = 1000;
  for (;;) {
    try {
      const res = await api(`${API}/live`, { headers: { Accept: 'text/event-stream' } });
      if (!res.ok || !res.body) throw new Error(`live: ${res.status}`);
      badge.textContent = 'live'; badge.classList.add('on'); delay = 1000;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end); buf = buf.slice(end + 2);
          let type = 'message'; const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) type = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length) dispatch(type, data.join('\n'));
        }
      }
    } catch { /* reconnect below */ }
    badge.textContent = 'offline'; badge.classList.remove('on');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 30000);
  }
}

// ---- start --------------------------------------------------------------------------

// Ask for the token before the first request when the daemon wants one
// (health is public and says so), rather than after a 401.
async function start() {
  const health = await fetch(`${API}/health`).then((r) => r.json()).catch(() => ({}));
  if (health.auth && !sessionStorage.getItem(TOKEN_KEY)) await askToken('');
  route();
  live();
}

$('#event-filter').addEventListener('submit', (e) => { e.preventDefault(); loadEvents(false).catch(report); });
$('#events-more').addEventListener('click', () => loadEvents(true).catch(report));
window.addEventListener('hashchange', route);
setupDrop();
start();
setInterval(() => {
  if (document.hidden) return;
  if (current === 'streams') showStreams().catch(report);
  else if (current === 'stats') showStats().catch(report);
}, 2000);

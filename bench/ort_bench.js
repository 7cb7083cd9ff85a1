// ort_bench.js -- the onnxruntime-node side of bench/nn_bench.sh: the same
// measurement as `visiond nn bench`, printing the same JSON keys.
//
//   node ort_bench.js MODEL [--batch N] [--threads T] [--iterations I] [--warmup W]
//                   [--profile]
//
// --profile turns on onnxruntime's profiler and adds "profile": {"by_op": [...]}
// (ms per run by op type, from the trace's Node events; ops running on the
// NCHWc blocked layout are suffixed "(nchwc)"), the same shape as
// `visiond nn bench --profile`. Timings taken with the profiler on are not
// the benchmark's: measure without --profile.
// Session options: intraOpNumThreads=T, interOpNumThreads=1, sequential
// execution, graphOptimizationLevel 'all'. Inputs: uniform [0,1) floats
// (zeros for integer inputs), the symbolic batch dim set to N. peak_rss_bytes
// is the process's maxRSS (node's own ~40 MB baseline included; see nn.md).
'use strict';
const path = require('path');

function loadOrt() {
  const p = process.env.ORT_NODE_PATH ||
    path.join(__dirname, '..', '.deps', 'npm', 'node_modules', 'onnxruntime-node');
  return require(p);
}

function parseArgs(argv) {
  const a = {batch: 1, threads: 1, iterations: 20, warmup: 3, model: null, profile: false};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    if (argv[i] === '--profile') a.profile = true;
    else if (argv[i].startsWith('--') && k in a) a[k] = parseInt(argv[++i], 10);
    else a.model = argv[i];
  }
  if (!a.model) {
    console.error('usage: node ort_bench.js MODEL [--batch N] [--threads T] [--iterations I] [--warmup W]');
    process.exit(2);
  }
  return a;
}

const TYPED = {float32: Float32Array, int64: BigInt64Array, int32: Int32Array, uint8: Uint8Array,
  bool: Uint8Array, float64: Float64Array};

function makeInputs(ort, session, batch) {
  const feeds = {};
  for (const meta of session.inputMetadata) {
    const dims = meta.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? batch : 1));
    const n = dims.reduce((x, y) => x * y, 1);
    const data = new TYPED[meta.type](n);
    if (meta.type === 'float32') for (let i = 0; i < n; i++) data[i] = Math.random();
    feeds[meta.name] = new ort.Tensor(meta.type, data, dims);
  }
  return feeds;
}

// Per-op ms per run from the newest trace file with this prefix.
function profileByOp(prefix, runs) {
  const fs = require('fs');
  const dir = path.dirname(prefix);
  const base = path.basename(prefix);
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.json'))
    .map((f) => path.join(dir, f)).sort((x, y) => fs.statSync(y).mtimeMs - fs.statSync(x).mtimeMs);
  const events = JSON.parse(fs.readFileSync(files[0], 'utf8'));
  fs.unlinkSync(files[0]);
  const ops = new Map();
  let total = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args.op_name + (e.name.includes('_nchwc_') ? ' (nchwc)' : '');
    const o = ops.get(op) || {op, nodes: new Set(), ms: 0};
    o.nodes.add(e.name);
    o.ms += e.dur / 1000 / runs;
    total += e.dur / 1000 / runs;
    ops.set(op, o);
  }
  const byOp = [...ops.values()].sort((x, y) => y.ms - x.ms).map((o) => (
    {op: o.op, nodes: o.nodes.size, ms: o.ms, percent: (100 * o.ms) / total}));
  return {total_ms: total, by_op: byOp};
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(a.model, {
    intraOpNumThreads: a.threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all', logSeverityLevel: 3, enableProfiling: a.profile,
    profileFilePrefix: path.join(require('os').tmpdir(), `ort_bench_${process.pid}`)});
  const feeds = makeInputs(ort, session, a.batch);
  const times = [];
  for (let i = 0; i < a.warmup + a.iterations; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= a.warmup) times.push(ms);
  }
  const mean = times.reduce((x, y) => x + y, 0) / times.length;
  times.sort((x, y) => x - y);
  const pct = (q) => times[Math.min(times.length - 1, Math.max(0, Math.ceil(q * times.length) - 1))];
  const out = {
    model: a.model, batch: a.batch, threads: a.threads, iterations: a.iterations,
    mean_ms: mean, p50_ms: pct(0.5), p90_ms: pct(0.9), min_ms: times[0],
    throughput: (a.batch * 1000) / mean, peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  };
  if (a.profile) {
    session.endProfiling();
    out.profile = profileByOp(path.join(require('os').tmpdir(), `ort_bench_${process.pid}`),
      a.warmup + a.iterations);
  }
  console.log(JSON.stringify(out, null, 2));
}

main().catch((e) => {
  console.error('ort_bench.js: ' + (e && e.message ? e.message : e));
  process.exit(1);
});

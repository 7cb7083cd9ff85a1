// ort_run.js -- run an ONNX model with onnxruntime-node, the reference runtime,
// on .npy inputs and write every output as OUTDIR/<name>.npy, named as
// `visiond nn run` names them (characters outside [A-Za-z0-9._-] become '_').
//
//   node ort_run.js MODEL OUTDIR [--threads T] NAME=FILE.npy [NAME=FILE.npy ...]
//
// onnxruntime-node is found through ORT_NODE_PATH, else .deps/npm next to the
// repository. Optimisations are left at onnxruntime's default (all), so the
// reference is what a user of onnxruntime gets. npy.js holds the tiny .npy
// reader/writer.
'use strict';
const fs = require('fs');
const path = require('path');
const npy = require('./npy.js');

function loadOrt() {
  const p = process.env.ORT_NODE_PATH ||
    path.join(__dirname, '..', '..', '.deps', 'npm', 'node_modules', 'onnxruntime-node');
  return require(p);
}

function safeName(name) {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return s.length ? s : '_';
}

async function main() {
  const args = process.argv.slice(2);
  let threads = 1;
  const pos = [], feeds = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--threads') threads = parseInt(args[++i], 10);
    else if (args[i].includes('=') && pos.length >= 2) {
      const eq = args[i].indexOf('=');
      feeds[args[i].slice(0, eq)] = args[i].slice(eq + 1);
    } else pos.push(args[i]);
  }
  if (pos.length !== 2) {
    console.error('usage: node ort_run.js MODEL OUTDIR [--threads T] NAME=FILE.npy ...');
    process.exit(2);
  }
  const [model, outdir] = pos;
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3});
  const inputs = {};
  for (const [name, file] of Object.entries(feeds)) {
    const a = npy.read(file);
    inputs[name] = new ort.Tensor(a.dtype, a.data, a.shape);
  }
  const results = await session.run(inputs);
  fs.mkdirSync(outdir, {recursive: true});
  const used = new Set();
  for (const name of session.outputNames) {
    let file = safeName(name);
    if (used.has(file)) file += '_' + session.outputNames.indexOf(name);
    used.add(file);
    const t = results[name];
    npy.write(path.join(outdir, file + '.npy'), t.type, t.dims, t.data);
  }
}

main().catch((e) => {
  console.error('ort_run.js: ' + (e && e.message ? e.message : e));
  process.exit(1);
});

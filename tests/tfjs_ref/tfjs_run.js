// tfjs_run.js -- run a TF.js graph model with TF.js itself, the reference for
// the converter: tfjs-converter's loadGraphModel on the pure-JS CPU backend
// (@tensorflow/tfjs-backend-cpu), on .npy inputs; writes every output as
// OUTDIR/<name>.npy, named as `visiond nn run` names them.
//
//   node tfjs_run.js MODEL.json OUTDIR NAME=FILE.npy [NAME=FILE.npy ...]
//
// The model is read from local files (model.json + the shards its weights
// manifest lists) and handed over with tf.io.fromMemory, so no fetch or
// file:// handler is involved. Packages come from TFJS_NODE_MODULES, else
// .deps/npm/node_modules next to the repository.
'use strict';
const fs = require('fs');
const path = require('path');
const npy = require('../nn_ref/npy.js');

const modules = process.env.TFJS_NODE_MODULES ||
  path.join(__dirname, '..', '..', '.deps', 'npm', 'node_modules');
const tf = require(path.join(modules, '@tensorflow', 'tfjs-core'));
require(path.join(modules, '@tensorflow', 'tfjs-backend-cpu'));
const converter = require(path.join(modules, '@tensorflow', 'tfjs-converter'));

function artifacts(modelJson) {
  const spec = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const dir = path.dirname(modelJson);
  const specs = [], shards = [];
  for (const group of spec.weightsManifest) {
    for (const p of group.paths) shards.push(fs.readFileSync(path.join(dir, p)));
    specs.push(...group.weights);
  }
  const all = Buffer.concat(shards);
  return {
    modelTopology: spec.modelTopology, format: spec.format, generatedBy: spec.generatedBy,
    convertedBy: spec.convertedBy, signature: spec.signature, weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.length),
  };
}

function safeName(name) {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return s.length ? s : '_';
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length < 3) {
    console.error('usage: node tfjs_run.js MODEL.json OUTDIR NAME=FILE.npy ...');
    process.exit(2);
  }
  const [modelJson, outdir] = args;
  await tf.setBackend('cpu');
  await tf.ready();
  const model = await converter.loadGraphModel(tf.io.fromMemory(artifacts(modelJson)));
  const feeds = {};
  for (const a of args.slice(2)) {
    const eq = a.indexOf('=');
    const t = npy.read(a.slice(eq + 1));
    feeds[a.slice(0, eq)] = tf.tensor(t.data, t.shape, t.dtype);
  }
  const names = model.outputs.map((o) => o.name);
  const results = model.execute(feeds, names);
  fs.mkdirSync(outdir, {recursive: true});
  for (let i = 0; i < names.length; i++) {
    const t = Array.isArray(results) ? results[i] : results;
    const name = names[i].replace(/:0$/, '');
    npy.write(path.join(outdir, safeName(name) + '.npy'), t.dtype, t.shape, t.dataSync());
  }
  console.log(`tfjs_run.js: backend ${tf.getBackend()}, tfjs ${tf.version_core}, outputs ${names}`);
}

main().catch((e) => {
  console.error('tfjs_run.js: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});

// npy.js -- minimal numpy .npy reader/writer for the onnxruntime-node scripts.
//
// Reads format 1.0-3.0 little-endian C-order arrays; writes format 1.0 with
// numpy's header layout (64-byte aligned). dtype names are onnxruntime's
// tensor types ('float32', 'int64', 'bool', ...), whose typed arrays these map to.
'use strict';
const fs = require('fs');

const TYPES = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array],
  '<i2': ['int16', Int16Array], '<u2': ['uint16', Uint16Array],
  '|i1': ['int8', Int8Array], '|u1': ['uint8', Uint8Array], '|b1': ['bool', Uint8Array],
};

function read(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(file + ': not a .npy file');
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape || /'fortran_order':\s*True/.test(header))
    throw new Error(file + ': unsupported .npy header ' + header.trim());
  const t = TYPES[descr[1]];
  if (!t) throw new Error(file + ': unsupported dtype ' + descr[1]);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const n = dims.reduce((a, b) => a * b, 1);
  const off = start + hlen;
  const bytes = buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + n * t[1].BYTES_PER_ELEMENT);
  let data = new t[1](bytes);
  if (t[0] === 'bool') data = Uint8Array.from(data, (v) => v !== 0); // ort wants 0/1
  return {dtype: t[0], shape: dims, data};
}

function write(file, dtype, dims, data) {
  const descr = Object.keys(TYPES).find((k) => TYPES[k][0] === dtype);
  if (!descr) throw new Error(file + ': cannot write dtype ' + dtype);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  if (dims.length) h += ' '.repeat(21 - String(dims[0]).length);
  const total = 10 + h.length + 1;
  h += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(h.length, 8);
  let body;
  if (dtype === 'bool') body = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)));
  else body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(h, 'latin1'), body]));
}

module.exports = {read, write};

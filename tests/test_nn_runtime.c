/* test_nn_runtime.c -- the engine around the kernels: loader, load-time
 * rewrites, session planning, arena, dynamic shapes, threads, errors.
 *
 * The graphs are built at test time by python3-onnx (the script below, run
 * with VD_PYTHON, seeded), with numpy computing the expected outputs of the
 * fused graph independently of this engine. Unfused twins of the same graph
 * (intermediates exposed as outputs, which blocks every fusion) must agree
 * with the fused one. Malformed files and graphs check that every refusal
 * names what was wrong. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vision/nn/nn.h"
#include "vision/nn/loader.h"
#include "vision/core/npy.h"
#include "tests/support/once.h"

#define MODELS VD_BINARY_DIR "/tests/nn_runtime"

static const char gen_py[] =
    "# Builds the test graphs for test_nn_runtime.c into sys.argv[1], with numpy\n"
    "# references. Seeded: the same files every run.\n"
    "import os, sys\n"
    "import numpy as np\n"
    "import onnx\n"
    "from onnx import helper as h, numpy_helper as nh, TensorProto as T\n"
    "out = sys.argv[1]\n"
    "rng = np.random.default_rng(7)\n"
    "def f32(*s):\n"
    "    return rng.standard_normal(s).astype(np.float32)\n"
    "def save(model, name, opset=14):\n"
    "    m = h.make_model(model, opset_imports=[h.make_opsetid('', opset)], producer_name='test_nn_runtime')\n"
    "    onnx.save(m, os.path.join(out, name))\n"
    "def vi(name, shape, t=T.FLOAT):\n"
    "    return h.make_tensor_value_info(name, t, shape)\n"
    "def conv_ref(x, w, b=None, stride=1, pad=0, group=1):\n"
    "    n, c, hh, ww = x.shape\n"
    "    m, cg, kh, kw = w.shape\n"
    "    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))\n"
    "    oh = (hh + 2 * pad - kh) // stride + 1\n"
    "    ow = (ww + 2 * pad - kw) // stride + 1\n"
    "    y = np.zeros((n, m, oh, ow), np.float64)\n"
    "    mg = m // group\n"
    "    for g in range(group):\n"
    "        xs = xp[:, g * cg:(g + 1) * cg]\n"
    "        for i in range(kh):\n"
    "            for j in range(kw):\n"
    "                patch = xs[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]\n"
    "                y[:, g * mg:(g + 1) * mg] += np.einsum('nchw,mc->nmhw', patch, w[g * mg:(g + 1) * mg, :, i, j])\n"
    "    if b is not None:\n"
    "        y += b[None, :, None, None]\n"
    "    return y.astype(np.float32)\n"
    "sig = lambda v: 1 / (1 + np.exp(-v))\n"
    "\n"
    "# ---- fusions: every pattern once; fuse_off exposes the intermediates ----\n"
    "W1h, B1 = f32(8, 4, 3, 3), f32(8)\n"
    "sc, sh, mu, var = np.abs(f32(8)) + 0.5, f32(8), f32(8), np.abs(f32(8)) + 0.2\n"
    "W2, B2, W3, W4, W5, W6 = f32(8, 8, 1, 1), f32(8), f32(8, 1, 3, 3), f32(8, 8, 1, 1), f32(8, 8, 3, 3), f32(8, 8, 1, 1)\n"
    "Wg, Bg, Wm = f32(10, 200) * 0.1, f32(10), f32(200, 6) * 0.1\n"
    "inits = [nh.from_array(a, n) for a, n in [\n"
    "    (W1h, 'W1h'), (np.array(2, np.float32), 'two'), (B1, 'B1'), (sc, 'sc'), (sh, 'sh'), (mu, 'mu'), (var, 'var'),\n"
    "    (W2, 'W2'), (B2, 'B2'), (np.array(0, np.float32), 'lo'), (np.array(6, np.float32), 'hi'),\n"
    "    (W3, 'W3'), (W4, 'W4'), (W5, 'W5'), (W6, 'W6'), (Wg, 'Wg'), (Bg, 'Bg'), (Wm, 'Wm')]]\n"
    "nodes = [\n"
    "    h.make_node('Mul', ['W1h', 'two'], ['W1'], name='scale_w1'),\n"
    "    h.make_node('Conv', ['x', 'W1', 'B1'], ['c1'], pads=[1, 1, 1, 1], name='conv1'),\n"
    "    h.make_node('BatchNormalization', ['c1', 'sc', 'sh', 'mu', 'var'], ['bn1'], epsilon=1e-3, name='bn1'),\n"
    "    h.make_node('Relu', ['bn1'], ['r1'], name='relu1'),\n"
    "    h.make_node('Conv', ['r1', 'W2', 'B2'], ['c2'], name='conv2'),\n"
    "    h.make_node('Clip', ['c2', 'lo', 'hi'], ['k2'], name='clip2'),\n"
    "    h.make_node('Conv', ['k2', 'W3'], ['c3'], pads=[1, 1, 1, 1], group=8, name='conv3'),\n"
    "    h.make_node('LeakyRelu', ['c3'], ['l3'], alpha=0.1, name='leaky3'),\n"
    "    h.make_node('Conv', ['l3', 'W4'], ['c4'], name='conv4'),\n"
    "    h.make_node('Sigmoid', ['c4'], ['s4'], name='sig4'),\n"
    "    h.make_node('Mul', ['c4', 's4'], ['m4'], name='silu4'),\n"
    "    h.make_node('Conv', ['m4', 'W5'], ['c5'], pads=[1, 1, 1, 1], strides=[2, 2], name='conv5'),\n"
    "    h.make_node('HardSwish', ['c5'], ['h5'], name='hswish5'),\n"
    "    h.make_node('Conv', ['h5', 'W6'], ['c6'], name='conv6'),\n"
    "    h.make_node('HardSigmoid', ['c6'], ['g6'], alpha=0.2, beta=0.5, name='hsig6'),\n"
    "    h.make_node('Flatten', ['g6'], ['f'], name='flat'),\n"
    "    h.make_node('Gemm', ['f', 'Wg', 'Bg'], ['gm'], transB=1, name='gemm'),\n"
    "    h.make_node('Relu', ['gm'], ['y'], name='relu_g'),\n"
    "    h.make_node('MatMul', ['f', 'Wm'], ['mm'], name='matmul'),\n"
    "    h.make_node('Sigmoid', ['mm'], ['y2'], name='sig_m'),\n"
    "]\n"
    "x_in = h.make_tensor_value_info('x', T.FLOAT, ['batch', 4, 10, 10])\n"
    "outs = [vi('y', ['batch', 10]), vi('y2', ['batch', 6])]\n"
    "save(h.make_graph(nodes, 'fuse', [x_in], outs, inits), 'fuse_on.onnx')\n"
    "mids = [vi(n, None) for n in ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'gm', 'mm']]\n"
    "save(h.make_graph(nodes, 'fuse', [x_in], outs + mids, inits), 'fuse_off.onnx')\n"
    "x = f32(2, 4, 10, 10)\n"
    "c1 = conv_ref(x, W1h * 2, B1, pad=1)\n"
    "r1 = np.maximum((c1 - mu[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-3) * sc[None, :, None, None] + sh[None, :, None, None], 0)\n"
    "k2 = np.clip(conv_ref(r1, W2, B2), 0, 6)\n"
    "c3 = conv_ref(k2, W3, pad=1, group=8)\n"
    "l3 = np.where(c3 >= 0, c3, 0.1 * c3)\n"
    "c4 = conv_ref(l3, W4)\n"
    "m4 = c4 * sig(c4)\n"
    "c5 = conv_ref(m4, W5, stride=2, pad=1)\n"
    "h5 = c5 * np.clip(c5 / 6 + 0.5, 0, 1)\n"
    "g6 = np.clip(0.2 * conv_ref(h5, W6) + 0.5, 0, 1)\n"
    "f = g6.reshape(2, -1)\n"
    "np.save(os.path.join(out, 'fuse_x.npy'), x)\n"
    "np.save(os.path.join(out, 'fuse_y.npy'), np.maximum(f @ Wg.T + Bg, 0).astype(np.float32))\n"
    "np.save(os.path.join(out, 'fuse_y2.npy'), sig(f @ Wm).astype(np.float32))\n"
    "\n"
    "# ---- chain of 1x1 convs: the arena must reuse buffers ----\n"
    "nodes, inits, prev = [], [], 'x'\n"
    "for i in range(6):\n"
    "    inits.append(nh.from_array(f32(16, 16, 1, 1) * 0.25, 'w%d' % i))\n"
    "    nodes.append(h.make_node('Conv', [prev, 'w%d' % i], ['t%d' % i], name='pw%d' % i))\n"
    "    prev = 't%d' % i\n"
    "nodes.append(h.make_node('Identity', [prev], ['y'], name='id'))\n"
    "save(h.make_graph(nodes, 'chain', [vi('x', [1, 16, 16, 16])], [vi('y', [1, 16, 16, 16])], inits), 'chain.onnx')\n"
    "\n"
    "# ---- shape subgraph + cancelling transposes, symbolic batch ----\n"
    "nodes = [\n"
    "    h.make_node('Conv', ['x', 'w'], ['r'], name='conv'),\n"
    "    h.make_node('Shape', ['r'], ['s'], name='shape'),\n"
    "    h.make_node('Gather', ['s', 'i0'], ['b'], axis=0, name='gather'),\n"
    "    h.make_node('Unsqueeze', ['b', 'ax0'], ['bu'], name='unsq'),\n"
    "    h.make_node('Concat', ['bu', 'm1'], ['ns'], axis=0, name='concat'),\n"
    "    h.make_node('Reshape', ['r', 'ns'], ['y'], name='reshape'),\n"
    "    h.make_node('Transpose', ['x'], ['xt'], perm=[0, 2, 3, 1], name='to_nhwc'),\n"
    "    h.make_node('Transpose', ['xt'], ['xtt'], perm=[0, 3, 1, 2], name='to_nchw'),\n"
    "    h.make_node('Add', ['xtt', 'x'], ['z'], name='add'),\n"
    "]\n"
    "inits = [nh.from_array(f32(4, 3, 1, 1), 'w'), nh.from_array(np.array(0, np.int64), 'i0'),\n"
    "         nh.from_array(np.array([0], np.int64), 'ax0'), nh.from_array(np.array([-1], np.int64), 'm1')]\n"
    "save(h.make_graph(nodes, 'shape', [vi('x', ['N', 3, 8, 8])], [vi('y', ['N', 256]), vi('z', ['N', 3, 8, 8])], inits), 'shape.onnx', 13)\n"
    "np.save(os.path.join(out, 'shape_x.npy'), f32(3, 3, 8, 8))\n"
    "\n"
    "# ---- NHWC export style: every conv wrapped in Transposes ----\n"
    "Wa, Wb, ba = f32(6, 3, 3, 3), f32(3, 6, 1, 1), f32(6)\n"
    "nodes = [\n"
    "    h.make_node('Transpose', ['x'], ['xa'], perm=[0, 3, 1, 2], name='in_nchw'),\n"
    "    h.make_node('Conv', ['xa', 'Wa', 'ba'], ['ca'], pads=[1, 1, 1, 1], name='conv_a'),\n"
    "    h.make_node('Transpose', ['ca'], ['ta'], perm=[0, 2, 3, 1], name='a_nhwc'),\n"
    "    h.make_node('Relu', ['ta'], ['ra'], name='relu_a'),\n"
    "    h.make_node('Add', ['ra', 'bias6'], ['sa0'], name='shift'),\n"
    "    h.make_node('Mul', ['sa0', 'half'], ['sa'], name='scale'),\n"
    "    h.make_node('Transpose', ['sa'], ['sb'], perm=[0, 3, 1, 2], name='b_nchw'),\n"
    "    h.make_node('Conv', ['sb', 'Wb'], ['cb'], name='conv_b'),\n"
    "    h.make_node('Transpose', ['cb'], ['tb'], perm=[0, 2, 3, 1], name='b_nhwc'),\n"
    "    h.make_node('Transpose', ['xa'], ['xr'], perm=[0, 2, 3, 1], name='skip_nhwc'),\n"
    "    h.make_node('Add', ['tb', 'xr'], ['y'], name='residual'),\n"
    "]\n"
    "inits = [nh.from_array(Wa, 'Wa'), nh.from_array(Wb, 'Wb'), nh.from_array(ba, 'ba'), nh.from_array(np.array(0.5, np.float32), 'half'),\n"
    "         nh.from_array(np.arange(6, dtype=np.float32), 'bias6')]\n"
    "save(h.make_graph(nodes, 'nhwc', [vi('x', [2, 7, 7, 3])], [vi('y', [2, 7, 7, 3])], inits), 'nhwc.onnx', 13)\n"
    "xn = f32(2, 7, 7, 3)\n"
    "xa = xn.transpose(0, 3, 1, 2)\n"
    "sa = (np.maximum(conv_ref(xa, Wa, ba, pad=1), 0) + np.arange(6, dtype=np.float32)[None, :, None, None]) * 0.5\n"
    "yn = conv_ref(sa, Wb).transpose(0, 2, 3, 1) + xn\n"
    "np.save(os.path.join(out, 'nhwc_x.npy'), xn)\n"
    "np.save(os.path.join(out, 'nhwc_y.npy'), yn.astype(np.float32))\n"
    "\n"
    "# ---- a shape known only from data: Reshape by a graph input ----\n"
    "nodes = [h.make_node('Reshape', ['x', 's'], ['r'], name='reshape'), h.make_node('Relu', ['r'], ['y'], name='relu')]\n"
    "save(h.make_graph(nodes, 'dyn', [vi('x', [2, 6]), vi('s', [2], T.INT64)], [vi('y', None)]), 'dyn.onnx', 13)\n"
    "\n"
    "# ---- an optional output left unnamed ----\n"
    "nodes = [h.make_node('MaxPool', ['x'], ['y', ''], kernel_shape=[2, 2], strides=[2, 2], name='pool')]\n"
    "save(h.make_graph(nodes, 'pool', [vi('x', [1, 2, 4, 4])], [vi('y', [1, 2, 2, 2])]), 'pool_unnamed.onnx', 13)\n"
    "\n"
    "# ---- a broadcasting Add must not write over its smaller first input ----\n"
    "nodes = [h.make_node('Relu', ['a'], ['ra'], name='relu'), h.make_node('Add', ['ra', 'b'], ['y'], name='add')]\n"
    "save(h.make_graph(nodes, 'bcast', [vi('a', [1, 4]), vi('b', [2, 4])], [vi('y', [2, 4])]), 'bcast.onnx', 13)\n"
    "\n"
    "# ---- symbolic spatial dims ----\n"
    "nodes = [h.make_node('Relu', ['x'], ['y'], name='relu')]\n"
    "save(h.make_graph(nodes, 'hw', [vi('x', ['N', 3, 'H', 'W'])], [vi('y', ['N', 3, 'H', 'W'])]), 'hw.onnx', 13)\n"
    "nodes = [h.make_node('Flatten', ['x'], ['f'], name='flat'), h.make_node('Gemm', ['f', 'w'], ['y'], transB=1, name='gemm')]\n"
    "save(h.make_graph(nodes, 'hwg', [vi('x', ['N', 3, 'H', 'W'])], [vi('y', ['N', 5])], [nh.from_array(f32(5, 12), 'w')]), 'hw_gemm.onnx', 13)\n"
    "\n"
    "# ---- residuals zero-padded in channels (tf2onnx: Concat([r, zeros], 1)) ----\n"
    "Wa, Wb, Bb, Wc, Wd, We = f32(4, 4, 1, 1), f32(8, 4, 1, 1), f32(8), f32(9, 8, 3, 3), f32(1, 9, 1, 1), f32(6, 9, 1, 1) * 0.1\n"
    "z = lambda c: nh.from_array(np.zeros((2, c, 8, 8), np.float32), 'z%d' % c)\n"
    "nodes = [\n"
    "    h.make_node('Conv', ['x', 'Wa'], ['ca'], name='conv_a'), h.make_node('Relu', ['ca'], ['r'], name='relu_a'),\n"
    "    h.make_node('Concat', ['r', 'z4'], ['pr'], axis=1, name='pad_r'),\n"
    "    h.make_node('Conv', ['r', 'Wb', 'Bb'], ['cb'], name='conv_b'),\n"
    "    h.make_node('Add', ['cb', 'pr'], ['ab'], name='add_b'), h.make_node('Relu', ['ab'], ['y1'], name='relu_b'),\n"
    "    h.make_node('Concat', ['y1', 'z1'], ['p1'], axis=1, name='pad_y1'),\n"
    "    h.make_node('Conv', ['y1', 'Wc'], ['cc'], pads=[1, 1, 1, 1], name='conv_c'),\n"
    "    h.make_node('Add', ['p1', 'cc'], ['y2'], name='add_c'),\n"
    "    h.make_node('Conv', ['y2', 'Wd'], ['r3'], name='conv_d'),\n"
    "    h.make_node('Concat', ['r3', 'z5'], ['p3'], axis=1, name='pad_r3'),\n"
    "    h.make_node('Conv', ['y2', 'We'], ['ce'], name='conv_e'),\n"
    "    h.make_node('Add', ['ce', 'p3'], ['ae'], name='add_e'), h.make_node('Sigmoid', ['ae'], ['y'], name='sig_e'),\n"
    "]\n"
    "inits = [nh.from_array(a, n) for a, n in [(Wa, 'Wa'), (Wb, 'Wb'), (Bb, 'Bb'), (Wc, 'Wc'), (Wd, 'Wd'), (We, 'We')]] + [z(4), z(1), z(5)]\n"
    "save(h.make_graph(nodes, 'padres', [vi('x', [2, 4, 8, 8])], [vi('y', [2, 6, 8, 8])], inits), 'pad_residual.onnx', 13)\n"
    "x = f32(2, 4, 8, 8)\n"
    "r = np.maximum(conv_ref(x, Wa), 0)\n"
    "y1 = np.maximum(conv_ref(r, Wb, Bb) + np.concatenate([r, np.zeros((2, 4, 8, 8), np.float32)], 1), 0)\n"
    "y2 = conv_ref(y1, Wc, pad=1) + np.concatenate([y1, np.zeros((2, 1, 8, 8), np.float32)], 1)\n"
    "r3 = conv_ref(y2, Wd)\n"
    "y = sig(conv_ref(y2, We) + np.concatenate([r3, np.zeros((2, 5, 8, 8), np.float32)], 1))\n"
    "np.save(os.path.join(out, 'pad_residual_x.npy'), x)\n"
    "np.save(os.path.join(out, 'pad_residual_y.npy'), y.astype(np.float32))\n"
    "\n"
    "# ---- a Winograd conv (3x3, >= 48 channels): its transformed weights are kept ----\n"
    "Ww, Bw = f32(56, 48, 3, 3) * 0.2, f32(56)\n"
    "nodes = [h.make_node('Conv', ['x', 'Ww', 'Bw'], ['c'], pads=[1, 1, 1, 1], name='wino'), h.make_node('Relu', ['c'], ['y'], name='r')]\n"
    "save(h.make_graph(nodes, 'wino', [vi('x', ['N', 48, 10, 12])], [vi('y', ['N', 56, 10, 12])],\n"
    "                  [nh.from_array(Ww, 'Ww'), nh.from_array(Bw, 'Bw')]), 'wino.onnx', 13)\n"
    "x = f32(2, 48, 10, 12)\n"
    "np.save(os.path.join(out, 'wino_x.npy'), x)\n"
    "np.save(os.path.join(out, 'wino_y.npy'), np.maximum(conv_ref(x, Ww, Bw, pad=1), 0))\n"
    "\n"
    "# ---- a Concat read only by a 1x1 conv is fused into it; one before a 3x3 is not ----\n"
    "Wa, Wb, Wr, W1, B1, W2 = f32(3, 4, 1, 1), f32(5, 4, 3, 3), f32(6, 4, 1, 1), f32(6, 12, 1, 1), f32(6), f32(3, 10, 3, 3)\n"
    "nodes = [\n"
    "    h.make_node('Conv', ['x', 'Wa'], ['ca'], name='conv_a'), h.make_node('Relu', ['ca'], ['a'], name='relu_a'),\n"
    "    h.make_node('Conv', ['x', 'Wb'], ['b'], pads=[1, 1, 1, 1], name='conv_b'),\n"
    "    h.make_node('Conv', ['x', 'Wr'], ['r'], name='conv_r'),\n"
    "    h.make_node('Concat', ['a', 'b', 'x'], ['cat'], axis=1, name='cat'),\n"
    "    h.make_node('Conv', ['cat', 'W1', 'B1'], ['c1'], kernel_shape=[1, 1], strides=[1, 1], name='conv_1'),\n"
    "    h.make_node('Add', ['c1', 'r'], ['s1'], name='add_1'), h.make_node('Relu', ['s1'], ['y1'], name='relu_1'),\n"
    "    h.make_node('Concat', ['y1', 'x'], ['cat2'], axis=1, name='cat2'),\n"
    "    h.make_node('Conv', ['cat2', 'W2'], ['y'], pads=[1, 1, 1, 1], name='conv_2'),\n"
    "]\n"
    "inits = [nh.from_array(a_, n_) for a_, n_ in [(Wa, 'Wa'), (Wb, 'Wb'), (Wr, 'Wr'), (W1, 'W1'), (B1, 'B1'), (W2, 'W2')]]\n"
    "save(h.make_graph(nodes, 'catconv', [vi('x', ['N', 4, 6, 7])], [vi('y', ['N', 3, 6, 7])], inits), 'concat_conv.onnx', 13)\n"
    "x = f32(2, 4, 6, 7)\n"
    "cat = np.concatenate([np.maximum(conv_ref(x, Wa), 0), conv_ref(x, Wb, pad=1), x], 1)\n"
    "y1 = np.maximum(conv_ref(cat, W1, B1) + conv_ref(x, Wr), 0)\n"
    "np.save(os.path.join(out, 'concat_conv_x.npy'), x)\n"
    "np.save(os.path.join(out, 'concat_conv_y.npy'), conv_ref(np.concatenate([y1, x], 1), W2, pad=1))\n"
    "\n"
    "# ---- an initializer that is also a graph input (a default) ----\n"
    "nodes = [h.make_node('Add', ['x', 'w'], ['y'], name='add')]\n"
    "save(h.make_graph(nodes, 'dflt', [vi('x', [4]), vi('w', [4])], [vi('y', [4])],\n"
    "                  [nh.from_array(np.arange(4, dtype=np.float32), 'w')]), 'default_input.onnx', 13)\n"
    "\n"
    "# ---- external data: next to the model, and one that escapes its directory ----\n"
    "wt = nh.from_array(np.arange(4, dtype=np.float32) + 10, 'w')\n"
    "def ext_model(name, location):\n"
    "    t = onnx.TensorProto()\n"
    "    t.CopyFrom(wt)\n"
    "    t.ClearField('raw_data')\n"
    "    t.data_location = onnx.TensorProto.EXTERNAL\n"
    "    for k, v in [('location', location), ('offset', '16'), ('length', '16')]:\n"
    "        e = t.external_data.add()\n"
    "        e.key, e.value = k, v\n"
    "    save(h.make_graph([h.make_node('Add', ['x', 'w'], ['y'], name='add')], 'ext', [vi('x', [4])], [vi('y', [4])], [t]), name, 13)\n"
    "with open(os.path.join(out, 'ext.bin'), 'wb') as fh:\n"
    "    fh.write(np.zeros(4, np.float32).tobytes() + (np.arange(4, dtype=np.float32) + 10).tobytes())\n"
    "ext_model('ext.onnx', 'ext.bin')\n"
    "ext_model('ext_missing.onnx', 'nowhere.bin')\n"
    "ext_model('ext_escape.onnx', '../ext.bin')\n"
    "\n"
    "# ---- graphs the loader must refuse ----\n"
    "relu = lambda i, o, **kw: h.make_node('Relu', [i], [o], **kw)\n"
    "def one(nodes, name, opset=13, outs=None):\n"
    "    save(h.make_graph(nodes, 'bad', [vi('x', [2])], outs or [vi('y', [2])]), name, opset)\n"
    "one([h.make_node('FooBar', ['x'], ['y'], name='mystery')], 'unknown_op.onnx')\n"
    "one([relu('x', 'y', name='r1', foo=3)], 'unknown_attr.onnx')\n"
    "one([relu('x', 'y', name='r1')], 'opset6.onnx', 6)\n"
    "one([h.make_node('Relu', ['x'], ['y'], name='ms', domain='com.microsoft')], 'domain.onnx')\n"
    "one([relu('b', 'a', name='ra'), relu('a', 'b', name='rb'), relu('a', 'y', name='rc')], 'cycle.onnx')\n"
    "one([relu('ghost', 'y', name='r1')], 'dangling.onnx')\n"
    "one([relu('x', 'y', name='r1')], 'no_output.onnx', outs=[vi('nothing', [2])])\n"
    "# float64 is a valid ONNX type no kernel here takes: refused when planned\n"
    "save(h.make_graph([h.make_node('Conv', ['x', 'w'], ['y'], name='conv64')], 'f64',\n"
    "                  [vi('x', ['N', 1, 4, 4], T.DOUBLE)], [vi('y', ['N', 1, 2, 2], T.DOUBLE)],\n"
    "                  [nh.from_array(np.ones((1, 1, 3, 3)), 'w')]), 'conv_f64.onnx', 13)\n"
    "\n"
    "# ---- lone TensorProtos (the node tests' .pb files), good and hostile ----\n"
    "def pb(name, t):\n"
    "    with open(os.path.join(out, name), 'wb') as fh:\n"
    "        fh.write(t.SerializeToString())\n"
    "pb('t_ok.pb', nh.from_array(np.arange(6, dtype=np.int64).reshape(2, 3), 'ints'))\n"
    "pb('t_typed.pb', h.make_tensor('typed', T.FLOAT, [2, 2], [1.5, 2.5, 3.5, 4.5]))\n"
    "def raw_tensor(name, dtype, dims, raw=None, ints=None):\n"
    "    t = onnx.TensorProto()\n"
    "    t.name, t.data_type = name, dtype\n"
    "    t.dims.extend(dims)\n"
    "    if raw is not None:\n"
    "        t.raw_data = raw\n"
    "    if ints is not None:\n"
    "        t.int64_data.extend(ints)\n"
    "    return t\n"
    "pb('t_huge.pb', raw_tensor('huge', T.FLOAT, [1 << 40, 1 << 40], np.zeros(4, np.float32).tobytes()))\n"
    "pb('t_short.pb', raw_tensor('short', T.FLOAT, [3, 3], np.zeros(8, np.float32).tobytes()))\n"
    "pb('t_rank9.pb', raw_tensor('deep', T.FLOAT, [1] * 9, np.zeros(1, np.float32).tobytes()))\n"
    "pb('t_half.pb', raw_tensor('half', T.FLOAT16, [2], np.zeros(2, np.float16).tobytes()))\n"
    "pb('t_count.pb', raw_tensor('count', T.INT64, [4], ints=[1, 2, 3]))\n";

/* ---- fixtures ---- */

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    *n = (size_t)len;
    return buf;
}

/* The graphs are generated once per version of this file (gen_py lives
 * here), under tests/support/once.h's lock. */
static int make_models(void *arg)
{
    (void)arg;
    FILE *f = fopen(MODELS "/gen.py", "w");
    if (!f || fputs(gen_py, f) < 0 || fclose(f))
        return -1;
    return system("'" VD_PYTHON "' '" MODELS "/gen.py' '" MODELS "'") == 0 ? 0 : -1;
}

static void ensure_models(void)
{
    cr_assert_eq(vd_test_once(MODELS, VD_SOURCE_DIR "/tests/test_nn_runtime.c", make_models, NULL),
                 0, "the model generator failed");
}

static const char *path_of(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", MODELS, name);
    return buf;
}

static vd_nn_model *load(const char *name)
{
    ensure_models();
    vd_nn_model *m = NULL;
    vd_error e = {0};
    int rc = vd_nn_model_load(&m, path_of(name), &e);
    cr_assert_eq(rc, 0, "%s: %s", name, e.msg);
    return m;
}

static vd_nn_session *session(const vd_nn_model *m, int threads, int batch, int profile)
{
    vd_nn_session_opts o = {threads, batch, profile};
    vd_nn_session *s = NULL;
    vd_error e = {0};
    cr_assert_eq(vd_nn_session_create(&s, m, &o, &e), 0, "%s", e.msg);
    return s;
}

static vd_tensor npy(const char *name)
{
    vd_tensor t;
    vd_error e = {0};
    cr_assert_eq(vd_npy_read(path_of(name), &t, &e), 0, "%s", e.msg);
    return t;
}

/* Within atol + rtol * |want| everywhere (same dtype/shape required). */
static void expect_close(const vd_tensor *got, const vd_tensor *want, double tol, const char *what)
{
    char a[96], b[96];
    cr_assert(vd_tensor_same_shape(got, want), "%s: %s vs %s", what,
              vd_tensor_shape_str(got, a, sizeof a), vd_tensor_shape_str(want, b, sizeof b));
    const float *g = got->data, *w = want->data;
    for (int64_t i = 0; i < vd_tensor_numel(want); i++)
        cr_assert(fabs(g[i] - w[i]) <= tol + tol * fabs(w[i]), "%s[%lld]: %g, expected %g", what,
                  (long long)i, g[i], w[i]);
}

static void run_ok(vd_nn_session *s, const vd_tensor *in, int n_in, vd_tensor *out, int n_out)
{
    vd_error e = {0};
    cr_assert_eq(vd_nn_session_run(s, in, n_in, out, n_out, &e), 0, "%s", e.msg);
}

static int load_fails(const char *name, vd_error *e)
{
    ensure_models();
    vd_nn_model *m = NULL;
    int rc = vd_nn_model_load(&m, path_of(name), e);
    cr_assert_null(m);
    cr_assert_lt(rc, 0, "%s loaded", name);
    return rc;
}

/* The session runs exactly these ops, in this order (fusions applied). */
static void expect_ops(const vd_nn_session *s, const char *const *ops, int n_ops)
{
    int n = vd_nn_session_profile_count(s);
    cr_assert_eq(n, n_ops, "%d steps, expected %d", n, n_ops);
    for (int i = 0; i < n; i++) {
        vd_nn_node_profile p;
        cr_assert_eq(vd_nn_session_profile(s, i, &p), 0);
        cr_expect_str_eq(p.op, ops[i], "step %d (%s)", i, p.name);
    }
}

/* NAME.onnx at batch 2 on 1 and 2 threads gives NAME_y.npy from
 * NAME_x.npy (numpy's) and runs exactly ops (the fusions applied). */
static void expect_fused_model(const char *name, const char *const *ops, int n_ops)
{
    char f[256], fx[256], fy[256];
    snprintf(f, sizeof f, "%s.onnx", name);
    snprintf(fx, sizeof fx, "%s_x.npy", name);
    snprintf(fy, sizeof fy, "%s_y.npy", name);
    vd_nn_model *m = load(f);
    for (int threads = 1; threads <= 2; threads++) {
        vd_nn_session *s = session(m, threads, 2, 1);
        vd_tensor x = npy(fx), want = npy(fy), y = {0};
        run_ok(s, &x, 1, &y, 1);
        expect_close(&y, &want, 1e-4, name);
        expect_ops(s, ops, n_ops);
        vd_tensor_free(&x);
        vd_tensor_free(&want);
        vd_tensor_free(&y);
        vd_nn_session_free(&s);
    }
    vd_nn_model_free(&m);
}

static void free_all(vd_tensor *t, int n)
{
    for (int i = 0; i < n; i++)
        vd_tensor_free(&t[i]);
}

/* ---- fusions and folding ---- */

Test(nn_runtime, fusions_are_applied_and_match_numpy, .timeout = 120)
{
    vd_nn_model *m = load("fuse_on.onnx");
    vd_nn_session *s = session(m, 1, 2, 1);
    vd_tensor x = npy("fuse_x.npy"), want[2] = {npy("fuse_y.npy"), npy("fuse_y2.npy")};
    vd_tensor out[2] = {0};
    run_ok(s, &x, 1, out, 2);
    expect_close(&out[0], &want[0], 1e-4, "y");
    expect_close(&out[1], &want[1], 1e-4, "y2");

    static const char *const ops[] = {"Conv+Relu", "Conv+Clip", "Conv+LeakyRelu", "Conv+SiLU",
                                      "Conv+HardSwish", "Conv+HardSigmoid", "Flatten",
                                      "Gemm+Relu", "MatMul+Sigmoid"};
    int n = vd_nn_session_profile_count(s);
    cr_assert_eq(n, 9, "%d steps: BatchNormalization, activations and the constant Mul should be gone", n);
    for (int i = 0; i < n; i++) {
        vd_nn_node_profile p;
        cr_assert_eq(vd_nn_session_profile(s, i, &p), 0);
        cr_expect_str_eq(p.op, ops[i], "step %d (%s)", i, p.name);
        cr_expect_eq(p.runs, 1);
    }
    vd_nn_model_info info;
    vd_nn_model_get_info(m, &info);
    cr_expect_eq(info.n_nodes_original, 20);
    cr_expect_eq(info.n_nodes, 9);
    cr_expect_eq(info.opset, 14);
    free_all(out, 2);
    free_all(want, 2);
    vd_tensor_free(&x);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
    cr_expect_null(m);
}

/* Add(conv, Concat([r, zeros], 1)) becomes a conv whose residual is r,
 * added to its first channels: on the 1x1 path in the sgemm epilogue, on
 * a 3x3 after the conv, and with a 1-channel r (which must not be taken
 * for a broadcast). The Concats are gone; numpy is the reference. */
Test(nn_runtime, channel_padded_residual_is_fused, .timeout = 120)
{
    static const char *const ops[] = {"Conv+Relu", "Conv+Add+Relu", "Conv+Add", "Conv",
                                      "Conv+Add+Sigmoid"};
    expect_fused_model("pad_residual", ops, 5); /* the three Concats are gone */
}

/* A Concat whose only reader is a 1x1 conv is read part by part by that
 * conv (residual Add and Relu still fused); the one before a 3x3 conv
 * stays. Batch 2, 1 and 2 threads, against numpy. */
Test(nn_runtime, concat_into_a_pointwise_conv_is_fused, .timeout = 120)
{
    static const char *const ops[] = {"Conv+Relu", "Conv", "Conv", "Concat+Conv+Add+Relu",
                                      "Concat", "Conv"};
    expect_fused_model("concat_conv", ops, 6);
}

Test(nn_runtime, unfused_twin_gives_the_same_outputs, .timeout = 120)
{
    vd_nn_model *on = load("fuse_on.onnx"), *off = load("fuse_off.onnx");
    vd_nn_session *a = session(on, 1, 2, 1), *b = session(off, 1, 2, 1);
    vd_tensor x = npy("fuse_x.npy"), ya[2] = {0}, yb[10] = {0};
    run_ok(a, &x, 1, ya, 2);
    run_ok(b, &x, 1, yb, 10);
    expect_close(&yb[0], &ya[0], 1e-5, "y unfused");
    expect_close(&yb[1], &ya[1], 1e-5, "y2 unfused");
    int bn = 0;
    for (int i = 0; i < vd_nn_session_profile_count(b); i++) {
        vd_nn_node_profile p;
        vd_nn_session_profile(b, i, &p);
        bn += !strcmp(p.op, "BatchNormalization");
        cr_expect(!strchr(p.op, '+'), "%s fused although its input is a graph output", p.op);
    }
    cr_expect_eq(bn, 1);
    free_all(ya, 2);
    free_all(yb, 10);
    vd_tensor_free(&x);
    vd_nn_session_free(&a);
    vd_nn_session_free(&b);
    vd_nn_model_free(&on);
    vd_nn_model_free(&off);
}

Test(nn_runtime, shape_subgraph_folds_per_batch, .timeout = 120)
{
    vd_nn_model *m = load("shape.onnx");
    vd_nn_session *s = session(m, 1, 1, 1);
    /* Shape->Gather->Unsqueeze->Concat are constants of the session and the
     * two Transposes cancel: only Conv, Reshape and Add run. */
    static const char *const ops[] = {"Conv", "Reshape", "Add"};
    cr_assert_eq(vd_nn_session_profile_count(s), 3);
    for (int i = 0; i < 3; i++) {
        vd_nn_node_profile p;
        vd_nn_session_profile(s, i, &p);
        cr_expect_str_eq(p.op, ops[i]);
    }
    vd_tensor x3 = npy("shape_x.npy"), x1 = vd_tensor_slot(&x3, 0), o1[2] = {0}, o3[2] = {0};
    x1.ndim = 4;
    x1.shape[0] = 1, x1.shape[1] = 3, x1.shape[2] = 8, x1.shape[3] = 8;
    run_ok(s, &x1, 1, o1, 2);
    int64_t shape[8];
    cr_assert_eq(vd_nn_session_output_shape(s, 0, shape), 2);
    cr_expect(shape[0] == 1 && shape[1] == 256);

    vd_error e = {0};
    cr_assert_eq(vd_nn_session_set_batch(s, 3, &e), 0, "%s", e.msg);
    cr_assert_eq(vd_nn_session_input_shape(s, 0, shape), 4);
    cr_expect_eq(shape[0], 3);
    cr_assert_eq(vd_nn_session_output_shape(s, 0, shape), 2);
    cr_expect(shape[0] == 3 && shape[1] == 256, "[%lld,%lld]", (long long)shape[0], (long long)shape[1]);
    run_ok(s, &x3, 1, o3, 2);
    cr_expect_eq(memcmp(o3[0].data, o1[0].data, vd_tensor_nbytes(&o1[0])), 0,
                 "slot 0 of batch 3 differs from batch 1");
    const float *x = x3.data, *z = o3[1].data;
    for (int64_t i = 0; i < vd_tensor_numel(&x3); i++)
        cr_assert_eq(z[i], 2 * x[i], "z = x + transpose(transpose(x)) at %lld", (long long)i);
    free_all(o1, 2);
    free_all(o3, 2);
    vd_tensor_free(&x3);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
}

Test(nn_runtime, nhwc_transposes_sink_and_cancel, .timeout = 120)
{
    vd_nn_model *m = load("nhwc.onnx");
    vd_nn_session *s = session(m, 1, 1, 1);
    vd_tensor x = npy("nhwc_x.npy"), want = npy("nhwc_y.npy"), y = {0};
    run_ok(s, &x, 1, &y, 1);
    expect_close(&y, &want, 1e-4, "y");
    /* Transpose in, Conv+Relu, per-channel Add, Mul by 0.5, Conv with the
     * residual Add fused into its epilogue, Transpose out */
    static const char *const ops[] = {"Transpose", "Conv+Relu", "Add", "Mul", "Conv+Add", "Transpose"};
    expect_ops(s, ops, 6);
    vd_tensor_free(&x);
    vd_tensor_free(&want);
    vd_tensor_free(&y);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
}

/* ---- memory ---- */

Test(nn_runtime, arena_reuses_buffers_on_a_chain, .timeout = 120)
{
    vd_nn_model *m = load("chain.onnx");
    vd_nn_session *s = session(m, 1, 1, 0);
    size_t one = 16 * 16 * 16 * sizeof(float), arena = vd_nn_session_arena_bytes(s);
    /* six 16 KiB intermediates live one after another: two slots (plus
     * the output, held to the end) are enough */
    cr_expect_gt(arena, 0);
    cr_expect_leq(arena, 3 * one, "arena %zu bytes for 6 x %zu-byte intermediates", arena, one);
    vd_nn_model_info info;
    vd_nn_model_get_info(m, &info);
    cr_expect_eq(info.n_nodes, 6, "Identity was not removed");

    vd_tensor x, y = {0}, yt = {0};
    int64_t shape[4] = {1, 16, 16, 16};
    vd_tensor_alloc(&x, VD_DTYPE_F32, 4, shape, NULL);
    for (int64_t i = 0; i < vd_tensor_numel(&x); i++)
        ((float *)x.data)[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
    run_ok(s, &x, 1, &y, 1);
    vd_nn_session *t = session(m, 3, 1, 0);
    run_ok(t, &x, 1, &yt, 1);
    expect_close(&yt, &y, 1e-5, "3 threads vs 1");
    /* caller-provided output memory is written in place */
    memset(yt.data, 0, vd_tensor_nbytes(&yt));
    run_ok(t, &x, 1, &yt, 1);
    expect_close(&yt, &y, 1e-5, "in-place output");
    vd_tensor_free(&x);
    vd_tensor_free(&y);
    vd_tensor_free(&yt);
    vd_nn_session_free(&s);
    vd_nn_session_free(&t);
    vd_nn_model_free(&m);
}

Test(nn_runtime, broadcast_is_never_computed_in_place)
{
    vd_nn_model *m = load("bcast.onnx");
    vd_nn_session *s = session(m, 1, 1, 0);
    float a[4] = {-1, 2, -3, 4}, b[8] = {10, 20, 30, 40, 50, 60, 70, 80};
    int64_t sa[2] = {1, 4}, sb[2] = {2, 4};
    vd_tensor in[2], y = {0};
    vd_tensor_view(&in[0], VD_DTYPE_F32, 2, sa, a);
    vd_tensor_view(&in[1], VD_DTYPE_F32, 2, sb, b);
    run_ok(s, in, 2, &y, 1);
    for (int i = 0; i < 8; i++)
        cr_expect_eq(((float *)y.data)[i], (a[i % 4] > 0 ? a[i % 4] : 0) + b[i], "y[%d]", i);
    vd_tensor_free(&y);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
}

/* ---- shapes only known at run time ---- */

Test(nn_runtime, data_dependent_shapes_are_planned_per_run, .timeout = 120)
{
    vd_nn_model *m = load("dyn.onnx");
    vd_nn_session *s = session(m, 2, 1, 0);
    int64_t xs[2] = {2, 6}, n2 = 2, shape[8];
    int nd = vd_nn_session_output_shape(s, 0, shape);
    for (int d = 0; d < nd; d++)
        cr_expect_eq(shape[d], -1, "dimension %d of a data-dependent output", d);
    vd_tensor in[2];
    vd_tensor_alloc(&in[0], VD_DTYPE_F32, 2, xs, NULL);
    vd_tensor_alloc(&in[1], VD_DTYPE_I64, 1, &n2, NULL);
    for (int i = 0; i < 12; i++)
        ((float *)in[0].data)[i] = (float)(i - 5);
    static const int64_t targets[3][2] = {{3, 4}, {4, -1}, {12, 1}};
    static const int64_t expect[3][2] = {{3, 4}, {4, 3}, {12, 1}};
    for (int k = 0; k < 3; k++) {
        vd_tensor y = {0};
        memcpy(in[1].data, targets[k], sizeof targets[k]);
        run_ok(s, in, 2, &y, 1);
        cr_assert_eq(y.ndim, 2);
        cr_expect(y.shape[0] == expect[k][0] && y.shape[1] == expect[k][1], "run %d", k);
        for (int i = 0; i < 12; i++)
            cr_expect_eq(((float *)y.data)[i], i > 5 ? (float)(i - 5) : 0.0f);
        vd_tensor_free(&y);
    }
    /* a bad shape is an error of that run, naming the node */
    vd_tensor y = {0};
    vd_error e = {0};
    ((int64_t *)in[1].data)[0] = 5;
    ((int64_t *)in[1].data)[1] = 5;
    cr_expect_lt(vd_nn_session_run(s, in, 2, &y, 1, &e), 0);
    cr_expect(strstr(e.msg, "reshape"), "%s", e.msg);
    free_all(in, 2);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
}

Test(nn_runtime, unnamed_optional_output_is_harmless)
{
    vd_nn_model *m = load("pool_unnamed.onnx");
    vd_nn_session *s = session(m, 1, 1, 0);
    int64_t shape[4] = {1, 2, 4, 4};
    vd_tensor x, y = {0};
    vd_tensor_alloc(&x, VD_DTYPE_F32, 4, shape, NULL);
    for (int i = 0; i < 32; i++)
        ((float *)x.data)[i] = (float)((i * 7) % 11);
    run_ok(s, &x, 1, &y, 1);
    const float *xs = x.data;
    for (int c = 0; c < 2; c++)
        for (int oy = 0; oy < 2; oy++)
            for (int ox = 0; ox < 2; ox++) {
                float mx = -1;
                for (int k = 0; k < 4; k++) {
                    float v = xs[c * 16 + (2 * oy + k / 2) * 4 + 2 * ox + k % 2];
                    mx = v > mx ? v : mx;
                }
                cr_expect_eq(((float *)y.data)[c * 4 + oy * 2 + ox], mx);
            }
    vd_tensor_free(&x);
    vd_tensor_free(&y);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
}

Test(nn_runtime, symbolic_spatial_dims_need_a_shape, .timeout = 120)
{
    vd_nn_model *m = load("hw.onnx");
    const vd_nn_io_info *io = vd_nn_model_input(m, 0);
    cr_assert_eq(io->ndim, 4);
    cr_expect(io->shape[0] == -1 && io->shape[1] == 3 && io->shape[2] == -1);
    cr_expect_str_eq(io->dim_names[0], "N");
    cr_expect_str_eq(io->dim_names[2], "H");
    vd_nn_session *s = session(m, 1, 2, 0);
    vd_error e = {0};
    int64_t shape[4] = {2, 3, 5, 7};
    vd_tensor x, y = {0};
    vd_tensor_alloc(&x, VD_DTYPE_F32, 4, shape, NULL);
    cr_expect_lt(vd_nn_session_run(s, &x, 1, &y, 1, &e), 0);
    cr_expect(strstr(e.msg, "'x'") && strstr(e.msg, "'H'"), "%s", e.msg);
    int64_t bad[4] = {2, 4, 5, 7};
    cr_expect_eq(vd_nn_session_set_input_shape(s, 0, 4, bad, &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "dimension 1"), "%s", e.msg);
    cr_assert_eq(vd_nn_session_set_input_shape(s, 0, 4, shape, &e), 0, "%s", e.msg);
    run_ok(s, &x, 1, &y, 1);
    cr_expect(vd_tensor_same_shape(&x, &y));
    vd_tensor_free(&x);
    vd_tensor_free(&y);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);

    /* 3x3 images do not fit the Gemm's 12 inputs: refused, naming the
     * node, and the session keeps its previous plan */
    m = load("hw_gemm.onnx");
    s = session(m, 1, 1, 0);
    int64_t small[4] = {1, 3, 2, 2}, big[4] = {1, 3, 3, 3};
    cr_assert_eq(vd_nn_session_set_input_shape(s, 0, 4, small, &e), 0, "%s", e.msg);
    cr_expect_lt(vd_nn_session_set_input_shape(s, 0, 4, big, &e), 0);
    cr_expect(strstr(e.msg, "'gemm'"), "%s", e.msg);
    vd_tensor_alloc(&x, VD_DTYPE_F32, 4, small, NULL);
    run_ok(s, &x, 1, &y, 1);
    cr_expect(y.ndim == 2 && y.shape[0] == 1 && y.shape[1] == 5);
    vd_tensor_free(&x);
    vd_tensor_free(&y);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
}

Test(nn_runtime, initializer_listed_as_input_is_a_constant)
{
    vd_nn_model *m = load("default_input.onnx");
    cr_assert_eq(vd_nn_model_input_count(m), 1);
    cr_expect_str_eq(vd_nn_model_input(m, 0)->name, "x");
    cr_expect_eq(vd_nn_model_input_index(m, "w"), -1);
    cr_expect_eq(vd_nn_model_output_index(m, "y"), 0);
    vd_nn_session *s = session(m, 1, 1, 0);
    float ones[4] = {1, 1, 1, 1};
    int64_t four = 4;
    vd_tensor x, y = {0};
    vd_tensor_view(&x, VD_DTYPE_F32, 1, &four, ones);
    run_ok(s, &x, 1, &y, 1);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(((float *)y.data)[i], 1.0f + i);
    vd_tensor_free(&y);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
}

Test(nn_runtime, external_data_next_to_the_model)
{
    vd_nn_model *m = load("ext.onnx");
    vd_nn_session *s = session(m, 1, 1, 0);
    float zeros[4] = {0};
    int64_t four = 4;
    vd_tensor x, y = {0};
    vd_tensor_view(&x, VD_DTYPE_F32, 1, &four, zeros);
    run_ok(s, &x, 1, &y, 1);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(((float *)y.data)[i], 10.0f + i, "offset 16 of ext.bin");
    vd_tensor_free(&y);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);

    vd_error e = {0};
    cr_expect_eq(load_fails("ext_missing.onnx", &e), VD_ENOTFOUND);
    cr_expect(strstr(e.msg, "nowhere.bin") && strstr(e.msg, "'w'"), "%s", e.msg);
    cr_expect_eq(load_fails("ext_escape.onnx", &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "leaves the model directory"), "%s", e.msg);
    size_t n;
    char *buf = slurp(path_of("ext.onnx"), &n);
    cr_expect_eq(vd_nn_model_load_buffer(&m, buf, n, NULL, &e), VD_EUNSUPPORTED);
    cr_expect(strstr(e.msg, "ext.bin"), "%s", e.msg);
    free(buf);
}

/* ---- refusals ---- */

Test(nn_runtime, bad_graphs_are_refused_with_names, .timeout = 60)
{
    static const struct {
        const char *file;
        int code;
        const char *needles[3];
    } cases[] = {
        {"unknown_op.onnx", VD_EUNSUPPORTED, {"'mystery'", "FooBar", "opset 13"}},
        {"unknown_attr.onnx", VD_EUNSUPPORTED, {"'r1'", "'foo'", "Relu"}},
        {"opset6.onnx", VD_EUNSUPPORTED, {"opset 6", "7 to 20", NULL}},
        {"domain.onnx", VD_EUNSUPPORTED, {"'ms'", "com.microsoft", NULL}},
        {"cycle.onnx", VD_EFORMAT, {"cycle", NULL, NULL}},
        {"dangling.onnx", VD_EFORMAT, {"'ghost'", "'r1'", NULL}},
        {"no_output.onnx", VD_EFORMAT, {"'nothing'", NULL, NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vd_error e = {0};
        cr_expect_eq(load_fails(cases[i].file, &e), cases[i].code, "%s: %s", cases[i].file, e.msg);
        cr_expect(strstr(e.msg, cases[i].file), "%s", e.msg);
        for (int k = 0; k < 3 && cases[i].needles[k]; k++)
            cr_expect(strstr(e.msg, cases[i].needles[k]), "%s: no %s in \"%s\"", cases[i].file,
                      cases[i].needles[k], e.msg);
    }
}

/* A dtype no kernel takes is a plan-time error, not "shape unknown until
 * run time": the session refuses to be created, naming node and dtype. */
Test(nn_runtime, unsupported_dtype_fails_when_planned, .timeout = 60)
{
    vd_nn_model *m = load("conv_f64.onnx");
    vd_nn_session *s = NULL;
    vd_nn_session_opts o = {.threads = 1, .batch = 1};
    vd_error e = {0};
    cr_expect_eq(vd_nn_session_create(&s, m, &o, &e), VD_EUNSUPPORTED, "%s", e.msg);
    cr_expect_null(s);
    cr_expect(strstr(e.msg, "conv64") && strstr(e.msg, "float64"), "%s", e.msg);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
}

Test(nn_runtime, truncated_garbage_and_mutated_files_never_crash, .timeout = 120)
{
    ensure_models();
    size_t n;
    unsigned char *good = (unsigned char *)slurp(path_of("fuse_on.onnx"), &n);
    cr_assert_not_null(good);
    vd_nn_model *m = NULL;
    vd_error e = {0};
    size_t cuts[] = {0, 1, 10, n / 3, n / 2, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        e.msg[0] = '\0';
        cr_expect_lt(vd_nn_model_load_buffer(&m, good, cuts[i], NULL, &e), 0, "cut at %zu", cuts[i]);
        cr_expect_null(m);
        cr_expect_neq(e.msg[0], '\0');
    }
    cr_expect_eq(vd_nn_model_load_buffer(&m, good, n / 2, NULL, &e), VD_EFORMAT);
    cr_expect(strstr(e.msg, "truncated"), "%s", e.msg);
    unsigned char junk[4096];
    uint32_t r = 12345;
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)((r = r * 1103515245u + 12345u) >> 16);
    cr_expect_lt(vd_nn_model_load_buffer(&m, junk, sizeof junk, NULL, &e), 0);
    /* A few hundred random byte flips: each load fails cleanly or yields a
     * model that plans (or refuses to) without crashing. */
    unsigned char *mut = malloc(n);
    for (int t = 0; t < 300; t++) {
        memcpy(mut, good, n);
        for (int k = 0; k < 1 + t % 4; k++) {
            r = r * 1103515245u + 12345u;
            mut[r % n] = (unsigned char)(r >> 20);
        }
        int rc = vd_nn_model_load_buffer(&m, mut, n, NULL, &e);
        if (rc == 0) {
            vd_nn_session *s = NULL;
            if (vd_nn_session_create(&s, m, NULL, &e) == 0)
                vd_nn_session_free(&s);
            vd_nn_model_free(&m);
        } else {
            cr_expect_neq(e.msg[0], '\0');
        }
    }
    free(mut);
    free(good);
}

Test(nn_runtime, run_checks_inputs_and_outputs, .timeout = 60)
{
    vd_nn_model *m = load("fuse_on.onnx");
    vd_nn_session *s = session(m, 1, 2, 0);
    vd_tensor x = npy("fuse_x.npy"), out[2] = {0}, bad;
    vd_error e = {0};
    cr_expect_eq(vd_nn_session_run(s, &x, 0, out, 2, &e), VD_EINVAL);
    vd_tensor_alloc(&bad, VD_DTYPE_I64, 4, x.shape, NULL);
    cr_expect_eq(vd_nn_session_run(s, &bad, 1, out, 2, &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "'x'") && strstr(e.msg, "int64"), "%s", e.msg);
    vd_tensor_free(&bad);
    int64_t one[4] = {1, 4, 10, 10};
    vd_tensor_alloc(&bad, VD_DTYPE_F32, 4, one, NULL);
    cr_expect_eq(vd_nn_session_run(s, &bad, 1, out, 2, &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "'x'") && strstr(e.msg, "[1,4,10,10]") && strstr(e.msg, "[2,4,10,10]"),
              "%s", e.msg);
    vd_tensor_free(&bad);
    int64_t wrong[2] = {2, 11};
    vd_tensor_alloc(&out[0], VD_DTYPE_F32, 2, wrong, NULL);
    cr_expect_eq(vd_nn_session_run(s, &x, 1, out, 1, &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "'y'") && strstr(e.msg, "[2,11]"), "%s", e.msg);
    cr_expect_eq(vd_nn_session_set_batch(s, 0, &e), VD_EINVAL);
    vd_tensor_free(&out[0]);

    vd_tensor_free(&x);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
}

Test(nn_runtime, tensor_protos_are_bounds_checked, .timeout = 60)
{
    ensure_models();
    vd_tensor t;
    char *name = NULL;
    vd_error e = {0};
    cr_assert_eq(vd_nn_tensor_pb_load(path_of("t_ok.pb"), &t, &name, &e), 0, "%s", e.msg);
    cr_expect_str_eq(name, "ints");
    cr_expect(t.dtype == VD_DTYPE_I64 && t.ndim == 2 && t.shape[0] == 2 && t.shape[1] == 3);
    for (int i = 0; i < 6; i++)
        cr_expect_eq(((int64_t *)t.data)[i], i);
    free(name);
    vd_tensor_free(&t);
    cr_assert_eq(vd_nn_tensor_pb_load(path_of("t_typed.pb"), &t, NULL, &e), 0, "%s", e.msg);
    cr_expect_eq(((float *)t.data)[3], 4.5f);
    vd_tensor_free(&t);
    static const struct {
        const char *file;
        int code;
        const char *needle;
    } bad[] = {
        {"t_huge.pb", VD_ELIMIT, "'huge'"},      {"t_short.pb", VD_EFORMAT, "raw_data has 32 bytes"},
        {"t_rank9.pb", VD_EUNSUPPORTED, "rank 9"}, {"t_half.pb", VD_EUNSUPPORTED, "FLOAT16"},
        {"t_count.pb", VD_EFORMAT, "3 data elements"}, {"nothing_here.pb", VD_ENOTFOUND, "nothing_here"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        name = (char *)1;
        cr_expect_eq(vd_nn_tensor_pb_load(path_of(bad[i].file), &t, &name, &e), bad[i].code, "%s: %s",
                     bad[i].file, e.msg);
        cr_expect(strstr(e.msg, bad[i].needle) && strstr(e.msg, bad[i].file), "%s", e.msg);
        cr_expect_null(t.data);
        cr_expect_null(name);
    }
}

/* ---- threads ---- */

typedef struct worker_arg {
    const vd_nn_model *m;
    const vd_tensor *x, *want;
    double max_diff;
    int failures;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *w = p;
    vd_nn_session_opts o = {2, 2, 0};
    vd_nn_session *s = NULL;
    if (vd_nn_session_create(&s, w->m, &o, NULL)) {
        w->failures++;
        return NULL;
    }
    for (int it = 0; it < 20; it++) {
        vd_tensor out[2] = {0};
        if (vd_nn_session_run(s, w->x, 1, out, 2, NULL)) {
            w->failures++;
            continue;
        }
        for (int j = 0; j < 2; j++)
            for (int64_t i = 0; i < vd_tensor_numel(&w->want[j]); i++) {
                double d = fabs(((float *)out[j].data)[i] - ((float *)w->want[j].data)[i]);
                w->max_diff = d > w->max_diff ? d : w->max_diff;
            }
        free_all(out, 2);
    }
    vd_nn_session_free(&s);
    return NULL;
}

Test(nn_runtime, concurrent_sessions_share_one_model, .timeout = 120)
{
    vd_nn_model *m = load("fuse_on.onnx");
    vd_nn_session *s = session(m, 1, 2, 0);
    vd_tensor x = npy("fuse_x.npy"), want[2] = {0};
    run_ok(s, &x, 1, want, 2);
    pthread_t th[4];
    worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (worker_arg){m, &x, want, 0, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(args[i].failures, 0, "thread %d", i);
        cr_expect_leq(args[i].max_diff, 1e-5, "thread %d differs by %g", i, args[i].max_diff);
    }
    free_all(want, 2);
    vd_tensor_free(&x);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
}

static void *wino_worker(void *p)
{
    worker_arg *w = p;
    vd_nn_session_opts o = {1 + (w->failures & 1), 2, 0};
    vd_nn_session *s = NULL;
    w->failures = 0;
    if (vd_nn_session_create(&s, w->m, &o, NULL)) {
        w->failures++;
        return NULL;
    }
    for (int it = 0; it < 3; it++) {
        vd_tensor y = {0};
        if (vd_nn_session_run(s, w->x, 1, &y, 1, NULL)) {
            w->failures++;
            continue;
        }
        for (int64_t i = 0; i < vd_tensor_numel(w->want); i++) {
            double g = ((float *)y.data)[i], e = ((float *)w->want->data)[i];
            double d = fabs(g - e) / (1 + fabs(e));
            w->max_diff = d > w->max_diff ? d : w->max_diff;
        }
        vd_tensor_free(&y);
    }
    vd_nn_session_free(&s);
    return NULL;
}

/* A Winograd conv keeps its transformed weights with the model, computed
 * by whichever run gets there first: 4 sessions (1 and 2 threads) start
 * at once on a fresh model, race to publish them, then run again on the
 * kept copy; every run matches numpy's direct convolution. */
Test(nn_runtime, winograd_weights_are_kept_and_shared, .timeout = 120)
{
    vd_nn_model *m = load("wino.onnx");
    vd_tensor x = npy("wino_x.npy"), want = npy("wino_y.npy");
    pthread_t th[4];
    worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (worker_arg){m, &x, &want, 0, i};
        cr_assert_eq(pthread_create(&th[i], NULL, wino_worker, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(args[i].failures, 0, "thread %d", i);
        cr_expect_leq(args[i].max_diff, 1e-4, "thread %d differs by %g", i, args[i].max_diff);
    }
    vd_nn_session *s = session(m, 1, 1, 1);
    vd_nn_node_profile pr;
    cr_assert_eq(vd_nn_session_profile(s, 0, &pr), 0);
    cr_expect_str_eq(pr.op, "Conv+Relu");
    vd_nn_session_free(&s);
    vd_tensor_free(&x);
    vd_tensor_free(&want);
    vd_nn_model_free(&m);
}

/* ---- a real tf2onnx export (NHWC, Transposes around the convs) ---- */

Test(nn_runtime, blazeface_runs_with_fixed_batch, .timeout = 120)
{
    const char *path = VD_DEPS_DIR "/npm/blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx";
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s is missing: run setup.sh", path);
    vd_nn_model *m = NULL;
    vd_error e = {0};
    cr_assert_eq(vd_nn_model_load(&m, path, &e), 0, "%s", e.msg);
    vd_nn_model_info info;
    vd_nn_model_get_info(m, &info);
    cr_expect_eq(info.opset, 12);
    cr_expect_str_eq(info.producer, "tf2onnx");
    cr_expect_gt(info.n_params, 90000);
    vd_nn_session *s = session(m, 2, 1, 0);
    cr_expect_eq(vd_nn_session_set_batch(s, 4, &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "symbolic"), "%s", e.msg);
    int64_t shape[4] = {1, 128, 128, 3};
    vd_tensor x, out[4] = {0};
    vd_tensor_alloc(&x, VD_DTYPE_F32, 4, shape, NULL);
    run_ok(s, &x, 1, out, 4);
    static const int64_t want[4][3] = {{1, 512, 1}, {1, 384, 1}, {1, 512, 16}, {1, 384, 16}};
    for (int j = 0; j < 4; j++)
        cr_expect(out[j].ndim == 3 && !memcmp(out[j].shape, want[j], sizeof want[j]), "output %d", j);
    free_all(out, 4);
    vd_tensor_free(&x);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
}

"""make_models.py -- ONNX graphs with the structure of real exports, for
comparing vision/nn with onnxruntime (tests/nn_models.cmake) and for the
benchmark (bench/nn_bench.sh).

No weights can be downloaded here, so each graph reproduces what the
exporter emits -- node types, attributes, layout, the way heads decode --
with small widths and seeded random weights:

  yolov5n_like   ultralytics YOLOv5 v6+ (no Focus): Conv+BN+SiLU (Sigmoid, Mul),
                 C3 blocks, SPPF (MaxPool), Resize nearest, Concat, Detect head
                 with Shape-driven Reshape/Transpose, Sigmoid, Split, Pow grid
                 decode -> [batch, N, 85]
  yolov8n_like   ultralytics YOLOv8: C2f (Split), SPPF, DFL head (Softmax +
                 1x1 Conv), dist2bbox -> [batch, 84, N]
  yolov8n_full   the same at YOLOv8n's real width and depth (channels 16-256,
                 C2f repeats 1,2,2,1, 3.2 M parameters), for the benchmark
  yolo11n_like   YOLO11: C3k2 (C3k inside), C2PSA attention (MatMul, Softmax),
                 depthwise cls head, DFL -> [batch, 84, N]
  resnet_like    torchvision ResNet: BasicBlock + Bottleneck stages, MaxPool,
                 GlobalAveragePool, Flatten, Gemm -> [batch, 1000]
  mobilenetv3_like  torchvision MobileNetV3: depthwise convs, HardSwish, SE
                 blocks (GlobalAveragePool and ReduceMean, HardSigmoid) -> [batch, 1000]
  ssdlite_like   torchvision SSDlite: MobileNet-ish backbone, extra layers,
                 depthwise-separable heads (Clip 0..6), Transpose/Reshape,
                 Concat of boxes and scores, Softmax
  act_gelu_mish  Gelu (opset 20) and Mish (opset 18), which the ONNX 1.12
                 node tests do not cover
  opset18_ops .. opset20_ops  every op whose definition changed in opsets
                 18-20, in its new form (docs/nn-opsets.md)
  refuse_*       one node each that visiond must refuse at load time
  fuse_gelu_mish Gelu (erf, tanh forms) and Mish as opset <= 17 exporters
                 decompose them, plus two near-misses, for the fusion pass
  topk_centernet CenterNet's decode: TopK k=100 over a [batch, 128*128*80]
                 flattened heatmap (1.3 M values); also over Floor(64 x), whose
                 ~20 K-way ties leave the order to the tie rule (lower index
                 first), smallest first, along a middle axis, and over +0/-0
  topk_single    one TopK node, k=100 over [batch, 1310720]: the benchmark's
  cli_names      tiny graph for the CLI tests: output names with '/', ':', '+'
  cli_dynamic    tiny graph for the CLI tests: symbolic height and width

Every input has a symbolic batch dim 'batch'; spatial size is 320 unless
--size is given (640 for the benchmark's YOLO). The seed is fixed, so the
files are the same on every run.

usage: make_models.py OUTDIR [--size 320] [--only name,name]"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Graph:
    """Accumulates nodes and initializers; names are generated."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, hint):
        self.n += 1
        return f"{hint}_{self.n}"

    def const(self, arr, hint="c"):
        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def op(self, op_type, inputs, n_out=1, **attrs):
        outs = [self.name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self.name(op_type), **attrs))
        return outs[0] if n_out == 1 else outs

    # ---- layers as exporters emit them ----

    def conv(self, x, cin, cout, k=1, s=1, p=None, g=1, bias=True, d=1, gain=0.8):
        p = k // 2 * d if p is None else p
        fan_in = cin // g * k * k
        w = self.rng.standard_normal((cout, cin // g, k, k)).astype(np.float32)
        w *= np.sqrt(2.0 / fan_in) * gain
        ins = [x, self.const(w, "w")]
        if bias:
            ins.append(self.const(self.rng.normal(0, 0.05, cout).astype(np.float32), "b"))
        return self.op("Conv", ins, kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p],
                       group=g, dilations=[d, d])

    def bn(self, x, c):
        r = self.rng
        params = [r.uniform(0.6, 1.2, c), r.normal(0, 0.1, c), r.normal(0, 0.1, c),
                  r.uniform(0.5, 1.5, c)]
        return self.op("BatchNormalization", [x] + [self.const(p.astype(np.float32), "bn")
                                                    for p in params], epsilon=1e-3)

    def silu(self, x):
        return self.op("Mul", [x, self.op("Sigmoid", [x])])

    def conv_bn_act(self, x, cin, cout, k=1, s=1, g=1, act="silu"):
        y = self.bn(self.conv(x, cin, cout, k, s, g=g, bias=False), cout)
        if act == "silu":
            return self.silu(y)
        if act == "relu":
            return self.op("Relu", [y])
        if act == "hardswish":
            return self.op("HardSwish", [y])
        if act == "relu6":
            return self.op("Clip", [y, self.const(np.float32(0)), self.const(np.float32(6))])
        return y

    def maxpool(self, x, k, s, p):
        return self.op("MaxPool", [x], kernel_shape=[k, k], strides=[s, s], pads=[p] * 4)

    def upsample2(self, x):
        return self.op("Resize", [x, "", self.const(np.array([1, 1, 2, 2], np.float32), "scales")],
                       mode="nearest", coordinate_transformation_mode="asymmetric",
                       nearest_mode="floor")

    def model(self, inputs, outputs, opset, producer):
        g = helper.make_graph(self.nodes, producer, inputs, outputs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name=producer)
        m.ir_version = 8
        return m


def io(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


# ---------------- ultralytics blocks ----------------

def bottleneck(G, x, c, shortcut=True, k=(3, 3)):
    y = G.conv_bn_act(G.conv_bn_act(x, c, c, k[0]), c, c, k[1])
    return G.op("Add", [x, y]) if shortcut else y


def c3(G, x, cin, cout, n=1, shortcut=True):
    h = cout // 2
    a = G.conv_bn_act(x, cin, h)
    for _ in range(n):
        a = bottleneck(G, a, h, shortcut, (1, 3))
    b = G.conv_bn_act(x, cin, h)
    return G.conv_bn_act(G.op("Concat", [a, b], axis=1), 2 * h, cout)


def c2f(G, x, cin, cout, n=1, shortcut=True, inner=None):
    h = cout // 2
    y = G.conv_bn_act(x, cin, 2 * h)
    parts = list(G.op("Split", [y, G.const(np.array([h, h], np.int64))], n_out=2, axis=1))
    for _ in range(n):
        parts.append(inner(parts[-1]) if inner else bottleneck(G, parts[-1], h, shortcut))
    return G.conv_bn_act(G.op("Concat", parts, axis=1), (2 + n) * h, cout)


def c3k2(G, x, cin, cout, c3k=False):
    h = cout // 2
    inner = (lambda t: c3(G, t, h, h, n=2)) if c3k else None
    return c2f(G, x, cin, cout, 1, True, inner)


def sppf(G, x, cin, cout):
    h = cin // 2
    y = [G.conv_bn_act(x, cin, h)]
    for _ in range(3):
        y.append(G.maxpool(y[-1], 5, 1, 2))
    return G.conv_bn_act(G.op("Concat", y, axis=1), 4 * h, cout)


def c2psa(G, x, c):
    """YOLO11's position-sensitive attention, one head."""
    h = c // 2
    y = G.conv_bn_act(x, c, 2 * h)
    a, b = G.op("Split", [y, G.const(np.array([h, h], np.int64))], n_out=2, axis=1)
    kd = h // 2
    qkv = G.conv_bn_act(b, h, h + 2 * kd, act=None)
    flat = G.op("Reshape", [qkv, G.const(np.array([0, h + 2 * kd, -1], np.int64))])
    q, k, v = G.op("Split", [flat, G.const(np.array([kd, kd, h], np.int64))], n_out=3, axis=1)
    att = G.op("MatMul", [G.op("Transpose", [q], perm=[0, 2, 1]), k])
    att = G.op("Softmax", [G.op("Mul", [att, G.const(np.float32(kd ** -0.5))])], axis=-1)
    o = G.op("MatMul", [v, G.op("Transpose", [att], perm=[0, 2, 1])])
    o = G.op("Reshape", [o, G.op("Shape", [b])])
    pe = G.conv_bn_act(G.op("Reshape", [v, G.op("Shape", [b])]), h, h, 3, g=h, act=None)
    o = G.conv_bn_act(G.op("Add", [o, pe]), h, h, act=None)
    b = G.op("Add", [b, o])
    ffn = G.conv_bn_act(G.conv_bn_act(b, h, 2 * h), 2 * h, h, act=None)
    b = G.op("Add", [b, ffn])
    return G.conv_bn_act(G.op("Concat", [a, b], axis=1), 2 * h, c)


def backbone_neck(G, x, w, block, widths=None, depths=(1, 1, 1, 1), neck_block=None):
    """P3/P4/P5 features of the ultralytics backbone + PAN neck. widths: the
    channels at P1..P5 (default w, 2w, 4w, 8w, 8w: the thin nets), depths: the
    backbone blocks' repeats at P2..P5; block(x, cin, cout, n)."""
    c1, c2, c3, c4, c5 = widths or (w, 2 * w, 4 * w, 8 * w, 8 * w)
    neck_block = neck_block or block
    x = G.conv_bn_act(x, 3, c1, 3, 2)           # P1/2 (v6+: 6x6 s2 replaced Focus; 3x3 here)
    x = G.conv_bn_act(x, c1, c2, 3, 2)          # P2/4
    x = block(x, c2, c2, depths[0])
    x = G.conv_bn_act(x, c2, c3, 3, 2)          # P3/8
    p3 = block(x, c3, c3, depths[1])
    x = G.conv_bn_act(p3, c3, c4, 3, 2)         # P4/16
    p4 = block(x, c4, c4, depths[2])
    x = G.conv_bn_act(p4, c4, c5, 3, 2)         # P5/32
    p5 = sppf(G, block(x, c5, c5, depths[3]), c5, c5)
    # top-down
    u = G.op("Concat", [G.upsample2(p5), p4], axis=1)
    n4 = neck_block(u, c5 + c4, c4, 1)
    u = G.op("Concat", [G.upsample2(n4), p3], axis=1)
    o3 = neck_block(u, c4 + c3, c3, 1)
    # bottom-up
    d = G.op("Concat", [G.conv_bn_act(o3, c3, c3, 3, 2), n4], axis=1)
    o4 = neck_block(d, c3 + c4, c4, 1)
    d = G.op("Concat", [G.conv_bn_act(o4, c4, c4, 3, 2), p5], axis=1)
    o5 = neck_block(d, c4 + c5, c5, 1)
    return [(o3, c3, 8), (o4, c4, 16), (o5, c5, 32)]


def yolov5(size, nc=80, w=8):
    G = Graph(5)
    feats = backbone_neck(G, "images", w, lambda x, ci, co, n: c3(G, x, ci, co))
    anchors = np.array([[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119],
                        [116, 90, 156, 198, 373, 326]], np.float32).reshape(3, 3, 2)
    no, outs = nc + 5, []
    for i, (f, c, stride) in enumerate(feats):
        ny = nx = size // stride
        y = G.conv(f, c, 3 * no, 1)
        # dynamic-batch export: bs, _, ny, nx = x.shape; x.view(bs, 3, 85, ny, nx)
        bs = G.op("Unsqueeze", [G.op("Gather", [G.op("Shape", [y]),
                                                G.const(np.int64(0))], axis=0),
                                G.const(np.array([0], np.int64))])
        shp = G.op("Concat", [bs, G.const(np.array([3, no, ny, nx], np.int64))], axis=0)
        y = G.op("Transpose", [G.op("Reshape", [y, shp])], perm=[0, 1, 3, 4, 2])
        y = G.op("Sigmoid", [y])
        xy, wh, conf = G.op("Split", [y, G.const(np.array([2, 2, nc + 1], np.int64))],
                            n_out=3, axis=4)
        gy, gx = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
        grid = (np.stack((gx, gy), 2).reshape(1, 1, ny, nx, 2) - 0.5).astype(np.float32)
        grid = np.broadcast_to(grid, (1, 3, ny, nx, 2)).copy()
        ag = np.broadcast_to(anchors[i].reshape(1, 3, 1, 1, 2), (1, 3, ny, nx, 2)).copy()
        two = G.const(np.float32(2))
        xy = G.op("Mul", [G.op("Add", [G.op("Mul", [xy, two]), G.const(grid, "grid")]),
                          G.const(np.float32(stride))])
        wh = G.op("Mul", [G.op("Pow", [G.op("Mul", [wh, two]), two]), G.const(ag, "anchor_grid")])
        y = G.op("Concat", [xy, wh, conf], axis=4)
        outs.append(G.op("Reshape", [y, G.op("Concat", [bs, G.const(np.array([-1, no], np.int64))],
                                             axis=0)]))
    out = G.op("Concat", outs, axis=1)
    G.nodes[-1].output[0] = "output0"
    n = 3 * sum((size // s) ** 2 for s in (8, 16, 32))
    return G.model([io("images", ["batch", 3, size, size])], [io("output0", ["batch", n, no])],
                   13, "pytorch-yolov5-like")


def dfl_head(G, feats, size, nc, dw_cls, widths_of_p3=False):
    """widths_of_p3: the box and class branches' widths come from P3's channels
    on every level, as in ultralytics (the thin nets use each level's own)."""
    reg = 16
    no = nc + 4 * reg
    cat = []
    for f, c, _ in feats:
        cw = feats[0][1] if widths_of_p3 else c
        c2, c3_ = max(16, cw // 4, 4 * reg), max(cw, min(nc, 100))
        box = G.conv(G.conv_bn_act(G.conv_bn_act(f, c, c2, 3), c2, c2, 3), c2, 4 * reg)
        if dw_cls:  # YOLO11: DWConv + Conv pairs
            h = G.conv_bn_act(G.conv_bn_act(f, c, c, 3, g=c), c, c3_)
            h = G.conv_bn_act(G.conv_bn_act(h, c3_, c3_, 3, g=c3_), c3_, c3_)
        else:
            h = G.conv_bn_act(G.conv_bn_act(f, c, c3_, 3), c3_, c3_, 3)
        cls = G.conv(h, c3_, nc)
        y = G.op("Concat", [box, cls], axis=1)
        cat.append(G.op("Reshape", [y, G.const(np.array([0, no, -1], np.int64))]))
    x = G.op("Concat", cat, axis=2)
    box, cls = G.op("Split", [x, G.const(np.array([4 * reg, nc], np.int64))], n_out=2, axis=1)
    # DFL: view(b, 4, 16, a).transpose(2, 1).softmax(1) -> 1x1 conv with weights 0..15
    b = G.op("Reshape", [box, G.const(np.array([0, 4, reg, -1], np.int64))])
    b = G.op("Softmax", [G.op("Transpose", [b], perm=[0, 2, 1, 3])], axis=1)
    w = G.const(np.arange(reg, dtype=np.float32).reshape(1, reg, 1, 1), "dfl")
    b = G.op("Reshape", [G.op("Conv", [b, w], kernel_shape=[1, 1]),
                         G.const(np.array([0, 4, -1], np.int64))])
    # dist2bbox(xywh) * strides
    anchors, strides = [], []
    for s in (8, 16, 32):
        n = size // s
        gy, gx = np.meshgrid(np.arange(n) + 0.5, np.arange(n) + 0.5, indexing="ij")
        anchors.append(np.stack((gx.ravel(), gy.ravel())))
        strides.append(np.full(n * n, s))
    anc = G.const(np.concatenate(anchors, 1)[None].astype(np.float32), "anchors")
    st = G.const(np.concatenate(strides)[None, None].astype(np.float32), "strides")
    lt, rb = G.op("Split", [b, G.const(np.array([2, 2], np.int64))], n_out=2, axis=1)
    x1y1, x2y2 = G.op("Sub", [anc, lt]), G.op("Add", [anc, rb])
    cxy = G.op("Div", [G.op("Add", [x1y1, x2y2]), G.const(np.float32(2))])
    wh = G.op("Sub", [x2y2, x1y1])
    dbox = G.op("Mul", [G.op("Concat", [cxy, wh], axis=1), st])
    out = G.op("Concat", [dbox, G.op("Sigmoid", [cls])], axis=1)
    G.nodes[-1].output[0] = "output0"
    return "output0"


def yolov8(size, nc=80, w=8, full=False):
    G = Graph(8)
    if full:  # YOLOv8n itself: widths 16..256, depth 0.33, no shortcut in the neck
        feats = backbone_neck(G, "images", w, lambda x, ci, co, n: c2f(G, x, ci, co, n),
                              (16, 32, 64, 128, 256), (1, 2, 2, 1),
                              lambda x, ci, co, n: c2f(G, x, ci, co, n, shortcut=False))
    else:
        feats = backbone_neck(G, "images", w, lambda x, ci, co, n: c2f(G, x, ci, co))
    dfl_head(G, feats, size, nc, False, widths_of_p3=full)
    n = sum((size // s) ** 2 for s in (8, 16, 32))
    return G.model([io("images", ["batch", 3, size, size])], [io("output0", ["batch", 4 + nc, n])],
                   17, "pytorch-yolov8-like")


def yolo11(size, nc=80, w=8):
    G = Graph(11)
    deep = {"n": 0}

    def block(x, ci, co, n):
        deep["n"] += 1
        y = c3k2(G, x, ci, co, c3k=deep["n"] in (4, 5))
        return c2psa(G, y, co) if deep["n"] == 5 else y  # C2PSA after the P5 block
    feats = backbone_neck(G, "images", w, block)
    dfl_head(G, feats, size, nc, True)
    n = sum((size // s) ** 2 for s in (8, 16, 32))
    return G.model([io("images", ["batch", 3, size, size])], [io("output0", ["batch", 4 + nc, n])],
                   17, "pytorch-yolo11-like")


# ---------------- torchvision ----------------

def resnet(size, w=8):
    G = Graph(18)
    x = G.conv_bn_act("input", 3, w, 7, 2, act="relu")
    x = G.maxpool(x, 3, 2, 1)
    c = w
    for stage, (cout, stride) in enumerate([(w, 1), (2 * w, 2), (4 * w, 2), (8 * w, 2)]):
        if stage < 2:  # BasicBlock (resnet18/34)
            y = G.conv_bn_act(x, c, cout, 3, stride, act="relu")
            y = G.bn(G.conv(y, cout, cout, 3, bias=False), cout)
            sc = x if stride == 1 and c == cout else G.bn(G.conv(x, c, cout, 1, stride, 0,
                                                                 bias=False), cout)
            x, c = G.op("Relu", [G.op("Add", [y, sc])]), cout
        else:  # Bottleneck (resnet50+), expansion 4
            mid, out = cout // 2, cout * 2
            y = G.conv_bn_act(x, c, mid, 1, act="relu")
            y = G.conv_bn_act(y, mid, mid, 3, stride, act="relu")
            y = G.bn(G.conv(y, mid, out, 1, bias=False), out)
            sc = G.bn(G.conv(x, c, out, 1, stride, 0, bias=False), out)
            x, c = G.op("Relu", [G.op("Add", [y, sc])]), out
    x = G.op("Flatten", [G.op("GlobalAveragePool", [x])], axis=1)
    wfc = G.const((G.rng.standard_normal((1000, c)) / np.sqrt(c)).astype(np.float32), "fc")
    G.op("Gemm", [x, wfc, G.const(np.zeros(1000, np.float32))], transB=1)
    G.nodes[-1].output[0] = "logits"
    return G.model([io("input", ["batch", 3, size, size])], [io("logits", ["batch", 1000])],
                   11, "pytorch-resnet-like")


def inverted_residual(G, x, cin, exp, cout, k, stride, se, act, se_reduce="gap"):
    y = x if exp == cin else G.conv_bn_act(x, cin, exp, 1, act=act)
    y = G.conv_bn_act(y, exp, exp, k, stride, g=exp, act=act)
    if se:
        sq = max(8, exp // 4)
        if se_reduce == "gap":
            s = G.op("GlobalAveragePool", [y])
        else:  # torch's adaptive_avg_pool exported as ReduceMean at some opsets
            s = G.op("ReduceMean", [y], axes=[2, 3], keepdims=1)
        s = G.op("Relu", [G.conv(s, exp, sq, 1)])
        s = G.op("HardSigmoid", [G.conv(s, sq, exp, 1)], alpha=1.0 / 6, beta=0.5)
        y = G.op("Mul", [s, y])
    y = G.conv_bn_act(y, exp, cout, 1, act=None)
    return G.op("Add", [x, y]) if stride == 1 and cin == cout else y


MBV3_CFG = [  # k, exp, out, se, act, stride (mobilenet_v3_small, widths halved)
    (3, 16, 8, True, "relu", 2), (3, 36, 12, False, "relu", 2), (3, 44, 12, False, "relu", 1),
    (5, 48, 20, True, "hardswish", 2), (5, 120, 20, True, "hardswish", 1),
    (5, 60, 24, True, "hardswish", 1), (5, 72, 48, True, "hardswish", 2),
    (5, 144, 48, True, "hardswish", 1)]


def mobilenet_body(G, x, collect=None):
    x = G.conv_bn_act(x, 3, 8, 3, 2, act="hardswish")
    c = 8
    for i, (k, e, o, se, act, s) in enumerate(MBV3_CFG):
        x = inverted_residual(G, x, c, e, o, k, s, se, act, "mean" if i % 2 else "gap")
        c = o
        if collect is not None:
            collect.append((x, c))
    return x, c


def mobilenetv3(size):
    G = Graph(3)
    x, c = mobilenet_body(G, "input")
    x = G.conv_bn_act(x, c, 288, 1, act="hardswish")
    x = G.op("Flatten", [G.op("GlobalAveragePool", [x])], axis=1)
    w1 = G.const((G.rng.standard_normal((512, 288)) / np.sqrt(288)).astype(np.float32), "fc1")
    x = G.op("HardSwish", [G.op("Gemm", [x, w1, G.const(np.zeros(512, np.float32))], transB=1)])
    # gain 10: logits of a few units, so 1e-3 abs + 1e-3 rel is a tight check
    w2 = G.const((G.rng.standard_normal((1000, 512)) * 10 / np.sqrt(512)).astype(np.float32), "fc2")
    G.op("Gemm", [x, w2, G.const(np.full(1000, 0.01, np.float32))], transB=1)
    G.nodes[-1].output[0] = "logits"
    return G.model([io("input", ["batch", 3, size, size])], [io("logits", ["batch", 1000])],
                   14, "pytorch-mobilenetv3-like")


def ssdlite(size, nc=21, anchors=6):
    G = Graph(21)
    feats = []
    mobilenet_body(G, "images", feats)
    f1, c1 = feats[5]      # stride 16
    f2, c2 = feats[-1]     # stride 32
    maps = [(f1, c1), (f2, c2)]
    x, c = f2, c2
    for cout in (64, 32):  # extra layers: 1x1 reduce, 3x3 s2 depthwise, 1x1 expand
        y = G.conv_bn_act(x, c, cout // 2, 1, act="relu6")
        y = G.conv_bn_act(y, cout // 2, cout // 2, 3, 2, g=cout // 2, act="relu6")
        x, c = G.conv_bn_act(y, cout // 2, cout, 1, act="relu6"), cout
        maps.append((x, c))
    boxes, scores = [], []
    for f, ch in maps:
        for out, per in ((boxes, 4), (scores, nc)):
            h = G.conv_bn_act(f, ch, ch, 3, 1, g=ch, act="relu6")
            # gain: peaked softmax scores (not ~1/21 everywhere), boxes of a few units
            h = G.conv(h, ch, anchors * per, 1, gain=8.0)
            h = G.op("Transpose", [h], perm=[0, 2, 3, 1])
            out.append(G.op("Reshape", [h, G.const(np.array([0, -1, per], np.int64))]))
    G.op("Concat", boxes, axis=1)
    G.nodes[-1].output[0] = "boxes"
    G.op("Softmax", [G.op("Concat", scores, axis=1)], axis=-1)
    G.nodes[-1].output[0] = "scores"
    n = anchors * sum(s * s for s in (size // 16, size // 32, -(-size // 64), -(-size // 128)))
    return G.model([io("images", ["batch", 3, size, size])],
                   [io("boxes", ["batch", n, 4]), io("scores", ["batch", n, nc])],
                   14, "pytorch-ssdlite-like")


def act_gelu_mish(size):
    G = Graph(20)
    g = G.op("Gelu", ["x"])
    G.nodes[-1].output[0] = "gelu"
    G.op("Gelu", ["x"], approximate="tanh")
    G.nodes[-1].output[0] = "gelu_tanh"
    G.op("Mish", ["x"])
    G.nodes[-1].output[0] = "mish"
    del g
    return G.model([io("x", ["batch", 3, 17, 19])],
                   [io("gelu", ["batch", 3, 17, 19]), io("gelu_tanh", ["batch", 3, 17, 19]),
                    io("mish", ["batch", 3, 17, 19])], 20, "gelu-mish")


# ---------------- opsets 18-20: every changed op in its new form ----------------
# onnx 1.12 (python3-onnx here) knows opsets <= 17: these protos are built by
# hand and not run through onnx.checker (UNCHECKED); onnxruntime validates them.

def i64(G, v):
    return G.const(np.array(v, np.int64))


def f32(G, v):
    return G.const(np.array(v, np.float32))


def named(G, out):
    G.nodes[-1].output[0] = out
    return out


def opset18_ops(size):
    """Reduce* with axes as an input, Split num_outputs, Pad axes, Resize axes and
    keep_aspect_ratio_policy, ScatterElements/ScatterND reduction max/min, Mish."""
    G = Graph(180)
    outs = []

    def out(name, shape, dtype=TensorProto.FLOAT):
        named(G, name)
        outs.append(helper.make_tensor_value_info(name, dtype, shape))
    G.op("ReduceMean", ["x", i64(G, [2, 3])], keepdims=1)
    out("r_mean", ["batch", 3, 1, 1])
    G.op("ReduceMax", ["x", i64(G, [-1])], keepdims=0)
    out("r_max", ["batch", 3, 8])
    G.op("ReduceMin", ["x", i64(G, [1, 3])], keepdims=0)
    out("r_min", ["batch", 8])
    G.op("ReduceProd", ["x", i64(G, [1])])
    out("r_prod", ["batch", 1, 8, 10])
    G.op("ReduceL1", ["x", i64(G, [3])])
    out("r_l1", ["batch", 3, 8, 1])
    G.op("ReduceL2", ["x", i64(G, [2])], keepdims=0)
    out("r_l2", ["batch", 3, 10])
    G.op("ReduceLogSum", ["x", i64(G, [0, 2])])
    out("r_logsum", [1, 3, 1, 10])
    G.op("ReduceLogSumExp", ["x"], keepdims=0)  # no axes input: all axes
    out("r_lse", [])
    G.op("ReduceSumSquare", ["x"], noop_with_empty_axes=1)  # no axes: x^2, nothing reduced
    out("r_sumsq_noop", ["batch", 3, 8, 10])
    parts = G.op("Split", ["x"], n_out=3, axis=3, num_outputs=3)  # 10 -> 4, 4, 2
    for k, (p, w) in enumerate(zip(parts, (4, 4, 2))):
        G.op("Identity", [p])
        out(f"split{k}", ["batch", 3, 8, w])
    G.op("Pad", ["x", i64(G, [1, 2, 0, 3]), f32(G, 0.5), i64(G, [2, -1])], mode="constant")
    out("pad_axes", ["batch", 3, 9, 15])
    G.op("Pad", ["x", i64(G, [2, 3]), "", i64(G, [3])], mode="reflect")
    out("pad_reflect_axes", ["batch", 3, 8, 15])
    G.op("Resize", ["x", "", f32(G, [2.0, 1.5])], mode="linear", axes=[2, 3])
    out("resize_axes", ["batch", 3, 16, 15])
    G.op("Resize", ["x", "", "", i64(G, [12, 30])], mode="nearest", axes=[2, 3],
         keep_aspect_ratio_policy="not_larger")
    out("resize_not_larger", ["batch", 3, 12, 15])
    G.op("Resize", ["x", "", "", i64(G, [12, 30])], mode="linear", axes=[3, 2],
         keep_aspect_ratio_policy="not_smaller", coordinate_transformation_mode="align_corners")
    out("resize_not_smaller", ["batch", 3, 24, 30])
    G.op("Resize", ["x", f32(G, [0.2, -0.1, 0.9, 0.8]), "", i64(G, [6, 7])], mode="linear",
         axes=[2, 3], coordinate_transformation_mode="tf_crop_and_resize",
         extrapolation_value=-1.0)
    out("resize_axes_roi", ["batch", 3, 6, 7])
    idx = G.rng.integers(0, 8, (1, 3, 4, 10)).astype(np.int64)
    G.op("ScatterElements", ["x", G.const(idx), f32(G, G.rng.random((1, 3, 4, 10)))],
         axis=2, reduction="max")
    out("scatter_el_max", ["batch", 3, 8, 10])
    G.op("ScatterND", ["x", i64(G, [[0, 1, 2], [0, 2, 5], [0, 1, 2]]),
                       f32(G, G.rng.random((3, 10)))], reduction="min")
    out("scatter_nd_min", ["batch", 3, 8, 10])
    G.op("Mish", [G.op("Mul", ["x", f32(G, 6.0)])])
    out("mish", ["batch", 3, 8, 10])
    return hand_model(G, [io("x", ["batch", 3, 8, 10])], outs, 18, "opset18-ops")


def opset19_ops(size):
    """Pad wrap, Resize half_pixel_symmetric, AveragePool dilations, and the version
    bumps that only add types (Equal, Reshape, Shape, Size, Identity)."""
    G = Graph(190)
    outs = []

    def out(name, shape, dtype=TensorProto.FLOAT):
        named(G, name)
        outs.append(helper.make_tensor_value_info(name, dtype, shape))
    G.op("Pad", ["x", i64(G, [2, 3, 1, 4]), "", i64(G, [2, 3])], mode="wrap")
    out("pad_wrap", ["batch", 3, 11, 17])
    G.op("Pad", ["x", i64(G, [0, 0, 1, 1, 0, 0, 2, 1])], mode="wrap")
    out("pad_wrap_all", ["batch", 3, 11, 12])
    for mode, sc in (("linear", [1.0, 1.0, 1.7, 0.6]), ("nearest", [1.0, 1.0, 2.3, 1.45]),
                     ("cubic", [1.0, 1.0, 0.55, 2.2])):
        G.op("Resize", ["x", "", f32(G, sc)], mode=mode,
             coordinate_transformation_mode="half_pixel_symmetric")
        out(f"resize_hps_{mode}", ["batch", 3, int(np.floor(9 * sc[2])), int(np.floor(10 * sc[3]))])
    G.op("AveragePool", ["x"], kernel_shape=[3, 3], dilations=[2, 2], pads=[1, 1, 1, 1],
         count_include_pad=0)
    out("avgpool_dil", ["batch", 3, 7, 8])
    G.op("AveragePool", ["x"], kernel_shape=[2, 3], dilations=[3, 2], strides=[2, 1],
         pads=[0, 2, 1, 0], count_include_pad=1, ceil_mode=1)
    out("avgpool_dil_ceil", ["batch", 3, 4, 8])
    # saturate only applies to float8 targets (onnxruntime refuses it on others)
    q = G.op("Cast", [G.op("Mul", ["x", f32(G, 10.0)])], to=TensorProto.INT32)
    G.op("Cast", [q], to=TensorProto.FLOAT)
    out("cast", ["batch", 3, 9, 10])
    G.op("Equal", [q, G.const(np.array(4, np.int32))])
    out("equal", ["batch", 3, 9, 10], TensorProto.BOOL)
    G.op("Identity", [G.op("Reshape", ["x", i64(G, [0, -1])], allowzero=0)])
    out("reshape", ["batch", 270])
    G.op("Shape", ["x"], start=1)
    out("shape", [3], TensorProto.INT64)
    G.op("Size", ["x"])
    out("size", [], TensorProto.INT64)
    return hand_model(G, [io("x", ["batch", 3, 9, 10])], outs, 19, "opset19-ops")


def opset20_ops(size):
    """ReduceMax/ReduceMin on bool, IsNaN/IsInf, ConstantOfShape, Gelu."""
    G = Graph(200)
    outs = []

    def out(name, shape, dtype=TensorProto.FLOAT):
        named(G, name)
        outs.append(helper.make_tensor_value_info(name, dtype, shape))
    b = G.op("Greater", ["x", f32(G, 0.8)])
    G.op("ReduceMax", [b, i64(G, [3])], keepdims=0)
    out("any_row", ["batch", 3, 7], TensorProto.BOOL)
    G.op("ReduceMin", [G.op("Not", [b]), i64(G, [2, 3])], keepdims=1)
    out("all_plane", ["batch", 3, 1, 1], TensorProto.BOOL)
    G.op("ReduceMax", [b, G.const(np.zeros(0, np.int64))], keepdims=0)
    out("any_all", [], TensorProto.BOOL)
    G.op("IsNaN", [G.op("Sqrt", [G.op("Sub", ["x", f32(G, 0.5)])])])
    out("isnan", ["batch", 3, 7, 9], TensorProto.BOOL)
    G.op("IsInf", [G.op("Log", [G.op("Floor", [G.op("Add", ["x", f32(G, 0.5)])])])],
         detect_positive=0)
    out("isinf_neg", ["batch", 3, 7, 9], TensorProto.BOOL)
    shp = G.op("Shape", ["x"])
    c = G.op("ConstantOfShape", [shp], value=numpy_helper.from_array(np.array([2.5], np.float32)))
    G.op("Mul", ["x", c])
    out("cos_mul", ["batch", 3, 7, 9])
    G.op("Gelu", [G.op("Sub", [G.op("Mul", ["x", f32(G, 8.0)]), f32(G, 4.0)])])
    out("gelu", ["batch", 3, 7, 9])
    return hand_model(G, [io("x", ["batch", 3, 7, 9])], outs, 20, "opset20-ops")


def refused(opset, op, args, **attrs):
    """One node visiond must refuse at load time (check_models.py REFUSED): op(x, *args),
    each arg "" (omitted) or an array (a constant)."""
    def build(size):
        G = Graph(opset)
        ins = ["x"] + [a if isinstance(a, str) else G.const(a) for a in args]
        G.nodes.append(helper.make_node(op, ins, ["y"], name=f"refused_{op.lower()}", **attrs))
        return hand_model(G, [io("x", [1, 3, 8, 8])], [io("y", None)], opset,
                          f"refused-{op}-{opset}")
    return build


def hand_model(G, inputs, outputs, opset, producer):
    m = G.model(inputs, outputs, opset, producer)
    UNCHECKED.add(producer)
    return m


UNCHECKED = {"gelu-mish"}


def fuse_gelu_mish(size):
    """Opset 17: Gelu and Mish as exporters decompose them, each after its own
    Conv. visiond folds the first six into Gelu/Mish (then into the Conv
    epilogue); the last two must stay as they are (an intermediate is also a
    graph output; a constant is off). Each Gelu output is scaled by 100 so
    that erf vs tanh (<= 5e-4 apart, 10% relative near x = -3) exceeds the
    1e-3 tolerance."""
    G = Graph(17)
    c, outs = 8, []

    def k(v):
        return G.const(np.float32(v))

    def pre():  # conv outputs in about [-5, 5]
        return G.conv("x", 3, c, 3, gain=4.0)

    def out(y, name, scale=100.0):
        G.op("Mul", [y, k(scale)])
        named(G, name)
        outs.append(io(name, ["batch", c, 10, 12]))

    def erf_sum(h, mul_form=False, one_first=False):
        t = G.op("Mul", [h, k(0.70710678)]) if mul_form else G.op("Div", [h, k(1.4142135)])
        e = G.op("Erf", [t])
        return G.op("Add", [k(1.0), e] if one_first else [e, k(1.0)])

    def tanh_sum(h, cube):
        x3 = G.op("Pow", [h, k(3.0)]) if cube == "pow" else \
            G.op("Mul", [h, G.op("Mul", [h, h])])
        inner = G.op("Add", [h, G.op("Mul", [k(0.044715), x3])])
        return G.op("Add", [k(1.0), G.op("Tanh", [G.op("Mul", [inner, k(0.7978845608)])])])
    h = pre()  # torch.nn.GELU at opset <= 17: x * 0.5 * (1 + erf(x / sqrt 2))
    out(G.op("Mul", [G.op("Mul", [h, erf_sum(h)]), k(0.5)]), "gelu_div")
    h = pre()  # 0.5 * x first, erf of x * 1/sqrt 2, 1 + erf
    out(G.op("Mul", [G.op("Mul", [h, k(0.5)]), erf_sum(h, True, True)]), "gelu_mul")
    h = pre()  # x * ((1 + erf) * 0.5)
    out(G.op("Mul", [h, G.op("Mul", [erf_sum(h), k(0.5)])]), "gelu_half_last")
    h = pre()  # tanh form, x^3 as Pow
    out(G.op("Mul", [G.op("Mul", [k(0.5), h]), tanh_sum(h, "pow")]), "gelu_tanh_pow")
    h = pre()  # tanh form, x^3 as x * (x * x), 0.5 last
    out(G.op("Mul", [k(0.5), G.op("Mul", [tanh_sum(h, "mul"), h])]), "gelu_tanh_mul")
    h = pre()
    out(G.op("Mul", [G.op("Tanh", [G.op("Softplus", [h])]), h]), "mish", 1.0)
    h = pre()  # not fused: the Erf result is also a graph output
    G.op("Erf", [G.op("Div", [h, k(1.4142135)])])
    t = named(G, "erf_seen")
    outs.append(io("erf_seen", ["batch", c, 10, 12]))
    out(G.op("Mul", [G.op("Mul", [h, G.op("Add", [t, k(1.0)])]), k(0.5)]), "gelu_shared")
    h = pre()  # not fused: divides by 1.5, not sqrt 2
    e = G.op("Erf", [G.op("Div", [h, k(1.5)])])
    out(G.op("Mul", [G.op("Mul", [h, G.op("Add", [e, k(1.0)])]), k(0.5)]), "not_gelu")
    return G.model([io("x", ["batch", 3, 10, 12])], outs, 17, "gelu-mish-fusion")


def topk_centernet(size):
    """TopK as CenterNet's in-graph decode runs it, at its real size (size is
    ignored), plus the cases where only the tie rule decides the order."""
    G = Graph(3)
    outs = []

    def topk(x, name, k=100, rank=2, **attrs):
        G.op("TopK", [x, G.const(np.array([k], np.int64))], n_out=2, **attrs)
        G.nodes[-1].output[:] = [f"{name}_values", f"{name}_indices"]
        outs.append(helper.make_tensor_value_info(f"{name}_values", TensorProto.FLOAT, ["batch"] + [None] * (rank - 1)))
        outs.append(helper.make_tensor_value_info(f"{name}_indices", TensorProto.INT64, ["batch"] + [None] * (rank - 1)))

    flat = G.op("Reshape", ["x", G.const(np.array([0, -1], np.int64))])
    topk(flat, "heat")
    q = G.op("Floor", [G.op("Mul", [flat, G.const(np.float32(64))])])
    topk(q, "ties")
    topk(q, "ties_smallest", largest=0)
    topk(G.op("Reshape", [q, G.const(np.array([0, 1280, 1024], np.int64))]), "ties_axis1",
         rank=3, axis=1)
    zeros = G.op("Mul", [G.op("Sub", [q, G.const(np.float32(32))]), G.const(np.float32(0))])
    topk(zeros, "signed_zeros")
    return G.model([io("x", ["batch", 128, 128, 80])], outs, 13, "visiond-topk-test")


def topk_single(size):
    """The benchmark's TopK: CenterNet's k=100 over 128*128*80 values, alone."""
    G = Graph(4)
    G.op("TopK", ["x", G.const(np.array([100], np.int64))], n_out=2)
    G.nodes[-1].output[:] = ["values", "indices"]
    return G.model([io("x", ["batch", 1310720])],
                   [io("values", ["batch", 100]),
                    helper.make_tensor_value_info("indices", TensorProto.INT64, ["batch", 100])],
                   13, "visiond-topk-bench")


def cli_names(size):
    """For tests/test_nn_cli.c: odd output names, an int64 input, symbolic batch."""
    G = Graph(1)
    G.op("Mul", [G.op("Relu", ["x"]), G.const(np.float32(2))])
    G.nodes[-1].output[0] = "out/y:0"
    G.op("Add", ["k", G.const(np.int64(1))])
    G.nodes[-1].output[0] = "k+1"
    k_in = helper.make_tensor_value_info("k", TensorProto.INT64, ["batch"])
    k_out = helper.make_tensor_value_info("k+1", TensorProto.INT64, ["batch"])
    return G.model([io("x", ["batch", 3]), k_in], [io("out/y:0", ["batch", 3]), k_out],
                   13, "visiond-cli-test")


def cli_dynamic(size):
    """For tests/test_nn_cli.c: symbolic height and width besides the batch."""
    G = Graph(2)
    G.op("Relu", ["x"])
    G.nodes[-1].output[0] = "y"
    return G.model([io("x", ["batch", 3, "h", "w"])], [io("y", ["batch", 3, "h", "w"])],
                   13, "visiond-cli-test")


MODELS = {"yolov5n_like": yolov5, "yolov8n_like": yolov8,
          "yolov8n_full": lambda size: yolov8(size, full=True), "yolo11n_like": yolo11,
          "resnet_like": resnet, "mobilenetv3_like": mobilenetv3, "ssdlite_like": ssdlite,
          "act_gelu_mish": act_gelu_mish, "cli_names": cli_names,
          "topk_centernet": topk_centernet, "topk_single": topk_single,
          "fuse_gelu_mish": fuse_gelu_mish, "opset18_ops": opset18_ops, "opset19_ops": opset19_ops, "opset20_ops": opset20_ops,
          # refused at load (tests/nn_ref/check_models.py REFUSED)
          "refuse_resize_antialias": refused(18, "Resize", ["", "", np.array([1, 3, 4, 4])],
                                             mode="linear", antialias=1),
          "refuse_pad_wrap_18": refused(18, "Pad", [np.array([0, 0, 1, 1, 0, 0, 1, 1])],
                                        mode="wrap"),
          "refuse_scatter_max_17": refused(17, "ScatterElements",
                                           [np.zeros((1, 3, 8, 8), np.int64),
                                            np.ones((1, 3, 8, 8), np.float32)],
                                           reduction="max"),
          "refuse_opset_21": refused(21, "Relu", []),
          "cli_dynamic": cli_dynamic}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    for name, fn in MODELS.items():
        if a.only and name not in a.only.split(","):
            continue
        m = fn(a.size)
        if m.producer_name not in UNCHECKED:  # onnx 1.12 stops at opset 17
            onnx.checker.check_model(m, full_check=True)
        suffix = "" if a.size == 320 else f"_{a.size}"
        onnx.save(m, os.path.join(a.outdir, f"{name}{suffix}.onnx"))
        print(os.path.join(a.outdir, f"{name}{suffix}.onnx"))


if __name__ == "__main__":
    main()

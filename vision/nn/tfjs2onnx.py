#!/usr/bin/python3
"""tfjs2onnx.py -- convert a TF.js graph model (model.json + weight shards) to ONNX.

    tfjs2onnx.py MODEL.json OUT.onnx [--outputs NAME,NAME...]

--outputs keeps only the named outputs (default: the model's signature),
e.g. CenterNet's decoded detections without its heatmaps; only what the
outputs depend on is converted. Reads only local files (no network). Weights are dequantised at conversion
(float16, and uint8/uint16 with scale/min, as TF.js does at load), TF ops
are mapped onto standard ONNX opset-14 ops, and a TF op with no mapping
stops the conversion with an error naming the node and the op. The result
runs in visiond's engine and in onnxruntime alike (docs/models.md says why
this converter exists instead of a TF.js frontend in the engine).

The one design choice: TF.js models are NHWC and ONNX convolutions are
NCHW. Instead of wrapping every convolution in a pair of Transposes (as
tf2onnx does, leaving the pairs for an optimiser), each 4-D value carries
a layout tag while converting: convolutions, pools, resizes, reductions
with kept dims, concatenations and elementwise ops keep values NCHW, and a
Transpose back to NHWC is written only where an op needs the TF layout
(Reshape, StridedSlice, TopK, ...) or at a graph output. Shapes are known
statically (the model's inputs must have fixed shapes), so SAME padding
and resize sizes become plain attributes and inputs. Graph input and output
names, shapes and layouts are those of the TF.js model."""
import argparse
import base64
import json
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

OPSET = 14  # HardSwish
TF_DTYPES = {"DT_FLOAT": np.float32, "DT_INT32": np.int32, "DT_BOOL": np.bool_,
             "DT_INT64": np.int64, "DT_UINT8": np.uint8, "DT_HALF": np.float16}
JS_DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}
NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)
NCHW_AXIS = (0, 2, 3, 1)  # NHWC axis a is NCHW axis NCHW_AXIS[a]


class Refused(Exception):
    """The model uses something this converter does not map; the message names it."""


class Value:
    """A TF tensor while converting: logical (TF, NHWC) shape and dtype, and
    either a constant (numpy, TF layout) or an ONNX value name whose data is
    NCHW when `nchw` is set. `alt` caches the name in the other layout.
    `fuse` offers the producer to a single reader: ("conv", node) for a conv
    without bias or activation (a bias Add joins it), ("pad", source, pads)
    for a zero Pad of H and W (the conv reading it pads instead)."""

    def __init__(self, shape, dtype, name=None, const=None, nchw=False, fuse=None):
        self.shape, self.dtype = tuple(int(d) for d in shape), np.dtype(dtype)
        self.name, self.const, self.nchw, self.alt = name, const, nchw, None
        self.fuse = fuse


def load_weights(spec, base_dir):
    """name -> numpy array for every entry of the weights manifest, dequantised."""
    out = {}
    for group in spec.get("weightsManifest", []):
        data = b"".join(open(os.path.join(base_dir, p), "rb").read() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"], dtype=np.int64))
            dtype = JS_DTYPES.get(w["dtype"])
            if dtype is None:
                raise Refused(f"weight '{w['name']}': dtype {w['dtype']} is not supported")
            q = w.get("quantization")
            if q:
                qdt = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}.get(q["dtype"])
                if qdt is None:
                    raise Refused(f"weight '{w['name']}': quantization {q['dtype']} is not supported")
                raw = np.frombuffer(data, qdt, n, off)
                off += n * np.dtype(qdt).itemsize
                if qdt == np.float16:
                    a = raw.astype(np.float32)
                else:  # TF.js: v * scale + min, in float32
                    a = raw.astype(np.float32) * np.float32(q["scale"]) + np.float32(q["min"])
                a = a.astype(dtype)
            else:
                a = np.frombuffer(data, dtype, n, off).copy()
                off += n * np.dtype(dtype).itemsize
            if off > len(data):
                raise Refused(f"weight '{w['name']}': the shards end before its data")
            out[w["name"]] = a.reshape(w["shape"])
    return out


def attr_s(node, key, default=None):
    a = node.get("attr", {}).get(key)
    return base64.b64decode(a["s"]).decode() if a and "s" in a else default


def attr_i(node, key, default=0):
    a = node.get("attr", {}).get(key)
    return int(a["i"]) if a and "i" in a else default


def attr_f(node, key, default=0.0):
    a = node.get("attr", {}).get(key)
    return float(a["f"]) if a and "f" in a else default


def attr_b(node, key, default=False):
    a = node.get("attr", {}).get(key)
    return bool(a["b"]) if a and "b" in a else default


def attr_ints(node, key):
    a = node.get("attr", {}).get(key, {}).get("list", {})
    return [int(v) for v in a.get("i", [])]


def attr_strs(node, key):
    a = node.get("attr", {}).get(key, {}).get("list", {})
    return [base64.b64decode(v).decode() for v in a.get("s", [])]


def same_pads(in_hw, k_hw, s_hw, d_hw):
    """TF's SAME padding: output ceil(in/s); the odd pixel goes after."""
    before, after = [], []
    for i, k, s, d in zip(in_hw, k_hw, s_hw, d_hw):
        out = -(-i // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - i, 0)
        before.append(total // 2)
        after.append(total - total // 2)
    return before + after


def pool_out(in_hw, k_hw, s_hw, d_hw, pads):
    return [(i + pads[j] + pads[j + 2] - ((k - 1) * d + 1)) // s + 1
            for j, (i, k, s, d) in enumerate(zip(in_hw, k_hw, s_hw, d_hw))]


class Converter:
    def __init__(self, spec, weights, outputs=None):
        self.spec, self.weights, self.outputs = spec, weights, outputs
        self.nodes, self.inits, self.inputs = [], [], []
        self.values, self.n_names = {}, 0

    # ---- emitting ----
    def fresh(self, hint):
        self.n_names += 1
        return f"{hint}__{self.n_names}"

    def init(self, arr, hint):
        name = self.fresh(hint)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def emit(self, op, inputs, hint, n_out=1, **attrs):
        outs = [self.fresh(hint) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=outs[0], **attrs))
        return outs if n_out > 1 else outs[0]

    def plain(self, v, hint):
        """The value's name in TF layout."""
        if v.const is not None:
            if v.name is None:
                v.name = self.init(v.const, hint)
            return v.name
        if not v.nchw:
            return v.name
        if v.alt is None:
            v.alt = self.emit("Transpose", [v.name], hint + "_nhwc", perm=NCHW_TO_NHWC)
        return v.alt

    def nchw(self, v, hint):
        """The name of a 4-D value (or constant broadcastable to one) in NCHW layout."""
        if v.const is not None:
            a = v.const.reshape((1,) * (4 - v.const.ndim) + v.const.shape)
            return self.init(a.transpose(NHWC_TO_NCHW), hint)
        if v.nchw:
            return v.name
        if len(v.shape) != 4:
            raise Refused(f"needs a 4-D value, got shape {list(v.shape)}")
        if v.alt is None:
            v.alt = self.emit("Transpose", [v.name], hint + "_nchw", perm=NHWC_TO_NCHW)
        return v.alt

    # ---- the graph ----
    def convert(self):
        topo = self.spec["modelTopology"]
        nodes = topo["node"]
        if topo.get("library", {}).get("function"):
            raise Refused("the graph defines functions (control flow), which are not supported")
        by_name = {n["name"]: n for n in nodes}
        outs = self.output_names(nodes)
        hard_activations(nodes, by_name, self.weights, outs)
        self.uses = use_counts(nodes, outs)
        order = self.topo_order([n.split(":")[0] for n in outs], by_name)
        for n in order:
            try:
                res = self.convert_node(n, [self.lookup(i) for i in self.data_inputs(n)])
            except Refused as e:
                raise Refused(f"node '{n['name']}' ({n['op']}): {e}") from None
            for k, v in enumerate(res if isinstance(res, list) else [res]):
                self.values[n["name"] if k == 0 else f"{n['name']}:{k}"] = v
        return self.finish(outs)

    @staticmethod
    def data_inputs(n):
        return [i for i in n.get("input", []) if not i.startswith("^")]

    def topo_order(self, roots, by_name):
        done, order = set(), []
        for root in roots:
            if root not in by_name:
                raise Refused(f"output '{root}' is not a node of the graph")
            stack = [(root, False)]
            while stack:
                name, expanded = stack.pop()
                if name in done:
                    continue
                if expanded:
                    done.add(name)
                    order.append(by_name[name])
                    continue
                stack.append((name, True))
                for i in self.data_inputs(by_name[name]):
                    src = i.split(":")[0]
                    if src not in by_name:
                        raise Refused(f"node '{name}': input '{i}' is not a node of the graph")
                    if src not in done:
                        stack.append((src, False))
        return order

    def lookup(self, ref):
        src, _, k = ref.partition(":")
        return self.values[src if not k or k == "0" else f"{src}:{k}"]

    def output_names(self, nodes):
        """--outputs, else the signature's, else the nodes nobody reads; ':0' dropped."""
        sig = self.spec.get("signature") or {}
        outs = self.outputs or [o["name"] for o in sig.get("outputs", {}).values()]
        if not outs:
            used = {i.split(":")[0] for n in nodes for i in self.data_inputs(n)}
            outs = [n["name"] for n in nodes if n["name"] not in used and n["op"] != "Const"]
        return [o[:-2] if o.endswith(":0") else o for o in outs]

    def finish(self, outs):
        graph_outs = []
        for name in outs:
            v = self.lookup(name)
            self.nodes.append(helper.make_node("Identity", [self.plain(v, name)], [name], name=name))
            graph_outs.append(helper.make_tensor_value_info(
                name, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[v.dtype], list(v.shape)))
        # drop what fusions left unread (a Pad a conv absorbed, its constants)
        live, nodes = set(outs), []
        for node in reversed(self.nodes):
            if any(o in live for o in node.output):
                nodes.append(node)
                live.update(node.input)
        inits = [t for t in self.inits if t.name in live]
        graph = helper.make_graph(nodes[::-1], "tfjs", self.inputs, graph_outs, inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="visiond tfjs2onnx")
        model.ir_version = 7
        onnx.checker.check_model(model)
        return model

    # ---- one node ----
    def convert_node(self, n, ins):
        op = n["op"]
        if op == "Const":
            return self.const_node(n)
        if op == "Placeholder":
            return self.placeholder(n)
        if op in ("Identity", "StopGradient", "NoOp", "Snapshot"):
            if self.uses.get(n["name"]) == 1:
                return ins[0]
            v = Value(ins[0].shape, ins[0].dtype, ins[0].name, ins[0].const, ins[0].nchw)
            v.alt = ins[0].alt  # the same data; only the single-reader offer is dropped
            return v
        for table, fn in ((BINARY, self.binary), (UNARY, self.unary), (CONV, self.conv),
                          (POOL, self.pool), (REDUCE, self.reduce), (SHAPE_OPS, self.shape_op)):
            if op in table:
                return fn(n, op, ins)
        handler = getattr(self, "op_" + op, None)
        if handler is None:
            raise Refused("op is not supported by the converter")
        return handler(n, ins)

    def const_node(self, n):
        if n["name"] in self.weights:
            a = self.weights[n["name"]]
        else:
            t = n.get("attr", {}).get("value", {}).get("tensor", {})
            dims = [int(d.get("size", 0)) for d in t.get("tensorShape", {}).get("dim", [])]
            if np.prod(dims, dtype=np.int64) != 0:
                raise Refused("constant has no data in the weights manifest")
            a = np.zeros(dims, TF_DTYPES.get(t.get("dtype"), np.float32))
        return Value(a.shape, a.dtype, const=a)

    def placeholder(self, n):
        dims = n.get("attr", {}).get("shape", {}).get("shape", {}).get("dim", [])
        shape = [int(d.get("size", -1)) for d in dims]
        if not dims or any(d < 0 for d in shape):
            raise Refused(f"input shape {shape} is not fixed; only fixed input shapes are supported")
        dtype = TF_DTYPES.get(n["attr"]["dtype"]["type"])
        if dtype is None:
            raise Refused(f"input dtype {n['attr']['dtype']['type']} is not supported")
        name = n["name"]
        self.inputs.append(helper.make_tensor_value_info(
            name, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(dtype)], shape))
        return Value(shape, dtype, name=name)

    # elementwise ops keep NCHW when a 4-D operand already is, so the chain of
    # a conv block (conv -> add -> hard-swish -> mul) never leaves NCHW
    def operands(self, ins, shape, hint):
        if len(shape) == 4 and any(v.nchw for v in ins) and all(
                v.nchw or v.const is not None or len(v.shape) == 4 for v in ins):
            return [self.nchw(v, hint) for v in ins], True
        return [self.plain(v, hint) for v in ins], False

    def binary(self, n, op, ins):
        a, b = ins[0], ins[1]
        shape = np.broadcast_shapes(a.shape, b.shape)
        fold, build, dtype = BINARY[op]
        out_dtype = np.bool_ if dtype == "bool" else a.dtype
        if a.const is not None and b.const is not None:
            r = np.asarray(fold(a.const, b.const)).astype(out_dtype)
            return Value(r.shape, r.dtype, const=r)
        if op in ("Add", "AddV2", "BiasAdd"):
            for conv, bias in ((a, b), (b, a)):
                if conv.fuse and conv.fuse[0] == "conv" and self.channel_const(bias, conv):
                    conv.fuse[1].input.append(self.init(
                        bias.const.astype(np.float32).reshape(-1), n["name"] + "_b"))
                    return Value(conv.shape, conv.dtype, name=conv.name, nchw=True)
        names, nchw = self.operands([a, b], shape, n["name"])
        return Value(shape, out_dtype, name=build(self, names, a.dtype, n["name"]), nchw=nchw)

    @staticmethod
    def channel_const(c, v):
        """Whether constant c adds one value per channel of 4-D NHWC v."""
        ch = v.shape[-1]
        return c.const is not None and c.const.size == ch and c.const.ndim >= 1 and \
            c.const.shape[-1] == ch and np.broadcast_shapes(c.const.shape, v.shape) == v.shape

    def unary(self, n, op, ins):
        x = ins[0]
        fold, build = UNARY[op]
        dtype = TF_DTYPES[n["attr"]["DstT"]["type"]] if op == "Cast" else x.dtype
        if x.const is not None and fold is not None:
            r = np.asarray(fold(x.const, n)).astype(dtype)
            return Value(r.shape, r.dtype, const=r)
        name = self.nchw(x, n["name"]) if x.nchw else self.plain(x, n["name"])
        return Value(x.shape, dtype, name=build(self, name, n), nchw=x.nchw)

    def conv(self, n, op, ins):
        x, w = ins[0], ins[1]
        if len(x.shape) != 4 or w.const is None:
            raise Refused("needs a 4-D input and a constant filter")
        if attr_s(n, "data_format", "NHWC") != "NHWC":
            raise Refused(f"data_format {attr_s(n, 'data_format')} is not supported")
        strides, dil = attr_ints(n, "strides") or [1] * 4, attr_ints(n, "dilations") or [1] * 4
        kh, kw, cin, cm = w.const.shape
        depthwise = "Depthwise" in op
        if depthwise:  # [kh,kw,cin,mult] -> [cin*mult,1,kh,kw], output channel c*mult+m
            wt = w.const.reshape(kh, kw, cin * cm).transpose(2, 0, 1)[:, None]
            cout, group = cin * cm, cin
        else:
            if cin != x.shape[3]:
                raise Refused(f"grouped convolution ({x.shape[3]} input channels, filter {cin}) "
                              "is not supported")
            wt, cout, group = w.const.transpose(3, 2, 0, 1), cm, 1
        pads = self.pads(n, x.shape[1:3], (kh, kw), strides[1:3], dil[1:3])
        oh, ow = pool_out(x.shape[1:3], (kh, kw), strides[1:3], dil[1:3], pads)
        src = self.nchw(x, n["name"])
        if x.nchw and x.fuse and x.fuse[0] == "pad":
            src, pads = x.fuse[1], [p + q for p, q in zip(pads, x.fuse[2])]
        inputs = [src, self.init(np.ascontiguousarray(wt, np.float32), n["name"] + "_w")]
        fused = attr_strs(n, "fused_ops")
        args = ins[2:]
        if fused and fused[0] == "BiasAdd":
            inputs.append(self.init(args[0].const.astype(np.float32), n["name"] + "_b"))
            fused, args = fused[1:], args[1:]
        elif fused:
            raise Refused(f"fused op {fused[0]} without BiasAdd is not supported")
        y = self.emit("Conv", inputs, n["name"], kernel_shape=[kh, kw], strides=strides[1:3],
                      dilations=dil[1:3], pads=pads, group=group)
        for f in fused:
            y = self.activation(f, y, n, args)
        alone = len(inputs) == 2 and not fused and self.uses.get(n["name"]) == 1
        return Value((x.shape[0], oh, ow, cout), np.float32, name=y, nchw=True,
                     fuse=("conv", self.nodes[-1]) if alone else None)

    def activation(self, f, y, n, args):
        hint = n["name"] + "_" + f
        if f == "Relu":
            return self.emit("Relu", [y], hint)
        if f == "Relu6":
            return self.clip(y, 0.0, 6.0, hint)
        if f == "Elu":
            return self.emit("Elu", [y], hint)
        if f == "Sigmoid":
            return self.emit("Sigmoid", [y], hint)
        if f == "LeakyRelu":
            return self.emit("LeakyRelu", [y], hint, alpha=attr_f(n, "leakyrelu_alpha", 0.2))
        if f == "Prelu" and args and args[-1].const is not None:
            slope = args[-1].const.astype(np.float32).reshape(-1, 1, 1)
            return self.emit("PRelu", [y, self.init(slope, hint)], hint)
        raise Refused(f"fused op {f} is not supported")

    def clip(self, y, lo, hi, hint):
        return self.emit("Clip", [y, self.init(np.float32(lo), hint), self.init(np.float32(hi), hint)],
                         hint)

    def pads(self, n, in_hw, k_hw, s_hw, d_hw):
        padding = attr_s(n, "padding", "VALID")
        if padding == "SAME":
            return same_pads(in_hw, k_hw, s_hw, d_hw)
        if padding == "VALID":
            return [0, 0, 0, 0]
        if padding == "EXPLICIT":
            p = attr_ints(n, "explicit_paddings")  # NHWC pairs
            return [p[2], p[4], p[3], p[5]]
        raise Refused(f"padding {padding} is not supported")

    def pool(self, n, op, ins):
        x = ins[0]
        k, s = attr_ints(n, "ksize"), attr_ints(n, "strides")
        if len(x.shape) != 4 or k[0] != 1 or k[3] != 1 or s[0] != 1 or s[3] != 1:
            raise Refused("only spatial pooling of a 4-D NHWC input is supported")
        pads = self.pads(n, x.shape[1:3], k[1:3], s[1:3], (1, 1))
        oh, ow = pool_out(x.shape[1:3], k[1:3], s[1:3], (1, 1), pads)
        extra = {} if op == "MaxPool" else {"count_include_pad": 0}
        y = self.emit(POOL[op], [self.nchw(x, n["name"])], n["name"], kernel_shape=k[1:3],
                      strides=s[1:3], pads=pads, **extra)
        return Value((x.shape[0], oh, ow, x.shape[3]), x.dtype, name=y, nchw=True)

    def reduce(self, n, op, ins):
        x, axes = ins[0], ins[1].const
        if axes is None:
            raise Refused("reduction axes must be constant")
        keep = attr_b(n, "keep_dims")
        axes = sorted({int(a) % len(x.shape) for a in np.atleast_1d(axes)})
        shape = [1 if i in axes else d for i, d in enumerate(x.shape)]
        if not keep:
            shape = [d for i, d in enumerate(x.shape) if i not in axes]
        if not axes:
            return x
        if x.nchw and keep:
            y = self.emit(REDUCE[op], [x.name], n["name"], axes=[NCHW_AXIS[a] for a in axes],
                          keepdims=1)
            return Value(shape, x.dtype, name=y, nchw=True)
        y = self.emit(REDUCE[op], [self.plain(x, n["name"])], n["name"], axes=axes,
                      keepdims=int(keep))
        return Value(shape, x.dtype, name=y)

    def shape_op(self, n, op, ins, spec=None):
        """Ops that need the TF layout: folded when every input is constant."""
        fold, build, nconst = spec or SHAPE_OPS[op]
        consts = [v.const for v in ins[len(ins) - nconst:]]
        if any(c is None for c in consts):
            raise Refused(f"the last {nconst} input(s) must be constant")
        if all(v.const is not None for v in ins):
            r = np.asarray(fold([v.const for v in ins], n))
            return Value(r.shape, r.dtype, const=r)
        dummy = [np.lib.stride_tricks.as_strided(np.zeros(1, v.dtype), v.shape, [0] * len(v.shape))
                 for v in ins[:len(ins) - nconst]]
        shape = np.asarray(fold(dummy + consts, n)).shape
        data = [self.plain(v, n["name"]) for v in ins[:len(ins) - nconst]]
        return Value(shape, ins[0].dtype, name=build(self, data, consts, n, ins))

    def op_ConcatV2(self, n, ins):
        vals, axis = ins[:-1], int(ins[-1].const)
        rank = len(vals[0].shape)
        axis %= rank
        shape = list(vals[0].shape)
        shape[axis] = sum(v.shape[axis] for v in vals)
        if all(v.const is not None for v in vals):
            r = np.concatenate([v.const for v in vals], axis)
            return Value(r.shape, r.dtype, const=r)
        names, nchw = self.operands(vals, shape, n["name"])
        y = self.emit("Concat", names, n["name"], axis=NCHW_AXIS[axis] if nchw else axis)
        return Value(shape, vals[0].dtype, name=y, nchw=nchw)

    def op_Pack(self, n, ins):
        axis = attr_i(n, "axis") % (len(ins[0].shape) + 1)
        if all(v.const is not None for v in ins):
            r = np.stack([v.const for v in ins], axis)
            return Value(r.shape, r.dtype, const=r)
        ax = self.init(np.array([axis], np.int64), n["name"] + "_axes")
        parts = [self.emit("Unsqueeze", [self.plain(v, n["name"]), ax], n["name"]) for v in ins]
        shape = list(ins[0].shape)
        shape.insert(axis, len(ins))
        return Value(shape, ins[0].dtype, name=self.emit("Concat", parts, n["name"], axis=axis))

    def op_ResizeBilinear(self, n, ins, mode="linear"):
        x, size = ins[0], ins[1].const
        if size is None or len(x.shape) != 4:
            raise Refused("needs a 4-D input and a constant size")
        h, w = (int(v) for v in size)
        if attr_b(n, "align_corners"):
            ct, nm = "align_corners", "round_prefer_ceil"
        elif attr_b(n, "half_pixel_centers"):
            ct, nm = ("half_pixel", "floor") if mode == "linear" else ("tf_half_pixel_for_nn", "floor")
        else:
            ct, nm = "asymmetric", "floor"
        sizes = self.init(np.array([x.shape[0], x.shape[3], h, w], np.int64), n["name"] + "_size")
        y = self.emit("Resize", [self.nchw(x, n["name"]), "", "", sizes], n["name"], mode=mode,
                      coordinate_transformation_mode=ct, nearest_mode=nm)
        return Value((x.shape[0], h, w, x.shape[3]), x.dtype, name=y, nchw=True)

    def op_ResizeNearestNeighbor(self, n, ins):
        return self.op_ResizeBilinear(n, ins, mode="nearest")

    def op_TopKV2(self, n, ins):
        x, k = ins[0], ins[1].const
        if k is None:
            raise Refused("k must be constant")
        k = int(k)
        kk = self.init(np.array([k], np.int64), n["name"] + "_k")
        vals, idx = self.emit("TopK", [self.plain(x, n["name"]), kk], n["name"], n_out=2,
                              axis=-1, largest=1, sorted=1)
        idx32 = self.emit("Cast", [idx], n["name"] + "_i32", to=onnx.TensorProto.INT32)
        shape = x.shape[:-1] + (k,)
        return [Value(shape, x.dtype, name=vals), Value(shape, np.int32, name=idx32)]

    def op_Transpose(self, n, ins):
        """Graphs converted from ONNX (onnx-tf) wrap every conv in NCHW<->NHWC
        Transposes; those only retag the layout and emit nothing."""
        x, perm = ins[0], ins[1].const
        if perm is None:
            raise Refused("perm must be constant")
        perm = tuple(int(p) for p in perm)
        shape = tuple(x.shape[p] for p in perm)
        if x.const is not None:
            r = np.transpose(x.const, perm)
            return Value(r.shape, r.dtype, const=r)
        if x.nchw and perm == NHWC_TO_NCHW:  # the data already is in the order asked for
            return Value(shape, x.dtype, name=x.name)
        if not x.nchw and perm == NCHW_TO_NHWC and len(x.shape) == 4:
            return Value(shape, x.dtype, name=x.name, nchw=True,
                         fuse=x.fuse if self.uses.get(n["name"]) == 1 else None)
        y = self.emit("Transpose", [self.plain(x, n["name"])], n["name"], perm=list(perm))
        return Value(shape, x.dtype, name=y)

    def op_SplitV(self, n, ins):
        x, sizes, axis = ins[0], ins[1].const, ins[2].const
        if sizes is None or axis is None:
            raise Refused("size_splits and split_dim must be constant")
        axis = int(axis) % len(x.shape)
        sizes = [int(v) for v in sizes]
        if -1 in sizes:
            sizes[sizes.index(-1)] = x.shape[axis] - (sum(sizes) + 1)
        split = self.init(np.array(sizes, np.int64), n["name"] + "_split")
        if x.nchw:
            names = self.emit("Split", [x.name, split], n["name"], n_out=len(sizes),
                              axis=NCHW_AXIS[axis])
        else:
            names = self.emit("Split", [self.plain(x, n["name"]), split], n["name"],
                              n_out=len(sizes), axis=axis)
        names = names if isinstance(names, list) else [names]
        out = []
        for name, size in zip(names, sizes):
            shape = list(x.shape)
            shape[axis] = size
            out.append(Value(shape, x.dtype, name=name, nchw=x.nchw))
        return out

    def op_SparseToDense(self, n, ins):
        """Only as a constant (onnx-tf writes it for constant pads)."""
        if any(v.const is None for v in ins):
            raise Refused("only constant inputs are supported")
        idx, shape, vals, default = (v.const for v in ins)
        r = np.full([int(d) for d in np.atleast_1d(shape)], default, vals.dtype)
        idx = np.asarray(idx).reshape(-1, r.ndim)  # [N, rank] (or [N] for rank 1)
        r[tuple(idx.T)] = vals
        return Value(r.shape, r.dtype, const=r)

    def op_Pad(self, n, ins):
        """A zero Pad of axes 2 and 3 of a plain (onnx-tf: NCHW) value is
        offered to the conv that reads it, through the retagging Transpose."""
        v = self.shape_op(n, n["op"], ins, PAD[n["op"]])
        x, p = ins[0], np.asarray(ins[1].const, np.int64)
        zero = len(ins) < 3 or float(ins[2].const) == 0.0
        if v.const is None and not x.nchw and len(x.shape) == 4 and zero and \
                not p[:2].any() and self.uses.get(n["name"]) == 1:
            v.fuse = ("pad", x.name, [int(p[2, 0]), int(p[3, 0]), int(p[2, 1]), int(p[3, 1])])
        return v

    op_PadV2 = op_Pad

    def op_Shape(self, n, ins):
        r = np.array(ins[0].shape, TF_DTYPES[n["attr"].get("out_type", {}).get("type", "DT_INT32")])
        return Value(r.shape, r.dtype, const=r)


def use_counts(nodes, outs):
    """node name -> readers of its outputs (node inputs, and graph outputs)."""
    uses = {}
    for ref in [i for n in nodes for i in Converter.data_inputs(n)] + list(outs):
        uses[ref.split(":")[0]] = uses.get(ref.split(":")[0], 0) + 1
    return uses


def hard_activations(nodes, by_name, weights, outs):
    """MobileNetV3's hard-swish (c*x) * Relu6(x + 3) and hard-sigmoid
    c * Relu6(x + 3) become one node each (ops _HardSwish/_HardSigmoid, with
    "scale" = 6c), so the engine fuses them into the producing Conv. c is 1/6
    stored as float16 (0.1666870), so the ONNX form is HardSwish(x) * 6c:
    the same function, not an approximation of it. Intermediate values
    must have no other reader."""
    uses = use_counts(nodes, outs)

    def scalar(ref):
        w = weights.get(ref)
        return float(w.reshape(-1)[0]) if w is not None and w.size == 1 and \
            by_name.get(ref, {}).get("op") == "Const" else None

    def mul_by_const(n):  # Mul(c, y) -> (c, y)
        if n.get("op") != "Mul" or len(n.get("input", [])) != 2:
            return None, None
        for c, y in (n["input"], n["input"][::-1]):
            if scalar(c) is not None and abs(6 * scalar(c) - 1) < 1e-2:
                return scalar(c), y
        return None, None

    def relu6_plus3(ref):  # Relu6(Add(x, 3)) -> x
        r = by_name.get(ref, {})
        if r.get("op") != "Relu6" or uses.get(ref) != 1:
            return None
        a = by_name.get(r["input"][0], {})
        if a.get("op") not in ("Add", "AddV2") or uses.get(a["name"]) != 1:
            return None
        for x, k in (a["input"], a["input"][::-1]):
            if scalar(k) == 3.0:
                return x
        return None

    for n in nodes:
        if n["op"] != "Mul" or len(n.get("input", [])) != 2:
            continue
        c, y = mul_by_const(n)
        if c is not None and relu6_plus3(y):
            n.update(op="_HardSigmoid", input=[relu6_plus3(y)], scale=6 * c)
            continue
        for m, r in (n["input"], n["input"][::-1]):
            x = relu6_plus3(r)
            c, y = mul_by_const(by_name.get(m, {}))
            if x is not None and c is not None and y == x and uses.get(m) == 1:
                n.update(op="_HardSwish", input=[x], scale=6 * c)
                break


# ---- op tables ----
def _floordiv(c, names, dtype, hint):
    a, b = names
    if np.issubdtype(dtype, np.integer):  # exact: (a - floormod(a, b)) / b
        m = c.emit("Mod", [a, b], hint + "_mod", fmod=0)
        return c.emit("Div", [c.emit("Sub", [a, m], hint + "_sub"), b], hint)
    return c.emit("Floor", [c.emit("Div", [a, b], hint + "_div")], hint)


def _floormod(c, names, dtype, hint):
    a, b = names
    if np.issubdtype(dtype, np.integer):
        return c.emit("Mod", [a, b], hint, fmod=0)
    q = _floordiv(c, names, dtype, hint + "_q")
    return c.emit("Sub", [a, c.emit("Mul", [q, b], hint + "_qb")], hint)


def _simple(op):
    return lambda c, names, dtype, hint: c.emit(op, names, hint)


def _sqdiff(c, names, dtype, hint):
    d = c.emit("Sub", names, hint + "_d")
    return c.emit("Mul", [d, d], hint)


def _not(op):
    return lambda c, names, dtype, hint: c.emit("Not", [c.emit(op, names, hint + "_n")], hint)


BINARY = {  # op: (numpy fold, ONNX builder, "bool" if the result is boolean)
    "Add": (np.add, _simple("Add"), None), "AddV2": (np.add, _simple("Add"), None),
    "BiasAdd": (np.add, _simple("Add"), None), "Sub": (np.subtract, _simple("Sub"), None),
    "Mul": (np.multiply, _simple("Mul"), None), "RealDiv": (np.divide, _simple("Div"), None),
    "Maximum": (np.maximum, _simple("Max"), None), "Minimum": (np.minimum, _simple("Min"), None),
    "Pow": (np.power, _simple("Pow"), None),
    "SquaredDifference": (lambda a, b: (a - b) ** 2, _sqdiff, None),
    "FloorDiv": (np.floor_divide, _floordiv, None), "FloorMod": (np.mod, _floormod, None),
    "Equal": (np.equal, _simple("Equal"), "bool"), "Greater": (np.greater, _simple("Greater"), "bool"),
    "Less": (np.less, _simple("Less"), "bool"),
    "GreaterEqual": (np.greater_equal, _not("Less"), "bool"),
    "LessEqual": (np.less_equal, _not("Greater"), "bool"),
    "LogicalAnd": (np.logical_and, _simple("And"), "bool"),
}


def _u(op, **attrs):
    return lambda c, x, n: c.emit(op, [x], n["name"], **attrs)


def _cast(c, x, n):
    to = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(TF_DTYPES[n["attr"]["DstT"]["type"]])]
    return c.emit("Cast", [x], n["name"], to=to)


def _rsqrt(c, x, n):
    return c.emit("Reciprocal", [c.emit("Sqrt", [x], n["name"] + "_sqrt")], n["name"])


def _square(c, x, n):
    return c.emit("Mul", [x, x], n["name"])


def _hard(op, **attrs):
    def build(c, x, n):
        y = c.emit(op, [x], n["name"] + "_" + op, **attrs)
        if abs(n["scale"] - 1) < 1e-7:
            return y
        return c.emit("Mul", [y, c.init(np.float32(n["scale"]), n["name"] + "_scale")], n["name"])
    return build


UNARY = {  # op: (numpy fold or None, ONNX builder)
    "Relu": (lambda x, n: np.maximum(x, 0), _u("Relu")),
    "Relu6": (lambda x, n: np.clip(x, 0, 6), lambda c, x, n: c.clip(x, 0.0, 6.0, n["name"])),
    "Sigmoid": (None, _u("Sigmoid")), "Tanh": (None, _u("Tanh")), "Elu": (None, _u("Elu")),
    "Exp": (None, _u("Exp")), "Log": (None, _u("Log")), "Sqrt": (None, _u("Sqrt")),
    "Rsqrt": (None, _rsqrt), "Square": (lambda x, n: x * x, _square),
    "Neg": (lambda x, n: -x, _u("Neg")), "Abs": (lambda x, n: np.abs(x), _u("Abs")),
    "Floor": (lambda x, n: np.floor(x), _u("Floor")), "Softplus": (None, _u("Softplus")),
    "LeakyRelu": (None, lambda c, x, n: c.emit("LeakyRelu", [x], n["name"],
                                               alpha=attr_f(n, "alpha", 0.2))),
    "Cast": (lambda x, n: x, _cast),
    "_HardSwish": (None, _hard("HardSwish")),  # from hard_activations()
    "_HardSigmoid": (None, _hard("HardSigmoid", alpha=1 / 6, beta=0.5)),
}
CONV = {"Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"}
POOL = {"MaxPool": "MaxPool", "AvgPool": "AveragePool"}
REDUCE = {"Mean": "ReduceMean", "Sum": "ReduceSum", "Max": "ReduceMax", "Min": "ReduceMin",
          "Prod": "ReduceProd"}


def _reshape_fold(a, n):
    return a[0].reshape([int(d) for d in a[1]])


def _reshape(c, data, consts, n, ins):
    shape = c.init(np.asarray(consts[0], np.int64).reshape(-1), n["name"] + "_shape")
    return c.emit("Reshape", [data[0], shape], n["name"])


def _expand_fold(a, n):
    return np.expand_dims(a[0], int(a[1].reshape(-1)[0]))


def _expand(c, data, consts, n, ins):
    ax = c.init(np.asarray(consts[0], np.int64).reshape(-1), n["name"] + "_axes")
    return c.emit("Unsqueeze", [data[0], ax], n["name"])


def _squeeze_axes(a, n):
    dims = attr_ints(n, "squeeze_dims")
    return tuple(d % a[0].ndim for d in dims) if dims else tuple(
        i for i, d in enumerate(a[0].shape) if d == 1)


def _squeeze(c, data, consts, n, ins):
    axes = _squeeze_axes([np.empty(ins[0].shape)], n)
    ax = c.init(np.array(axes, np.int64), n["name"] + "_axes")
    return c.emit("Squeeze", [data[0], ax], n["name"])


def _gather_fold(a, n):
    if attr_i(n, "batch_dims"):
        raise Refused("batch_dims != 0 is not supported")
    return np.take(a[0], a[1], axis=int(a[2]))


def _gather(c, data, consts, n, ins):
    _gather_fold([np.zeros(1), np.zeros(1, np.int32), np.int32(0)], n)
    return c.emit("Gather", data, n["name"], axis=int(consts[0]))


def _pad_fold(a, n):
    value = a[2] if len(a) > 2 else 0
    return np.pad(a[0], np.asarray(a[1]).astype(int), constant_values=value)


def _pad(c, data, consts, n, ins):
    p = np.asarray(consts[0], np.int64)
    pads = c.init(np.concatenate([p[:, 0], p[:, 1]]), n["name"] + "_pads")
    value = consts[1] if len(consts) > 1 else np.zeros((), ins[0].dtype)
    return c.emit("Pad", [data[0], pads, c.init(np.asarray(value, ins[0].dtype), n["name"] + "_v")],
                  n["name"], mode="constant")


def _ss_spec(a, n):
    """StridedSlice as (starts, ends, steps, shrink axes) over the input's axes."""
    if attr_i(n, "ellipsis_mask") or attr_i(n, "new_axis_mask"):
        raise Refused("ellipsis_mask and new_axis_mask are not supported")
    begin, end, strides = (np.asarray(v).reshape(-1).astype(np.int64) for v in a[1:4])
    bm, em, sm = attr_i(n, "begin_mask"), attr_i(n, "end_mask"), attr_i(n, "shrink_axis_mask")
    big = np.iinfo(np.int64).max
    starts, ends, steps, shrink = [], [], [], []
    for i in range(len(begin)):
        s = int(strides[i])
        if s == 0:
            raise Refused("stride 0")
        b = (0 if s > 0 else big) if bm >> i & 1 else int(begin[i])
        e = (big if s > 0 else -big) if em >> i & 1 else int(end[i])
        if sm >> i & 1:
            b, s = int(begin[i]), 1
            e = b + 1 if b != -1 else big
            shrink.append(i)
        starts.append(b), ends.append(e), steps.append(s)
    return starts, ends, steps, shrink


def _ss_fold(a, n):
    starts, ends, steps, shrink = _ss_spec(a, n)
    idx = tuple(slice(b, None if abs(e) == np.iinfo(np.int64).max else e, s)
                for b, e, s in zip(starts, ends, steps))
    r = a[0][idx]
    return r.reshape([d for i, d in enumerate(r.shape) if i not in shrink])


def _ss(c, data, consts, n, ins):
    starts, ends, steps, shrink = _ss_spec([None] + consts, n)
    h = n["name"]
    y = c.emit("Slice", [data[0], c.init(np.array(starts, np.int64), h + "_starts"),
                         c.init(np.array(ends, np.int64), h + "_ends"),
                         c.init(np.arange(len(starts), dtype=np.int64), h + "_axes"),
                         c.init(np.array(steps, np.int64), h + "_steps")], h + "_slice")
    if not shrink:
        return c.emit("Identity", [y], h)
    return c.emit("Squeeze", [y, c.init(np.array(shrink, np.int64), h + "_axes")], h)


SHAPE_OPS = {  # op: (numpy fold over [data..., consts...], ONNX builder, trailing constant inputs)
    "Reshape": (_reshape_fold, _reshape, 1),
    "ExpandDims": (_expand_fold, _expand, 1),
    "Squeeze": (lambda a, n: np.squeeze(a[0], _squeeze_axes(a, n)), _squeeze, 0),
    "GatherV2": (_gather_fold, _gather, 1),
    "StridedSlice": (_ss_fold, _ss, 3),
}


PAD = {"Pad": (_pad_fold, _pad, 1), "PadV2": (_pad_fold, _pad, 2)}


def convert(model_json, outputs=None):
    spec = json.load(open(model_json))
    if spec.get("format") not in (None, "graph-model"):
        raise Refused(f"format {spec.get('format')!r} is not a TF.js graph model")
    weights = load_weights(spec, os.path.dirname(os.path.abspath(model_json)))
    return Converter(spec, weights, outputs).convert()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_json")
    ap.add_argument("out_onnx")
    ap.add_argument("--outputs", help="comma-separated output names to keep")
    a = ap.parse_args()
    try:
        model = convert(a.model_json, a.outputs.split(",") if a.outputs else None)
    except (Refused, OSError, ValueError, KeyError) as e:
        print(f"tfjs2onnx: {a.model_json}: {e}", file=sys.stderr)
        sys.exit(1)
    tmp = a.out_onnx + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, a.out_onnx)
    print(f"tfjs2onnx: {a.model_json} -> {a.out_onnx}: {len(model.graph.node)} nodes, "
          f"inputs {[i.name for i in model.graph.input]}, "
          f"outputs {[o.name for o in model.graph.output]}")


if __name__ == "__main__":
    main()

"""node_index.py -- index of the ONNX backend node tests for the conformance
suite (tests/test_nn_conformance.c).

Prints one tab-separated line per test directory:
    name  opset  primary_op  domains  ops
primary_op is the op the test is about: the only op of a one-node graph,
else the ONNX op whose name the test name starts with (test_reduce_mean_...
-> ReduceMean, for *_expanded function tests), else the first node's op.
domains lists the non-default domains used (ai.onnx.ml, ...), '-' if none.
With --freeze DIR it also writes, for every test with integer graph inputs,
a variant per test_data_set_N in DIR/<test>@N/ (node-test layout) where those
inputs are initializers holding the data set's values. vision/nn needs shape
operands (Reshape's shape, Pad's pads, reduce axes...) at plan time, as every
exported model has them; the node tests feed them as inputs. The conformance
suite runs the variant only when the original is refused for that reason,
and reports such passes separately.

Also with --freeze: a test stamped with an opset below 7 (vision/nn supports
7 to 17), whose ops all have at opset 7 the very schema they had at the
test's opset (same since_version), gets DIR/<test>@opset7/: the same model
stamped opset 7, semantics unchanged, data sets linked. Reported apart too.
Run with Debian's python3 (python3-onnx)."""
import os
import sys

import onnx
from onnx import TensorProto, defs

INT_TYPES = (TensorProto.INT64, TensorProto.INT32)


# Test-name prefixes that are abbreviations of the op they test.
ALIASES = {"nllloss": "NegativeLogLikelihoodLoss", "sce": "SoftmaxCrossEntropyLoss",
           "mvn": "MeanVarianceNormalization", "batchnorm": "BatchNormalization"}


def squash(s):
    return s.replace("_", "").lower()


def freeze(root, test, m, out):
    """Variants of test with its integer inputs turned into initializers."""
    inputs = [i for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}]
    if not any(i.type.tensor_type.elem_type in INT_TYPES for i in inputs):
        return
    tdir = os.path.join(root, test)
    for ds in sorted(d for d in os.listdir(tdir) if d.startswith("test_data_set_")):
        n = ds[len("test_data_set_"):]
        dst = os.path.join(out, f"{test}@{n}")
        os.makedirs(os.path.join(dst, "test_data_set_0"), exist_ok=True)
        v = onnx.ModelProto()
        v.CopyFrom(m)
        del v.graph.input[:]
        k = 0
        for i, inp in enumerate(inputs):
            pb = os.path.join(tdir, ds, f"input_{i}.pb")
            if inp.type.tensor_type.elem_type in INT_TYPES and os.path.exists(pb):
                t = onnx.TensorProto()
                t.ParseFromString(open(pb, "rb").read())
                t.name = inp.name
                v.graph.initializer.append(t)
            else:
                v.graph.input.append(inp)
                if os.path.exists(pb):
                    data = open(pb, "rb").read()
                    open(os.path.join(dst, "test_data_set_0", f"input_{k}.pb"), "wb").write(data)
                k += 1
        for f in os.listdir(os.path.join(tdir, ds)):
            if f.startswith("output_"):
                data = open(os.path.join(tdir, ds, f), "rb").read()
                open(os.path.join(dst, "test_data_set_0", f), "wb").write(data)
        onnx.save(v, os.path.join(dst, "model.onnx"))


def restamp(root, test, m, opset, out):
    """Variant at opset 7 when no op's schema changed between opset and 7."""
    if opset >= 7 or opset == 0:
        return
    for n in m.graph.node:
        try:
            if defs.get_schema(n.op_type, 7, "").since_version > opset:
                return
        except Exception:  # op unknown at opset 7
            return
    dst = os.path.join(out, f"{test}@opset7")
    os.makedirs(dst, exist_ok=True)
    v = onnx.ModelProto()
    v.CopyFrom(m)
    for o in v.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = 7
    onnx.save(v, os.path.join(dst, "model.onnx"))
    for ds in os.listdir(os.path.join(root, test)):
        if ds.startswith("test_data_set_") and not os.path.exists(os.path.join(dst, ds)):
            os.symlink(os.path.join(root, test, ds), os.path.join(dst, ds))


def main(root, frozen=None):
    names = sorted({s.name for s in defs.get_all_schemas_with_history()}, key=len, reverse=True)
    for test in sorted(os.listdir(root)):
        path = os.path.join(root, test, "model.onnx")
        if not os.path.isfile(path):
            continue
        m = onnx.load(path, load_external_data=False)
        opset = max([o.version for o in m.opset_import if o.domain in ("", "ai.onnx")] or [0])
        ops = [n.op_type for n in m.graph.node]
        domains = sorted({n.domain for n in m.graph.node if n.domain not in ("", "ai.onnx")} |
                         {o.domain for o in m.opset_import
                          if o.domain not in ("", "ai.onnx") and o.version > 0 and
                          any(n.domain == o.domain for n in m.graph.node)})
        uniq = list(dict.fromkeys(ops))
        if len(uniq) == 1:
            primary = uniq[0]
        else:
            key = squash(test[len("test_"):])
            alias = next((v for k, v in ALIASES.items() if test.startswith("test_" + k + "_")), None)
            primary = alias or next((n for n in names if key.startswith(n.lower())),
                                    uniq[0] if uniq else "-")
        if frozen:
            freeze(root, test, m, frozen)
            restamp(root, test, m, opset, frozen)
        print("\t".join([test, str(opset), primary, ",".join(domains) or "-", ",".join(uniq) or "-"]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--freeze" else None)

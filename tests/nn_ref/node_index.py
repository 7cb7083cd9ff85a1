"""node_index.py -- index of the ONNX backend node tests for the conformance
suite (tests/test_nn_conformance.c).

Prints one tab-separated line per test directory:
    name  opset  primary_op  domains  ops
primary_op is the op the test is about: the only op of a one-node graph,
else the ONNX op whose name the test name starts with (test_reduce_mean_...
-> ReduceMean, for *_expanded function tests), else the first node's op.
domains lists the non-default domains used (ai.onnx.ml, ...), '-' if none.
Run with Debian's python3 (python3-onnx)."""
import os
import sys

import onnx
from onnx import defs


# Test-name prefixes that are abbreviations of the op they test.
ALIASES = {"nllloss": "NegativeLogLikelihoodLoss", "sce": "SoftmaxCrossEntropyLoss",
           "mvn": "MeanVarianceNormalization", "batchnorm": "BatchNormalization"}


def squash(s):
    return s.replace("_", "").lower()


def main(root):
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
        print("\t".join([test, str(opset), primary, ",".join(domains) or "-", ",".join(uniq) or "-"]))


if __name__ == "__main__":
    main(sys.argv[1])

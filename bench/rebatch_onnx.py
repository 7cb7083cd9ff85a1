"""rebatch_onnx.py IN OUT N -- copy a model whose batch dimension is baked in
as 1 (tf2onnx exports such as BlazeFace fix it in the input, the outputs and
the constants feeding Reshape/ConstantOfShape) with that batch set to N.
Used by the nn benchmarks to measure batch 8 on both runtimes alike."""
import sys

import onnx
from onnx import numpy_helper


def main():
    src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    m = onnx.load(src)
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_value = n
    for o in m.graph.output:
        o.type.tensor_type.shape.dim[0].dim_value = n
    del m.graph.value_info[:]  # intermediate shapes recorded at batch 1
    shape_inputs = {i for nd in m.graph.node if nd.op_type in ("Reshape", "ConstantOfShape")
                    for i in nd.input[-1:]}
    for k, t in enumerate(m.graph.initializer):
        if t.name in shape_inputs:
            a = numpy_helper.to_array(t).copy()
            if a.ndim == 1 and a.size and a[0] == 1:
                a[0] = n
                m.graph.initializer[k].CopyFrom(numpy_helper.from_array(a, t.name))
    onnx.save(m, dst)


if __name__ == "__main__":
    main()

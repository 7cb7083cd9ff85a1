/* arity.c -- how many inputs and outputs each ONNX op takes, per version.
 *
 * Kernels index in[] and out[] by position, so a node from an untrusted
 * file must have a count the op's schema allows, and its required inputs
 * (the first min_in; ONNX puts optional inputs last) must not be omitted.
 * The table is ONNX 1.12's own schema for the default domain, versions
 * in force from opset 7 to 17, max capped at 1024 ("variadic"). To
 * regenerate: for each default-domain op and each since_version <= 17 not
 * superseded before opset 7, onnx.defs.get_schema(op, version, '') gives
 * min_input, max_input, min_output and max_output. The rows for opsets 18
 * to 20 (at the end) are the ONNX 1.13-1.15 schemas of the ops the engine
 * registers there, written from docs/Changelog.md (see docs/nn-opsets.md).
 */
#include <string.h>

#include "model.h"

typedef struct arity {
    const char *op;
    int since, min_in, max_in, min_out, max_out;
} arity;

static const arity table[] = {
    {"Abs", 6, 1, 1, 1, 1}, {"Abs", 13, 1, 1, 1, 1}, {"Acos", 7, 1, 1, 1, 1},
    {"Acosh", 9, 1, 1, 1, 1}, {"Add", 7, 2, 2, 1, 1}, {"Add", 13, 2, 2, 1, 1},
    {"Add", 14, 2, 2, 1, 1}, {"And", 7, 2, 2, 1, 1}, {"ArgMax", 1, 1, 1, 1, 1},
    {"ArgMax", 11, 1, 1, 1, 1}, {"ArgMax", 12, 1, 1, 1, 1}, {"ArgMax", 13, 1, 1, 1, 1},
    {"ArgMin", 1, 1, 1, 1, 1}, {"ArgMin", 11, 1, 1, 1, 1}, {"ArgMin", 12, 1, 1, 1, 1},
    {"ArgMin", 13, 1, 1, 1, 1}, {"Asin", 7, 1, 1, 1, 1}, {"Asinh", 9, 1, 1, 1, 1},
    {"Atan", 7, 1, 1, 1, 1}, {"Atanh", 9, 1, 1, 1, 1}, {"AveragePool", 7, 1, 1, 1, 1},
    {"AveragePool", 10, 1, 1, 1, 1}, {"AveragePool", 11, 1, 1, 1, 1},
    {"BatchNormalization", 7, 5, 5, 1, 5}, {"BatchNormalization", 9, 5, 5, 1, 5},
    {"BatchNormalization", 14, 5, 5, 1, 3}, {"BatchNormalization", 15, 5, 5, 1, 3},
    {"Bernoulli", 15, 1, 1, 1, 1}, {"BitShift", 11, 2, 2, 1, 1},
    {"BlackmanWindow", 17, 1, 1, 1, 1}, {"Cast", 6, 1, 1, 1, 1}, {"Cast", 9, 1, 1, 1, 1},
    {"Cast", 13, 1, 1, 1, 1}, {"CastLike", 15, 2, 2, 1, 1}, {"Ceil", 6, 1, 1, 1, 1},
    {"Ceil", 13, 1, 1, 1, 1}, {"Celu", 12, 1, 1, 1, 1}, {"Clip", 6, 1, 1, 1, 1},
    {"Clip", 11, 1, 3, 1, 1}, {"Clip", 12, 1, 3, 1, 1}, {"Clip", 13, 1, 3, 1, 1},
    {"Compress", 9, 2, 2, 1, 1}, {"Compress", 11, 2, 2, 1, 1}, {"Concat", 4, 1, 1024, 1, 1},
    {"Concat", 11, 1, 1024, 1, 1}, {"Concat", 13, 1, 1024, 1, 1},
    {"ConcatFromSequence", 11, 1, 1, 1, 1}, {"Constant", 1, 0, 0, 1, 1},
    {"Constant", 9, 0, 0, 1, 1}, {"Constant", 11, 0, 0, 1, 1}, {"Constant", 12, 0, 0, 1, 1},
    {"Constant", 13, 0, 0, 1, 1}, {"ConstantOfShape", 9, 1, 1, 1, 1}, {"Conv", 1, 2, 3, 1, 1},
    {"Conv", 11, 2, 3, 1, 1}, {"ConvInteger", 10, 2, 4, 1, 1}, {"ConvTranspose", 1, 2, 3, 1, 1},
    {"ConvTranspose", 11, 2, 3, 1, 1}, {"Cos", 7, 1, 1, 1, 1}, {"Cosh", 9, 1, 1, 1, 1},
    {"CumSum", 11, 2, 2, 1, 1}, {"CumSum", 14, 2, 2, 1, 1}, {"DFT", 17, 1, 2, 1, 1},
    {"DepthToSpace", 1, 1, 1, 1, 1}, {"DepthToSpace", 11, 1, 1, 1, 1},
    {"DepthToSpace", 13, 1, 1, 1, 1}, {"DequantizeLinear", 10, 2, 3, 1, 1},
    {"DequantizeLinear", 13, 2, 3, 1, 1}, {"Det", 11, 1, 1, 1, 1}, {"Div", 7, 2, 2, 1, 1},
    {"Div", 13, 2, 2, 1, 1}, {"Div", 14, 2, 2, 1, 1}, {"Dropout", 7, 1, 1, 1, 2},
    {"Dropout", 10, 1, 1, 1, 2}, {"Dropout", 12, 1, 3, 1, 2}, {"Dropout", 13, 1, 3, 1, 2},
    {"DynamicQuantizeLinear", 11, 1, 1, 3, 3}, {"Einsum", 12, 1, 1024, 1, 1},
    {"Elu", 6, 1, 1, 1, 1}, {"Equal", 7, 2, 2, 1, 1}, {"Equal", 11, 2, 2, 1, 1},
    {"Equal", 13, 2, 2, 1, 1}, {"Erf", 9, 1, 1, 1, 1}, {"Erf", 13, 1, 1, 1, 1},
    {"Exp", 6, 1, 1, 1, 1}, {"Exp", 13, 1, 1, 1, 1}, {"Expand", 8, 2, 2, 1, 1},
    {"Expand", 13, 2, 2, 1, 1}, {"EyeLike", 9, 1, 1, 1, 1}, {"Flatten", 1, 1, 1, 1, 1},
    {"Flatten", 9, 1, 1, 1, 1}, {"Flatten", 11, 1, 1, 1, 1}, {"Flatten", 13, 1, 1, 1, 1},
    {"Floor", 6, 1, 1, 1, 1}, {"Floor", 13, 1, 1, 1, 1}, {"GRU", 7, 3, 6, 0, 2},
    {"GRU", 14, 3, 6, 0, 2}, {"Gather", 1, 2, 2, 1, 1}, {"Gather", 11, 2, 2, 1, 1},
    {"Gather", 13, 2, 2, 1, 1}, {"GatherElements", 11, 2, 2, 1, 1},
    {"GatherElements", 13, 2, 2, 1, 1}, {"GatherND", 11, 2, 2, 1, 1},
    {"GatherND", 12, 2, 2, 1, 1}, {"GatherND", 13, 2, 2, 1, 1}, {"Gemm", 7, 3, 3, 1, 1},
    {"Gemm", 9, 3, 3, 1, 1}, {"Gemm", 11, 2, 3, 1, 1}, {"Gemm", 13, 2, 3, 1, 1},
    {"GlobalAveragePool", 1, 1, 1, 1, 1}, {"GlobalLpPool", 2, 1, 1, 1, 1},
    {"GlobalMaxPool", 1, 1, 1, 1, 1}, {"Greater", 7, 2, 2, 1, 1}, {"Greater", 9, 2, 2, 1, 1},
    {"Greater", 13, 2, 2, 1, 1}, {"GreaterOrEqual", 12, 2, 2, 1, 1},
    {"GreaterOrEqual", 16, 2, 2, 1, 1}, {"GridSample", 16, 2, 2, 1, 1},
    {"HammingWindow", 17, 1, 1, 1, 1}, {"HannWindow", 17, 1, 1, 1, 1},
    {"HardSigmoid", 6, 1, 1, 1, 1}, {"HardSwish", 14, 1, 1, 1, 1}, {"Hardmax", 1, 1, 1, 1, 1},
    {"Hardmax", 11, 1, 1, 1, 1}, {"Hardmax", 13, 1, 1, 1, 1}, {"Identity", 1, 1, 1, 1, 1},
    {"Identity", 13, 1, 1, 1, 1}, {"Identity", 14, 1, 1, 1, 1}, {"Identity", 16, 1, 1, 1, 1},
    {"If", 1, 1, 1, 1, 1024}, {"If", 11, 1, 1, 1, 1024}, {"If", 13, 1, 1, 1, 1024},
    {"If", 16, 1, 1, 1, 1024}, {"InstanceNormalization", 6, 3, 3, 1, 1},
    {"IsInf", 10, 1, 1, 1, 1}, {"IsNaN", 9, 1, 1, 1, 1}, {"IsNaN", 13, 1, 1, 1, 1},
    {"LRN", 1, 1, 1, 1, 1}, {"LRN", 13, 1, 1, 1, 1}, {"LSTM", 7, 3, 8, 0, 3},
    {"LSTM", 14, 3, 8, 0, 3}, {"LayerNormalization", 17, 2, 3, 1, 3},
    {"LeakyRelu", 6, 1, 1, 1, 1}, {"LeakyRelu", 16, 1, 1, 1, 1}, {"Less", 7, 2, 2, 1, 1},
    {"Less", 9, 2, 2, 1, 1}, {"Less", 13, 2, 2, 1, 1}, {"LessOrEqual", 12, 2, 2, 1, 1},
    {"LessOrEqual", 16, 2, 2, 1, 1}, {"Log", 6, 1, 1, 1, 1}, {"Log", 13, 1, 1, 1, 1},
    {"LogSoftmax", 1, 1, 1, 1, 1}, {"LogSoftmax", 11, 1, 1, 1, 1},
    {"LogSoftmax", 13, 1, 1, 1, 1}, {"Loop", 1, 3, 1024, 1, 1024},
    {"Loop", 11, 2, 1024, 1, 1024}, {"Loop", 13, 2, 1024, 1, 1024},
    {"Loop", 16, 2, 1024, 1, 1024}, {"LpNormalization", 1, 1, 1, 1, 1},
    {"LpPool", 2, 1, 1, 1, 1}, {"LpPool", 11, 1, 1, 1, 1}, {"MatMul", 1, 2, 2, 1, 1},
    {"MatMul", 9, 2, 2, 1, 1}, {"MatMul", 13, 2, 2, 1, 1}, {"MatMulInteger", 10, 2, 4, 1, 1},
    {"Max", 6, 1, 1024, 1, 1}, {"Max", 8, 1, 1024, 1, 1}, {"Max", 12, 1, 1024, 1, 1},
    {"Max", 13, 1, 1024, 1, 1}, {"MaxPool", 1, 1, 1, 1, 1}, {"MaxPool", 8, 1, 1, 1, 2},
    {"MaxPool", 10, 1, 1, 1, 2}, {"MaxPool", 11, 1, 1, 1, 2}, {"MaxPool", 12, 1, 1, 1, 2},
    {"MaxRoiPool", 1, 2, 2, 1, 1}, {"MaxUnpool", 9, 2, 3, 1, 1}, {"MaxUnpool", 11, 2, 3, 1, 1},
    {"Mean", 6, 1, 1024, 1, 1}, {"Mean", 8, 1, 1024, 1, 1}, {"Mean", 13, 1, 1024, 1, 1},
    {"MeanVarianceNormalization", 9, 1, 1, 1, 1}, {"MeanVarianceNormalization", 13, 1, 1, 1, 1},
    {"MelWeightMatrix", 17, 5, 5, 1, 1}, {"Min", 6, 1, 1024, 1, 1}, {"Min", 8, 1, 1024, 1, 1},
    {"Min", 12, 1, 1024, 1, 1}, {"Min", 13, 1, 1024, 1, 1}, {"Mod", 10, 2, 2, 1, 1},
    {"Mod", 13, 2, 2, 1, 1}, {"Mul", 7, 2, 2, 1, 1}, {"Mul", 13, 2, 2, 1, 1},
    {"Mul", 14, 2, 2, 1, 1}, {"Multinomial", 7, 1, 1, 1, 1}, {"Neg", 6, 1, 1, 1, 1},
    {"Neg", 13, 1, 1, 1, 1}, {"NegativeLogLikelihoodLoss", 12, 2, 3, 1, 1},
    {"NegativeLogLikelihoodLoss", 13, 2, 3, 1, 1}, {"NonMaxSuppression", 10, 2, 5, 1, 1},
    {"NonMaxSuppression", 11, 2, 5, 1, 1}, {"NonZero", 9, 1, 1, 1, 1},
    {"NonZero", 13, 1, 1, 1, 1}, {"Not", 1, 1, 1, 1, 1}, {"OneHot", 9, 3, 3, 1, 1},
    {"OneHot", 11, 3, 3, 1, 1}, {"Optional", 15, 0, 1, 1, 1},
    {"OptionalGetElement", 15, 1, 1, 1, 1}, {"OptionalHasElement", 15, 1, 1, 1, 1},
    {"Or", 7, 2, 2, 1, 1}, {"PRelu", 7, 2, 2, 1, 1}, {"PRelu", 9, 2, 2, 1, 1},
    {"PRelu", 16, 2, 2, 1, 1}, {"Pad", 2, 1, 1, 1, 1}, {"Pad", 11, 2, 3, 1, 1},
    {"Pad", 13, 2, 3, 1, 1}, {"Pow", 7, 2, 2, 1, 1}, {"Pow", 12, 2, 2, 1, 1},
    {"Pow", 13, 2, 2, 1, 1}, {"Pow", 15, 2, 2, 1, 1}, {"QLinearConv", 10, 8, 9, 1, 1},
    {"QLinearMatMul", 10, 8, 8, 1, 1}, {"QuantizeLinear", 10, 2, 3, 1, 1},
    {"QuantizeLinear", 13, 2, 3, 1, 1}, {"RNN", 7, 3, 6, 0, 2}, {"RNN", 14, 3, 6, 0, 2},
    {"RandomNormal", 1, 0, 0, 1, 1}, {"RandomNormalLike", 1, 1, 1, 1, 1},
    {"RandomUniform", 1, 0, 0, 1, 1}, {"RandomUniformLike", 1, 1, 1, 1, 1},
    {"Range", 11, 3, 3, 1, 1}, {"Reciprocal", 6, 1, 1, 1, 1}, {"Reciprocal", 13, 1, 1, 1, 1},
    {"ReduceL1", 1, 1, 1, 1, 1}, {"ReduceL1", 11, 1, 1, 1, 1}, {"ReduceL1", 13, 1, 1, 1, 1},
    {"ReduceL2", 1, 1, 1, 1, 1}, {"ReduceL2", 11, 1, 1, 1, 1}, {"ReduceL2", 13, 1, 1, 1, 1},
    {"ReduceLogSum", 1, 1, 1, 1, 1}, {"ReduceLogSum", 11, 1, 1, 1, 1},
    {"ReduceLogSum", 13, 1, 1, 1, 1}, {"ReduceLogSumExp", 1, 1, 1, 1, 1},
    {"ReduceLogSumExp", 11, 1, 1, 1, 1}, {"ReduceLogSumExp", 13, 1, 1, 1, 1},
    {"ReduceMax", 1, 1, 1, 1, 1}, {"ReduceMax", 11, 1, 1, 1, 1}, {"ReduceMax", 12, 1, 1, 1, 1},
    {"ReduceMax", 13, 1, 1, 1, 1}, {"ReduceMean", 1, 1, 1, 1, 1},
    {"ReduceMean", 11, 1, 1, 1, 1}, {"ReduceMean", 13, 1, 1, 1, 1},
    {"ReduceMin", 1, 1, 1, 1, 1}, {"ReduceMin", 11, 1, 1, 1, 1}, {"ReduceMin", 12, 1, 1, 1, 1},
    {"ReduceMin", 13, 1, 1, 1, 1}, {"ReduceProd", 1, 1, 1, 1, 1},
    {"ReduceProd", 11, 1, 1, 1, 1}, {"ReduceProd", 13, 1, 1, 1, 1},
    {"ReduceSum", 1, 1, 1, 1, 1}, {"ReduceSum", 11, 1, 1, 1, 1}, {"ReduceSum", 13, 1, 2, 1, 1},
    {"ReduceSumSquare", 1, 1, 1, 1, 1}, {"ReduceSumSquare", 11, 1, 1, 1, 1},
    {"ReduceSumSquare", 13, 1, 1, 1, 1}, {"Relu", 6, 1, 1, 1, 1}, {"Relu", 13, 1, 1, 1, 1},
    {"Relu", 14, 1, 1, 1, 1}, {"Reshape", 5, 2, 2, 1, 1}, {"Reshape", 13, 2, 2, 1, 1},
    {"Reshape", 14, 2, 2, 1, 1}, {"Resize", 10, 2, 2, 1, 1}, {"Resize", 11, 3, 4, 1, 1},
    {"Resize", 13, 1, 4, 1, 1}, {"ReverseSequence", 10, 2, 2, 1, 1},
    {"RoiAlign", 10, 3, 3, 1, 1}, {"RoiAlign", 16, 3, 3, 1, 1}, {"Round", 11, 1, 1, 1, 1},
    {"STFT", 17, 2, 4, 1, 1}, {"Scan", 8, 2, 1024, 1, 1024}, {"Scan", 9, 1, 1024, 1, 1024},
    {"Scan", 11, 1, 1024, 1, 1024}, {"Scan", 16, 1, 1024, 1, 1024}, {"Scatter", 9, 3, 3, 1, 1},
    {"Scatter", 11, 3, 3, 1, 1}, {"ScatterElements", 11, 3, 3, 1, 1},
    {"ScatterElements", 13, 3, 3, 1, 1}, {"ScatterElements", 16, 3, 3, 1, 1},
    {"ScatterND", 11, 3, 3, 1, 1}, {"ScatterND", 13, 3, 3, 1, 1}, {"ScatterND", 16, 3, 3, 1, 1},
    {"Selu", 6, 1, 1, 1, 1}, {"SequenceAt", 11, 2, 2, 1, 1},
    {"SequenceConstruct", 11, 1, 1024, 1, 1}, {"SequenceEmpty", 11, 0, 0, 1, 1},
    {"SequenceErase", 11, 1, 2, 1, 1}, {"SequenceInsert", 11, 2, 3, 1, 1},
    {"SequenceLength", 11, 1, 1, 1, 1}, {"SequenceMap", 17, 1, 1024, 1, 1024},
    {"Shape", 1, 1, 1, 1, 1}, {"Shape", 13, 1, 1, 1, 1}, {"Shape", 15, 1, 1, 1, 1},
    {"Shrink", 9, 1, 1, 1, 1}, {"Sigmoid", 6, 1, 1, 1, 1}, {"Sigmoid", 13, 1, 1, 1, 1},
    {"Sign", 9, 1, 1, 1, 1}, {"Sign", 13, 1, 1, 1, 1}, {"Sin", 7, 1, 1, 1, 1},
    {"Sinh", 9, 1, 1, 1, 1}, {"Size", 1, 1, 1, 1, 1}, {"Size", 13, 1, 1, 1, 1},
    {"Slice", 1, 1, 1, 1, 1}, {"Slice", 10, 3, 5, 1, 1}, {"Slice", 11, 3, 5, 1, 1},
    {"Slice", 13, 3, 5, 1, 1}, {"Softmax", 1, 1, 1, 1, 1}, {"Softmax", 11, 1, 1, 1, 1},
    {"Softmax", 13, 1, 1, 1, 1}, {"SoftmaxCrossEntropyLoss", 12, 2, 3, 1, 2},
    {"SoftmaxCrossEntropyLoss", 13, 2, 3, 1, 2}, {"Softplus", 1, 1, 1, 1, 1},
    {"Softsign", 1, 1, 1, 1, 1}, {"SpaceToDepth", 1, 1, 1, 1, 1},
    {"SpaceToDepth", 13, 1, 1, 1, 1}, {"Split", 2, 1, 1, 1, 1024}, {"Split", 11, 1, 1, 1, 1024},
    {"Split", 13, 1, 2, 1, 1024}, {"SplitToSequence", 11, 1, 2, 1, 1}, {"Sqrt", 6, 1, 1, 1, 1},
    {"Sqrt", 13, 1, 1, 1, 1}, {"Squeeze", 1, 1, 1, 1, 1}, {"Squeeze", 11, 1, 1, 1, 1},
    {"Squeeze", 13, 1, 2, 1, 1}, {"StringNormalizer", 10, 1, 1, 1, 1}, {"Sub", 7, 2, 2, 1, 1},
    {"Sub", 13, 2, 2, 1, 1}, {"Sub", 14, 2, 2, 1, 1}, {"Sum", 6, 1, 1024, 1, 1},
    {"Sum", 8, 1, 1024, 1, 1}, {"Sum", 13, 1, 1024, 1, 1}, {"Tan", 7, 1, 1, 1, 1},
    {"Tanh", 6, 1, 1, 1, 1}, {"Tanh", 13, 1, 1, 1, 1}, {"TfIdfVectorizer", 9, 1, 1, 1, 1},
    {"ThresholdedRelu", 10, 1, 1, 1, 1}, {"Tile", 6, 2, 2, 1, 1}, {"Tile", 13, 2, 2, 1, 1},
    {"TopK", 1, 1, 1, 2, 2}, {"TopK", 10, 2, 2, 2, 2}, {"TopK", 11, 2, 2, 2, 2},
    {"Transpose", 1, 1, 1, 1, 1}, {"Transpose", 13, 1, 1, 1, 1}, {"Trilu", 14, 1, 2, 1, 1},
    {"Unique", 11, 1, 1, 1, 4}, {"Unsqueeze", 1, 1, 1, 1, 1}, {"Unsqueeze", 11, 1, 1, 1, 1},
    {"Unsqueeze", 13, 2, 2, 1, 1}, {"Upsample", 7, 1, 1, 1, 1}, {"Upsample", 9, 2, 2, 1, 1},
    {"Upsample", 10, 2, 2, 1, 1}, {"Where", 9, 3, 3, 1, 1}, {"Where", 16, 3, 3, 1, 1},
    {"Xor", 7, 2, 2, 1, 1},
    /* Opsets 18 to 20 (ONNX 1.13-1.15 schemas), for the ops the engine
     * registers at those versions (docs/nn-opsets.md). */
    {"Mish", 18, 1, 1, 1, 1}, {"Pad", 18, 2, 4, 1, 1}, {"Resize", 18, 1, 4, 1, 1},
    {"Split", 18, 1, 2, 1, 1024}, {"ScatterElements", 18, 3, 3, 1, 1},
    {"ScatterND", 18, 3, 3, 1, 1}, {"ReduceL1", 18, 1, 2, 1, 1}, {"ReduceL2", 18, 1, 2, 1, 1},
    {"ReduceLogSum", 18, 1, 2, 1, 1}, {"ReduceLogSumExp", 18, 1, 2, 1, 1},
    {"ReduceMax", 18, 1, 2, 1, 1}, {"ReduceMean", 18, 1, 2, 1, 1}, {"ReduceMin", 18, 1, 2, 1, 1},
    {"ReduceProd", 18, 1, 2, 1, 1}, {"ReduceSumSquare", 18, 1, 2, 1, 1},
    {"AveragePool", 19, 1, 1, 1, 1}, {"Cast", 19, 1, 1, 1, 1}, {"CastLike", 19, 2, 2, 1, 1},
    {"Constant", 19, 0, 0, 1, 1}, {"Equal", 19, 2, 2, 1, 1}, {"Identity", 19, 1, 1, 1, 1},
    {"Pad", 19, 2, 4, 1, 1}, {"Reshape", 19, 2, 2, 1, 1}, {"Resize", 19, 1, 4, 1, 1},
    {"Shape", 19, 1, 1, 1, 1}, {"Size", 19, 1, 1, 1, 1}, {"ConstantOfShape", 20, 1, 1, 1, 1},
    {"Gelu", 20, 1, 1, 1, 1}, {"IsInf", 20, 1, 1, 1, 1}, {"IsNaN", 20, 1, 1, 1, 1},
    {"ReduceMax", 20, 1, 2, 1, 1}, {"ReduceMin", 20, 1, 2, 1, 1},
};

int vd_nn_arity_check(const vd_nn_node *n, vd_error *err)
{
    const arity *best = NULL;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].op, n->op_type) && table[i].since <= n->opset &&
            (!best || table[i].since > best->since))
            best = &table[i];
    if (!best)
        return VD_OK; /* not an ONNX op: the registry decides */
    if (n->n_in < best->min_in || n->n_in > best->max_in)
        return vd_error_set(err, VD_EFORMAT, "has %d inputs, the op takes %d to %d", n->n_in,
                            best->min_in, best->max_in);
    if (n->n_out < best->min_out || n->n_out > best->max_out)
        return vd_error_set(err, VD_EFORMAT, "has %d outputs, the op takes %d to %d", n->n_out,
                            best->min_out, best->max_out);
    for (int k = 0; k < best->min_in; k++)
        if (n->in[k] < 0)
            return vd_error_set(err, VD_EFORMAT, "input %d is required but omitted", k);
    return VD_OK;
}

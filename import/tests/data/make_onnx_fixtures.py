# Writes the small ONNX models the tests in import/tests/onnx.rs read. The .onnx files are committed;
# rerun this only to change them (from the repository root, with `pip install onnx`):
#
#     python3 import/tests/data/make_onnx_fixtures.py
#
# Every model is checked by onnx.checker and onnx.shape_inference before it is written. Weights are
# small deterministic arrays: the importer reads shapes, not values.
import os

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(0)


def w(name, *shape, dtype=np.float32):
    if np.issubdtype(dtype, np.integer):
        return nh.from_array(rng.integers(-8, 8, size=shape).astype(dtype), name)
    return nh.from_array(rng.standard_normal(shape).astype(dtype), name)


def const(name, values, dtype):
    return nh.from_array(np.array(values, dtype=dtype), name)


def save(model, file, opset_check=True):
    onnx.checker.check_model(model, full_check=opset_check)
    onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.save(model, os.path.join(HERE, file))
    return model


def model(graph, opset):
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)],
                     producer_name="tessera-fixtures")
    m.ir_version = 8
    return m


def small_cnn():
    """A conv net as PyTorch exports it: explicit Pad, BN folded into Mul/Add, a depthwise block
    with a real BatchNormalization and Clip(0, 6), a residual Add, pooling, Flatten, Gemm."""
    x = h.make_tensor_value_info("input", T.FLOAT, ["batch_size", 3, 32, 32])
    y = h.make_tensor_value_info("probs", T.FLOAT, ["batch_size", 10])
    inits = [
        const("pads", [0, 0, 0, 0, 0, 0, 1, 1], np.int64),
        w("stem.w", 16, 3, 3, 3), w("stem.b", 16),
        w("bn_scale", 16, 1, 1), w("bn_shift", 16, 1, 1),
        w("dw.w", 16, 1, 3, 3),
        w("bn.s", 16), w("bn.b", 16), w("bn.mean", 16),
        nh.from_array(np.abs(rng.standard_normal(16)).astype(np.float32) + 0.5, "bn.var"),
        const("zero", 0.0, np.float32), const("six", 6.0, np.float32),
        w("pw.w", 16, 16, 1, 1),
        w("head.w", 32, 16, 3, 3),
        w("fc.w", 10, 32), w("fc.b", 10),
    ]
    n = h.make_node
    nodes = [
        n("Pad", ["input", "pads"], ["padded"], name="/stem/Pad"),
        n("Conv", ["padded", "stem.w", "stem.b"], ["c1"], name="/stem/conv/Conv",
          kernel_shape=[3, 3], strides=[2, 2]),
        n("Mul", ["c1", "bn_scale"], ["m1"], name="/stem/bn/Mul"),
        n("Add", ["m1", "bn_shift"], ["a1"], name="/stem/bn/Add"),
        n("Relu", ["a1"], ["r1"], name="/stem/relu/Relu"),
        n("Conv", ["r1", "dw.w"], ["dw"], name="/block/dw/Conv", kernel_shape=[3, 3],
          pads=[1, 1, 1, 1], group=16),
        n("BatchNormalization", ["dw", "bn.s", "bn.b", "bn.mean", "bn.var"], ["bn"],
          name="/block/bn/BatchNormalization"),
        n("Clip", ["bn", "zero", "six"], ["r6"], name="/block/relu6/Clip"),
        n("Conv", ["r6", "pw.w"], ["pw"], name="/block/pw/Conv", kernel_shape=[1, 1]),
        n("Add", ["pw", "r1"], ["res"], name="/block/add/Add"),
        n("MaxPool", ["res"], ["mp"], name="/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
        n("Conv", ["mp", "head.w"], ["c3"], name="/head/conv/Conv", kernel_shape=[3, 3],
          pads=[1, 1, 1, 1]),
        n("Relu", ["c3"], ["r3"], name="/head/relu/Relu"),
        n("GlobalAveragePool", ["r3"], ["gap"], name="/head/gap/GlobalAveragePool"),
        n("Flatten", ["gap"], ["flat"], name="/head/Flatten", axis=1),
        n("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="/fc/Gemm", transB=1),
        n("Softmax", ["logits"], ["probs"], name="/Softmax", axis=1),
    ]
    return save(model(h.make_graph(nodes, "small_cnn", [x], [y], inits), 13), "small_cnn.onnx")


def branches():
    """Concat of two branches (one dilated), AveragePool, gating Mul of two data inputs, HardSwish,
    Tanh, Reshape to 2-D, MatMul with weights, LayerNorm, the exported Erf form of GELU, Dropout and
    a Gemm without transB."""
    x = h.make_tensor_value_info("x", T.FLOAT, [1, 4, 8, 8])
    y = h.make_tensor_value_info("out", T.FLOAT, [1, 10])
    inits = [
        w("a.w", 4, 4, 1, 1), w("b.w", 4, 4, 3, 3),
        const("shape", [1, -1], np.int64),
        w("fc1.w", 128, 16), w("fc1.b", 16),
        w("ln.s", 16), w("ln.b", 16),
        const("sqrt2", 1.4142135, np.float32), const("one", 1.0, np.float32),
        const("half", 0.5, np.float32),
        w("fc2.w", 16, 10),
    ]
    n = h.make_node
    nodes = [
        n("Conv", ["x", "a.w"], ["ca"], name="branch_a", kernel_shape=[1, 1]),
        n("Conv", ["x", "b.w"], ["cb"], name="branch_b", kernel_shape=[3, 3], pads=[2, 2, 2, 2],
          dilations=[2, 2]),
        n("Concat", ["ca", "cb"], ["cat"], name="cat", axis=1),
        n("AveragePool", ["cat"], ["ap"], name="avgpool", kernel_shape=[3, 3], strides=[2, 2],
          pads=[1, 1, 1, 1]),
        n("Sigmoid", ["ap"], ["sg"], name="gate"),
        n("Mul", ["ap", "sg"], ["gated"], name="gated"),
        n("HardSwish", ["gated"], ["hs"], name="hswish"),
        n("Tanh", ["hs"], ["th"], name="tanh"),
        n("Reshape", ["th", "shape"], ["flat"], name="reshape"),
        n("MatMul", ["flat", "fc1.w"], ["mm"], name="fc1"),
        n("Add", ["mm", "fc1.b"], ["fc1_out"], name="fc1_bias"),
        n("LayerNormalization", ["fc1_out", "ln.s", "ln.b"], ["ln"], name="ln", axis=-1),
        n("Div", ["ln", "sqrt2"], ["d"], name="gelu_div"),
        n("Erf", ["d"], ["e"], name="gelu_erf"),
        n("Add", ["e", "one"], ["e1"], name="gelu_add"),
        n("Mul", ["ln", "e1"], ["g"], name="gelu_mul"),
        n("Mul", ["g", "half"], ["gelu"], name="gelu_half"),
        n("Dropout", ["gelu"], ["dr"], name="dropout"),
        n("Gemm", ["dr", "fc2.w"], ["out"], name="fc2"),
    ]
    return save(model(h.make_graph(nodes, "branches", [x], [y], inits), 17), "branches.onnx")


def attention():
    """Attention's products of two activations (Q·Kᵀ, A·V: batched MatMul), a rank-3 MatMul with
    weights, and a residual Add."""
    q = h.make_tensor_value_info("q", T.FLOAT, [1, 16, 32])
    kt = h.make_tensor_value_info("k_t", T.FLOAT, [1, 32, 16])
    v = h.make_tensor_value_info("v", T.FLOAT, [1, 16, 32])
    y = h.make_tensor_value_info("out", T.FLOAT, [1, 16, 32])
    inits = [w("wo", 32, 32)]
    n = h.make_node
    nodes = [
        n("MatMul", ["q", "k_t"], ["scores"], name="qk"),
        n("Softmax", ["scores"], ["attn"], name="softmax", axis=-1),
        n("MatMul", ["attn", "v"], ["ctx"], name="av"),
        n("MatMul", ["ctx", "wo"], ["proj"], name="out_proj"),
        n("Add", ["proj", "q"], ["out"], name="residual"),
    ]
    return save(model(h.make_graph(nodes, "attention", [q, kt, v], [y], inits), 13),
                "attention.onnx")


def quantized():
    """The integer operators: QuantizeLinear, QLinearConv, QLinearMatMul and DequantizeLinear (a
    QOperator-format model), and ConvInteger and MatMulInteger."""
    x = h.make_tensor_value_info("x", T.FLOAT, [1, 3, 8, 8])
    out = h.make_tensor_value_info("out", T.FLOAT, [1, 10])
    ci = h.make_tensor_value_info("ci", T.INT32, [1, 4, 8, 8])
    mi = h.make_tensor_value_info("mi", T.INT32, [1, 6])
    inits = [
        const("xs", 0.02, np.float32), const("xzp", 128, np.uint8),
        w("w", 8, 3, 3, 3, dtype=np.int8), const("ws", 0.01, np.float32),
        const("wzp", 0, np.int8),
        const("ys", 0.05, np.float32), const("yzp", 128, np.uint8),
        w("bias", 8, dtype=np.int32),
        w("b", 512, 10, dtype=np.int8), const("bs", 0.01, np.float32), const("bzp", 0, np.int8),
        const("zs", 0.1, np.float32), const("zzp", 128, np.uint8),
        nh.from_array(rng.integers(0, 255, size=(4, 3, 1, 1)).astype(np.uint8), "w2"),
        w("b2", 512, 6, dtype=np.int8),
    ]
    n = h.make_node
    nodes = [
        n("QuantizeLinear", ["x", "xs", "xzp"], ["xq"], name="quant"),
        n("QLinearConv", ["xq", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp", "bias"], ["yq"],
          name="qconv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        n("Flatten", ["yq"], ["fq"], name="flatten", axis=1),
        n("QLinearMatMul", ["fq", "ys", "yzp", "b", "bs", "bzp", "zs", "zzp"], ["zq"],
          name="qfc"),
        n("DequantizeLinear", ["zq", "zs", "zzp"], ["out"], name="dequant"),
        n("ConvInteger", ["xq", "w2", "xzp"], ["ci"], name="conv_int", kernel_shape=[1, 1]),
        n("MatMulInteger", ["fq", "b2", "yzp"], ["mi"], name="matmul_int"),
    ]
    return save(model(h.make_graph(nodes, "quantized", [x], [out, ci, mi], inits), 13),
                "quantized.onnx")


def unsupported():
    """Operators the importer does not know: the error must list all of them."""
    x = h.make_tensor_value_info("x", T.FLOAT, [1, 3, 8, 8])
    y = h.make_tensor_value_info("y", T.FLOAT, [1, 4, 1, 1])
    n = h.make_node
    nodes = [
        n("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        n("LRN", ["c"], ["l"], name="lrn1", size=3),
        n("Transpose", ["l"], ["t"], name="t1", perm=[0, 2, 3, 1]),
        n("Relu", ["t"], ["r"], name="relu"),
        n("Transpose", ["r"], ["t2o"], name="t2", perm=[0, 3, 1, 2]),
        n("ReduceMean", ["t2o"], ["y"], name="mean", axes=[2, 3], keepdims=1),
    ]
    g = h.make_graph(nodes, "unsupported", [x], [y], [w("w", 4, 3, 3, 3)])
    return save(model(g, 13), "unsupported.onnx")


def external_weights():
    """Every initializer stored as external data, and the data file not shipped: the importer needs
    only the dims."""
    x = h.make_tensor_value_info("image", T.FLOAT, ["N", 3, 16, 16])
    y = h.make_tensor_value_info("logits", T.FLOAT, ["N", 4])
    inits = [w("conv.w", 8, 3, 3, 3), w("conv.b", 8), w("fc.w", 8, 4), w("fc.b", 4)]
    n = h.make_node
    nodes = [
        n("Conv", ["image", "conv.w", "conv.b"], ["c"], name="conv", kernel_shape=[3, 3],
          pads=[1, 1, 1, 1]),
        n("Relu", ["c"], ["r"], name="relu"),
        n("GlobalAveragePool", ["r"], ["g"], name="gap"),
        n("Flatten", ["g"], ["f"], name="flatten"),
        n("Gemm", ["f", "fc.w", "fc.b"], ["logits"], name="fc"),
    ]
    m = model(h.make_graph(nodes, "external_weights", [x], [y], inits), 13)
    onnx.checker.check_model(m, full_check=True)
    path = os.path.join(HERE, "external_weights.onnx")
    onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="external_weights.onnx.data", size_threshold=0)
    os.remove(os.path.join(HERE, "external_weights.onnx.data"))  # absent on purpose


def truncated(full):
    """small_cnn.onnx cut in the middle of its weights."""
    data = full.SerializeToString()
    cut = data[: len(data) * 2 // 3]
    try:
        onnx.load_from_string(cut)
    except Exception:
        pass
    else:
        raise SystemExit("the cut still parses; cut elsewhere")
    with open(os.path.join(HERE, "truncated.onnx"), "wb") as f:
        f.write(cut)


if __name__ == "__main__":
    full = small_cnn()
    branches()
    attention()
    quantized()
    unsupported()
    external_weights()
    truncated(full)
    print("wrote the ONNX fixtures in", HERE)

"""A trained Keras GRU language model as one ONNX graph with a single ``GRU`` node, run by
``onnxruntime``; and the weight layouts of Keras, ONNX, PyTorch and TensorFlow.js side by side.

The same GRU, four layouts (``u`` units, ``d`` inputs; Keras's default ``reset_after=True``)::

    Keras       kernel (d, 3u), recurrent_kernel (u, 3u), gate blocks [z | r | h] in columns,
                bias (2, 3u) = [input biases; recurrent biases];
                h_t = z h_{t-1} + (1 - z) h~,  h~ = tanh(x W_h + b_h + r * (h U_h + b_hh))
    ONNX GRU    W (1, 3u, d) = kernel^T, R (1, 3u, u) = recurrent_kernel^T, rows [z; r; h],
                B (1, 6u) = [Wb_zrh, Rb_zrh] = bias.ravel(); linear_before_reset=1 is
                reset_after=True; the same update H = (1 - z) h~ + z H (ONNX operator GRU-22)
    PyTorch     weight_ih (3u, d), weight_hh (3u, u) with gate blocks in the order [r; z; n],
                bias_ih, bias_hh (3u,) each; n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) is
                reset_after; the update is Keras's
    TF.js       loads only reset_after=False GRUs (tfjs issues 4621, 5728): a Keras model with
                the default reset_after=True cannot be converted; the course's page runs its own
                JavaScript GRU (grucourse/widgets/autocomplete.js, source convention)

Why the graph is built by hand with ``onnx.helper``: ``tf2onnx`` 1.17.0 (checked with TensorFlow
2.21 and Keras 3.15) converts ``keras.layers.GRU`` into a generic ``Loop`` over time steps, not
the ``GRU`` operator, so runtimes cannot use their fused GRU kernel and the weights are hidden in
the loop body. Writing the single ``GRU`` node from the weights takes the mapping above.
"""

from __future__ import annotations

import numpy as np

OPSET = 17


def _check_keras_gru(kernel, recurrent, bias):
    kernel, recurrent, bias = (np.asarray(a, dtype=np.float32) for a in (kernel, recurrent, bias))
    if kernel.ndim != 2 or kernel.shape[1] % 3:
        raise ValueError(f"kernel must be (d, 3u), got shape {kernel.shape}")
    u = kernel.shape[1] // 3
    if recurrent.shape != (u, 3 * u):
        raise ValueError(f"recurrent_kernel must be ({u}, {3 * u}), got {recurrent.shape}")
    if bias.shape != (2, 3 * u):
        raise ValueError(f"bias must be (2, {3 * u}) (a reset_after=True GRU), got {bias.shape}; "
                         "reset_after=False has one bias row and is linear_before_reset=0")
    return kernel, recurrent, bias


def keras_to_onnx_gru(kernel, recurrent, bias):
    """Keras GRU weights -> ONNX ``W (1, 3u, d)``, ``R (1, 3u, u)``, ``B (1, 6u)``; the gate
    order z, r, h is the same, only transposed."""
    kernel, recurrent, bias = _check_keras_gru(kernel, recurrent, bias)
    return kernel.T[None], recurrent.T[None], bias.reshape(1, -1)  # (1,3u,d), (1,3u,u), (1,6u)


def keras_to_pytorch_gru(kernel, recurrent, bias):
    """Keras GRU weights -> PyTorch ``weight_ih (3u, d)``, ``weight_hh (3u, u)``, ``bias_ih``,
    ``bias_hh`` ``(3u,)``: transposed and the gate blocks reordered z, r, h -> r, z, n."""
    kernel, recurrent, bias = _check_keras_gru(kernel, recurrent, bias)
    u = kernel.shape[1] // 3
    order = np.concatenate([np.arange(u, 2 * u), np.arange(u), np.arange(2 * u, 3 * u)])  # r,z,h
    return kernel.T[order], recurrent.T[order], bias[0, order], bias[1, order]


def gru_lm_onnx(model):
    """The Keras GRU LM of :func:`grucourse.layers.lm.build_lm` as an ONNX model: ids ``(B, T)``
    int64 -> logits ``(B, T, V)``, one ``GRU`` node (``linear_before_reset=1``)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    gru = model.get_layer("gru")
    if not gru.reset_after:
        raise ValueError("this export writes reset_after=True GRUs (linear_before_reset=1)")
    W, R, B = keras_to_onnx_gru(*gru.get_weights())
    W_head, b_head = (np.asarray(a, np.float32) for a in model.get_layer("head").get_weights())
    u, V = W_head.shape
    consts = {"eye": np.eye(V, dtype=np.float32), "W": W, "R": R, "B": B,
              "axis1": np.array([1], np.int64), "W_head": W_head, "b_head": b_head}
    nodes = [
        helper.make_node("Gather", ["eye", "ids"], ["x_bt"]),  # (B, T, V) one-hot rows
        helper.make_node("Transpose", ["x_bt"], ["x"], perm=[1, 0, 2]),  # (T, B, V)
        helper.make_node("GRU", ["x", "W", "R", "B"], ["Y"], hidden_size=u,
                         linear_before_reset=1),  # Y (T, 1, B, u)
        helper.make_node("Squeeze", ["Y", "axis1"], ["h_tb"]),  # (T, B, u)
        helper.make_node("Transpose", ["h_tb"], ["h"], perm=[1, 0, 2]),  # (B, T, u)
        helper.make_node("MatMul", ["h", "W_head"], ["z"]),  # (B, T, V)
        helper.make_node("Add", ["z", "b_head"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "gru_lm",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["B", "T"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["B", "T", V])],
        initializer=[numpy_helper.from_array(a, name=k) for k, a in consts.items()])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="grucourse")
    onnx.checker.check_model(proto)
    return proto


def onnx_session(proto):
    """An ``onnxruntime`` session (CPU) for an ONNX model."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(proto.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def onnx_logits(session, ids) -> np.ndarray:
    """Logits ``(B, T, V)`` of ids ``(B, T)`` under an ``onnxruntime`` session."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 2:
        raise ValueError(f"ids must be (batch, time), got shape {ids.shape}")
    return session.run(["logits"], {"ids": ids})[0]


def node_types(proto) -> list[str]:
    """The operator of every node of an ONNX graph, in order."""
    return [n.op_type for n in proto.graph.node]


def quantize_int8(proto):
    """``onnxruntime``'s dynamic int8 quantisation of an ONNX model (weights to int8, activations
    quantised on the fly). It quantises ``MatMul`` nodes; the ``GRU`` operator stays float32."""
    import logging
    import tempfile
    from pathlib import Path

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "model.onnx", Path(tmp) / "model_int8.onnx"
        onnx.save(proto, src)
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing tip as a warning
        try:
            quantize_dynamic(src, dst, weight_type=QuantType.QInt8,
                             op_types_to_quantize=["GRU", "MatMul"])
        finally:
            root.setLevel(level)
        return onnx.load(dst)

"""Writes the scikit-learn logistic regression of a saved MLflow model as an ONNX graph
(MatMul + Add + Softmax = predict_proba), for bench/python-serving.ts's ONNX fast-path figure.
No skl2onnx here, so the graph is built with onnx.helper from the fitted coefficients.

Usage: python sklearn_logreg_to_onnx.py <mlflow model folder> <out.onnx>
"""
import pickle
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

with open(f"{sys.argv[1]}/model.pkl", "rb") as f:
    clf = pickle.load(f)
W = clf.coef_.T.astype(np.float32)  # [4, classes]
b = clf.intercept_.astype(np.float32)
graph = helper.make_graph(
    [
        helper.make_node("MatMul", ["X", "W"], ["z0"]),
        helper.make_node("Add", ["z0", "b"], ["z"]),
        helper.make_node("Softmax", ["z"], ["probabilities"], axis=1),
    ],
    "logreg",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, W.shape[0]])],
    [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, W.shape[1]])],
    [numpy_helper.from_array(W, "W"), numpy_helper.from_array(b, "b")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, sys.argv[2])

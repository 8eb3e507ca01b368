#!/usr/bin/python3
"""Writes the small ONNX models and data sets the model-package tests use.

Run with Debian's interpreter (python3-onnx, python3-sklearn, python3-numpy):

    /usr/bin/python3 scripts/make-onnx-fixtures.py

Output goes to src/models/fixtures/ and is committed; re-running with the same
package versions gives the same files (fixed seeds). Models are trained with
scikit-learn and written by hand with onnx.helper (skl2onnx is not packaged in
Debian), opset 17 + ai.onnx.ml 3:

- linear-regressor.onnx     X float32 [N,3] -> variable float32 [N,1]   (MatMul + Add)
- tree-regressor.onnx       X float32 [N,3] -> variable float32 [N,1]   (TreeEnsembleRegressor, 5 trees)
- classifier.onnx           X float32 [N,4] -> label int64 [N], probabilities float32 [N,3]
                            (LinearClassifier, softmax; no ZipMap)
- binary-classifier.onnx    X float32 [N,2] -> label int64 [N], probabilities float32 [N,2]
- classifier-zipmap.onnx    classifier.onnx plus a ZipMap output (what ciclo must refuse to return)
- expected.json             inputs and scikit-learn's predictions for each model
- regression.csv / classification.csv / binary.csv   evaluation data (features + target)
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "models", "fixtures")
OPSETS = [helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)]


def save(model, name):
    onnx.checker.check_model(model)
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    print("wrote", os.path.relpath(path))


def make_model(nodes, inputs, outputs, initializers=(), name="ciclo-fixture"):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=OPSETS, producer_name="ciclo make-onnx-fixtures")
    model.ir_version = 8  # onnx 1.12's default; onnxruntime 1.30 reads it
    return model


def x_input(width):
    return helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, width])


def linear_regressor(rng):
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, 2.0, 3.0]) + 0.5 + rng.normal(scale=0.1, size=200)
    reg = LinearRegression().fit(X, y)
    W = helper.make_tensor("W", TensorProto.FLOAT, [3, 1], reg.coef_.astype(np.float32).tolist())
    B = helper.make_tensor("B", TensorProto.FLOAT, [1], [float(np.float32(reg.intercept_))])
    nodes = [helper.make_node("MatMul", ["X", "W"], ["XW"]), helper.make_node("Add", ["XW", "B"], ["variable"])]
    out = helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])
    save(make_model(nodes, [x_input(3)], [out], [W, B], "linear-regressor"), "linear-regressor.onnx")
    return reg


def tree_attrs(forest):
    a = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
                         "nodes_truenodeids", "nodes_falsenodeids", "target_treeids", "target_nodeids",
                         "target_ids", "target_weights"]}
    for t, est in enumerate(forest.estimators_):
        tree = est.tree_
        for n in range(tree.node_count):
            leaf = tree.children_left[n] == -1
            a["nodes_treeids"].append(t)
            a["nodes_nodeids"].append(n)
            a["nodes_featureids"].append(0 if leaf else int(tree.feature[n]))
            a["nodes_values"].append(0.0 if leaf else float(tree.threshold[n]))
            a["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            # sklearn sends x[f] <= threshold to the left child: the "true" branch.
            a["nodes_truenodeids"].append(0 if leaf else int(tree.children_left[n]))
            a["nodes_falsenodeids"].append(0 if leaf else int(tree.children_right[n]))
            if leaf:
                a["target_treeids"].append(t)
                a["target_nodeids"].append(n)
                a["target_ids"].append(0)
                a["target_weights"].append(float(tree.value[n][0][0]))
    return a


def tree_regressor(rng):
    X = rng.uniform(-2, 2, size=(300, 3))
    y = np.sin(X[:, 0]) * 3 + X[:, 1] ** 2 - X[:, 2] + rng.normal(scale=0.1, size=300)
    forest = RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(X, y)
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["variable"], domain="ai.onnx.ml", n_targets=1,
                            aggregate_function="AVERAGE", post_transform="NONE", **tree_attrs(forest))
    out = helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])
    save(make_model([node], [x_input(3)], [out], name="tree-regressor"), "tree-regressor.onnx")
    return forest


def linear_classifier_node(coef, intercept, classes, outputs):
    return helper.make_node("LinearClassifier", ["X"], outputs, domain="ai.onnx.ml",
                            coefficients=coef.astype(np.float32).ravel().tolist(),
                            intercepts=intercept.astype(np.float32).tolist(),
                            classlabels_ints=[int(c) for c in classes], multi_class=0, post_transform="SOFTMAX")


def classifier_outputs(n_classes):
    return [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, n_classes])]


def classifier(rng):
    centers = np.array([[0, 0, 0, 0], [2, 1, 0, -1], [0, 2, 2, 1]], dtype=float)
    y = rng.integers(0, 3, size=300)
    X = centers[y] + rng.normal(scale=1.0, size=(300, 4))
    clf = LogisticRegression(max_iter=1000).fit(X, y)  # multinomial softmax
    node = linear_classifier_node(clf.coef_, clf.intercept_, clf.classes_, ["label", "probabilities"])
    save(make_model([node], [x_input(4)], classifier_outputs(3), name="classifier"), "classifier.onnx")
    zipmap = helper.make_node("ZipMap", ["probabilities"], ["output_probability"], domain="ai.onnx.ml",
                              classlabels_int64s=[int(c) for c in clf.classes_])
    map_type = onnx.TypeProto()  # onnx 1.12 has no make_map_type_proto
    map_type.map_type.key_type = TensorProto.INT64
    map_type.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, []))
    seq_type = onnx.TypeProto()
    seq_type.sequence_type.elem_type.CopyFrom(map_type)
    zip_out = helper.make_value_info("output_probability", seq_type)
    zip_outputs = [classifier_outputs(3)[0], zip_out]
    zip_model = make_model([node, zipmap], [x_input(4)], zip_outputs, name="classifier-zipmap")
    save(zip_model, "classifier-zipmap.onnx")
    return clf


def binary_classifier(rng):
    y = rng.integers(0, 2, size=300)
    X = np.where(y[:, None] == 1, 1.0, -1.0) * np.array([0.8, 0.5]) + rng.normal(size=(300, 2))
    clf = LogisticRegression().fit(X, y)
    # softmax([0, z]) = [1 - sigmoid(z), sigmoid(z)]: exactly LogisticRegression's predict_proba.
    coef = np.vstack([np.zeros(2), clf.coef_[0]])
    intercept = np.array([0.0, clf.intercept_[0]])
    node = linear_classifier_node(coef, intercept, clf.classes_, ["label", "probabilities"])
    save(make_model([node], [x_input(2)], classifier_outputs(2), name="binary-classifier"), "binary-classifier.onnx")
    return clf


def write_csv(name, header, X, y, fmt):
    with open(os.path.join(OUT, name), "w") as f:
        f.write(",".join(header) + "\n")
        for row, target in zip(X, y):
            f.write(",".join(f"{v:.6f}" for v in row) + "," + fmt(target) + "\n")
    print("wrote", name)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(42)
    reg = linear_regressor(rng)
    forest = tree_regressor(rng)
    clf = classifier(rng)
    binary = binary_classifier(rng)

    # Evaluation data: features rounded to 6 decimals (as in the CSV) and cast to float32 like ONNX sees them.
    X3 = np.round(rng.normal(size=(60, 3)), 6)
    y_lin = X3 @ np.array([1.0, 2.0, 3.0]) + 0.5 + rng.normal(scale=0.3, size=60)
    write_csv("regression.csv", ["x1", "x2", "x3", "y"], X3, y_lin, lambda v: f"{v:.6f}")
    centers = np.array([[0, 0, 0, 0], [2, 1, 0, -1], [0, 2, 2, 1]], dtype=float)
    y_cls = rng.integers(0, 3, size=90)
    X4 = np.round(centers[y_cls] + rng.normal(scale=1.2, size=(90, 4)), 6)
    write_csv("classification.csv", ["f1", "f2", "f3", "f4", "label"], X4, y_cls, lambda v: str(int(v)))
    y_bin = rng.integers(0, 2, size=80)
    X2 = np.round(np.where(y_bin[:, None] == 1, 1.0, -1.0) * np.array([0.8, 0.5]) + rng.normal(size=(80, 2)), 6)
    write_csv("binary.csv", ["a", "b", "label"], X2, y_bin, lambda v: str(int(v)))

    f32 = lambda a: a.astype(np.float32).astype(np.float64)
    Xt3 = np.round(rng.uniform(-2, 2, size=(5, 3)), 3)
    expected = {
        "linear-regressor": {"X": Xt3.tolist(), "variable": reg.predict(f32(Xt3)).tolist()},
        "tree-regressor": {"X": Xt3.tolist(), "variable": forest.predict(Xt3.astype(np.float32)).tolist()},
        "classifier": {"X": X4[:5].tolist(), "label": clf.predict(f32(X4[:5])).tolist(),
                       "probabilities": clf.predict_proba(f32(X4[:5])).tolist()},
        "binary-classifier": {"X": X2[:5].tolist(), "label": binary.predict(f32(X2[:5])).tolist(),
                              "probabilities": binary.predict_proba(f32(X2[:5])).tolist()},
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f)
        f.write("\n")
    print("wrote expected.json")


if __name__ == "__main__":
    main()

"""ciclo's Python model worker: loads one MLflow model with mlflow.pyfunc.load_model
and scores whole batches sent by ciclo's scoring front (src/serving/python/).

Started as `python pyfunc_worker.py <model folder>`. Protocol on stdin/stdout
(stdout is kept for frames; anything the model prints goes to stderr):

    frame = u32 header_len (LE) | u32 body_len (LE) | header (UTF-8 JSON) | body (raw bytes)

The header is small JSON describing the columns/tensors; their values travel in
the body as raw little-endian typed arrays (`"buf": [offset, nbytes]`, `"wire"`
= the numpy dtype of those bytes, `"dtype"` = the dtype wanted). Only values
that have no typed form (strings, objects, nested lists) travel as JSON lists.

Out: first `{"ready": true, ...}` or `{"ready": false, "error": ...}`, then one
answer per request: `{"id", "ok": true, "output": {...}}` or
`{"id", "ok": false, "error_code", "message", "stack_trace"}`.
"""

import json
import os
import struct
import sys
import traceback

_OUT = os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)  # print() in user code must not corrupt the frames
sys.stdout = sys.stderr
_IN = sys.stdin.buffer


def _write(header, body=b""):
    h = json.dumps(header, allow_nan=False, separators=(",", ":")).encode("utf-8")
    _OUT.write(struct.pack("<II", len(h), len(body)))
    _OUT.write(h)
    if body:
        _OUT.write(body)
    _OUT.flush()


def _read_exact(n):
    """n bytes, or None at end of input. A bytearray: the arrays viewing the body are writable, as pandas' own are."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = _IN.readinto(view[got:])
        if not k:
            return None
        got += k
    return buf


def _read():
    head = _read_exact(8)
    if head is None:
        return None, None
    hlen, blen = struct.unpack("<II", head)
    header = json.loads(_read_exact(hlen))
    body = _read_exact(blen) if blen else bytearray()
    return header, body


def _fail_load(message):
    _write({"ready": False, "error": message})
    sys.exit(3)


try:
    import numpy as np
    import pandas as pd
except ImportError as e:  # pragma: no cover - depends on the interpreter
    _fail_load(
        f"The Python interpreter {sys.executable} cannot import '{e.name or 'numpy/pandas'}' ({str(e).splitlines()[-1] if str(e) else e!r}), "
        "which ciclo's Python runtime needs (numpy, pandas and mlflow). Install them there, or choose another interpreter with --python "
        "(or CICLO_PYTHON, e.g. a deployment's --env CICLO_PYTHON=/path/to/python3)."
    )

try:
    import mlflow
    import mlflow.pyfunc
    from mlflow.exceptions import MlflowException
    from mlflow.utils.proto_json_utils import NumpyEncoder
except ImportError as e:
    _fail_load(
        f"The Python interpreter {sys.executable} cannot import '{e.name or 'mlflow'}' ({e}). ciclo's Python runtime loads "
        "models with MLflow's own loader: install mlflow there (pip install mlflow), choose another interpreter with "
        "--python (or CICLO_PYTHON), or use --env-manager virtualenv."
    )


def _load(path):
    try:
        return mlflow.pyfunc.load_model(path)
    except ModuleNotFoundError as e:
        _fail_load(
            f"Loading the model needs the Python package '{e.name}', which {sys.executable} cannot import. "
            "Install it in that environment, or serve with --env-manager virtualenv to build one from the model's "
            f"requirements. ({type(e).__name__}: {e})"
        )
    except FileNotFoundError as e:
        missing = e.filename or str(e)
        _fail_load(f"Loading the model failed: a file it needs is missing: {missing}. ({type(e).__name__}: {e})")
    except Exception as e:  # noqa: BLE001 - the message goes back to the user
        tb = traceback.format_exc(limit=8)
        _fail_load(f"Loading the model failed: {type(e).__name__}: {e}\n{tb}")


# ---- input ------------------------------------------------------------------

_NUMERIC = {"float64", "float32", "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8", "bool"}


def _array(spec, body):
    if "buf" in spec:
        off, nbytes = spec["buf"]
        wire = np.dtype(spec["wire"])
        a = np.frombuffer(body, dtype=wire, count=nbytes // wire.itemsize, offset=off)
        want = spec.get("dtype", spec["wire"])
        if want != spec["wire"]:
            a = a.astype(want)
    else:
        values = spec["values"]
        dtype = spec.get("dtype")
        if dtype == "binary":
            import base64

            values = [None if v is None else base64.b64decode(v) for v in values]
        if dtype in _NUMERIC:
            a = np.array(values, dtype=dtype)
        elif dtype in ("str", "string", "binary", "datetime", "json", "object"):
            a = np.empty(len(values), dtype=object)
            a[:] = values
        else:
            a = np.array(values)
    shape = spec.get("shape")
    if shape is not None and list(a.shape) != list(shape):
        a = a.reshape(shape)
    return a


def _float_block(spec, body):
    """Columns that are all float64, laid end to end in the body -> one (rows, columns) array viewing them, else None.

    A DataFrame made from it has one float64 block, as the one MLflow's scoring server builds from a dataframe_split
    body; it is cheaper to build than one block per column, and models that take `.values` get a view, not a copy.
    """
    cols = spec["columns"]
    rows = spec.get("rows")
    if not cols or rows is None or "buf" not in cols[0]:
        return None
    start, size = cols[0]["buf"][0], rows * 8
    for i, c in enumerate(cols):
        if c.get("wire") != "float64" or c.get("dtype") != "float64" or c.get("shape") is not None or c.get("buf") != [start + i * size, size]:
            return None
    return np.frombuffer(body, dtype="<f8", count=rows * len(cols), offset=start).reshape(len(cols), rows).T


def _input(spec, body):
    if spec["kind"] == "columns":
        names = [c["name"] for c in spec["columns"]]
        block = _float_block(spec, body)
        if block is not None and len(set(names)) == len(names):
            return pd.DataFrame(block, columns=names)
        return pd.DataFrame({c["name"]: _array(c, body) for c in spec["columns"]}, columns=names)
    tensors = spec["tensors"]
    if len(tensors) == 1 and tensors[0].get("name") is None:
        return _array(tensors[0], body)
    return {t["name"]: _array(t, body) for t in tensors}


# ---- output -----------------------------------------------------------------


class _Body:
    def __init__(self):
        self.parts = []
        self.size = 0

    def add(self, raw):
        off = self.size
        self.parts.append(raw)
        self.size += len(raw)
        return [off, len(raw)]

    def bytes(self):
        return b"".join(self.parts)


def _nan_free(v):
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return None
    if isinstance(v, list):
        return [_nan_free(x) for x in v]
    if isinstance(v, dict):
        return {k: _nan_free(x) for k, x in v.items()}
    return v


def _clean(v):
    """Values for JSON: MLflow's NumpyEncoder conversions; NaN/inf become null (JSON has no NaN)."""
    return _nan_free(json.loads(json.dumps(v, cls=NumpyEncoder)))


def _array_spec(a, body):
    a = np.asarray(a)
    if a.dtype.kind in "fiub" and a.dtype.name in _NUMERIC:
        if not a.dtype.isnative:
            a = a.astype(a.dtype.newbyteorder("="))
        a = np.ascontiguousarray(a)
        return {"dtype": a.dtype.name, "shape": list(a.shape), "buf": body.add(a.tobytes())}
    return {"dtype": "object", "shape": list(a.shape), "values": _clean(a.reshape(-1).tolist())}


def _output(pred, body):
    if isinstance(pred, pd.Series):
        # MLflow's predictions_to_json: a Series answers as the records of a one-column frame.
        pred = pd.DataFrame(pred)
    if isinstance(pred, pd.DataFrame):
        cols = []
        for name in pred.columns:
            col = pred[name].to_numpy()
            spec = _array_spec(col, body) if col.dtype.kind in "fiub" else {"dtype": "object", "values": _clean(pred[name].tolist())}
            spec["name"] = str(name)
            cols.append(spec)
        return {"kind": "columns", "rows": len(pred), "columns": cols}
    if isinstance(pred, np.ndarray):
        if pred.ndim == 1:
            return {"kind": "rows", "array": _array_spec(pred, body)}
        if pred.ndim >= 2:
            return {"kind": "tensors", "tensors": [_array_spec(pred, body)]}
    if isinstance(pred, dict) and pred and all(isinstance(v, np.ndarray) and v.ndim >= 1 for v in pred.values()):
        rows = {v.shape[0] for v in pred.values()}
        if len(rows) == 1:
            tensors = []
            for k, v in pred.items():
                spec = _array_spec(v, body)
                spec["name"] = str(k)
                tensors.append(spec)
            return {"kind": "tensors", "tensors": tensors}
    if isinstance(pred, list):
        return {"kind": "list", "values": _clean(pred)}
    return {"kind": "value", "value": _clean(pred)}


# ---- the loop ---------------------------------------------------------------


def _predict(model, data, params):
    try:
        if params:
            return model.predict(data, params=params)
        return model.predict(data)
    except MlflowException as e:
        e.message = f"Failed to predict data. \nError: {e.message}"
        raise


def main():
    path = sys.argv[1]
    model = _load(path)
    _write({"ready": True, "python": sys.version.split()[0], "executable": sys.executable, "mlflow": mlflow.__version__, "pid": os.getpid()})
    while True:
        header, body = _read()
        if header is None:
            return
        rid = header.get("id")
        try:
            data = _input(header["input"], body)
            pred = _predict(model, data, header.get("params"))
            out = _Body()
            spec = _output(pred, out)
            _write({"id": rid, "ok": True, "output": spec}, out.bytes())
        except MlflowException as e:
            traceback.print_exc()
            _write({"id": rid, "ok": False, "error_code": e.error_code, "message": e.message, "stack_trace": traceback.format_exc(limit=20)})
        except Exception:  # noqa: BLE001 - MLflow's scoring server answers these 400 too
            traceback.print_exc()  # to stderr: the server logs it (MLflow puts it in the response)
            _write(
                {
                    "id": rid,
                    "ok": False,
                    "error_code": "BAD_REQUEST",
                    "message": "Encountered an unexpected error while evaluating the model. Verify that the serialized "
                    "input Dataframe is compatible with the model for inference.",
                    "stack_trace": traceback.format_exc(limit=20),
                }
            )


if __name__ == "__main__":
    main()

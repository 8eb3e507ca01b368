"""Writes a realistic MLflow tracking store for bench/import-mlflow.ts: MLflow's own
schema (created by its SqlAlchemyStore, so the alembic revision is real), then rows
in bulk: R runs in 10 experiments, each with 10 params, 5 tags, 4 metrics x P/4
points, and a 1 KiB artifact under the proxied layout.

Usage: python make-mlflow-store.py <db path> <artifacts dir> <runs> <points per run>
"""
import os
import sqlite3
import sys
import uuid

from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

db, art, runs, points = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
SqlAlchemyStore(f"sqlite:///{db}", "mlflow-artifacts:/")
con = sqlite3.connect(db)
t0 = 1_700_000_000_000
for e in range(1, 11):
    con.execute(
        "insert into experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) values (?,?,?,?,?,?)",
        (e, f"bench-{e}", f"mlflow-artifacts:/{e}", "active", t0, t0),
    )
keys = ["loss", "acc", "val_loss", "val_acc"]
per_key = max(1, points // len(keys))
for i in range(runs):
    rid = uuid.UUID(int=i + 1).hex
    e = i % 10 + 1
    uri = f"mlflow-artifacts:/{e}/{rid}/artifacts"
    con.execute(
        "insert into runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (rid, f"run-{i}", "UNKNOWN", "", "", "bench", "FINISHED", t0 + i, t0 + i + 60_000, "", "active", uri, e, None),
    )
    con.executemany("insert into params (key, value, run_uuid) values (?,?,?)", [(f"p{k}", str(k * i), rid) for k in range(10)])
    con.executemany("insert into tags (key, value, run_uuid) values (?,?,?)", [(f"t{k}", f"v{k}", rid) for k in range(4)] + [("mlflow.runName", f"run-{i}", rid)])
    rows = [(k, 1.0 / (s + 1), t0 + s, s, 0, rid) for k in keys for s in range(per_key)]
    con.executemany("insert into metrics (key, value, timestamp, step, is_nan, run_uuid) values (?,?,?,?,?,?)", rows)
    con.executemany("insert into latest_metrics (key, value, timestamp, step, is_nan, run_uuid) values (?,?,?,?,?,?)", [(k, 1.0 / per_key, t0 + per_key - 1, per_key - 1, 0, rid) for k in keys])
    d = os.path.join(art, str(e), rid, "artifacts")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "summary.txt"), "wb") as f:
        f.write(os.urandom(1024))
con.commit()
con.close()

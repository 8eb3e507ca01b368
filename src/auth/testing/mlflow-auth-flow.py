"""The real MLflow client against ciclo with auth on: AuthServiceClient manages users and permissions, the
tracking client signs in with MLFLOW_TRACKING_USERNAME/PASSWORD and MLFLOW_TRACKING_TOKEN. Prints a JSON
report of what each step saw; the TypeScript test asserts it. argv: tracking URI, admin user, admin password."""
import json
import os
import sys
import tempfile
import urllib.request

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.server.auth.client import AuthServiceClient
from mlflow.tracking import MlflowClient

uri, admin_user, admin_password = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}


def as_user(username, password):
    os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
    os.environ["MLFLOW_TRACKING_USERNAME"] = username
    os.environ["MLFLOW_TRACKING_PASSWORD"] = password


def as_token(token):
    os.environ.pop("MLFLOW_TRACKING_USERNAME", None)
    os.environ.pop("MLFLOW_TRACKING_PASSWORD", None)
    os.environ["MLFLOW_TRACKING_TOKEN"] = token


def error_of(fn):
    try:
        fn()
        return "ok"
    except MlflowException as e:
        return e.error_code


mlflow.set_tracking_uri(uri)
auth = AuthServiceClient(uri)

as_user(admin_user, admin_password)
alice = auth.create_user("alice", "alice-password-1")
auth.create_user("bob", "bob-password-1")
out["alice"] = {"username": alice.username, "is_admin": alice.is_admin, "id": alice.id}

# alice tracks a run: metrics, params, an artifact through the proxy, a registered model.
as_user("alice", "alice-password-1")
exp_id = mlflow.create_experiment("alice-exp")
with mlflow.start_run(experiment_id=exp_id) as run:
    mlflow.log_param("lr", 0.1)
    mlflow.log_metric("loss", 0.5, step=1)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "notes.txt")
        with open(p, "w") as f:
            f.write("alice-notes")
        mlflow.log_artifact(p)
run_id = run.info.run_id
client = MlflowClient()
client.create_registered_model("alice-model")
client.create_model_version("alice-model", f"runs:/{run_id}/model", run_id=run_id)
out["creator_permission"] = auth.get_experiment_permission(exp_id, "alice").permission
out["creator_model_permission"] = auth.get_registered_model_permission("alice-model", "alice").permission

# bob: the default READ lets him read, not write.
as_user("bob", "bob-password-1")
out["bob_reads_run"] = MlflowClient().get_run(run_id).data.params.get("lr")
out["bob_writes"] = error_of(lambda: MlflowClient().log_metric(run_id, "loss", 1.0))
out["bob_downloads"] = open(MlflowClient().download_artifacts(run_id, "notes.txt", tempfile.mkdtemp())).read()
out["bob_creates_user"] = error_of(lambda: auth.create_user("eve", "eve-password-1"))

# alice shares EDIT, then hides everything from bob.
as_user("alice", "alice-password-1")
auth.create_experiment_permission(exp_id, "bob", "EDIT")
as_user("bob", "bob-password-1")
out["bob_writes_with_edit"] = error_of(lambda: MlflowClient().log_metric(run_id, "loss", 1.0))
out["bob_deletes_with_edit"] = error_of(lambda: MlflowClient().delete_run(run_id))
as_user("alice", "alice-password-1")
auth.update_experiment_permission(exp_id, "bob", "NO_PERMISSIONS")
auth.create_registered_model_permission("alice-model", "bob", "NO_PERMISSIONS")
out["bob_permission"] = auth.get_experiment_permission(exp_id, "bob").permission
as_user("bob", "bob-password-1")
out["bob_get_run_hidden"] = error_of(lambda: MlflowClient().get_run(run_id))
out["bob_get_experiment_hidden"] = error_of(lambda: MlflowClient().get_experiment(exp_id))
out["bob_get_model_hidden"] = error_of(lambda: MlflowClient().get_registered_model("alice-model"))
out["bob_search_experiments"] = sorted(e.name for e in MlflowClient().search_experiments())
out["bob_search_models"] = sorted(m.name for m in MlflowClient().search_registered_models())
out["bob_reads_alice_user"] = error_of(lambda: auth.get_user("alice"))
out["bob_reads_self"] = auth.get_user("bob").username
auth.update_user_password("bob", "bob-password-2")
out["old_password"] = error_of(lambda: MlflowClient().search_experiments())

# a token: bob asks ciclo for one, then the client uses MLFLOW_TRACKING_TOKEN.
as_user("bob", "bob-password-2")
req = urllib.request.Request(
    f"{uri}/api/ciclo/v1/auth/tokens",
    data=json.dumps({"name": "ci"}).encode(),
    method="POST",
    headers={"Content-Type": "application/json", "Authorization": "Basic " + __import__("base64").b64encode(b"bob:bob-password-2").decode()},
)
token = json.load(urllib.request.urlopen(req))["token"]
as_token(token)
bob_exp = mlflow.create_experiment("bob-exp")
with mlflow.start_run(experiment_id=bob_exp):
    mlflow.log_metric("acc", 0.9)
out["token_run_logged"] = True
out["token_hidden_run"] = error_of(lambda: MlflowClient().get_run(run_id))
as_token("ciclo_not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaa")
out["bad_token"] = error_of(lambda: MlflowClient().search_experiments())

# the admin sees and changes everything.
as_user(admin_user, admin_password)
out["admin_reads_run"] = MlflowClient().get_run(run_id).info.run_id == run_id
auth.update_user_admin("bob", True)
out["bob_admin"] = auth.get_user("bob").is_admin
auth.delete_registered_model_permission("alice-model", "bob")
auth.delete_experiment_permission(exp_id, "bob")
auth.delete_user("bob")
out["bob_deleted"] = error_of(lambda: auth.get_user("bob"))
print(json.dumps(out))

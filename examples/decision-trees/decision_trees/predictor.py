"""Inference server for the decision-tree model: the Flask app behind gunicorn and nginx.

SageMaker's hosting contract: GET /ping answers 200 when the container is healthy, POST /invocations
scores a request. Here healthy means "the model in /opt/ml/model loads"; requests are CSV rows of
features (no label column) and the answer is one predicted label per line.
"""
import io
import os
import pickle
import sys

import flask
import pandas as pd

MODEL_DIR = os.path.join(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
MODEL_FILE = os.path.join(MODEL_DIR, "decision-tree-model.pkl")


class ScoringService:
    """Holds the model once loaded; each gunicorn worker loads its own copy on first use."""

    model = None

    @classmethod
    def get_model(cls):
        if cls.model is None:
            with open(MODEL_FILE, "rb") as f:
                cls.model = pickle.load(f)
        return cls.model

    @classmethod
    def predict(cls, features):
        return cls.get_model().predict(features)


app = flask.Flask(__name__)


@app.route("/ping", methods=["GET"])
def ping():
    """Healthy when the model can be loaded; otherwise 404 so the endpoint never goes InService."""
    try:
        healthy = ScoringService.get_model() is not None
    except Exception as e:  # noqa: BLE001 - any load failure means unhealthy
        app.logger.error("model load failed: %s", e)
        healthy = False
    return flask.Response(response="\n", status=200 if healthy else 404, mimetype="application/json")


@app.route("/invocations", methods=["POST"])
def invocations():
    """Score CSV feature rows. Other content types get 415, as in AWS's sample."""
    if flask.request.mimetype != "text/csv":
        return flask.Response(
            response="This predictor only supports CSV data (Content-Type: text/csv)\n",
            status=415,
            mimetype="text/plain",
        )
    body = flask.request.get_data().decode("utf-8")
    try:
        data = pd.read_csv(io.StringIO(body), header=None)
    except Exception as e:  # noqa: BLE001 - malformed payloads are the client's error
        return flask.Response(response=f"Could not parse CSV: {e}\n", status=400, mimetype="text/plain")
    # One write per line (with PYTHONUNBUFFERED, print() writes the newline separately, and lines
    # of concurrent workers would run together in the logs).
    sys.stdout.write(f"Invoked with {data.shape[0]} records\n")
    sys.stdout.flush()

    try:
        predictions = ScoringService.predict(data.values)
    except Exception as e:  # noqa: BLE001 - wrong column count and the like
        return flask.Response(response=f"Prediction failed: {e}\n", status=400, mimetype="text/plain")

    out = io.StringIO()
    pd.DataFrame({"results": predictions}).to_csv(out, header=False, index=False)
    return flask.Response(response=out.getvalue(), status=200, mimetype="text/csv")

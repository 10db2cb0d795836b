"""The ceiling for HTTP benchmarks: a hello-world Flask app under the same gunicorn config."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/hello")
def hello():
    """Answer with a tiny JSON document, doing nothing else."""
    return jsonify(hello="world")

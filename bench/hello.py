"""The floor: a bare Flask app with one route, served by the same gunicorn settings as the product."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"

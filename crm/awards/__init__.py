"""Sales Awards: levels, registrations by member labels, staff review, public winners."""

from flask import Blueprint

bp = Blueprint("awards", __name__)

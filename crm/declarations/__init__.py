"""Declarations: versioned texts in several languages, public signing with double opt-in,
matching, moderation, signatory lists and coverage of the membership."""

from flask import Blueprint

bp = Blueprint("declarations", __name__)

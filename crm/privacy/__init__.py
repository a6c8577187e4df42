"""Data protection: the personal data map, export (access and portability), erasure and
retention."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from crm.privacy import views  # noqa: E402, F401

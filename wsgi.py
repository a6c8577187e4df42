"""WSGI entry point: `flask --app wsgi ...` and gunicorn `wsgi:app`."""

from crm import create_app

app = create_app()

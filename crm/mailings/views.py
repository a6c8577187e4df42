"""The development mailbox: every message the local sink caught. 404 outside development."""

from flask import abort, current_app, render_template

from crm.mailings import bp
from crm.mailings.sink import list_messages, read_message


def _require_dev():
    if not current_app.config.get("DEV_MAILBOX"):
        abort(404)
    return current_app.config["DEV_MAILBOX_DIR"]


@bp.get("/dev/mailbox")
def dev_mailbox():
    """Messages caught by the development sink, newest first."""
    return render_template("mailings/dev_mailbox.html", messages=list_messages(_require_dev()))


@bp.get("/dev/mailbox/<name>")
def dev_message(name: str):
    """One caught message: headers, text part and source."""
    message = read_message(_require_dev(), name)
    if message is None:
        abort(404)
    return render_template("mailings/dev_message.html", message=message, name=name)

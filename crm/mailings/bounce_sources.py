"""Where bounces are read from: a Maildir on this machine, or a mailbox over IMAP or POP3.

Every message is processed in its own transaction. A message that is processed (recorded,
unsubscribed, or ignored as not a bounce) is marked seen, moved to cur/, or deleted; one that
cannot be read, or that the server will not hand over, is left where it was, unseen, and
reported, and the run goes on. Only a lost connection ends a run early.
"""

import imaplib
import logging
import mailbox
import os
import poplib
import ssl
from collections import Counter
from dataclasses import dataclass, field

from crm.extensions import db
from crm.mailings.bounce_processing import process_message

log = logging.getLogger(__name__)


@dataclass
class Summary:
    outcomes: Counter = field(default_factory=Counter)
    new_events: int = 0
    kept: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        seen = sum(self.outcomes.values()) + len(self.kept)
        o = self.outcomes
        return (
            f"read {seen} messages: {o['bounce']} bounces, {o['complaint']} complaints "
            f"({self.new_events} newly recorded), {o['unsubscribe']} unsubscribes, "
            f"{o['ignored']} ignored, {len(self.kept)} kept with errors"
        )


def handle(raw: bytes, name: str, summary: Summary) -> bool:
    """Process one message and commit; False (rolled back, reported) when it must be kept."""
    try:
        outcome = process_message(raw)
        db.session.commit()
    except Exception as error:  # noqa: BLE001 (one bad message must not stop the mailbox)
        db.session.rollback()
        if not isinstance(error, ValueError):
            log.exception("bounce %s could not be processed", name)
        summary.kept.append((name, str(error) or error.__class__.__name__))
        return False
    summary.outcomes[outcome.kind] += 1
    summary.new_events += outcome.recorded
    return True


def read_maildir(path: str, *, delete: bool = False) -> Summary:
    """Process the messages in new/; move each processed one to cur/ as seen (or delete it)."""
    box = mailbox.Maildir(path, factory=None, create=False)
    summary = Summary()
    new = os.path.join(path, "new")
    for name in sorted(os.listdir(new)):
        if name.startswith("."):
            continue
        key = name.split(box.colon)[0]
        try:
            raw = box.get_bytes(key)
        except (KeyError, OSError):
            continue  # taken by a concurrent run
        if not handle(raw, name, summary):
            continue
        try:
            if delete:
                box.remove(key)
            else:
                os.replace(os.path.join(new, name), os.path.join(path, "cur", f"{key}:2,S"))
        except (KeyError, OSError):
            pass  # a concurrent run moved it first; recording it twice is harmless
    return summary


def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def read_imap(
    host: str,
    user: str,
    password: str,
    *,
    port: int | None = None,
    folder: str = "INBOX",
    starttls: bool = False,
    delete: bool = False,
) -> Summary:
    """Process the UNSEEN messages of `folder`; mark each processed one seen (or delete it)."""
    if starttls:
        conn = imaplib.IMAP4(host, port or 143)
        conn.starttls(ssl_context=_tls())
    else:
        conn = imaplib.IMAP4_SSL(host, port or 993, ssl_context=_tls())
    summary = Summary()
    try:
        conn.login(user, password)
        status, _ = conn.select(folder)
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {folder}")
        _, found = conn.uid("SEARCH", None, "UNSEEN")
        for uid in (found[0] or b"").split():
            name = f"UID {uid.decode()}"
            try:
                # BODY.PEEK leaves the message unseen until it has been processed.
                _, fetched = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next((item[1] for item in fetched or () if isinstance(item, tuple)), None)
                if raw is None:
                    summary.kept.append((name, "the server returned no message"))
                    continue
                if handle(raw, name, summary):
                    flag = "(\\Deleted)" if delete else "(\\Seen)"
                    conn.uid("STORE", uid, "+FLAGS", flag)
            except imaplib.IMAP4.abort:
                raise  # the connection is gone
            except imaplib.IMAP4.error as error:  # NO or BAD for this message: keep it
                summary.kept.append((name, f"IMAP error: {error}"))
        if delete:
            conn.expunge()
        conn.close()
    finally:
        conn.logout()
    return summary


def read_pop3(
    host: str,
    user: str,
    password: str,
    *,
    port: int | None = None,
    starttls: bool = False,
    keep: bool = False,
) -> Summary:
    """Process every message; delete each processed one (POP3 has no "seen") unless `keep`.
    A message that could not be read stays on the server."""
    if starttls:
        conn = poplib.POP3(host, port or 110)
        conn.stls(context=_tls())
    else:
        conn = poplib.POP3_SSL(host, port or 995, context=_tls())
    summary = Summary()
    try:
        conn.user(user)
        conn.pass_(password)
        count, _ = conn.stat()
        for number in range(1, count + 1):
            name = f"message {number}"
            try:
                _, lines, _ = conn.retr(number)
                if handle(b"\r\n".join(lines) + b"\r\n", name, summary) and not keep:
                    conn.dele(number)
            except poplib.error_proto as error:
                reply = error.args[0] if error.args else b""
                if not (isinstance(reply, bytes) and reply.startswith(b"-ERR")):
                    raise  # e.g. a line too long: the rest of the answer is still on the wire
                summary.kept.append((name, f"POP3 error: {reply.decode(errors='replace')}"))
    finally:
        conn.quit()  # deletions take effect here
    return summary

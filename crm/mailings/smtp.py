"""One SMTP connection per batch, sending with PIPELINING (RFC 2920) when the server offers it.

Pipelining sends MAIL FROM, RCPT TO and DATA in one write and reads the three replies together:
two round trips a message instead of four, which halves the time spent waiting on the server.
The message is still accepted only by its final reply, so nothing changes for the guarantee
that a crash can resend at most the message on the wire. Errors are raised as the same smtplib
exceptions `sendmail` raises, so callers treat both paths alike.
"""

import contextlib
import re
import smtplib

from flask import current_app

# A socket that stops answering must not hold a claimed batch until its lease runs out. A send
# waits on at most four replies (MAIL, RCPT, DATA, the final dot), each up to the timeout, so
# the timeout is lowered where that could come near the lease (see smtp_timeout).
SMTP_TIMEOUT = 60
_LEADING_DOT = re.compile(rb"(?m)^\.")
# What goes between the angle brackets of MAIL FROM and RCPT TO: nothing that could end the line.
_ADDRESS = re.compile(r"[!-;=?-~]+@[!-;=?-~]+")


def smtp_timeout(lease: float) -> float:
    """The socket timeout for a claim lease: a send's worst case (four timeouts) stays under
    half the lease, itself renewed before a send once a quarter of it has passed, so a claim
    cannot expire while its message is on the wire."""
    return min(SMTP_TIMEOUT, lease / 10)


def smtp_address(address: str) -> str:
    """The address as SMTP carries it: an international domain name in its ASCII form
    (punycode, IDNA). ValueError for a local part that is not ASCII: that needs SMTPUTF8,
    which this sender does not speak."""
    if address.isascii():
        return address
    local, at, domain = address.strip().rpartition("@")
    if not at or not local:
        raise ValueError(f"not an email address: {address!r}")
    if not local.isascii():
        raise ValueError(
            f"the local part of {address!r} is not ASCII, and SMTP cannot carry it without SMTPUTF8"
        )
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as error:
        raise ValueError(f"the domain of {address!r} is not a valid domain name") from error


class Connection:
    """Opened from the Flask-Mail settings (`app.extensions["mail"]`), closed on exit."""

    def __init__(self, timeout: float | None = None):
        self.state = current_app.extensions["mail"]
        self.timeout = timeout or smtp_timeout(current_app.config["MAIL_CLAIM_LEASE"])
        self.smtp: smtplib.SMTP | None = None
        self.pipelining = False
        self.eight_bit = False

    def __enter__(self) -> "Connection":
        state = self.state
        if state.suppress:  # MAIL_SUPPRESS_SEND: accept everything, send nothing
            return self
        factory = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        self.smtp = factory(state.server, state.port, timeout=self.timeout)
        try:
            self.smtp.ehlo()
            if state.use_tls:
                self.smtp.starttls()
                self.smtp.ehlo()
            if state.username and state.password:
                self.smtp.login(state.username, state.password)
        except BaseException:
            self.smtp.close()
            raise
        self.pipelining = self.smtp.has_extn("pipelining")
        self.eight_bit = self.smtp.has_extn("8bitmime")
        return self

    def __exit__(self, *exc) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()

    def send(self, sender: str, recipient: str, data: bytes, before_content=None) -> None:
        """Send one message to one recipient; raise as smtplib.sendmail would.
        `before_content()` runs before anything that could make the server accept a message
        (with pipelining, while the envelope's replies are on their way)."""
        for address in (sender, recipient):
            if not _ADDRESS.fullmatch(address):
                raise ValueError(f"not an address SMTP can carry: {address!r}")
        if self.smtp is None or not self.pipelining:
            if before_content is not None:
                before_content()
            if self.smtp is not None:
                options = [] if data.isascii() else ["BODY=8BITMIME"]
                self.smtp.sendmail(sender, [recipient], data, options)
            return
        smtp = self.smtp
        params = "" if data.isascii() else " BODY=8BITMIME"
        smtp.send(f"MAIL FROM:<{sender}>{params}\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode())
        if before_content is not None:
            before_content()
        mail_reply, rcpt_reply, data_reply = smtp.getreply(), smtp.getreply(), smtp.getreply()
        if data_reply[0] == 354 and (mail_reply[0] != 250 or rcpt_reply[0] not in (250, 251)):
            # A server that opened DATA anyway gets an empty message: it has no recipient.
            smtp.send(b".\r\n")
            smtp.getreply()
        if mail_reply[0] != 250:
            self._reset()
            raise smtplib.SMTPSenderRefused(mail_reply[0], mail_reply[1], sender)
        if rcpt_reply[0] not in (250, 251):
            self._reset()
            raise smtplib.SMTPRecipientsRefused({recipient: rcpt_reply})
        if data_reply[0] != 354:
            self._reset()
            raise smtplib.SMTPDataError(*data_reply)
        body = _LEADING_DOT.sub(b"..", data)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        smtp.send(body + b".\r\n")
        code, reply = smtp.getreply()
        if code != 250:
            self._reset()
            raise smtplib.SMTPDataError(code, reply)

    def _reset(self) -> None:
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            self.smtp.rset()

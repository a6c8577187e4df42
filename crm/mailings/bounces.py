"""Reading what comes back to the bounce mailbox: delivery status notifications (RFC 3464),
complaints (ARF, RFC 5965), mailto unsubscribes, and the common bounces that follow no standard.

Only parsing and classifying here; bounce_processing.py records the outcome.

Classification: a DSN's Action "failed" with a 5.x.x Status is hard (5.2.2, a full mailbox, is
soft: RFC 3463 calls it possibly temporary), 4.x.x or Action "delayed" is soft; delivered,
relayed and expanded are not bounces. A bounce with its status only in the text is classified
conservatively: hard only for a bad-mailbox status (5.1.x) or a 55x reply that says the user
does not exist; anything else, or nothing understood, is soft. An ARF report with
Feedback-Type abuse is a complaint; other feedback types are ignored.
"""

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.policy import Compat32
from email.utils import collapse_rfc2231_value

HARD, SOFT, COMPLAINT = "hard", "soft", "complaint"
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_REPLY = re.compile(r"\b(5[05]\d|4[25]\d)[ -]")
# Not a fragment of a longer, non-ASCII address ("rgen@ex" in "jürgen@exämple.org").
_ADDRESS = re.compile(
    r"(?<!\w)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?![\w-])"
)
_NO_SUCH_USER = re.compile(
    r"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|"
    r"doesn't exist|mailbox (unavailable|not found)|invalid (recipient|mailbox)|"
    r"recipient (address )?rejected|address rejected|not our customer|account (is )?disabled",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status notification|failure|has failed)|returned mail|"
    r"failure notice|mail delivery (failed|system)|could not be delivered|non remis|"
    r"unzustellbar|delivery problem",
    re.IGNORECASE,
)
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response)|auto:|"
    r"abwesenheit|r[ée]ponse automatique|absence|vacation)",
    re.IGNORECASE,
)
_DAEMONS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
_UNSUBSCRIBE = re.compile(r"^\s*unsubscribe\s+(\S+)\s*$", re.IGNORECASE)
MAX_ADDRESS = 254  # RFC 5321's limit, and the width of the columns an address is stored in


class _Policy(Compat32):
    """compat32, except that a header with raw 8-bit bytes (which bounces quote freely) reads
    as text, UTF-8 or else Latin-1, instead of an email.header.Header that is not a str."""

    def header_fetch_parse(self, name, value):
        if isinstance(value, str) and not value.isascii():
            raw = value.encode("utf-8", "surrogateescape")
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw.decode("latin-1")
        return super().header_fetch_parse(name, value)


_POLICY = _Policy()


class BounceParseError(ValueError):
    """The message looks like a bounce but says nothing we can use: keep it for a person."""


@dataclass
class Recipient:
    email: str
    kind: str  # hard | soft | complaint
    status: str | None = None
    diagnostic: str | None = None


@dataclass
class Report:
    """What one message in the bounce mailbox says."""

    kind: str  # dsn | complaint | text | unsubscribe | ignored
    report_id: str
    recipients: list[Recipient] = field(default_factory=list)
    message_id: str | None = None  # of our original message, from the returned headers
    delivery_ref: str | None = None  # our X-CRM-Delivery header, from the returned headers
    token: str | None = None  # a mailto unsubscribe's token
    reason: str = ""  # why a message was ignored


def _text(value) -> str:
    """A header as text, decoding RFC 2047 words, without NULs (no database stores them);
    never raises on junk."""
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except (ValueError, LookupError, UnicodeError, AssertionError):
        text = str(value)
    return text.replace("\x00", "")


def _usable(address: str) -> str | None:
    address = address.strip(".").lower()
    return address if len(address) <= MAX_ADDRESS else None


def _address(value) -> str | None:
    """The address in `rfc822; a@b`, `<a@b>` or plain `a@b`, lower-cased; None if there is
    none or it is longer than an address can be."""
    _, _, rest = _text(value).rpartition(";")
    match = _ADDRESS.search(rest)
    return _usable(match.group(0)) if match else None


def _report_id(msg: Message, raw: bytes) -> str:
    """The report's own Message-ID, or a digest of its bytes: read twice, recorded once."""
    own = _text(msg.get("Message-ID")).strip()
    return own[:300] if own else "sha256:" + hashlib.sha256(raw).hexdigest()


def classify(status: str | None, action: str | None = None, text: str = "") -> str | None:
    """hard, soft, or None when the recipient was in fact delivered (DSN success)."""
    action = (action or "").strip().lower()
    if action in ("delivered", "relayed", "expanded"):
        return None
    code = _STATUS.search(status or "") or _STATUS.search(text)
    if action == "delayed":
        return SOFT
    if code is not None:
        if code.group(1) == "2":
            return None
        if code.group(1) == "4" or code.group(0) == "5.2.2":
            return SOFT
        if action == "failed" or code.group(2) == "1":
            return HARD
        return HARD if _NO_SUCH_USER.search(text) else SOFT
    reply = _REPLY.search(text)
    if reply and reply.group(1).startswith("5") and _NO_SUCH_USER.search(text):
        return HARD
    return SOFT


def _original_headers(msg: Message) -> Message | None:
    """The headers of our message as the report returns them (text/rfc822-headers or
    message/rfc822), if it does."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "text/rfc822-headers":
            payload = part.get_payload(decode=True) or b""
            return HeaderParser(policy=_POLICY).parsestr(payload.decode("utf-8", "replace"))
        if ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                return inner[0]
            if isinstance(inner, str):
                return HeaderParser(policy=_POLICY).parsestr(inner)
    return None


def _inline_original(text: str) -> Message | None:
    """A copy of our headers pasted into the text (qmail, old Exim), found by its Message-ID."""
    match = re.search(r"^Message-ID:.*$", text, re.IGNORECASE | re.MULTILINE)
    if not match:
        return None
    start = text.rfind("\n\n", 0, match.start()) + 2
    return HeaderParser(policy=_POLICY).parsestr(text[max(start, 0) :])


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return payload
    # message/global-delivery-status (UTF-8) and mislabelled parts arrive as text.
    if isinstance(payload, str):
        text = part.get_payload(decode=True) or payload.encode()
        chunks = re.split(r"\r?\n\s*\r?\n", text.decode("utf-8", "replace"))
        return [HeaderParser(policy=_POLICY).parsestr(chunk) for chunk in chunks if chunk.strip()]
    return []


def _dsn_recipients(msg: Message) -> list[Recipient]:
    """The failed or delayed recipients. BounceParseError if one is reported with no address we
    can read."""
    recipients, unreadable = [], False
    for part in msg.walk():
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        for block in _status_blocks(part):
            if not (block.get("Final-Recipient") or block.get("Original-Recipient")):
                continue
            email = _address(block.get("Original-Recipient")) or _address(
                block.get("Final-Recipient")
            )
            diagnostic = " ".join(_text(block.get("Diagnostic-Code")).split())
            status = _text(block.get("Status")).strip() or None
            kind = classify(status, _text(block.get("Action")), diagnostic)
            if email and kind:
                recipients.append(Recipient(email, kind, status, diagnostic[:500] or None))
            elif kind:
                unreadable = True
    if unreadable and not recipients:
        raise BounceParseError("a delivery report naming no address we can read")
    return recipients


def _complaint(msg: Message) -> list[Recipient]:
    for part in msg.walk():
        if part.get_content_type() != "message/feedback-report":
            continue
        payload = part.get_payload()
        fields = payload[0] if isinstance(payload, list) and payload else None
        if fields is None:
            fields = HeaderParser(policy=_POLICY).parsestr(str(payload))
        if _text(fields.get("Feedback-Type")).strip().lower() != "abuse":
            return []
        email = _address(fields.get("Original-Rcpt-To"))
        if email is None:
            original = _original_headers(msg)
            email = _address(original.get("To")) if original is not None else None
        return [Recipient(email or "", COMPLAINT, None, "complaint (feedback report)")]
    raise BounceParseError("a feedback report without its machine-readable part")


def _plain_text(msg: Message) -> str:
    """The report's own text parts, not those of the original it may carry (without NULs)."""
    return _plain_parts(msg).replace("\x00", "")


def _plain_parts(msg: Message) -> str:
    if msg.get_content_type() == "text/plain":
        data = msg.get_payload(decode=True) or b""
        try:
            return data.decode(msg.get_content_charset() or "utf-8", "replace")
        except LookupError:  # a charset Python does not know
            return data.decode("utf-8", "replace")
    if msg.is_multipart() and msg.get_content_maintype() == "multipart":
        return "\n".join(_plain_parts(part) for part in msg.get_payload())
    return ""


def _text_bounce(msg: Message, original: Message | None) -> list[Recipient]:
    """A bounce that explains itself only in prose: the failed address and the reply line."""
    text = _plain_text(msg)
    ours = {_address(original.get("From"))} if original is not None else set()
    ours |= {_address(msg.get("To")), _address(msg.get("From"))}
    for line_no, line in enumerate(lines := text.splitlines()):
        for match in _ADDRESS.finditer(line):
            email = _usable(match.group(0))
            if email is None or email in ours or email.split("@")[0] in _DAEMONS:
                continue
            context = " ".join(lines[line_no : line_no + 6])
            if _STATUS.search(context) or _REPLY.search(context) or _NO_SUCH_USER.search(context):
                status = _STATUS.search(context)
                return [
                    Recipient(
                        email,
                        classify(None, None, context) or SOFT,
                        status.group(0) if status else None,
                        " ".join(context.split())[:500],
                    )
                ]
    return []


def _is_auto_reply(msg: Message) -> bool:
    auto = _text(msg.get("Auto-Submitted")).strip().lower()
    if auto.startswith("auto-replied"):
        return True
    if msg.get("X-Autoreply") or msg.get("X-Autorespond"):
        return True
    precedence = _text(msg.get("Precedence")).strip().lower()
    return precedence == "auto_reply" or bool(_AUTO_REPLY_SUBJECT.search(_text(msg["Subject"])))


def _report_type(msg: Message) -> str:
    if msg.get_content_type() != "multipart/report":
        return ""
    value = msg.get_param("report-type") or ""
    if isinstance(value, tuple):  # RFC 2231-encoded
        value = collapse_rfc2231_value(value)
    return str(value).lower()


def _looks_like_bounce(msg: Message) -> bool:
    sender = (_address(msg.get("From")) or "").split("@")[0]
    return (
        sender in _DAEMONS
        or msg.get("X-Failed-Recipients") is not None
        or bool(_BOUNCE_SUBJECT.search(_text(msg.get("Subject"))))
    )


def _addressed_to(msg: Message, address: str) -> bool:
    headers = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
    found = {_address(v) for name in headers for v in (msg.get_all(name) or [])}
    return address.lower() in found


def parse(raw: bytes, unsubscribe_address: str | None = None) -> Report:
    """What the message says. BounceParseError when it is a bounce we cannot read; ValueError
    when it is not a mail message at all. Raises nothing else, whatever the bytes."""
    if not raw or not raw.strip():
        raise ValueError("empty message")
    try:
        return _parse(raw, unsubscribe_address)
    except ValueError:
        raise
    except Exception as error:  # noqa: BLE001 (mail from anyone: a parser bug means unreadable)
        raise BounceParseError(f"a message we cannot read ({error.__class__.__name__})") from error


def _parse(raw: bytes, unsubscribe_address: str | None) -> Report:
    msg = message_from_bytes(raw, policy=_POLICY)
    if not msg.keys():
        raise ValueError("no headers: not a mail message")
    report = Report("ignored", _report_id(msg, raw))
    subject = _text(msg.get("Subject"))
    wanted = _UNSUBSCRIBE.match(subject)
    if wanted and unsubscribe_address and _addressed_to(msg, unsubscribe_address):
        report.kind, report.token = "unsubscribe", wanted.group(1)
        return report
    original = _original_headers(msg)
    report_type = _report_type(msg)
    if report_type == "feedback-report":
        report.kind, report.recipients = "complaint", _complaint(msg)
    elif report_type == "delivery-status":
        report.kind, report.recipients = "dsn", _dsn_recipients(msg)
        if not report.recipients:
            report.kind, report.reason = "ignored", "a notification of success or delay only"
            if not _has_status_part(msg):
                raise BounceParseError("a delivery report without its delivery-status part")
    else:
        # Bounces and auto-replies both say Auto-Submitted: auto-replied; who sent it and what
        # it is called tell them apart. A null Return-Path alone is a weak sign (RFC 3834 asks
        # auto-replies for one too): unreadable then, the message is ignored, not kept.
        strong = _looks_like_bounce(msg)
        if not strong and (_is_auto_reply(msg) or _text(msg.get("Return-Path")).strip() != "<>"):
            report.reason = "an automatic reply" if _is_auto_reply(msg) else "not a bounce"
            return report
        original = original or _inline_original(_plain_text(msg))
        report.kind, report.recipients = "text", _text_bounce(msg, original)
        if not report.recipients:
            if not strong:
                report.kind, report.reason = "ignored", "no failed address in it"
                return report
            raise BounceParseError("a bounce that names no failed address we can read")
    if original is not None:
        report.message_id = _text(original.get("Message-ID")).strip() or None
        report.delivery_ref = _text(original.get("X-CRM-Delivery")).strip() or None
    return report


def _has_status_part(msg: Message) -> bool:
    return any(
        part.get_content_type() in ("message/delivery-status", "message/global-delivery-status")
        for part in msg.walk()
    )

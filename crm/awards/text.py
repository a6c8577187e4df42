"""Plain one-line text from what labels type: for mail subjects and the Atom feed."""

import re

# C0 and C1 control characters, DEL and the Unicode line and paragraph separators: none of
# them belongs in a one-line header, and most are not allowed in XML at all.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
C0 = re.compile("[\x00-\x1f\x7f]")
# Characters XML 1.0 does not allow (its Char production), surrogates included.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ELLIPSIS = "…"


def one_line(text: str) -> str:
    """The text with control characters turned into spaces and runs of spaces collapsed."""
    return " ".join(CONTROL.sub(" ", text or "").split())


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters; a shortened text ends with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def xml_text(text: str) -> str:
    """The text without the characters XML cannot carry (a feed with them is not XML)."""
    return NOT_XML.sub("", text or "")

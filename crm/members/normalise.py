"""Normalised keys for duplicate detection and search: one place decides what 'the same' means."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")
# Legal-form suffixes that do not make two companies different.
_LEGAL_FORMS = {
    "ltd",
    "limited",
    "gmbh",
    "sarl",
    "sas",
    "sa",
    "srl",
    "bv",
    "nv",
    "ab",
    "as",
    "aps",
    "oy",
    "kg",
    "ug",
    "llp",
    "plc",
    "inc",
    "spa",
    "sl",
    "doo",
    "kft",
    "sro",
    "eurl",
}


# Letters that Unicode does not decompose into a base letter and an accent.
_TRANSLITERATE = str.maketrans(
    {"ø": "o", "æ": "ae", "đ": "d", "ł": "l", "ð": "d", "þ": "th", "œ": "oe", "ı": "i", "ß": "ss"}
)


def fold(text: str) -> str:
    """Lower case, accents removed: 'Unabhängiger' -> 'unabhangiger', 'Łódź' -> 'lodz'."""
    if text.isascii():  # most names: nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_TRANSLITERATE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str | None) -> list[str]:
    return [w for w in _NON_WORD.split(fold(text or "")) if w]


def name_key(name: str) -> str:
    """'Beggars Group Ltd.' and 'beggars group' are one organisation."""
    parts = words(name)
    while len(parts) > 1 and parts[-1] in _LEGAL_FORMS:
        parts.pop()
    return " ".join(parts)


def sort_name(name: str) -> str:
    parts = words(name)
    if len(parts) > 1 and parts[0] in {"the", "les", "la", "le", "die", "der", "das", "el"}:
        parts = parts[1:]
    return " ".join(parts)[:200]


def email_key(email: str | None) -> str | None:
    email = (email or "").strip().lower()
    return email or None


def search_tokens(*texts: str | None, emails: tuple[str | None, ...] = ()) -> set[str]:
    """Words of names and cities, plus each email whole and its parts."""
    tokens: set[str] = set()
    for text in texts:
        tokens.update(words(text))
    for email in emails:
        key = email_key(email)
        if key:
            tokens.add(key[:120])
            tokens.update(words(key))
    return {t[:120] for t in tokens}


def query_terms(query: str) -> list[str]:
    """Split what a user typed into prefixes to look up: an email stays whole."""
    terms: list[str] = []
    for chunk in query.split():
        if "@" in chunk:
            terms.append(chunk.strip().lower()[:120])
        else:
            terms.extend(words(chunk))
    return terms[:6]

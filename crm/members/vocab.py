"""Fixed vocabularies of the member directory, with the labels shown to people."""

from enum import StrEnum

import pycountry


class OrgKind(StrEnum):
    LABEL = "label"
    ARTIST = "artist"
    DISTRIBUTOR = "distributor"
    PUBLISHER = "publisher"
    ASSOCIATION = "association"
    OTHER = "other"


KIND_LABELS = {
    OrgKind.LABEL: "Record label",
    OrgKind.ARTIST: "Self-releasing artist",
    OrgKind.DISTRIBUTOR: "Distributor",
    OrgKind.PUBLISHER: "Publisher",
    OrgKind.ASSOCIATION: "National association",
    OrgKind.OTHER: "Other",
}


class SmeSize(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"


SME_LABELS = {
    SmeSize.MICRO: "Micro (under 10 staff)",
    SmeSize.SMALL: "Small (under 50 staff)",
    SmeSize.MEDIUM: "Medium (under 250 staff)",
}


class MembershipStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    GRACE = "grace"
    LAPSED = "lapsed"
    RESIGNED = "resigned"


class MembershipRoute(StrEnum):
    DIRECT = "direct"
    ASSOCIATION = "association"


# The order in which an organisation's memberships decide its overall status: the best wins.
STATUS_RANK = {
    MembershipStatus.ACTIVE: 5,
    MembershipStatus.GRACE: 4,
    MembershipStatus.PENDING: 3,
    MembershipStatus.LAPSED: 2,
    MembershipStatus.RESIGNED: 1,
}
NO_MEMBERSHIP = "none"
# Statuses that count an organisation as a member today.
CURRENT_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.GRACE)

LANGUAGE_CHOICES = (
    ("en", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pt", "Português"),
    ("pl", "Polski"),
    ("sv", "Svenska"),
    ("da", "Dansk"),
    ("fi", "Suomi"),
    ("nb", "Norsk"),
)
LANGUAGES = tuple(code for code, _ in LANGUAGE_CHOICES)

# The countries the association works in: EU and EEA states, the UK, Switzerland, the western
# Balkans and Israel (PIL is a member association).
# fmt: off
EUROPEAN_COUNTRIES = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU",
    "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES",
    "SE", "IS", "LI", "NO", "CH", "GB", "RS", "BA", "ME", "MK", "AL", "UA", "IL",
)
# fmt: on


def country_name(code: str | None) -> str:
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


COUNTRY_CHOICES = sorted(
    ((code, country_name(code)) for code in EUROPEAN_COUNTRIES), key=lambda pair: pair[1]
)

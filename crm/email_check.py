"""Whether an email address is valid, as email_validator judges it (deliverability not checked:
no DNS), quickly for the plain ASCII addresses nearly everyone has.

email_validator costs about 35-50 µs an address (IDNA, Unicode normalisation), a good share of a
signing request or of importing a sheet of 6,000 rows. An address of the plain shape below, within
the length limits and not under a special-use name, is one it accepts, so it is accepted without
asking (tests/test_email_check.py holds the two to the same answers); anything else (IDN,
quoting, odd dots, special-use names) is asked."""

import re

import email_validator

SIMPLE_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def email_problem(value: str) -> str | None:
    """Why email_validator (deliverability not checked) refuses an address, or None."""
    # fullmatch, not match with "$": "$" would let a trailing line break through.
    if len(value) <= 254 and SIMPLE_EMAIL.fullmatch(value):
        local, _, domain = value.rpartition("@")
        if len(local) <= 64 and "--" not in domain and not _special_use(domain.lower()):
            return None
    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        return str(error)
    return None


def _special_use(domain: str) -> bool:
    # email_validator refuses names under these (as it may be configured at run time: read it
    # now); only its test mode lets "test" through, and the app never runs it in test mode.
    return any(
        domain == name or domain.endswith("." + name)
        for name in email_validator.SPECIAL_USE_DOMAIN_NAMES
    )

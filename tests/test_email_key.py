"""One address, one key: every spelling that reaches the same mailbox finds the same person,
signature and suppression."""

import pytest

from crm.members.normalise import email_key


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("  Ana@Example.ORG ", "ana@example.org"),
        ("ana@\uff45xample.org", "ana@example.org"),  # a full-width e in the domain
        ("ana@\uff45\uff58ample\uff0eorg", "ana@example.org"),  # and a full-width dot
        ("Zoë@Lumière.example", "zoë@lumière.example"),  # already in its plain form
        ("", None),
        (None, None),
        ("   ", None),
    ],
)
def test_spellings_of_one_address_share_a_key(spelling, key):
    assert email_key(spelling) == key


def test_the_local_part_is_kept_as_written():
    # Mail servers decide what the part before the @ means: only letter case is folded.
    assert email_key("\uff41na@example.org") != email_key("ana@example.org")

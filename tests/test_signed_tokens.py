"""The app's signed tokens (crm/signed.py): short payloads are signed without the zlib attempt,
and every token reads the same either way, including compressed ones issued before."""

import json
import zlib

from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from crm.signed import COMPRESS_FROM, serializer, timed_serializer


def test_short_payloads_are_not_compressed_and_read_back(app, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("zlib was asked to compress a short payload")

    with app.app_context():
        monkeypatch.setattr(zlib, "compress", refuse)
        for made in (serializer("test-salt"), timed_serializer("test-salt")):
            token = made.dumps({"s": 12345, "e": "0123456789ab"})
            assert not token.startswith(".")  # itsdangerous marks compressed payloads so
            assert made.loads(token) == {"s": 12345, "e": "0123456789ab"}


def test_tokens_are_what_itsdangerous_reads_and_old_compressed_ones_still_load(app):
    with app.app_context():
        secret = app.config["SECRET_KEY"]
        plain = URLSafeSerializer(secret, salt="test-salt")
        timed = URLSafeTimedSerializer(secret, salt="test-salt")
        # Ours, read by itsdangerous' own serializers.
        assert plain.loads(serializer("test-salt").dumps([1, 2])) == [1, 2]
        assert timed.loads(timed_serializer("test-salt").dumps([1, 2]), max_age=60) == [1, 2]
        # A long payload is still compressed when that makes it shorter.
        long_payload = {"text": "same words " * 60}
        assert len(json.dumps(long_payload, separators=(",", ":"))) > COMPRESS_FROM
        token = serializer("test-salt").dumps(long_payload)
        assert token.startswith(".") and plain.loads(token) == long_payload
        # A compressed token issued by itsdangerous itself (as every token was before).
        issued = timed.dumps(long_payload)
        assert issued.startswith(".")
        assert timed_serializer("test-salt").loads(issued, max_age=60) == long_payload

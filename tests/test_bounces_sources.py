"""Where bounces come from: a real Maildir on disk; IMAP and POP3 through fakes of the imaplib
and poplib objects (the boundary: what the server would answer, not a server); the commands;
and the authenticated endpoint that takes one raw message."""

import imaplib
import mailbox
import os
import poplib

import pytest

from crm.extensions import db
from crm.mailings.audience_models import BounceEvent, Suppression
from crm.mailings.bounce_sources import read_imap, read_maildir, read_pop3
from tests.test_bounces import sample, sent

GOOD = ("postfix_hard.eml", "autoreply.eml", "arf_complaint.eml")


def _count(model):
    return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.fixture
def known_deliveries():
    sent("k.muller@example.de", "<49a6b28bf21d79acff1455cfddb76b5e@indiemusic.example>")
    sent("reader@yahoo.com", "<x@indiemusic.example>", delivery_id=43)


@pytest.fixture
def maildir(tmp_path):
    path = tmp_path / "bounces"
    box = mailbox.Maildir(path, create=True)
    keys = {name: box.add(sample(name)) for name in (*GOOD, "broken_report.eml")}
    return path, keys


def test_maildir_moves_processed_messages_to_cur_and_keeps_the_broken_one(
    maildir, known_deliveries
):
    path, keys = maildir
    summary = read_maildir(str(path))
    assert dict(summary.outcomes) == {"bounce": 1, "ignored": 1, "complaint": 1}
    assert [name for name, _ in summary.kept] == [keys["broken_report.eml"]]
    assert os.listdir(path / "new") == [keys["broken_report.eml"]]
    assert sorted(os.listdir(path / "cur")) == sorted(f"{keys[n]}:2,S" for n in GOOD)
    assert _count(BounceEvent) == 2 and _count(Suppression) == 2
    # Read again: only the broken one is looked at (and reported) again.
    again = read_maildir(str(path))
    assert sum(again.outcomes.values()) == 0 and len(again.kept) == 1
    assert _count(BounceEvent) == 2


def test_maildir_can_delete_what_it_processed(maildir, known_deliveries):
    path, keys = maildir
    read_maildir(str(path), delete=True)
    assert os.listdir(path / "cur") == []
    assert os.listdir(path / "new") == [keys["broken_report.eml"]]


def test_maildir_command_reports_and_fails_on_a_kept_message(runner, maildir, known_deliveries):
    path, keys = maildir
    result = runner.invoke(args=["crm", "bounces", "maildir", str(path)])
    assert result.exit_code == 1
    assert "read 4 messages: 1 bounces, 1 complaints (2 newly recorded)" in result.output
    assert f"kept {keys['broken_report.eml']}" in result.output
    os.remove(path / "new" / keys["broken_report.eml"])
    assert runner.invoke(args=["crm", "bounces", "maildir", str(path)]).exit_code == 0


def test_a_message_that_breaks_processing_does_not_stop_the_run(maildir, monkeypatch):
    from crm.mailings import bounce_sources

    real = bounce_sources.process_message

    def flaky(raw):
        if b"Yahoo" in raw:
            raise RuntimeError("database hiccup")
        return real(raw)

    monkeypatch.setattr(bounce_sources, "process_message", flaky)
    path, keys = maildir
    summary = read_maildir(str(path))
    assert sorted(os.listdir(path / "new")) == sorted(
        [keys["broken_report.eml"], keys["arf_complaint.eml"]]
    )
    assert any("database hiccup" in reason for _, reason in summary.kept)


class FakeIMAP:
    """What imaplib's IMAP4_SSL would return from a server holding `messages` (uid -> bytes)."""

    instances = []

    def __init__(self, host, port, ssl_context=None):
        self.host, self.port = host, port
        self.messages = dict(FakeIMAP.messages)
        self.flags = {uid: set() for uid in self.messages}
        self.calls = []
        FakeIMAP.instances.append(self)

    def starttls(self, ssl_context=None):
        self.calls.append("STARTTLS")

    def login(self, user, password):
        self.calls.append(("LOGIN", user, password))
        return "OK", [b"Logged in"]

    def select(self, folder):
        self.calls.append(("SELECT", folder))
        return "OK", [str(len(self.messages)).encode()]

    def uid(self, command, *args):
        self.calls.append((command, *args))
        if command == "SEARCH":
            unseen = [u for u in self.messages if "\\Seen" not in self.flags[u]]
            return "OK", [b" ".join(unseen)]
        if command == "FETCH":
            assert args[1] == "(BODY.PEEK[])"  # reading must not mark it seen
            return "OK", [
                (args[0] + b" (UID " + args[0] + b" BODY[] {1}", self.messages[args[0]]),
                b")",
            ]
        if command == "STORE":
            self.flags[args[0]].add(args[2].strip("()"))
            return "OK", []
        raise AssertionError(command)

    def expunge(self):
        self.calls.append("EXPUNGE")

    def close(self):
        self.calls.append("CLOSE")

    def logout(self):
        self.calls.append("LOGOUT")


@pytest.fixture
def fake_imap(monkeypatch):
    FakeIMAP.messages = {b"7": sample("postfix_hard.eml"), b"8": sample("broken_report.eml")}
    FakeIMAP.instances = []
    monkeypatch.setattr(imaplib, "IMAP4_SSL", FakeIMAP)
    monkeypatch.setattr(imaplib, "IMAP4", FakeIMAP)
    return FakeIMAP


def test_imap_marks_processed_messages_seen_and_leaves_the_broken_one(fake_imap, known_deliveries):
    summary = read_imap("imap.example.org", "bounces", "secret", folder="Bounces")
    [server] = fake_imap.instances
    assert server.port == 993 and ("SELECT", "Bounces") in server.calls
    assert server.flags == {b"7": {"\\Seen"}, b"8": set()}
    assert summary.outcomes["bounce"] == 1 and summary.kept[0][0] == "UID 8"
    assert "LOGOUT" in server.calls and _count(Suppression) == 1


def test_imap_delete_and_starttls(fake_imap, known_deliveries):
    read_imap("imap.example.org", "bounces", "secret", starttls=True, delete=True)
    [server] = fake_imap.instances
    assert server.port == 143 and server.calls[0] == "STARTTLS"
    assert server.flags[b"7"] == {"\\Deleted"} and "EXPUNGE" in server.calls


def test_imap_command_reads_the_password_from_the_environment(runner, fake_imap, monkeypatch):
    args = ["crm", "bounces", "imap", "--host", "h", "--user", "u", "--password-env", "BOUNCE_PW"]
    monkeypatch.delenv("BOUNCE_PW", raising=False)
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "BOUNCE_PW is not set" in result.output
    monkeypatch.setenv("BOUNCE_PW", "s3cret")
    result = runner.invoke(args=args)
    assert ("LOGIN", "u", "s3cret") in fake_imap.instances[0].calls
    assert result.exit_code == 1 and "kept UID 8" in result.output


class FakePOP3:
    """What poplib's POP3_SSL would return for `messages` (1-based)."""

    instances = []

    def __init__(self, host, port, context=None):
        self.port = port
        self.messages = list(FakePOP3.messages)
        self.deleted, self.calls = set(), []
        FakePOP3.instances.append(self)

    def stls(self, context=None):
        self.calls.append("STLS")

    def user(self, name):
        self.calls.append(("USER", name))

    def pass_(self, password):
        self.calls.append(("PASS", password))

    def stat(self):
        return len(self.messages), sum(len(m) for m in self.messages)

    def retr(self, number):
        raw = self.messages[number - 1]
        return b"+OK", raw.replace(b"\r\n", b"\n").split(b"\n"), len(raw)

    def dele(self, number):
        self.deleted.add(number)

    def quit(self):
        self.calls.append("QUIT")


@pytest.fixture
def fake_pop3(monkeypatch):
    FakePOP3.messages = [sample("broken_report.eml"), sample("postfix_hard.eml")]
    FakePOP3.instances = []
    monkeypatch.setattr(poplib, "POP3_SSL", FakePOP3)
    monkeypatch.setattr(poplib, "POP3", FakePOP3)
    return FakePOP3


def test_pop3_deletes_processed_messages_only(fake_pop3, known_deliveries):
    summary = read_pop3("pop.example.org", "bounces", "secret")
    [server] = fake_pop3.instances
    assert server.port == 995 and server.deleted == {2} and server.calls[-1] == "QUIT"
    assert summary.kept[0][0] == "message 1" and _count(Suppression) == 1


def test_pop3_keep_and_starttls(fake_pop3, known_deliveries, runner, monkeypatch):
    monkeypatch.setenv("BOUNCE_PW", "s3cret")
    args = ["crm", "bounces", "pop3", "--host", "h", "--user", "u", "--password-env", "BOUNCE_PW"]
    runner.invoke(args=[*args, "--starttls", "--keep"])
    [server] = fake_pop3.instances
    assert server.port == 110 and server.calls[0] == "STLS" and server.deleted == set()
    assert ("PASS", "s3cret") in server.calls


# --- the endpoint ------------------------------------------------------------------------------


TOKEN = "t0ken-for-bounces"  # noqa: S105 (tests only)


@pytest.fixture
def api(make_app):
    """CSRF on, as in production: the endpoint is exempt and authenticates by bearer token."""
    return make_app(WTF_CSRF_ENABLED=True, BOUNCE_API_TOKEN=TOKEN).test_client()


def _post(client, body, token=TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(
        "/mailings/bounces", data=body, headers=headers, content_type="message/rfc822"
    )


def test_the_endpoint_is_off_without_a_token(client):
    assert _post(client, sample("postfix_hard.eml")).status_code == 404


def test_the_endpoint_refuses_a_missing_or_wrong_token(api):
    for token in (None, "wrong", TOKEN + "-and-more"):
        response = _post(api, sample("postfix_hard.eml"), token)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    response = api.post("/mailings/bounces", data=b"x", headers={"Authorization": f"Basic {TOKEN}"})
    assert response.status_code == 401
    assert _count(BounceEvent) == 0


def test_the_endpoint_accepts_a_bounce_and_refuses_junk(api, known_deliveries):
    response = _post(api, sample("postfix_hard.eml"))
    assert response.status_code == 202
    assert response.get_json() == {"kind": "bounce", "recorded": 1, "detail": "k.muller@example.de"}
    assert _post(api, sample("postfix_hard.eml")).get_json()["recorded"] == 0
    assert _post(api, sample("autoreply.eml")).get_json()["kind"] == "ignored"
    for junk in (b"", b"hello", sample("broken_report.eml")):
        assert _post(api, junk).status_code == 400
    assert _count(BounceEvent) == 1

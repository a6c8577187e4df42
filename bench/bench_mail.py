"""How fast does the outbox worker send a mailing? (goals: one worker >= 0.7 and two workers
>= 1.2 of a plain smtplib loop; every run received exactly once per recipient)

Creates a fresh PostgreSQL database bench_mail, migrates it with `flask db upgrade`, and writes
6,000 people and a newsletter to them: one Mailing (status "sending") and one Delivery per
recipient as scheduling writes them (kind "mailing", bulk priority, recipient key, merge values,
deterministic Message-ID, queued). Then, each against a fresh Postfix smtp-sink on loopback:

  loop         a plain smtplib loop over ONE connection: the same copies, rendered by
               crm.mailings.rendering before the clock starts, each built as an
               email.message.EmailMessage and sent with send_message (the baseline)
  one worker   `flask --app wsgi crm worker --drain` as a subprocess, timed from its start to
               its exit with all 6,000 sent (start-up included)
  two workers  the deliveries reset to queued, two such workers started together

Prints messages per second, the ratios to the loop, PASS/FAIL, and for every run the Message-IDs
the sink received: exactly the 6,000 expected, none lost, none twice. For reference it also
times smtplib sending the messages' bytes ready-made (no MIME building in the loop), to a
recording sink and to one that records nothing, so the cost of recording shows.

Counting at the sink: smtp-sink's -D appends every message it accepts to a dump file, before
it answers the final "250"; the Message-ID headers are counted from that file (bench/mail_sink.py).

    .venv/bin/python bench/bench_mail.py [--recipients 6000]

Needs psql, Postfix's smtp-sink (Debian: apt-get install postfix) and PostgreSQL on
127.0.0.1:5432 (user postgres).
"""

import argparse
import shutil
import smtplib
import sys
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.mail_outbox import (  # noqa: E402
    delivery_counts,
    expected_ids,
    prepare_database,
    query,
    reset,
    start_worker,
)
from bench.mail_sink import Sink, received_ids, sink_dir, tally  # noqa: E402
from bench.ports import free_port  # noqa: E402

DATABASE = "bench_mail"
RECIPIENTS = 6000
GOALS = {"one worker": 0.7, "two workers": 1.2}


def sending_span(mailing_id: int) -> float:
    """Seconds from the first message marked sent to the last (start-up and claims left out)."""
    sql = "SELECT min(sent_at), max(sent_at) FROM delivery WHERE mailing_id = :m"
    [(first, last)] = query(DATABASE, sql, m=mailing_id)
    return (last - first).total_seconds()


def rendered_copies(app, mailing_id: int) -> list[dict]:
    """Every recipient's copy, rendered by crm.mailings.rendering with the same links and
    headers the worker puts on it."""
    from sqlalchemy import select

    from crm.extensions import db
    from crm.mailings.consent import PURPOSES
    from crm.mailings.headers import bulk_headers, list_id, sender_header
    from crm.mailings.models import Delivery, Mailing
    from crm.mailings.rendering import compile_mailing
    from crm.mailings.tokens import recipient_links

    copies = []
    with app.test_request_context("/"):
        mailing = db.session.get(Mailing, mailing_id)
        compiled = compile_mailing(mailing)
        domain = app.config["MAIL_MESSAGE_ID_DOMAIN"]
        ident = list_id(mailing.purpose, PURPOSES[mailing.purpose][0], domain)
        sender = sender_header(mailing.from_name, mailing.from_email)
        rows = db.session.execute(
            select(
                Delivery.id,
                Delivery.to_email,
                Delivery.recipient_key,
                Delivery.merge,
                Delivery.message_id,
            )
            .where(Delivery.mailing_id == mailing_id)
            .order_by(Delivery.id)
        ).all()
        for row in rows:
            links = recipient_links(row.recipient_key, mailing.purpose, mailing.id, row.id)
            copy = compiled.render(row.merge, links)
            copies.append(
                {
                    "from": sender,
                    "envelope": mailing.from_email,
                    "to": row.to_email,
                    "subject": copy.subject,
                    "message_id": row.message_id,
                    "text": copy.text,
                    "html": copy.html,
                    "headers": bulk_headers(links, list_id=ident),
                }
            )
        db.session.remove()
        db.engine.dispose()
    return copies


def _email_message(copy: dict) -> EmailMessage:
    message = EmailMessage()
    message["From"] = copy["from"]
    message["To"] = copy["to"]
    message["Subject"] = copy["subject"]
    message["Message-ID"] = copy["message_id"]
    for name, value in copy["headers"].items():
        message[name] = value
    message.set_content(copy["text"])
    message.add_alternative(copy["html"], subtype="html")
    return message


def smtplib_loop(copies: list[dict], port: int) -> float:
    """The baseline: build each EmailMessage and send it, over one connection. Seconds."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for copy in copies:
            smtp.send_message(_email_message(copy), from_addr=copy["envelope"])
    return time.perf_counter() - start


def bytes_loop(copies: list[dict], port: int) -> float:
    """For reference: the same messages as ready bytes, only sent (smtplib.sendmail). Seconds."""
    ready = [(c["envelope"], c["to"], _email_message(c).as_bytes()) for c in copies]
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for envelope, to, data in ready:
            smtp.sendmail(envelope, [to], data)
    return time.perf_counter() - start


def run_workers(port: int, count: int) -> float:
    """`count` draining workers started together; seconds until the last one exits."""
    start = time.perf_counter()
    workers = [start_worker(DATABASE, port, "--drain") for _ in range(count)]
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        if worker.returncode != 0:
            raise RuntimeError(f"the worker failed ({worker.returncode}): {err[-2000:]}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=RECIPIENTS)
    args = parser.parse_args()
    for tool in ("psql", "smtp-sink"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (Debian: apt-get install postgresql-client postfix)")
            return 2
    database, n = DATABASE, args.recipients
    app, mailing_id = prepare_database(database, n)
    copies = rendered_copies(app, mailing_id)
    workdir = sink_dir()
    rates, steady, checks, reference = {}, {}, {}, {}

    def timed(name: str, run) -> None:
        port, dump = free_port(), workdir / f"{name.replace(' ', '-')}.dump"
        with Sink(port, dump):
            seconds = run(port)
        rates[name] = n / seconds
        checks[name] = tally(expected_ids(database, mailing_id), received_ids(dump))
        if name == "loop":
            checks[name]["sent"] = n  # the loop does not touch the outbox
        else:
            checks[name]["sent"] = delivery_counts(database, mailing_id)["sent"]
            steady[name] = (n - 1) / max(sending_span(mailing_id), 1e-6)

    try:
        for recording in (False, True):
            dump = workdir / "reference.dump" if recording else None
            with Sink(free_port(), dump) as sink:
                reference[recording] = n / bytes_loop(copies, sink.port)
        timed("loop", lambda port: smtplib_loop(copies, port))
        timed("one worker", lambda port: run_workers(port, 1))
        reset(database, mailing_id)
        timed("two workers", lambda port: run_workers(port, 2))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"{n:,} personalised messages to Postfix smtp-sink on loopback; PostgreSQL")
    print(
        f"{'run':<13}{'msgs/s':>9}{'ratio':>8}{'steady':>8}{'sent':>7}{'received':>10}"
        f"{'lost':>6}{'dups':>6}"
    )
    passed = True
    for name, rate in rates.items():
        c = checks[name]
        ratio = rate / rates["loop"]
        flat = f"{steady[name]:>8.0f}" if name in steady else f"{'':>8}"
        print(
            f"{name:<13}{rate:>9.0f}{ratio:>8.2f}{flat}{c['sent']:>7}{c['distinct']:>10}"
            f"{c['lost']:>6}{c['duplicates']:>6}"
        )
        exact = c["distinct"] == n and c["lost"] == 0 and c["duplicates"] == 0
        exact = exact and c["strangers"] == 0 and c["sent"] == n
        passed &= exact and ratio >= GOALS.get(name, 0)
    print(
        "msgs/s: workers timed from their start to their exit; steady: between the first and "
        "the last message marked sent"
    )
    print(
        f"for reference, smtplib sending the same messages as ready-made bytes: "
        f"{reference[True]:.0f} msgs/s to the recording sink, {reference[False]:.0f} to one "
        "that records nothing"
    )
    for name, goal in GOALS.items():
        ratio = rates[name] / rates["loop"]
        verdict = "PASS" if ratio >= goal else "FAIL"
        print(f"{verdict}: {name} / loop = {ratio:.2f} (goal >= {goal})")
    exact = all(c["lost"] == 0 and c["duplicates"] == 0 for c in checks.values())
    print(f"{'PASS' if exact else 'FAIL'}: every run received each of the {n:,} exactly once")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

"""Demo declarations: texts in three languages, linked campaigns, a few hundred signatures in
realistic states, many matched to member companies; the seed-demo command prints them."""

from datetime import date

from sqlalchemy import func, select

from crm.declarations import coverage
from crm.declarations.demo import seed_declarations_demo
from crm.declarations.models import Declaration, Signature
from crm.extensions import db
from crm.members import demo as member_demo
from crm.policy.demo import seed_policy_demo
from tests import factories


def test_seed_declarations_demo():
    member_demo.seed_demo(300, seed=4)
    seed_policy_demo(4)
    summary = seed_declarations_demo(4, today=date(2026, 11, 1))
    db.session.commit()

    declarations = db.session.scalars(select(Declaration).order_by(Declaration.slug)).all()
    assert [d.slug for d in declarations] == ["fair-digital-deals", "music-declares-emergency"]
    for declaration in declarations:
        assert declaration.campaign is not None and declaration.campaign.kind == "declaration"
        assert declaration.open_on < date(2026, 11, 1)
        assert {t.language for t in declaration.versions[0].texts} == {"en", "fr", "de"}
    assert declarations[1].close_on > date(2026, 11, 1)
    assert declarations[0].campaign.slug == "fair-digital-deals"

    count = db.session.scalar(select(func.count()).select_from(Signature))
    assert count == summary.signatures == 500
    states = dict(
        db.session.execute(select(Signature.status, func.count()).group_by(Signature.status)).all()
    )
    assert states["confirmed"] > 400 and states["unconfirmed"] > 10
    assert summary.pending > 5 and summary.matched > 100
    assert (
        db.session.scalar(
            select(func.count()).select_from(Signature).where(Signature.match_status == "suggested")
        )
        > 5
    )
    emails = db.session.scalars(select(Signature.email)).all()
    assert all(e.strip().endswith(".example") for e in emails)
    share = coverage.overall(declarations[0].id, factories.user("comms"))
    assert 0.1 < share.signed / share.members < 0.9

    again = seed_declarations_demo(4)
    assert again.declarations == 0


def test_seed_demo_command_prints_declarations(runner):
    result = runner.invoke(args=["crm", "seed-demo", "--members", "60", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "declarations: 2 declarations, 500 signatures" in result.output

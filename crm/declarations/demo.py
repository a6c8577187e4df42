"""Demo declarations: the Fair Digital Deals Declaration and Music Declares Emergency, with
texts in English, French and German (the project's own wording of the public commitments) and a
few hundred invented signatures, many of them from member companies so that coverage shows
something. Signatures go in with one bulk insert; the caller commits."""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select

from crm.audit.services import record
from crm.declarations.models import Declaration, DeclarationText, DeclarationVersion, Signature
from crm.extensions import db
from crm.members.models import Organisation, Person
from crm.members.normalise import email_key, name_key, words
from crm.members.vocab import CURRENT_STATUSES, OrgKind
from crm.policy.models import Campaign

FDD_TEXTS = {
    "en": (
        "Fair Digital Deals Declaration",
        "We, independent music companies, commit to treating artists fairly in the digital "
        "market:\n\n"
        "1. Our contracts and royalty statements will explain in plain terms how artists share "
        "in income from downloads and streams.\n"
        "2. Where digital income cannot be traced to particular recordings, we will pay artists "
        "a fair, pro-rata share of it in good faith.\n"
        "3. We will press digital services to give better data on how music is used and "
        "earns money.\n"
        "4. We will stand by artists who object to unauthorised uses of their music, in public "
        "where needed.\n"
        "5. We support the common position of the independent sector, set out in the Global "
        "Independent Manifesto.",
        None,
    ),
    "fr": (
        "Déclaration pour des accords numériques équitables",
        "Nous, entreprises indépendantes de la musique, nous engageons à traiter les artistes "
        "équitablement sur le marché numérique :\n\n"
        "1. Nos contrats et relevés de redevances expliqueront clairement comment les artistes "
        "participent aux revenus des téléchargements et du streaming.\n"
        "2. Lorsque des revenus numériques ne peuvent être rattachés à des enregistrements "
        "précis, nous en reverserons de bonne foi une part proportionnelle aux artistes.\n"
        "3. Nous demanderons aux services numériques de meilleures données sur l'utilisation "
        "et la monétisation de la musique.\n"
        "4. Nous soutiendrons les artistes qui s'opposent aux utilisations non autorisées de "
        "leur musique, y compris publiquement.\n"
        "5. Nous soutenons la position commune du secteur indépendant, le Manifeste mondial "
        "des indépendants.",
        None,
    ),
    "de": (
        "Erklärung für faire digitale Verträge",
        "Wir, unabhängige Musikunternehmen, verpflichten uns zu einem fairen Umgang mit "
        "Künstlerinnen und Künstlern im digitalen Markt:\n\n"
        "1. Unsere Verträge und Abrechnungen erklären verständlich, wie Künstler an den "
        "Einnahmen aus Downloads und Streams beteiligt sind.\n"
        "2. Digitale Einnahmen, die keiner bestimmten Aufnahme zugeordnet werden können, "
        "beteiligen wir in gutem Glauben anteilig an die Künstler.\n"
        "3. Wir fordern von digitalen Diensten bessere Daten zur Nutzung und Vergütung von "
        "Musik.\n"
        "4. Wir unterstützen Künstler, die sich gegen eine unerlaubte Nutzung ihrer Musik "
        "wehren, wenn nötig auch öffentlich.\n"
        "5. Wir tragen die gemeinsame Position des unabhängigen Sektors mit, das Global "
        "Independent Manifesto.",
        None,
    ),
}

MDE_TEXTS = {
    "en": (
        "Music Declares Emergency",
        "We, artists, music companies and music professionals, declare a climate and "
        "ecological emergency.\n\n"
        "- We call on governments and the media to tell the truth about the emergency.\n"
        "- We call for biodiversity loss to be reversed and for net-zero emissions by 2030.\n"
        "- We recognise that the emergency falls hardest on those who did least to cause it.\n"
        "- We recognise the footprint of our own industry and commit to act: to share what we "
        "learn, to speak up, and to make our own businesses sustainable.",
        "Send me news about Music Declares Emergency by email (you can stop at any time).",
    ),
    "fr": (
        "La musique déclare l'urgence",
        "Nous, artistes, entreprises et professionnels de la musique, déclarons l'urgence "
        "climatique et écologique.\n\n"
        "- Nous demandons aux gouvernements et aux médias de dire la vérité sur cette "
        "urgence.\n"
        "- Nous demandons d'inverser l'effondrement de la biodiversité et d'atteindre zéro "
        "émission nette d'ici 2030.\n"
        "- Nous reconnaissons que l'urgence frappe d'abord ceux qui en sont le moins "
        "responsables.\n"
        "- Nous reconnaissons l'empreinte de notre propre secteur et nous engageons à agir : "
        "partager nos connaissances, prendre la parole et rendre nos entreprises durables.",
        "Je souhaite recevoir par e-mail des nouvelles de la campagne (désinscription à tout "
        "moment).",
    ),
    "de": (
        "Music Declares Emergency – die Musik ruft den Notstand aus",
        "Wir, Künstler, Musikunternehmen und Menschen aus der Musikbranche, erklären den "
        "Klima- und Umweltnotstand.\n\n"
        "- Wir fordern Regierungen und Medien auf, die Wahrheit über den Notstand zu sagen.\n"
        "- Wir fordern, den Verlust der Artenvielfalt umzukehren und bis 2030 netto null "
        "Emissionen zu erreichen.\n"
        "- Wir erkennen an, dass der Notstand am härtesten jene trifft, die am wenigsten dazu "
        "beigetragen haben.\n"
        "- Wir erkennen den Fußabdruck unserer eigenen Branche an und verpflichten uns zu "
        "handeln: Wissen teilen, Stellung beziehen und unsere Unternehmen nachhaltig machen.",
        "Ich möchte per E-Mail Neuigkeiten zur Kampagne erhalten (jederzeit abbestellbar).",
    ),
}

FIRST_NAMES = [
    "Anna",
    "Lukas",
    "Marie",
    "Jonas",
    "Léa",
    "Hugo",
    "Chloé",
    "Louis",
    "Emma",
    "Noah",
    "Sofia",
    "Liam",
    "Julia",
    "Elias",
    "Clara",
    "Paul",
    "Inès",
    "Mateo",
    "Nora",
    "Felix",
    "Alba",
    "Tom",
    "Maja",
    "Oskar",
    "Eva",
    "Jan",
    "Zoé",
    "Leon",
    "Ida",
    "Hanna",
]
LAST_NAMES = [
    "Becker",
    "Martin",
    "Dubois",
    "Novak",
    "Jansen",
    "Rossi",
    "Schmidt",
    "Moreau",
    "Nielsen",
    "Kowalski",
    "García",
    "Weber",
    "Lefèvre",
    "Bauer",
    "Visser",
    "Bernard",
    "Fischer",
    "Lambert",
    "Keller",
    "Silva",
    "Horvat",
    "Berg",
    "Meyer",
    "Laurent",
    "Costa",
]
COUNTRY_LANGUAGE = {"FR": "fr", "BE": "fr", "LU": "fr", "DE": "de", "AT": "de", "CH": "de"}
ENGAGED_COUNTRIES = ("DE", "FR", "NL", "BE")
SIGNER_COUNTRIES = ("DE", "FR", "GB", "NL", "BE", "AT", "ES", "IT", "SE", "PL", "DK", "IE")


@dataclass
class DeclarationsDemoSummary:
    declarations: int = 0
    signatures: int = 0
    confirmed: int = 0
    pending: int = 0
    matched: int = 0


@dataclass
class _Spec:
    slug: str
    texts: dict
    title_words: set
    open_on: date
    close_on: date | None
    signer_kinds: str
    asked_fields: list
    ask_consent: bool
    size: int
    organisation_share: float


def _campaign_id(title_words: set) -> int | None:
    """The demo campaign of kind declaration whose title has these words, if it exists."""
    for campaign_id, title in db.session.execute(
        select(Campaign.id, Campaign.title).where(Campaign.kind == "declaration")
    ):
        if title_words <= set(words(title)):
            return campaign_id
    return None


def _declaration(spec: _Spec) -> tuple[Declaration, DeclarationVersion]:
    declaration = Declaration(
        slug=spec.slug,
        campaign_id=_campaign_id(spec.title_words),
        open_on=spec.open_on,
        close_on=spec.close_on,
        signer_kinds=spec.signer_kinds,
        asked_fields=spec.asked_fields,
        list_publicly=True,
        moderate_individuals=False,
        ask_consent=spec.ask_consent,
        default_language="en",
    )
    version = DeclarationVersion(number=1)
    for language, (title, body, consent) in spec.texts.items():
        version.texts.append(
            DeclarationText(language=language, title=title, body=body, consent_label=consent)
        )
    declaration.versions.append(version)
    db.session.add(declaration)
    db.session.flush()
    record("create", "declaration", declaration.id, f"Demo declaration {spec.slug} created")
    return declaration, version


def _member_people(rng: random.Random, limit: int) -> list:
    """People of current member companies, in random order (at most `limit`)."""
    rows = db.session.execute(
        select(
            Person.id,
            Person.first_name,
            Person.last_name,
            Person.email,
            Person.job_title,
            Organisation.id.label("org_id"),
            Organisation.name.label("org_name"),
            Organisation.country,
        )
        .join(Organisation, Organisation.id == Person.organisation_id)
        .where(
            Person.email.is_not(None),
            Organisation.kind != OrgKind.ASSOCIATION,
            Organisation.membership_status.in_(CURRENT_STATUSES),
        )
        .order_by(Person.id)
    ).all()
    rng.shuffle(rows)
    # Most signers from a few engaged countries: their coverage is high, elsewhere low, as in
    # real campaigns; the coverage page then has something to show.
    rows.sort(key=lambda r: r.country not in ENGAGED_COUNTRIES or rng.random() < 0.2)
    # One person per company: coverage counts companies, and more companies is a better demo.
    seen, picked = set(), []
    for row in rows:
        if row.org_id not in seen:
            seen.add(row.org_id)
            picked.append(row)
    return picked[:limit]


def _when(rng: random.Random, start: date, today: date) -> datetime:
    days = max((today - start).days, 1)
    day = start + timedelta(days=int(days * rng.random() ** 0.5))
    return datetime.combine(day, time(rng.randrange(7, 23), rng.randrange(60)), tzinfo=UTC)


def _signatures(spec, declaration, version, rng, today, used_people) -> list[dict]:
    rows: list[dict] = []
    emails: set[str] = set()
    people = [p for p in _member_people(rng, spec.size) if p.id not in used_people]
    matched_count = int(spec.size * 0.55)
    suggested_orgs = people[matched_count : matched_count + spec.size // 12]
    people = people[:matched_count]
    used_people.update(p.id for p in people)

    def base(email, first, last, country, signing_as, created):
        confirmed = rng.random() < 0.9
        moderation = "pending"
        if confirmed and signing_as == "organisation":
            moderation = rng.choices(("approved", "pending", "rejected"), (85, 11, 4))[0]
        elif confirmed:
            moderation = "not_needed"
        consent = spec.ask_consent and rng.random() < 0.4
        language = COUNTRY_LANGUAGE.get(country or "", "en")
        return {
            "declaration_id": declaration.id,
            "version_id": version.id,
            "created_at": created,
            "email": email,
            "email_key": email_key(email),
            "first_name": first,
            "last_name": last,
            "signing_as": signing_as,
            "organisation_name": None,
            "country": country,
            "job_title": None,
            "city": None,
            "comment": None,
            "language": language,
            "list_publicly": rng.random() < 0.85,
            "consent_updates": consent,
            "consent_wording": spec.texts[language][2] if consent else None,
            "status": "confirmed" if confirmed else "unconfirmed",
            "confirmed_at": created + timedelta(minutes=rng.randrange(2, 600))
            if confirmed
            else None,
            "confirmation_sent_at": created,
            "confirmations_sent": 1,
            "moderation": moderation,
            "moderated_by_id": None,
            "moderated_at": created + timedelta(days=2)
            if moderation in ("approved", "rejected")
            else None,
            "moderation_reason": "Not a music company" if moderation == "rejected" else None,
            "person_id": None,
            "organisation_id": None,
            "match_status": "none",
            "suggested_organisation_id": None,
        }

    for person in people:
        signing_as = "organisation" if rng.random() < spec.organisation_share else "individual"
        if spec.signer_kinds == "organisation":
            signing_as = "organisation"
        row = base(
            person.email,
            person.first_name,
            person.last_name,
            person.country,
            signing_as,
            _when(rng, spec.open_on, today),
        )
        row["organisation_name"] = person.org_name
        row["job_title"] = person.job_title
        if row["status"] == "confirmed":
            # What matching does at confirmation: the email is a known contact.
            row.update(person_id=person.id, organisation_id=person.org_id, match_status="matched")
        rows.append(row)
        emails.add(row["email_key"])

    for n, org in enumerate(suggested_orgs):
        # Someone new at a member company, who typed its name their own way.
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{words(first)[0]}.{words(last)[0]}.{n}@signers.example"
        row = base(email, first, last, org.country, "organisation", _when(rng, spec.open_on, today))
        row["organisation_name"] = org.org_name.upper() if n % 2 else f" {org.org_name} "
        if row["status"] == "confirmed" and name_key(row["organisation_name"]):
            row.update(match_status="suggested", suggested_organisation_id=org.org_id)
        rows.append(row)
        emails.add(row["email_key"])

    n = 0
    while len(rows) < spec.size:
        n += 1
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{words(first)[0]}.{words(last)[0]}{n}@listeners.example"
        if email_key(email) in emails:
            continue
        country = rng.choice(SIGNER_COUNTRIES)
        signing_as = "organisation" if spec.signer_kinds == "organisation" else "individual"
        row = base(email, first, last, country, signing_as, _when(rng, spec.open_on, today))
        if signing_as == "organisation":
            row["organisation_name"] = f"{last} {rng.choice(('Records', 'Music', 'Sounds'))}"
        row["city"] = None
        if spec.ask_consent and rng.random() < 0.1:
            row["comment"] = "Count me in."
        rows.append(row)
        emails.add(email_key(email))
    return rows


def seed_declarations_demo(seed: int = 1, today: date | None = None) -> DeclarationsDemoSummary:
    """Both flagship declarations with their signatures; skips one whose slug exists."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    today = today or date.today()
    summary = DeclarationsDemoSummary()
    specs = [
        _Spec(
            "fair-digital-deals",
            FDD_TEXTS,
            {"fair", "digital", "deals"},
            date(2014, 7, 16),
            None,
            "organisation",
            ["organisation", "country", "job_title"],
            False,
            300,
            1.0,
        ),
        _Spec(
            "music-declares-emergency",
            MDE_TEXTS,
            {"music", "declares", "emergency"},
            date(2019, 7, 1),
            today + timedelta(days=180),
            "both",
            ["organisation", "country", "city", "comment"],
            True,
            200,
            0.4,
        ),
    ]
    used_people: set[int] = set()
    for spec in specs:
        if db.session.scalar(select(Declaration.id).where(Declaration.slug == spec.slug)):
            continue
        declaration, version = _declaration(spec)
        rows = _signatures(spec, declaration, version, rng, today, used_people)
        db.session.execute(insert(Signature), rows)
        summary.declarations += 1
        summary.signatures += len(rows)
        summary.confirmed += sum(r["status"] == "confirmed" for r in rows)
        summary.pending += sum(
            r["status"] == "confirmed" and r["moderation"] == "pending" for r in rows
        )
        summary.matched += sum(r["match_status"] == "matched" for r in rows)
    db.session.flush()
    return summary

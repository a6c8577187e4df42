"""The words of the policy demo data: priorities and declarations paraphrased from the
association's public positions, invented people, dossiers and milestones."""

from datetime import date

# (slug, title, summary, status); the first ones are the key priorities with dossiers.
PRIORITIES = [
    (
        "copyright",
        "Strong, fair copyright",
        "Copyright that protects creators and the companies investing in them, pays them properly "
        "and leaves room for free expression.",
        "active",
    ),
    (
        "value-gap",
        "Closing the value gap",
        "Platforms hosting music must not shelter behind 'safe harbour' rules to pay less "
        "than other services: a Digital Single Market without that distortion.",
        "active",
    ),
    (
        "vat-on-music",
        "Reduced VAT on music",
        "Music, recorded or live, physical or digital, should benefit from reduced VAT rates, and "
        "public support should not treat music worse than film.",
        "active",
    ),
    (
        "online-rules",
        "Fair rules of engagement online",
        "Data protection, privacy, tax and non-discrimination rules that also bind the dominant "
        "online players.",
        "active",
    ),
    (
        "competition",
        "Competition and consumer choice",
        "Antitrust that understands culture: scrutiny of concentration among majors and platforms, "
        "and real choice for listeners.",
        "active",
    ),
    (
        "market-access",
        "Access to the market",
        "Independent music must reach listeners through streaming services, radio, retail, TV and "
        "other media on fair terms.",
        "active",
    ),
    (
        "artist-fairness",
        "Transparency and fairness with artists",
        "Clear accounting and a fair share of digital revenue for artists, as the Fair Digital "
        "Deals Declaration commits its signatories to.",
        "active",
    ),
    (
        "climate",
        "Climate and greener music",
        "Greener ways of working across the sector and support for Music Declares Emergency.",
        "active",
    ),
    (
        "access-to-finance",
        "Access to finance",
        "Tax credits, loan guarantees, revenue sharing and recognition of copyright as an "
        "asset; an end to double taxation of cross-border royalties.",
        "active",
    ),
    (
        "follow-the-money",
        "Follow the money",
        "Cutting off advertising and payment services to sites built on mass infringement.",
        "monitoring",
    ),
    (
        "online-accountability",
        "Anonymity and accountability online",
        "Knowing who is behind an online business, so that rules can be enforced.",
        "monitoring",
    ),
    (
        "collective-management",
        "Collecting societies' code of conduct",
        "Good governance and transparency of collective management organisations.",
        "monitoring",
    ),
    (
        "cultural-diversity",
        "Culture is not just another good",
        "Cultural diversity under the UNESCO Convention, a level playing field for cultural SMEs, "
        "observer status at WIPO, and better data mapping the sector.",
        "active",
    ),
    (
        "new-business-models",
        "New business models",
        "Helping independents try new commercial tools and models, such as Merlin, the global "
        "digital rights agency of the independent sector.",
        "dormant",
    ),
    (
        "balkans",
        "Capacity building in the Balkans",
        "Working with independent companies in the Western Balkans to build their associations and "
        "markets.",
        "active",
    ),
]

# (priority slug, title, reference, stage, summary, asks, [(label, kind, days from today, done)])
DOSSIERS = [
    (
        "copyright",
        "Copyright in the Digital Single Market Directive",
        "2016/0280(COD)",
        "implementation",
        "Directive (EU) 2019/790; member states transpose and apply it.",
        "Transpose Article 17 faithfully; keep the transparency and contract adjustment rights "
        "working for independents.",
        [
            ("Commission report on Article 17 application", "publication", 45, False),
            ("National transposition check-up", "meeting", -20, True),
        ],
    ),
    (
        "copyright",
        "Artificial Intelligence Act: training data transparency",
        "2021/0106(COD)",
        "implementation",
        "General-purpose AI models must publish a summary of training content.",
        "A summary detailed enough for rightholders to exercise their opt-out.",
        [("AI Office template consultation closes", "deadline", 12, False)],
    ),
    (
        "copyright",
        "Streaming and cultural diversity own-initiative report",
        "2023/2054(INI)",
        "adopted",
        "Parliament's report on authors' conditions in the music streaming market.",
        "Follow-up by the Commission on remuneration and visibility of European repertoire.",
        [],
    ),
    (
        "value-gap",
        "Digital Services Act",
        "2020/0361(COD)",
        "implementation",
        "Platform rules: notice and action, trusted flaggers, know your business customer.",
        "Use trusted-flagger status and KYBC duties against repeat infringers.",
        [("Trusted flagger application round", "deadline", 30, False)],
    ),
    (
        "value-gap",
        "Platform liability review (consultation)",
        "Ares(2026)1234567",
        "consultation",
        "Call for evidence on the liability regime of hosting services.",
        "No new safe harbours for services that optimise and monetise music.",
        [
            ("Call for evidence closes", "deadline", 6, False),
            ("Stakeholder workshop", "meeting", 20, False),
        ],
    ),
    (
        "vat-on-music",
        "VAT rates: reduced rates for music and streaming",
        "2018/0005(CNS)",
        "council",
        "Council discussion of the rates annex and its application to digital music.",
        "Allow reduced rates on music in every format, including streaming.",
        [("ECOFIN working party", "meeting", 9, False), ("ECOFIN Council", "vote", 40, False)],
    ),
    (
        "competition",
        "Digital Markets Act",
        "2020/0374(COD)",
        "implementation",
        "Gatekeeper obligations for app stores, operating systems and voice assistants.",
        "Fair ranking and interoperability for independent music services.",
        [("Compliance workshop with a gatekeeper", "meeting", 25, False)],
    ),
    (
        "market-access",
        "European Media Freedom Act",
        "2022/0277(COD)",
        "adopted",
        "Regulation (EU) 2024/1083 on media independence and audience measurement.",
        "Diverse music on public service media.",
        [],
    ),
    (
        "access-to-finance",
        "Creative Europe programme after 2027",
        "2025/0230(COD)",
        "committee",
        "The next culture programme, with its music strand.",
        "A music strand with a budget of its own, open to micro companies.",
        [
            ("CULT committee vote", "vote", 55, False),
            ("Amendment deadline in CULT", "deadline", 15, False),
        ],
    ),
]

STAKEHOLDER_NAMES = {
    "DE": (
        "Henrik Lange",
        "Miriam Falk",
        "Katrin Vogel",
        "Matthias Kranz",
        "Ulrike Sommer",
        "Jens Albrecht",
        "Sabine Roth",
    ),
    "FR": (
        "Camille Rousseau",
        "Mathieu Perrin",
        "Claire Duval",
        "Julien Marchand",
        "Sophie Lemaire",
        "Antoine Girard",
    ),
    "IT": (
        "Davide Marchetti",
        "Francesca Greco",
        "Giulia Ferraro",
        "Marco Bellini",
        "Chiara Lombardi",
    ),
    "ES": ("Pablo Serrano", "Marta Iglesias", "Lucía Navarro", "Javier Ortega", "Elena Castaño"),
    "PL": ("Piotr Mazur", "Agnieszka Wróbel", "Tomasz Zieliński", "Magdalena Kaczmarek"),
    "NL": ("Ruben Mulder", "Femke de Graaf", "Joost van Dam", "Sanne Visser"),
    "SE": ("Linnea Berg", "Ingrid Lindqvist", "Oskar Holm"),
    "AT": ("Lukas Pichler", "Theresa Gruber", "Florian Huber"),
    "BE": (
        "Lotte Maes",
        "Olivier Lambert",
        "Bart Wouters",
        "Nathalie Peeters",
        "Pieter Claes",
        "Hélène Dubois",
        "Wim Janssens",
    ),
    "IE": ("Orla Kennedy", "Siobhán Byrne", "Cian Doyle"),
    "FI": ("Aino Laaksonen", "Mikko Heikkilä"),
    "DK": ("Mette Kjær", "Rasmus Bech"),
    "PT": ("Inês Carvalho", "Rui Tavares Pinto"),
    "CZ": ("Tereza Horáková", "Ondřej Svoboda"),
    "HU": ("Eszter Nagy", "Bence Tóth"),
    "GR": ("Eleni Papadaki", "Nikos Georgiou"),
    "RO": ("Ioana Popescu", "Andrei Ionescu"),
    "SI": ("Maja Novak", "Luka Kovač"),
    "HR": ("Ana Horvat", "Ivan Babić"),
    "LU": ("Claudine Weber",),
    "SK": ("Zuzana Kováčová",),
    "LT": ("Rūta Kazlauskienė",),
    "EE": ("Kadri Tamm",),
}
MEP_SEATS = [  # (country, committees, group)
    ("DE", "CULT JURI", "EPP"),
    ("DE", "IMCO", "S&D"),
    ("DE", "ITRE", "Greens/EFA"),
    ("FR", "CULT", "Renew"),
    ("FR", "JURI", "PfE"),
    ("FR", "IMCO ITRE", "S&D"),
    ("IT", "CULT", "ECR"),
    ("IT", "JURI IMCO", "EPP"),
    ("ES", "CULT", "S&D"),
    ("ES", "ITRE", "EPP"),
    ("PL", "CULT", "ECR"),
    ("PL", "IMCO", "EPP"),
    ("NL", "JURI", "Greens/EFA"),
    ("NL", "ITRE", "Renew"),
    ("SE", "CULT IMCO", "The Left"),
    ("AT", "JURI", "EPP"),
    ("BE", "CULT", "Greens/EFA"),
    ("IE", "IMCO", "Renew"),
    ("FI", "ITRE", "S&D"),
    ("DK", "CULT", "Renew"),
    ("PT", "JURI", "S&D"),
    ("CZ", "IMCO", "ECR"),
    ("HU", "CULT", "PfE"),
    ("GR", "ITRE", "The Left"),
]
OFFICIALS = [  # (directorate, role)
    ("DG CNECT, Unit I.2 Copyright", "Policy officer, copyright"),
    ("DG CNECT, Unit I.2 Copyright", "Head of unit"),
    ("DG CNECT, Unit F.2 Digital Services", "Legal officer, DSA"),
    ("DG CNECT, AI Office", "Policy officer, general-purpose AI"),
    ("DG EAC, Unit D.2 Creative Europe", "Policy officer, music"),
    ("DG EAC, Unit D.2 Creative Europe", "Deputy head of unit"),
    ("DG TAXUD, Unit C.1 VAT", "Policy officer, VAT rates"),
    ("DG TAXUD, Unit C.1 VAT", "Head of sector"),
    ("DG COMP, Unit C.6 Digital platforms", "Case handler"),
    ("DG COMP, Unit C.6 Digital platforms", "Head of unit"),
    ("Cabinet of the Executive Vice-President for Tech Sovereignty", "Member of cabinet"),
    ("Cabinet of the Commissioner for Culture", "Member of cabinet"),
]
PERM_REPS = ["DE", "FR", "IT", "ES", "PL", "NL", "SE", "BE"]
MINISTRIES = [
    ("AT", "Federal Ministry for Arts and Culture", "Head of copyright unit"),
    ("DK", "Ministry of Culture", "Special adviser, music"),
    ("IE", "Department of Culture", "Principal officer, arts"),
    ("FI", "Ministry of Education and Culture", "Senior adviser, copyright"),
    ("PT", "Ministry of Finance", "VAT policy adviser"),
    ("CZ", "Ministry of Culture", "Director, media and audiovisual"),
]
REGULATORS = [
    ("LU", "National competition authority", "Case officer, digital markets"),
    ("SK", "Digital services coordinator", "Head of platform supervision"),
]
JOURNALISTS = [  # (country, outlet, beat)
    ("BE", "Brussels Policy Daily", "EU tech and copyright"),
    ("BE", "EU Digital Wire", "Platforms and the DSA"),
    ("DE", "Musikmarkt Woche", "Music business"),
    ("FR", "La Lettre de la Musique", "Music industry and policy"),
    ("NL", "Muziek Nu", "Streaming economics"),
    ("IT", "Rivista Discografica", "Independent labels"),
    ("LT", "Baltic Culture Review", "Culture policy"),
    ("EE", "Nordic Tech Report", "Tech regulation and AI"),
]

MILESTONES = [
    (
        date(2014, 7, 16),
        "Fair Digital Deals Declaration launched",
        "Independent labels worldwide committed to clear, fair treatment of artists' digital "
        "income.",
        "artist-fairness",
    ),
    (
        date(2016, 9, 14),
        "Commission proposes the copyright directive",
        "The proposal recognised the value gap for the first time.",
        "value-gap",
    ),
    (
        date(2018, 6, 20),
        "Fair Digital Deals Declaration re-affirmed",
        "Signatories renewed their commitments four years on.",
        "artist-fairness",
    ),
    (
        date(2019, 4, 17),
        "Copyright directive adopted",
        "Article 17 makes upload platforms responsible for the music they host.",
        "copyright",
    ),
    (
        date(2019, 7, 1),
        "Music Declares Emergency launched",
        "The association backed the call for climate action from the first day.",
        "climate",
    ),
    (
        date(2020, 11, 5),
        "Access to finance study published",
        "A study of how independent music companies finance growth, with recommendations.",
        "access-to-finance",
    ),
    (
        date(2021, 6, 7),
        "Transposition deadline of the copyright directive",
        "National laws now had to apply the new rules; our members tracked them country by "
        "country.",
        "copyright",
    ),
    (
        date(2022, 4, 5),
        "Reduced VAT rates open to music",
        "The revised VAT rates rules let member states apply reduced rates to more cultural "
        "goods and services.",
        "vat-on-music",
    ),
    (
        date(2022, 10, 19),
        "Digital Services Act adopted",
        "Know-your-business-customer rules give rightholders a better grip on infringing sellers.",
        "value-gap",
    ),
    (
        date(2022, 9, 14),
        "Digital Markets Act adopted",
        "Gatekeepers must treat independent services fairly.",
        "competition",
    ),
    (
        date(2023, 5, 22),
        "Balkans capacity-building programme",
        "Workshops for independent companies in the Western Balkans.",
        "balkans",
    ),
    (
        date(2024, 1, 17),
        "Parliament report on music streaming adopted",
        "MEPs called for fair remuneration and for European music to be visible on streaming "
        "services.",
        "copyright",
    ),
    (
        date(2024, 3, 13),
        "AI Act adopted with transparency on training data",
        "General-purpose AI providers must respect opt-outs and publish what they trained on.",
        "copyright",
    ),
    (
        date(2025, 6, 12),
        "Independent music mapped in a new sector study",
        "Figures on jobs, releases and turnover of Europe's independent music companies.",
        "cultural-diversity",
    ),
    (
        date(2025, 11, 20),
        "Joint letter on VAT sent to finance ministers",
        "Member companies across Europe co-signed our call for reduced VAT on music.",
        "vat-on-music",
    ),
]

FDD_GOALS = (
    "Signatories commit to:\n"
    "- say plainly, in contracts and statements, how artists share in download and streaming "
    "income;\n"
    "- pass on to artists a fair, pro-rata share of digital income that cannot be tied to "
    "particular recordings;\n"
    "- press digital services for better usage and revenue data;\n"
    "- stand by artists who object to unauthorised uses of their music, publicly where needed;\n"
    "- back the sector's common positions.\n"
    "Goal: more European labels signing up, and the commitments kept."
)
MDE_GOALS = (
    "Signatories ask governments and media to be honest about the climate and ecological "
    "emergency, call for halting biodiversity loss and reaching net zero by 2030, recognise "
    "the injustice the crisis causes worldwide, and commit to cutting the music business's own "
    "footprint: sharing what works, speaking up and running greener companies.\n"
    "Goal: independent companies in every national chapter on board."
)
LETTER = (
    "Dear Ministers,\n\n"
    "Music is culture in every format. We, independent music companies from across Europe, ask "
    "you to use the room the VAT rates rules now give you and apply a reduced rate to music: "
    "records, downloads, streaming subscriptions and concerts alike.\n\n"
    "Most of Europe's new releases come from small and micro companies. A lower rate would "
    "reach them, their artists and their listeners directly.\n\n"
    "Yours sincerely,"
)

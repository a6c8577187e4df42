"""The public winners: verified awards only, filters, one award's page, its PDF certificate,
the Atom feed, and no server error whatever the query string."""

import io
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from crm.extensions import db
from tests import factories
from tests.awards_helpers import award, on

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def winners():
    north = factories.organisation("Northern Sky Records", country="SE")
    south = factories.organisation("Sirocco Music", country="ES")
    made = {
        "gold": award(
            north,
            artist="Ingrid & the Fjords",
            title="Glass Rivers",
            units={"SE": 60_000, "NO": 20_000},
            status="verified",
            decided_at=on(2023, 4, 2),
        ),
        "silver": award(
            south,
            artist="Sirocco",
            title="Summer Static",
            units={"ES": 25_000},
            status="verified",
            decided_at=on(2024, 11, 20),
        ),
        "diamond": award(
            south,
            artist="Nova Tides",
            title="Atlas",
            units={"ES": 150_000, "IT": 60_000},
            status="verified",
            decided_at=on(2024, 2, 1),
        ),
        "pending": award(north, artist="Hidden Artist", title="Not Yet", units={"SE": 30_000}),
        "asked": award(north, artist="Asked Artist", title="Waiting", status="info_requested"),
        "rejected": award(south, artist="Refused Artist", title="Nope", status="rejected"),
    }
    db.session.commit()
    return {name: r.id for name, r in made.items()}


def _page(client, query=""):
    response = client.get(f"/awards{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_list_shows_verified_awards_only(client, winners):
    page = _page(client)
    assert '<html lang="en">' in page
    assert "<h1>Sales Award winners</h1>" in page
    for title in ("Glass Rivers", "Summer Static", "Atlas"):
        assert title in page
    for title in ("Not Yet", "Waiting", "Nope"):
        assert title not in page
    assert '<th scope="col">Artist</th>' in page
    assert "Ingrid &amp; the Fjords" in page
    # Newest decision first.
    assert page.index("Summer Static") < page.index("Atlas") < page.index("Glass Rivers")


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("?year=2024", {"Summer Static", "Atlas"}, {"Glass Rivers"}),
        ("?year=2023", {"Glass Rivers"}, {"Summer Static", "Atlas"}),
        ("?level=Diamond", {"Atlas"}, {"Glass Rivers", "Summer Static"}),
        ("?level=Gold", {"Glass Rivers"}, {"Atlas", "Summer Static"}),
        ("?country=no", {"Glass Rivers"}, {"Atlas", "Summer Static"}),
        ("?country=ES", {"Atlas", "Summer Static"}, {"Glass Rivers"}),
        ("?label=sirocco", {"Atlas", "Summer Static"}, {"Glass Rivers"}),
        ("?label=NORTHERN+sky", {"Glass Rivers"}, {"Atlas", "Summer Static"}),
        ("?label=%25", set(), {"Atlas", "Summer Static", "Glass Rivers"}),
        ("?year=2024&country=IT&level=Diamond&label=music", {"Atlas"}, {"Summer Static"}),
        ("?year=nonsense&level=&country=Germany", {"Atlas", "Glass Rivers"}, set()),
        ("?year=0000&page=-1", {"Atlas", "Glass Rivers"}, set()),
        ("?year=9999&level=x" + "y" * 500, set(), {"Atlas"}),
        ("?year=" + "9" * 5000, {"Atlas", "Glass Rivers"}, set()),
    ],
)
def test_filters(client, winners, query, shown, hidden):
    page = _page(client, query)
    for title in shown:
        assert title in page, (query, title)
    for title in hidden:
        assert title not in page, (query, title)


def test_filter_choices_come_from_verified_awards(client, winners):
    page = _page(client)
    assert '<option value="2024">2024</option>' in page
    assert '<option value="Diamond">Diamond</option>' in page
    assert '<option value="NO">Norway</option>' in page
    assert "Hidden" not in page


def test_list_is_paginated(client):
    org = factories.organisation("Many Records")
    for n in range(30):
        award(org, title=f"Release {n:02d}", status="verified", decided_at=on(2024, 1, 1 + n))
    db.session.commit()
    first = _page(client)
    assert "30 awards" in first and "Release 29" in first and "Release 04" not in first
    second = _page(client, "?page=2")
    assert "Release 04" in second and "Release 29" not in second
    assert "No award matches." in _page(client, "?page=999")


def test_award_page_shows_the_award(client, winners):
    page = client.get(f"/awards/{winners['diamond']}").get_data(as_text=True)
    assert "<h1>Nova Tides – Atlas</h1>" in page
    for text in ("Sirocco Music", "Diamond", "1 February 2024", "Spain", "Italy", "210,000"):
        assert text in page
    assert f"/awards/{winners['diamond']}/certificate.pdf" in page


@pytest.mark.parametrize("name", ["pending", "asked", "rejected"])
def test_unverified_award_and_certificate_are_404(client, winners, name):
    assert client.get(f"/awards/{winners[name]}").status_code == 404
    assert client.get(f"/awards/{winners[name]}/certificate.pdf").status_code == 404


def test_missing_award_is_404(client):
    assert client.get("/awards/424242").status_code == 404
    assert client.get("/awards/424242/certificate.pdf").status_code == 404


def test_certificate_pdf_names_artist_release_label_level_and_date(client, winners):
    response = client.get(f"/awards/{winners['gold']}/certificate.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in (
        "Ingrid & the Fjords",
        "Glass Rivers",
        "Northern Sky Records",
        "Gold Sales Award",
        "2 April 2023",
        "for 75,000 units or more shipped across Europe",
    ):
        assert expected in text, (expected, text)
    assert "more than" not in text


def test_atom_feed_lists_verified_awards(client, winners):
    org = factories.organisation("<Angle> & Co")
    award(
        org,
        artist='A <b>bold</b> & "quoted"',
        title="T",
        status="verified",
        decided_at=on(2025, 1, 1),
    )
    db.session.commit()
    response = client.get("/awards/feed.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.data)  # noqa: S314 (our own response)
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{tag}").text
    assert root.find(f"{ATOM}updated").text.startswith("2025-01-01T12:00:00")
    entries = root.findall(f"{ATOM}entry")
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles == [
        'Gold: A <b>bold</b> & "quoted" – T',
        "Silver: Sirocco – Summer Static",
        "Diamond: Nova Tides – Atlas",
        "Gold: Ingrid & the Fjords – Glass Rivers",
    ]
    for entry in entries:
        assert entry.find(f"{ATOM}id").text.startswith("http")
        assert entry.find(f"{ATOM}updated").text
        link = entry.find(f"{ATOM}link").get("href")
        assert link == entry.find(f"{ATOM}id").text and "/awards/" in link
    assert b"<b>" not in response.data  # escaped, not markup


def test_empty_feed_is_valid(client):
    root = ET.fromstring(client.get("/awards/feed.atom").data)  # noqa: S314
    assert root.find(f"{ATOM}updated").text and root.findall(f"{ATOM}entry") == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(
        st.sampled_from(["year", "level", "country", "label", "page", "other"]),
        st.text(max_size=40),
        max_size=5,
    )
)
def test_no_server_error_on_garbage_query_strings(client, winners, args):
    response = client.get("/awards", query_string=args)
    if any("\x00" in value for value in args.values()):
        assert response.status_code == 400
    else:
        assert response.status_code == 200, args


def test_certificate_prints_central_european_and_greek_names(client):
    from crm.awards.certificates import BASE_FONTS, fonts

    if fonts() == BASE_FONTS:
        pytest.skip("DejaVu Sans is not installed: the base fonts print Western European only")
    org = factories.organisation("Wytwórnia Łódź", country="PL")
    registration = award(
        org, artist="Zespół Ωμέγα", title="Źródło", status="verified", decided_at=on(2024)
    )
    db.session.commit()
    response = client.get(f"/awards/{registration.id}/certificate.pdf")
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    for expected in ("Zespół Ωμέγα", "Źródło", "Wytwórnia Łódź", "15 June 2024"):
        assert expected in text, (expected, text)


def test_feed_stays_xml_with_control_characters_stored(client, winners):
    """Stored before the form refused them (or written by other means): \\x01 in a title and
    an artist must not make the feed unreadable for every subscriber."""
    org = factories.organisation("Control\x02 Records")
    award(
        org,
        artist="Bell\x07 Ringer",
        title="Glass\x01Rivers\x0b",
        status="verified",
        decided_at=on(2025, 2, 1),
    )
    db.session.commit()
    response = client.get("/awards/feed.atom")
    assert response.status_code == 200
    root = ET.fromstring(response.data)  # noqa: S314 (our own response)
    first = root.find(f"{ATOM}entry")
    assert first.find(f"{ATOM}title").text == "Gold: Bell Ringer – GlassRivers"
    assert "Control Records" in first.find(f"{ATOM}summary").text

"""Word lists and country facts for the demo data: all invented, except the national
associations' countries. Kept apart from demo.py so the logic there stays short."""

from dataclasses import dataclass

from crm.members.vocab import OrgKind, SmeSize

# Descriptive English names for the associations whose CSV row has none (invented, not official).
ASSOCIATION_NAMES = {
    "UPFI": "Independent phonographic producers of France",
    "SOM": "Swedish independent music companies",
    "FONO": "Norwegian independent record companies",
    "DUP": "Danish independent record labels",
    "IndieCo": "Finnish independent music companies",
    "BIMA": "Belgian independent music association",
    "STOMP": "Dutch independent music companies",
    "PMI": "Italian independent music producers",
    "UFI": "Spanish independent phonographic union",
    "HAIL": "Hungarian association of independent labels",
    "INDIERO": "Romanian independent music companies",
    "RUNDA": "Independent music companies of the former Yugoslav region and Albania",
    "VTMÖ": "Austrian independent music companies",
    "AMAEI": "Portuguese independent music association",
    "PIL": "Israeli independent labels",
}
# RUNDA is regional: companies in these countries join through it.
REGIONAL_ASSOCIATION = {
    "HR": "RUNDA",
    "SI": "RUNDA",
    "BA": "RUNDA",
    "ME": "RUNDA",
    "MK": "RUNDA",
    "AL": "RUNDA",
}

# code weight languages calling-code cities; weights are rough shares of the membership.
COUNTRY_TABLE = """
DE 18  de    49  Berlin|Hamburg|München|Köln|Leipzig|Frankfurt am Main|Stuttgart|Düsseldorf|Dresden
GB 16  en    44  London|Manchester|Bristol|Glasgow|Brighton|Leeds|Liverpool|Edinburgh|Cardiff
FR 13  fr    33  Paris|Lyon|Marseille|Bordeaux|Nantes|Lille|Toulouse|Rennes|Montpellier|Strasbourg
NL 6   nl    31  Amsterdam|Rotterdam|Utrecht|Den Haag|Eindhoven|Groningen|Nijmegen|Tilburg
SE 5   sv    46  Stockholm|Göteborg|Malmö|Uppsala|Umeå|Örebro
IT 5   it    39  Milano|Roma|Bologna|Torino|Napoli|Firenze
ES 5   es    34  Madrid|Barcelona|Valencia|Sevilla|Bilbao|Granada
BE 4   nl/fr 32  Brussels|Antwerpen|Gent|Liège|Leuven|Namur|Charleroi
DK 3.5 da    45  København|Aarhus|Odense|Aalborg
NO 3.5 no    47  Oslo|Bergen|Trondheim|Stavanger|Tromsø
FI 3   fi    358 Helsinki|Tampere|Turku|Oulu|Jyväskylä
AT 3   de    43  Wien|Graz|Linz|Salzburg|Innsbruck
CH 2.5 de/fr 41  Zürich|Basel|Bern|Genève|Lausanne|Luzern
PL 2.5 pl    48  Warszawa|Kraków|Wrocław|Gdańsk|Poznań|Łódź
IE 2   en    353 Dublin|Cork|Galway|Limerick
PT 1.5 pt    351 Lisboa|Porto|Coimbra|Braga
CZ 1.5 cs    420 Praha|Brno|Ostrava|Olomouc
HU 1.2 hu    36  Budapest|Debrecen|Szeged|Pécs
GR 1   el    30  Athens|Thessaloniki|Patras|Heraklion
RO 1   ro    40  București|Cluj-Napoca|Timișoara|Iași
IL 0.8 he    972 Tel Aviv|Jerusalem|Haifa
RS 0.8 sr    381 Beograd|Novi Sad|Niš
HR 0.7 sr    385 Zagreb|Split|Rijeka
SI 0.5 sr    386 Ljubljana|Maribor
SK 0.5 cs    421 Bratislava|Košice
IS 0.5 is    354 Reykjavík|Akureyri
BG 0.5 bg    359 Sofia|Plovdiv|Varna
EE 0.4 et    372 Tallinn|Tartu
LT 0.4 lt    370 Vilnius|Kaunas
UA 0.4 uk    380 Kyiv|Lviv|Odesa
LU 0.3 fr    352 Luxembourg|Esch-sur-Alzette
LV 0.3 lv    371 Rīga|Liepāja
BA 0.2 sr    387 Sarajevo|Banja Luka
"""
# Language codes stored on people where the word-list key is not the country's language.
PERSON_LANGUAGE = {"HR": "hr", "SI": "sl", "BA": "bs"}
VAT_PREFIX = {"GR": "EL"}
NON_EU = {"CH", "NO", "IS", "RS", "IL", "UA", "BA"}
POSTCODE = {
    "DE": "#####",
    "FR": "#####",
    "IT": "#####",
    "ES": "#####",
    "FI": "#####",
    "NL": "%### @@",
    "BE": "####",
    "AT": "####",
    "CH": "####",
    "DK": "####",
    "NO": "####",
    "SE": "### ##",
    "PT": "####-###",
    "PL": "##-###",
    "GB": "@# #@@",
    "CZ": "### ##",
    "HU": "####",
    "IE": "D## @#@#",
}


def _split(text: str, sep: str | None = None) -> list[str]:
    return text.split(sep)


def _table(text: str) -> dict[str, str]:
    """'key: value' lines; a line that starts with a space continues the one above."""
    rows: dict[str, str] = {}
    key = ""
    for line in text.strip("\n").splitlines():
        if line.startswith(" "):
            rows[key] += " " + line.strip()
        else:
            key, _, value = line.partition(":")
            rows[key] = value.strip()
    return rows


def _nested(rows: dict[str, str]) -> dict[str, dict[str, str]]:
    """{"de.pre": ...} -> {"de": {"pre": ...}}"""
    nested: dict[str, dict[str, str]] = {}
    for key, value in rows.items():
        outer, _, inner = key.partition(".")
        nested.setdefault(outer, {})[inner] = value
    return nested


# Given names / family names per language, "|" between names; an indented line continues the
# line above.
NAMES = _table("""
en: Oliver|Amelia|Jack|Olivia|Harry|Isla|George|Emily|Noah|Ava|Charlie|Sophie|Jacob|Grace|Thomas|
    Chloe|Liam|Ruby|Aoife|Sean
    / Smith|Jones|Taylor|Brown|Williams|Wilson|Evans|Thomas|Walsh|Murphy|Roberts|Walker|Wright|
    Robinson|Hughes|Green|Hall|Wood|Clarke|Kelly
de: Lukas|Anna|Jonas|Lena|Felix|Marie|Leon|Sophie|Paul|Laura|Maximilian|Julia|Tim|Hannah|Jan|
    Katharina|Moritz|Lea|Nils|Clara
    / Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Schulz|Hoffmann|Koch|Richter|
    Klein|Wolf|Schröder|Neumann|Schwarz|Zimmermann|Braun|Krüger
fr: Lucas|Camille|Hugo|Léa|Louis|Manon|Gabriel|Chloé|Arthur|Inès|Jules|Sarah|Nathan|Juliette|Théo|
    Zoé|Antoine|Margaux|Mathis|Élise
    / Martin|Bernard|Dubois|Thomas|Robert|Richard|Petit|Durand|Leroy|Moreau|Simon|Laurent|Lefèvre|
    Michel|Garcia|David|Bertrand|Roux|Vincent|Fournier
nl: Daan|Emma|Sem|Julia|Luuk|Sophie|Milan|Tess|Lars|Anna|Thijs|Fleur|Ruben|Lotte|Bram|Sanne|Jesse|
    Eva|Stijn|Noor
    / de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Janssens|Visser|Smit|Meijer|de Boer|
    Mulder|de Groot|Bos|Vos|Peeters|Hendriks|van Leeuwen|Dekker|Maes
sv: Erik|Anna|Lars|Maria|Karl|Sara|Johan|Emma|Oskar|Elin|Axel|Ida|Nils|Klara|Gustav|Maja|Viktor|
    Linnea|Hugo|Alva
    / Andersson|Johansson|Karlsson|Nilsson|Eriksson|Larsson|Olsson|Persson|Svensson|Gustafsson|
    Lindberg|Lindqvist|Berg|Holm|Sandberg|Lund|Ekström|Björk|Nyström|Forsberg
no: Ole|Ingrid|Lars|Kari|Jakob|Nora|Emil|Ingeborg|Henrik|Sigrid|Magnus|Astrid|Sander|Thea|Eirik|
    Maja|Tobias|Silje|Håkon|Marte
    / Hansen|Johansen|Olsen|Larsen|Andersen|Pedersen|Nilsen|Kristiansen|Jensen|Karlsen|Haugen|Berg|
    Dahl|Lund|Solberg|Bakke|Strand|Moen|Lie|Halvorsen
da: Mads|Sofie|Frederik|Ida|Mikkel|Freja|Rasmus|Anna|Emil|Laura|Magnus|Clara|Oliver|Emma|Christian|
    Mathilde|Jonas|Karen|Anders|Signe
    / Nielsen|Jensen|Hansen|Pedersen|Andersen|Christensen|Larsen|Sørensen|Rasmussen|Jørgensen|
    Petersen|Madsen|Kristensen|Olsen|Thomsen|Poulsen|Johansen|Møller|Mortensen|Holm
fi: Juha|Aino|Mikko|Helmi|Antti|Sofia|Jussi|Emma|Ville|Aada|Teemu|Venla|Lauri|Ella|Eero|Saara|Olli|
    Iida|Janne|Kaisa
    / Korhonen|Virtanen|Mäkinen|Nieminen|Mäkelä|Hämäläinen|Laine|Heikkinen|Koskinen|Järvinen|
    Lehtonen|Lehtinen|Saarinen|Salminen|Heinonen|Niemi|Kinnunen|Salonen|Turunen|Laitinen
it: Marco|Giulia|Luca|Francesca|Alessandro|Chiara|Matteo|Sara|Andrea|Martina|Davide|Elena|Simone|
    Alice|Federico|Valentina|Lorenzo|Silvia|Riccardo|Anna
    / Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino|Greco|Bruno|Gallo|Conti|
    De Luca|Costa|Giordano|Mancini|Rizzo|Lombardi|Moretti
es: Pablo|Lucía|Javier|María|Carlos|Laura|Daniel|Paula|Alejandro|Marta|Sergio|Elena|Miguel|Sara|
    Jorge|Carmen|Álvaro|Ana|Diego|Irene
    / García|Fernández|González|Rodríguez|López|Martínez|Sánchez|Pérez|Gómez|Martín|Jiménez|Ruiz|
    Hernández|Díaz|Moreno|Álvarez|Romero|Navarro|Torres|Domínguez
pt: João|Ana|Pedro|Maria|Tiago|Inês|Rui|Beatriz|Miguel|Sofia|André|Mariana|Diogo|Catarina|Nuno|
    Joana|Ricardo|Rita|Bruno|Marta
    / Silva|Santos|Ferreira|Pereira|Oliveira|Costa|Rodrigues|Martins|Sousa|Fernandes|Gonçalves|
    Gomes|Lopes|Marques|Alves|Almeida|Ribeiro|Pinto|Carvalho|Teixeira
pl: Jakub|Anna|Kacper|Zofia|Piotr|Katarzyna|Tomasz|Magdalena|Michał|Agnieszka|Paweł|Joanna|
    Krzysztof|Aleksandra|Marcin|Natalia|Wojciech|Maja|Łukasz|Ewa
    / Nowak|Kowalski|Wiśniewski|Wójcik|Kowalczyk|Kamiński|Lewandowski|Zieliński|Szymański|Woźniak|
    Dąbrowski|Kozłowski|Jankowski|Mazur|Kwiatkowski|Krawczyk|Piotrowski|Grabowski
cs: Jan|Tereza|Jakub|Eliška|Tomáš|Anna|Petr|Kateřina|Martin|Lucie|Ondřej|Barbora|Lukáš|Veronika|
    Vojtěch|Klára|David|Markéta|Filip|Zuzana
    / Novák|Svoboda|Novotný|Dvořák|Černý|Procházka|Kučera|Veselý|Horák|Němec|Marek|Pospíšil|
    Pokorný|Hájek|Král|Jelínek|Růžička|Beneš|Fiala|Sedláček
hu: Bence|Anna|Máté|Eszter|Dávid|Réka|Levente|Zsófia|Gergő|Dóra|Balázs|Petra|Ádám|Kata|Tamás|Lilla|
    Márton|Boglárka|Zoltán|Nóra
    / Nagy|Kovács|Tóth|Szabó|Horváth|Varga|Kiss|Molnár|Németh|Farkas|Balogh|Papp|Takács|Juhász|
    Lakatos|Mészáros|Oláh|Simon|Rácz|Fekete
el: Giorgos|Maria|Nikos|Eleni|Dimitris|Katerina|Kostas|Sofia|Yannis|Anna|Christos|Georgia|
    Panagiotis|Despina|Alexandros|Ioanna|Vasilis|Dimitra|Stavros|Christina
    / Papadopoulos|Papadakis|Georgiou|Nikolaidis|Karagiannis|Vlachos|Oikonomou|Antoniou|Dimitriou|
    Ioannou|Makris|Pappas|Konstantinidis|Alexiou|Lambrou|Christodoulou
ro: Andrei|Maria|Alexandru|Elena|Mihai|Ioana|Ștefan|Ana|Vlad|Andreea|Radu|Cristina|Bogdan|Irina|
    Tudor|Alina|Cosmin|Diana|Matei|Raluca
    / Popescu|Ionescu|Popa|Dumitru|Stan|Stoica|Gheorghe|Rusu|Munteanu|Matei|Constantin|Șerban|
    Moldovan|Marin|Lazăr|Dinu|Toma|Ene|Tudor|Preda
sr: Luka|Milica|Marko|Ana|Stefan|Jelena|Nikola|Ivana|Filip|Marija|Petar|Tamara|Aleksandar|Jovana|
    Nemanja|Sara|Dušan|Katarina|Vuk|Mila
    / Jovanović|Petrović|Nikolić|Marković|Đorđević|Stojanović|Ilić|Stanković|Pavlović|Milošević|
    Horvat|Kovačević|Babić|Marić|Novak|Jurić|Knežević|Vuković|Perić|Radić
is: Jón|Guðrún|Sigurður|Anna|Gunnar|Kristín|Ólafur|Sigríður|Einar|Helga|Magnús|Margrét|Stefán|Sara|
    Bjarni|Katrín
    / Jónsson|Sigurðsson|Guðmundsson|Gunnarsson|Ólafsson|Einarsson|Kristjánsson|Magnúsdóttir|
    Stefánsdóttir|Jónsdóttir|Björnsson|Árnason|Helgadóttir|Pálsson
et: Martin|Mari|Rasmus|Liis|Markus|Kadri|Kristjan|Triin|Karl|Kertu|Oliver|Laura|Mihkel|Siim
    / Tamm|Saar|Sepp|Mägi|Kask|Kukk|Rebane|Ilves|Pärn|Koppel|Lepik|Oja|Kuusk|Mets|Raud
lv: Jānis|Anna|Andris|Laura|Mārtiņš|Elīza|Roberts|Marta|Kārlis|Līga|Artūrs|Ieva|Edgars
    / Bērziņš|Kalniņš|Ozoliņš|Jansons|Liepiņš|Krūmiņš|Balodis|Eglītis|Zariņš|Pētersons
lt: Lukas|Emilija|Matas|Gabija|Jonas|Austėja|Dovydas|Ugnė|Mantas|Kamilė|Tomas|Ieva|Rūta
    / Kazlauskas|Jankauskas|Petrauskas|Stankevičius|Vasiliauskas|Žukauskas|Butkus|Paulauskas|
    Urbonas|Navickas|Ramanauskas
bg: Georgi|Maria|Ivan|Elena|Dimitar|Ivana|Nikolay|Desislava|Petar|Gergana|Aleksandar|Viktoria|
    Stoyan|Teodora
    / Ivanov|Georgiev|Dimitrov|Petrov|Nikolov|Hristov|Stoyanov|Todorov|Iliev|Vasilev|Atanasov|
    Angelov
he: Noam|Noa|Itai|Tamar|Yonatan|Maya|Omer|Shira|Daniel|Yael|Ariel|Michal|Eitan|Noga|Amit|Roni
    / Cohen|Levi|Mizrahi|Peretz|Biton|Dahan|Avraham|Friedman|Azoulay|Katz|Goldberg|Shapiro|
    Ben-David|Segal|Rosen
uk: Oleksandr|Olena|Andriy|Iryna|Dmytro|Kateryna|Maksym|Oksana|Serhiy|Yulia|Taras|Natalia|Bohdan|
    Sofiia
    / Shevchenko|Kovalenko|Bondarenko|Tkachenko|Kravchenko|Melnyk|Boyko|Koval|Oliynyk|Lysenko|
    Marchenko|Rudenko|Savchenko|Petrenko
""")

# English-style names, common all over Europe: "Gravel Road Recordings".
EN_ADJECTIVES = _split(
    "Gravel Velvet Hollow Silver Paper Northern Quiet Copper Burning Lunar Salt Wild Secret Broken "
    "Golden Stray Amber Tiny Electric Distant Crooked Static Midnight Glass Bright Iron Rusty "
    "Faded Open Lost Wooden Crimson Blue Heavy Slow Tidal Winter Hidden Little Restless Neon "
    "Analogue Feral Sunday Marble Cosmic Humble Lucky Second Black"
)
EN_NOUNS = _split(
    "Road Harbour Lantern Orchard Moth Fox River Signal Tape Needle Owl Garden Chapel Meadow "
    "Canyon "
    "Echo Engine Tower Wave Forest Heron Bridge Compass Atlas Ladder Mirror Island Cassette Kite "
    "Feather Anchor Harvest Valley Parade Circus Pylon Drum Hive Cloud Comet Sparrow Tide Marsh "
    "Lighthouse Attic Basement Raven Grove Wolf Pebble"
)
EN_PLURALS = {
    "Fox": "Foxes",
    "Echo": "Echoes",
    "Wolf": "Wolves",
    "Marsh": "Marshes",
    "Valley": "Valleys",
    "Compass": "Compasses",
    "Circus": "Circuses",
    "Atlas": "Atlases",
}
EN_PATTERNS = {
    OrgKind.LABEL: "{w} Records|{w} Recordings|{w} Music|{w} Sounds|{w} Audio|{w} Tapes",
    OrgKind.PUBLISHER: "{w} Publishing|{w} Songs|{w} Music Publishing",
    OrgKind.DISTRIBUTOR: "{w} Distribution|{w} Music Distribution|{w} Music Services",
    OrgKind.OTHER: "{w} Management|{w} Studios|{w} Mastering|{w} Agency|{w} Media|{w} Live|"
    "{city} Music Collective",
}

# Local names: compounds (pre + post, "Nord" + "licht") or plain words, then patterns per kind;
# a "legal" form is appended now and then. Kinds without patterns get English-style names.
LOCAL = _nested(
    _table("""
de.pre: Nord Stern Wald Blau Kiez Fern Zug Morgen Nacht See Eis Funk Hafen Sonnen Klang Grün Strand
    Feuer Donner Traum Nebel Tanz Fuchs Wolken Himmel Silber Wind Regen Schnee Sommer Mond Berg
    Fluss Kupfer Rausch Flieder Linden Stahl Kranich Elster
de.post: licht klang werk welle falter vogel turm bau wasser feld garten haus ton puls zeit blick
    land schall spiel laut
de.label: {w} Tonträger|{w} Schallplatten|{w} Musik|{w} Records|{w} Platten
de.publisher: Edition {w}|{w} Musikverlag|{w} Verlag
de.distributor: {w} Vertrieb|{w} Musikvertrieb
de.other: {w} Konzerte|Kulturbüro {w}|{w} Tonstudio|{w} Management
de.legal: GmbH UG
nl.pre: Noord Zee Storm Wind Maan Zon Duin Polder Tulp Molen Vos Ster Regen Nacht Dijk Zilver Koper
    Wolk Golf Haven
nl.post: licht geluid werk huis klank veld tuin toren vogel lied
nl.label: {w} Platen|{w} Records|{w} Muziek|{w} Geluid
nl.publisher: Uitgeverij {w}|{w} Muziekuitgeverij
nl.distributor: {w} Distributie
nl.other: {w} Producties|{w} Studio
nl.legal: BV
sv.pre: Norr Stjärn Skogs Sjö Is Vind Måne Sol Regn Snö Björk Älg Hav Fjäll Natt Silver Koppar Berg
    Ljus Storm
sv.post: ljud skiva klang våg fågel stig hus gård ljus ton
sv.label: {w} Skivor|{w} Records|{w} Musik
sv.publisher: {w} Förlag|{w} Musikförlag
sv.distributor: {w} Distribution
sv.other: {w} Produktion|{w} Studio
sv.legal: AB
no.pre: Nord Fjord Fjell Sjø Vind Måne Sol Regn Snø Bjørk Elg Hav Natt Sølv Lys Skog Storm Is Bre
    Foss
no.post: lyd lys plate klang bølge fugl sti hus gård tone
no.label: {w} Plater|{w} Records|{w} Musikk
no.publisher: {w} Forlag|{w} Musikkforlag
no.distributor: {w} Distribusjon
no.other: {w} Produksjon|{w} Studio
no.legal: AS
da.pre: Nord Fjord Skov Sø Vind Måne Sol Regn Sne Birke Hav Nat Sølv Lys Storm Strand Mose Klit Ege
    Lyng
da.post: lyd lys plade klang bølge fugl sti hus gård tone
da.label: {w} Plader|{w} Records|{w} Musik
da.publisher: {w} Forlag|{w} Musikforlag
da.distributor: {w} Distribution
da.other: {w} Produktion|{w} Studie
da.legal: ApS
fi.words: Revontuli Kuutamo Metsä Järvi Tähti Lumi Sade Tuuli Kallio Koivu Karhu Susi Kettu Aalto
    Saari Sumu Pakkanen Helmi Kaiku Hämärä Ukkonen Aurinko Virta
fi.label: {w} Levyt|{w} Records|{w} Musiikki|{w} Äänite
fi.publisher: {w} Kustannus
fi.distributor: {w} Jakelu
fi.other: {w} Tuotanto|{w} Studio
fi.legal: Oy
fr.words: Lumière Hirondelle Lune Marée Brume Ciel Plage Orage Soleil Vague Neige Renard Colombe
    Boussole Phare Comète Galet Rivage Aube Crépuscule Jardin Grenier Sillon Écho Chouette Mistral
    Sirocco Rossignol Papillon Vinyle Silence Velours Azur Minuit Lavande Fanfare Tempête Horizon
    Mirage Luciole
fr.label: Disques {w}|{w} Records|{w} Musique|Label {w}|Disques {w}
fr.publisher: Éditions {w}|Éditions Musicales {w}
fr.distributor: {w} Distribution|{w} Diffusion
fr.other: {w} Productions|{w} Spectacles|Studio {w}
fr.legal: SARL SAS
it.words: Lucciola Tramonto Orizzonte Vespa Girasole Lanterna Maestrale Scirocco Aurora Rondine
    Cometa Corallo Ginestra Nebbia Marea Fenice Vulcano Zefiro Basilico Faro Civetta Tempesta Lampo
    Riviera
it.label: Dischi {w}|{w} Records|{w} Dischi|{w} Musica
it.publisher: Edizioni Musicali {w}|Edizioni {w}
it.distributor: {w} Distribuzione
it.other: {w} Produzioni|Studio {w}|{w} Concerti
it.legal: srl
es.words: Luciérnaga Marea Relámpago Colibrí Girasol Faro Brisa Tormenta Cometa Sirena Golondrina
    Alba Desierto Volcán Naranja Lince Niebla Ola Pulpo Cardo Mistral Aurora Lechuza Verbena
es.label: Discos {w}|{w} Records|{w} Música|Sello {w}
es.publisher: Ediciones {w}
es.distributor: Distribuciones {w}|{w} Distribución
es.other: {w} Producciones|Estudio {w}
es.legal: SL
pt.words: Saudade Maré Andorinha Farol Girassol Trovão Brisa Cometa Sereia Aurora Cigarra Luar
    Nevoeiro Coral Lince Pinhal Alfama Fado Gaivota Tempestade
pt.label: Discos {w}|{w} Records|{w} Música
pt.publisher: Edições {w}
pt.distributor: {w} Distribuição
pt.other: {w} Produções|Estúdio {w}
pt.legal: Lda
pl.words: Jaskółka Burza Zorza Świt Wiatr Mgła Bursztyn Kometa Sowa Lis Wilk Fala Echo Dym Iskra
    Płomień Sosna Brzoza Kruk Zmierzch
pl.label: {w} Records|Wytwórnia {w}|{w} Muzyka
pl.publisher: Wydawnictwo {w}
pl.distributor: {w} Dystrybucja
pl.other: {w} Produkcja|Studio {w}
cs.words: Vlaštovka Bouře Svítání Vítr Mlha Kometa Sova Liška Vlk Vlna Ozvěna Jiskra Plamen
    Borovice Bříza Havran Soumrak Měsíc Řeka Kapka
cs.label: {w} Records|Vydavatelství {w}|{w} Hudba
cs.publisher: Nakladatelství {w}
cs.distributor: {w} Distribuce
cs.other: {w} Produkce|Studio {w}
hu.words: Fecske Vihar Hajnal Szél Köd Üstökös Bagoly Róka Farkas Hullám Visszhang Szikra Láng
    Fenyő Nyírfa Holló Alkony Hold Folyó Csepp
hu.label: {w} Records|{w} Hanglemez|{w} Zene
hu.publisher: {w} Kiadó
hu.distributor: {w} Terjesztés
hu.other: {w} Produkció|{w} Stúdió
hu.legal: Kft
el.words: Meltemi Galini Thalassa Asteri Fengari Kyma Anemos Pelagos Aigaio Vrochi Dafni Lyra Iris
    Orizontas Kalokairi Ilios Nefeli Elia Ammos Astrapi
el.label: {w} Records|{w} Music|{w} Sounds
el.other: {w} Productions
ro.words: Rândunica Furtuna Zori Vânt Ceața Cometa Bufnița Vulpea Lupul Val Ecou Scânteie Flacăra
    Brad Mesteacăn Corb Amurg Luna Izvor Picătura
ro.label: {w} Records|Casa de Discuri {w}|{w} Muzică
ro.publisher: Editura {w}
ro.other: {w} Producții|Studio {w}
sr.words: Lasta Oluja Zora Vetar Magla Kometa Sova Lisica Vuk Talas Eho Iskra Plamen Bor Breza
    Gavran Sumrak Mesec Reka Kap
sr.label: {w} Records|{w} Muzika|{w} Ploče
sr.publisher: Izdavačka kuća {w}
sr.other: {w} Produkcija|Studio {w}
is.words: Norðurljós Jökull Hraun Eldfjall Lundi Hrafn Fjörður Vindur Snjór Sólskin Tunglið Foss
    Mosi Hekla Alda Brim
is.label: {w} Records|{w} Útgáfa|{w} Tónlist
et.words: Virmalised Tuul Meri Kuu Päike Udu Rebane Hunt Laine Kaja Säde Mänd Kask Hämarik Jõgi
et.label: {w} Records|{w} Muusika|{w} Plaadid
lv.words: Ziemeļblāzma Vējš Jūra Mēness Saule Migla Lapsa Vilks Vilnis Atbalss Dzirkstele Priede
    Bērzs Krauklis Krēsla Upe
lv.label: {w} Records|{w} Mūzika|Izdevniecība {w}
lt.words: Pašvaistė Vėjas Jūra Mėnulis Saulė Rūkas Lapė Vilkas Banga Aidas Kibirkštis Pušis Beržas
    Varnas Sutema Upė
lt.label: {w} Records|{w} Muzika|{w} Leidyba
bg.words: Lastovitsa Burya Zora Vyatar Mygla Kometa Bukhal Lisitsa Valk Valna Ekho Iskra Plamak Bor
    Breza Garvan Zdrach Luna Reka Kapka
bg.label: {w} Records|{w} Muzika|{w} Sound
he.words: Shemesh Yareach Galim Ruach Kochav Midbar Tapuz Zamir Dror Ofek Sufa Shachar Gefen Tamar
    Hadas Ilan Anan Sela
he.label: {w} Records|{w} Music|{w} Sounds
he.other: {w} Productions
uk.words: Lastivka Burya Zorya Viter Tuman Kometa Sova Lysytsia Vovk Khvylia Iskra Sosna Bereza
    Voron Sutinky Misiats Richka Kalyna Stepy
uk.label: {w} Records|{w} Muzyka|{w} Sound
""")
)
# How often a company in a language area picks an English-style name.
ENGLISH_SHARE = {"de": 0.45, "fr": 0.35, "it": 0.35, "es": 0.35, "pt": 0.35}
STREETS = {
    "en": (
        "{n} High Street|{n} Station Road|{n} Church Lane|{n} Mill Road|{n} Victoria Street|"
        "{n} Canal Street|{n} King Street|Unit {n}, Riverside Works"
    ),
    "de": "Hauptstraße {n}|Bahnhofstraße {n}|Gartenweg {n}|Schillerstraße {n}|Lindenallee {n}|"
    "Kastanienallee {n}|Hafenstraße {n}|Am Markt {n}",
    "fr": "{n} rue des Lilas|{n} avenue Jean Jaurès|{n} boulevard Voltaire|{n} rue du Port|"
    "{n} rue Oberkampf|{n} place du Marché",
    "nl": "Kerkstraat {n}|Molenweg {n}|Dorpsstraat {n}|Havenstraat {n}|Stationsweg {n}",
    "it": "Via Roma {n}|Via Garibaldi {n}|Via Mazzini {n}|Corso Italia {n}|Via Verdi {n}",
    "es": "Calle Mayor {n}|Calle del Sol {n}|Calle Real {n}|Plaza Mayor {n}|Calle de Alcalá {n}",
    "sv": "Storgatan {n}|Drottninggatan {n}|Kungsgatan {n}|Hamngatan {n}",
}
JOB_TITLES = _split(
    "Managing Director|Founder|Label Manager|Head of A&R|Head of Digital|"
    "Licensing Manager|Owner|Label Assistant|Head of Marketing|Finance Manager|"
    "Rights Manager|Production Manager",
    "|",
)
ORG_MAILBOXES = ("info", "hello", "contact", "office", "mail", "label")
KIND_WEIGHTS = {
    OrgKind.LABEL: 70,
    OrgKind.ARTIST: 12,
    OrgKind.DISTRIBUTOR: 7,
    OrgKind.PUBLISHER: 7,
    OrgKind.OTHER: 4,
}
SIZE_WEIGHTS = {SmeSize.MICRO: 76, SmeSize.SMALL: 20, SmeSize.MEDIUM: 4}
# The share of member companies per status; "none" are contacts that never joined.
STATUS_WEIGHTS = {"active": 74, "grace": 5, "pending": 4, "lapsed": 9, "resigned": 5, "none": 3}
VIA_ASSOCIATION_SHARE = 0.85
HISTORY_SHARE = 0.03


@dataclass(frozen=True)
class Country:
    code: str
    weight: float
    languages: tuple[str, ...]
    calling_code: str
    cities: tuple[str, ...]


COUNTRIES = {
    row[0]: Country(
        row[0], float(row[1]), tuple(row[2].split("/")), row[3], tuple(row[4].split("|"))
    )
    for row in (line.split(maxsplit=4) for line in COUNTRY_TABLE.strip().splitlines())
}

"""The planted trafficking patterns and the shelter hub.

Each pattern spreads its fragments over several partners, as the chain process describes ("the
municipality sees 14 people registered at one address, the labour inspectorate sees underpayment
at a company, the police see a man who keeps bringing different women ..."): no partner alone
sees the pattern, but after normalisation the fragments share identifiers across partners.

* :func:`labour` (a): an overcrowded house (BRP registrations with the same companion, a housing
  inspection, the housing association's overcrowding and subletting report), an employer that
  underpays the same people (labour inspectorate) and a police control of their van;
* :func:`loverboy` (b): a minor recruited by a loverboy (police intake, care coordinator
  registration with the minor flag and consent, sometimes an OM case under embargo);
* :func:`sex_business` (c): an unlicensed sex business with frequently changing advertisements
  (municipal licence checks, police control and internet monitoring with phone and URLs);
* :func:`criminal` (d): criminal exploitation of a youngster (two police incidents, OM case, care)
  or forced begging (BRP registrations with a companion, police controls, care), alternately;
* :func:`shelter` : the hub, a shelter address where many unrelated people are registered or
  staying; it must not make them one pattern.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from gateway.demo_data.identities import Person, Place
from gateway.demo_data.region import PatternTruth, Region
from gateway.demo_data.writers import Worker


def _address_link(place: Place) -> tuple[str, str]:
    return ("adres", f"{place.postcode}|{place.number}|{place.addition}")


def _embargo(region: Region, day: date) -> date:
    return day + timedelta(days=region.rng.randint(120, 300))


def labour(region: Region, number: int) -> PatternTruth:
    """(a) Labour exploitation: house, employer, inspectorate, police, housing association."""
    rng, world = region.rng, region.world
    pattern = PatternTruth(
        id=f"arbeid-{number}", kind="arbeidsuitbuiting", form="arbeidsuitbuiting"
    )
    code = region.municipality()
    gemeente = region.gemeente(code)
    house = world.place(code)
    origin = rng.choice(("pl", "ro", "bg", "ua"))
    employer = world.company(
        rng.choice(("logistiek", "kwekerij", "vlees", "uitzend", "schoonmaak"))
    )
    boss = world.person(
        origin=rng.choice((origin, "nl")),
        female=False,
        born_from=date(1968, 1, 1),
        born_to=date(1993, 12, 31),
    )
    workers = [
        world.person(origin=origin, born_from=date(1976, 1, 1), born_to=date(2004, 12, 31))
        for _ in range(rng.randint(8, 13))
    ]
    van = world.kenteken()
    start = region.day(room=170)

    # The BRP desk: one after another registered on the house, mostly brought by the same man.
    day = start
    for index, worker in enumerate(workers):
        day = region.day(after=day, within=6)
        registered = index + 1
        if registered < 4:
            continue  # the desk starts noticing from the fourth registration on
        brought = rng.random() < 0.75
        text = None
        if brought and index == 5:
            text = (
                f"{boss.first_name} kwam opnieuw mee als tolk en had de huurovereenkomst van "
                f"{house.street} {house.number}{house.addition} bij zich."
            )
        ref = gemeente.brp(
            day,
            worker,
            house,
            registered=registered,
            companion=boss if brought else None,
            companion_seen=brought and index >= 4,
            employer=employer if rng.random() < 0.6 else None,
            phone=rng.random() < 0.3,
            form="arbeidsuitbuiting" if index == len(workers) - 1 else "",
            text=text,
        )
        pattern.records.append((gemeente.party, ref))

    # Toezicht & handhaving visits the house.
    inspected = region.day(after=day, within=25)
    ref = gemeente.housing_inspection(
        inspected,
        house,
        found=len(workers) + rng.randint(0, 2),
        allowed=rng.choice((3, 4, 5)),
        defects=True,
        resident=boss if rng.random() < 0.5 else None,
        certainty="aannemelijk",
        text=(
            f"Matrassen in alle kamers, {len(workers)} werkschoenen in de gang, rooster van "
            f"{employer.name} op de koelkast."
        ),
    )
    pattern.records.append((gemeente.party, ref))

    # The housing association: overcrowded and sublet, rent paid from the company's account.
    ref = region.woningcorporatie.report(
        region.day(after=start, within=60),
        house,
        kind="Overbewoning en onderverhuur",
        estimated=len(workers),
        allowed=rng.choice((3, 4)),
        tenant=boss,
        iban=employer.iban,
        payer_differs=True,
        phone=True,
        visited=rng.random() < 0.5,
        unit=f"VHE-{rng.randint(100_000, 399_999)}",
        text="Buren melden busjes die dagelijks om 05.30 uur veel mannen ophalen.",
    )
    pattern.records.append((region.woningcorporatie.party, ref))

    # The labour inspectorate finds the same people underpaid at the employer.
    seen = rng.sample(workers, k=max(4, len(workers) // 2 + 1))
    found_day = region.day(after=start, within=90)
    rows = [
        Worker(
            person,
            wage=Decimal(rng.choice(("7.50", "8.10", "8.75", "9.00", "9.60", "10.25"))),
            hours=rng.randint(55, 72),
            housed_at=house,
            codes=tuple(
                rng.sample(("WML", "HUUR", "VERV", "SCHULD", "LOON", "ID"), k=rng.randint(1, 3))
            ),
        )
        for person in seen
    ]
    refs = region.arbeidsinspectie.inspection(
        found_day,
        employer,
        rows,
        assessment=rng.choice(("uitbuiting", "ernstige benadeling")),
        text=(
            f"Werknemers verklaren dat {boss.first_name} het loon contant uitbetaalt na aftrek "
            f"van huur en vervoer."
        ),
    )
    pattern.records.extend((region.arbeidsinspectie.party, ref) for ref in refs)

    # A police control of the van at dawn.
    passengers = rng.sample(seen, k=2)
    ref = region.politie.registration(
        "controle",
        region.moment(region.day(after=start, within=120), night=True),
        house.municipality,
        "arbeidsuitbuiting",
        indicators=["VERV-GEZAMENLIJK-VERVOER"],
        persons=[
            ("verdachte", boss, None, True),
            *(("betrokkene", p, house, False) for p in passengers),
        ],
        vehicles=[van],
        text=(
            f"Bestelbus met {len(workers) - 2} personen in de laadruimte; bestuurder zegt dat hij "
            f"ze naar {employer.name} brengt."
        ),
    )
    pattern.records.append((region.politie.party, ref))

    # The tax authority sees many tax-number applications on the same address.
    if rng.random() < 0.6:
        bd = region.belastingdienst
        when = region.moment(region.day(after=start, within=60))
        ref = bd.signal(
            f"BD-{when.year}-{bd.next_number():06d}",
            when,
            house.municipality,
            form="arbeidsuitbuiting",
            indicators=["IDENT-MEERDERE-INSCHRIJVINGEN"],
            data_classes=["fiscaal"],
            certainty="vermoeden",
            subjects=[
                bd.place("verblijfplaats", house),
                bd.thing("kvk", "werkgever", employer.kvk),
                bd.thing("iban", "rekening", employer.iban),
            ],
            details={
                "toelichting": f"{len(workers)} aanvragen loonheffingennummer op één woonadres."
            },
        )
        pattern.records.append((bd.party, ref))

    pattern.links = [_address_link(house), ("kvk", employer.kvk), ("kenteken", van)]
    pattern.links += [("bsn", p.bsn) for p in seen]
    return pattern


def loverboy(region: Region, number: int) -> PatternTruth:
    """(b) A minor recruited by a loverboy: police intake, care registration, sometimes the OM."""
    rng, world = region.rng, region.world
    pattern = PatternTruth(id=f"loverboy-{number}", kind="loverboy", form="seksuele_uitbuiting")
    code = region.municipality()
    start = region.day(room=60)
    victim = world.minor(
        start, female=rng.random() < 0.85, origin=rng.choice(("nl", "nl", "nl", "ma", "tr", "ng"))
    )
    home = world.place(code)
    lover = world.person(
        origin=rng.choice(("nl", "nl", "ma", "tr")),
        female=False,
        born_from=date(1997, 1, 1),
        born_to=date(2005, 6, 30),
        bsn=rng.random() < 0.5,
    )
    advert = world.advert(rng.choice(("kinky-demo", "rode-lampen", "escort-demo")))
    embargo = _embargo(region, start) if number % 2 == 0 else None

    ref = region.politie.registration(
        "intake",
        region.moment(start),
        code,
        "seksuele_uitbuiting",
        indicators=["WERV-LOVERBOY", "SEKS-MINDERJARIG"],
        certainty="aannemelijk",
        minor=True,
        embargo=embargo,
        protected=True,
        persons=[("slachtoffer", victim, home, True), ("verdachte", lover, None, True)],
        adverts=[(advert, lover.mobile)],
        text=(
            f"{victim.first_name} vertelt dat {lover.first_name} haar vriend is, klanten "
            "regelt via een advertentie en het geld houdt. Zij heeft hem ontmoet via sociale media."
        ),
    )
    pattern.records.append((region.politie.party, ref))

    at_shelter = number % 3 == 0
    ref = region.zorg.registration(
        region.day(after=start, within=14),
        victim,
        municipality=code,
        form="Seksuele uitbuiting",
        signals=[
            "loverboy",
            "minderjarig in prostitutie",
            *(["afdracht verdiensten"] if rng.random() < 0.6 else []),
        ],
        consent="nee" if number % 4 == 1 else "ja",
        minor=True,
        stay=region.hub.address if at_shelter else home,
        phone=True,
        medical=rng.random() < 0.6,
        referrer=rng.choice(("politie", "school", "Veilig Thuis", "jeugdbescherming")),
        text=(
            f"{victim.first_name} is bang voor {lover.first_name}; plaatsing in beschermde opvang "
            f"besproken."
        ),
    )
    pattern.records.append((region.zorg.party, ref))
    if at_shelter:
        region.hub.records.append((region.zorg.party, ref, pattern.id))

    if rng.random() < 0.5:
        om = region.om
        when = region.moment(region.day(after=start, within=30))
        parket = f"10/{om.next_number() + 100_000:06d}-{when.year % 100:02d}"
        ref = om.signal(
            f"OM-{parket.replace('/', '-')}",
            when,
            code,
            form="seksuele_uitbuiting",
            indicators=["WERV-LOVERBOY", "SEKS-MINDERJARIG"],
            data_classes=["strafrechtelijk"],
            certainty="aannemelijk",
            minor=True,
            embargo_until=embargo or _embargo(region, when.date()),
            subjects=[
                *om.person("persoon", "verdachte", lover),
                om.thing("telefoon", "contactmiddel", lover.mobile),
                *om.person("bsn", "slachtoffer", victim),
            ],
            details={"parketnummer": parket, "feit": "art. 273f Sr"},
        )
        pattern.records.append((om.party, ref))

    if rng.random() < 0.5:
        ref = region.politie.registration(
            "incident",
            region.moment(region.day(after=start, within=40), night=True),
            code,
            "seksuele_uitbuiting",
            indicators=["SEKS-ADVERTENTIE-FREQUENT", "SEKS-MINDERJARIG"],
            minor=True,
            embargo=embargo,
            protected=True,
            adverts=[(advert, lover.mobile), (world.advert("kinky-demo"), lover.mobile)],
            text=(
                "Internetmonitoring: nieuwe advertenties met hetzelfde telefoonnummer, foto's "
                "van een jong meisje."
            ),
        )
        pattern.records.append((region.politie.party, ref))

    pattern.links = [("bsn", victim.bsn), ("telefoon", lover.mobile), ("url", advert)]
    return pattern


def sex_business(region: Region, number: int) -> PatternTruth:
    """(c) An unlicensed sex business with frequent advertisements."""
    rng, world = region.rng, region.world
    pattern = PatternTruth(
        id=f"seksbedrijf-{number}", kind="onvergunde_seksinrichting", form="seksuele_uitbuiting"
    )
    code = region.municipality()
    gemeente = region.gemeente(code)
    premises = world.place(code)
    operator = world.company("massage", site=premises)
    owner = world.person(born_from=date(1965, 1, 1), born_to=date(1990, 12, 31))
    phone = world.mobile()
    urls = [
        world.advert(rng.choice(("rode-lampen", "escort-demo", "kinky-demo")))
        for _ in range(rng.randint(3, 6))
    ]
    women = [
        world.person(
            female=True,
            origin=rng.choice(("ro", "bg", "ng", "ua", "vn", "pl")),
            born_from=date(1990, 1, 1),
            born_to=date(2005, 12, 31),
        )
        for _ in range(rng.randint(2, 4))
    ]
    start = region.day(room=90)

    for index, woman in enumerate(women):
        ref = gemeente.licence_check(
            start,
            premises,
            licence="geen",
            operator=operator,
            worker=woman,
            phone=phone,
            url=urls[index % len(urls)],
            certainty="vastgesteld",
            text=(
                f"{len(women)} vrouwen aangetroffen in {operator.name}, geen "
                "exploitatievergunning; advertenties wisselen wekelijks van naam."
            )
            if index == 0
            else None,
        )
        pattern.records.append((gemeente.party, ref))

    ref = region.politie.registration(
        "controle",
        region.moment(region.day(after=start, within=30), night=True),
        code,
        "seksuele_uitbuiting",
        indicators=[
            "SEKS-ADVERTENTIE-FREQUENT",
            "SEKS-ONVERGUNDE-EXPLOITATIE",
            "SEKS-AFDRACHT-VERDIENSTEN",
        ],
        certainty="aannemelijk",
        persons=[
            ("verdachte", owner, None, True),
            *(
                (("slachtoffer" if i == 0 else "betrokkene"), w, None, False)
                for i, w in enumerate(women)
            ),
        ],
        locations=[("pleeglocatie", premises)],
        companies=[(operator, "exploitant")],
        adverts=[(url, phone if i == 0 else "") for i, url in enumerate(urls)],
        text=(
            f"Controle prostitutie bij {operator.name}: vrouwen moeten de helft van hun "
            f"verdiensten afdragen aan de eigenaar."
        ),
    )
    pattern.records.append((region.politie.party, ref))

    ref = region.politie.registration(
        "incident",
        region.moment(region.day(after=start, within=60)),
        code,
        "seksuele_uitbuiting",
        indicators=["SEKS-ADVERTENTIE-FREQUENT"],
        adverts=[(url, phone) for url in urls[:3]],
        text=(
            "Internetmonitoring: steeds dezelfde telefoon bij advertenties met wisselende namen "
            "en foto's."
        ),
    )
    pattern.records.append((region.politie.party, ref))

    if rng.random() < 0.5:
        ref = region.zorg.registration(
            region.day(after=start, within=45),
            women[0],
            municipality=code,
            form="Seksuele uitbuiting",
            signals=[
                "afdracht verdiensten",
                "begeleide inreis",
                *(["documenten ingenomen"] if rng.random() < 0.5 else []),
            ],
            consent="ja",
            phone=True,
            referrer="politie",
            text="Cliënte verklaart dat haar paspoort bij de eigenaar van de salon ligt.",
        )
        pattern.records.append((region.zorg.party, ref))

    pattern.links = [
        _address_link(premises),
        ("kvk", operator.kvk),
        ("telefoon", phone),
        *(("url", u) for u in urls),
    ]
    return pattern


def criminal(region: Region, number: int) -> PatternTruth:
    """(d) Criminal exploitation (even numbers) or forced begging (odd numbers)."""
    return _begging(region, number) if number % 2 else _criminal(region, number)


def _criminal(region: Region, number: int) -> PatternTruth:
    rng, world = region.rng, region.world
    pattern = PatternTruth(
        id=f"crimineel-{number}", kind="criminele_uitbuiting", form="criminele_uitbuiting"
    )
    code = region.municipality()
    start = region.day(room=100)
    youngster = world.person(
        origin=rng.choice(("nl", "ma", "ro", "nl")),
        female=False,
        born_from=date(start.year - 19, 1, 1),
        born_to=date(start.year - 16, 1, 1),
    )
    boss = world.person(female=False, born_from=date(1984, 1, 1), born_to=date(2000, 12, 31))
    car = world.kenteken()
    home = world.place(code)
    minor = youngster.age_on(start) < 18

    ref = region.politie.registration(
        "incident",
        region.moment(start),
        code,
        "criminele_uitbuiting",
        indicators=["CRIM-GEDWONGEN-CRIMINALITEIT"],
        persons=[("verdachte", youngster, home, True), ("verdachte", boss, None, True)],
        vehicles=[car],
        text=(
            f"Winkeldiefstal; {youngster.first_name} zegt dat hij een schuld moet afbetalen aan "
            f"de man die hem ophaalt."
        ),
    )
    pattern.records.append((region.politie.party, ref))
    later = region.day(after=start, within=50)
    ref = region.politie.registration(
        "incident",
        region.moment(later, night=True),
        code,
        "criminele_uitbuiting",
        indicators=["CRIM-GEDWONGEN-CRIMINALITEIT"],
        persons=[("verdachte", youngster, home, False)],
        vehicles=[car],
        text=(
            "Aangehouden als drugskoerier; afgezet door dezelfde auto als bij de vorige aanhouding."
        ),
    )
    pattern.records.append((region.politie.party, ref))

    om = region.om
    when = region.moment(region.day(after=later, within=30))
    parket = f"10/{om.next_number() + 200_000:06d}-{when.year % 100:02d}"
    ref = om.signal(
        f"OM-{parket.replace('/', '-')}",
        when,
        code,
        form="criminele_uitbuiting",
        indicators=["CRIM-GEDWONGEN-CRIMINALITEIT"],
        data_classes=["strafrechtelijk"],
        certainty="aannemelijk",
        minor=minor,
        embargo_until=_embargo(region, when.date()),
        subjects=[
            *om.person("persoon", "verdachte", boss),
            om.thing("telefoon", "contactmiddel", boss.mobile),
            om.thing("kenteken", "voertuig", car.replace("-", "")),
            *om.person("bsn", "slachtoffer", youngster),
        ],
        details={"parketnummer": parket},
    )
    pattern.records.append((om.party, ref))

    ref = region.zorg.registration(
        region.day(after=later, within=20),
        youngster,
        municipality=code,
        form="Criminele uitbuiting",
        signals=["gedwongen criminaliteit", "schuld"],
        consent="ja",
        minor=minor,
        stay=home,
        referrer="jeugdbescherming" if minor else "reclassering",
        text=(
            f"{youngster.first_name} durft niet naar huis; er wordt gedreigd zijn familie iets "
            f"aan te doen."
        ),
    )
    pattern.records.append((region.zorg.party, ref))
    pattern.links = [("bsn", youngster.bsn), ("telefoon", boss.mobile), ("kenteken", car)]
    return pattern


def _begging(region: Region, number: int) -> PatternTruth:
    rng, world = region.rng, region.world
    pattern = PatternTruth(
        id=f"bedelarij-{number}", kind="gedwongen_bedelarij", form="gedwongen_dienstverlening"
    )
    code = region.municipality()
    gemeente = region.gemeente(code)
    origin = rng.choice(("ro", "bg"))
    dwelling = world.place(code)
    beggars = [
        world.person(origin=origin, born_from=date(1950, 1, 1), born_to=date(1998, 12, 31))
        for _ in range(rng.randint(3, 5))
    ]
    boss = world.person(
        origin=origin, female=False, born_from=date(1970, 1, 1), born_to=date(1992, 12, 31)
    )
    van = world.kenteken()
    start = region.day(room=90)

    day = start
    for index, beggar in enumerate(beggars):
        day = region.day(after=day, within=5)
        ref = gemeente.brp(
            day,
            beggar,
            dwelling,
            registered=index + 2,
            companion=boss,
            companion_seen=index > 0,
            text="Aanvragers spreken geen Nederlands; begeleider vult alle formulieren in."
            if index == 0
            else None,
        )
        pattern.records.append((gemeente.party, ref))

    for visit in range(2):
        seen = rng.sample(beggars, k=min(len(beggars), rng.randint(2, 4)))
        ref = region.politie.registration(
            "controle",
            region.moment(region.day(after=start, within=60)),
            code,
            "gedwongen_dienstverlening",
            indicators=["DIENST-GEDWONGEN-BEDELARIJ", "VERV-GEZAMENLIJK-VERVOER"],
            persons=[
                *(("slachtoffer", b, dwelling if visit else None, False) for b in seen),
                *((("verdachte", boss, None, True),) if visit == 0 else ()),
            ],
            vehicles=[van],
            text=(
                "Bedelaars bij het station worden 's ochtends met hetzelfde busje gebracht en 's "
                "avonds opgehaald."
            ),
        )
        pattern.records.append((region.politie.party, ref))

    ref = region.zorg.registration(
        region.day(after=start, within=60),
        beggars[0],
        municipality=code,
        form="Gedwongen bedelarij",
        signals=["bedelarij", "geen beschikking over loon"],
        consent="ja",
        stay=dwelling,
        referrer="straatteam",
        text="Moet elke avond de opbrengst afgeven; slaapt met zes anderen in één kamer.",
    )
    pattern.records.append((region.zorg.party, ref))
    pattern.links = [_address_link(dwelling), ("kenteken", van), *(("bsn", b.bsn) for b in beggars)]
    return pattern


PLANTERS = (labour, loverboy, sex_business, criminal)


def shelter(region: Region, count: int, *, first: int = 0) -> None:
    """The hub: ``count`` more unrelated people registered at or staying in the shelter.

    The first six (``first`` counts those already written) cover each kind of record twice.
    """
    rng, world, hub = region.rng, region.world, region.hub
    rotterdam = region.gemeente("GM0599")
    for index in range(first, first + count):
        person: Person = world.person(born_from=date(1960, 1, 1), born_to=date(2005, 12, 31))
        day = region.day()
        choice = index % 3 if index < 6 else rng.choices((0, 1, 2), weights=(45, 35, 20))[0]
        if choice == 0:
            ref = rotterdam.brp(
                day,
                person,
                hub.address,
                registered=rng.randint(25, 60),
                text="Inschrijving op het adres van de opvang (briefadres)."
                if rng.random() < 0.3
                else None,
            )
            party = rotterdam.party
        elif choice == 1:
            form, signals = rng.choice(
                (
                    ("Seksuele uitbuiting", ["begeleide inreis"]),
                    ("Arbeidsuitbuiting", ["schuld"]),
                    ("Onbekend", []),
                    ("Criminele uitbuiting", ["gedwongen criminaliteit"]),
                )
            )
            ref = region.zorg.registration(
                day,
                person,
                municipality="GM0599",
                form=form,
                signals=signals,
                consent=rng.choice(("ja", "ja", "nee", "onbekend")),
                stay=hub.address,
                phone=rng.random() < 0.5,
                referrer=rng.choice(("CoMensha", "GGD", "politie", "huisarts")),
            )
            party = region.zorg.party
        else:
            ref = region.politie.registration(
                "intake",
                region.moment(day),
                "GM0599",
                rng.choice(("onbekend", "mensensmokkel", "arbeidsuitbuiting")),
                persons=[("betrokkene", person, hub.address, rng.random() < 0.5)],
            )
            party = region.politie.party
        hub.records.append((party, ref, None))

"""Background records that belong to no pattern: the everyday signals of each partner.

Most are about people and places that appear once. A few people turn up again at another partner
for innocent reasons (a tenant who also registered at the BRP desk), student houses have several
registrations, licensed businesses get routine checks: the linkage must live with such ordinary
overlaps without calling them patterns.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gateway.demo_data.identities import Person
from gateway.demo_data.region import HOUSING_MUNICIPALITIES, Region
from gateway.demo_data.writers import Worker, minimum_wage

#: Records per scale unit and partner (about 240 per unit).
PER_UNIT = {
    "gemeente": 90,
    "politie": 50,
    "arbeidsinspectie": 14,
    "zorg": 20,
    "woningcorporatie": 35,
    "om": 5,
    "belastingdienst": 10,
}

POLICE_FORMS = {
    "onbekend": (40, ()),
    "illegale_prostitutie": (10, ("SEKS-ONVERGUNDE-EXPLOITATIE", "SEKS-ADVERTENTIE-FREQUENT")),
    "arbeidsuitbuiting": (
        12,
        ("ARB-ONDERBETALING", "VERV-GEZAMENLIJK-VERVOER", "ARB-GEEN-VRIJE-BEWEGING"),
    ),
    "seksuele_uitbuiting": (
        14,
        ("SEKS-AFDRACHT-VERDIENSTEN", "WERV-LOVERBOY", "SEKS-ADVERTENTIE-FREQUENT"),
    ),
    "criminele_uitbuiting": (10, ("CRIM-GEDWONGEN-CRIMINALITEIT",)),
    "mensensmokkel": (8, ("ENTREE-BEGELEIDE-INREIS", "ENTREE-REIS-BETAALD-DOOR-DERDE")),
    "gedwongen_dienstverlening": (6, ("DIENST-GEDWONGEN-BEDELARIJ",)),
}
CARE_FORMS = {
    "Seksuele uitbuiting": (
        "loverboy",
        "afdracht verdiensten",
        "begeleide inreis",
        "documenten ingenomen",
    ),
    "Arbeidsuitbuiting": (
        "schuld",
        "geen beschikking over loon",
        "misleidende vacature",
        "beperkte bewegingsvrijheid",
    ),
    "Criminele uitbuiting": ("gedwongen criminaliteit", "schuld"),
    "Gedwongen bedelarij": ("bedelarij",),
    "Onbekend": ("reis betaald door derde",),
}
POLICE_TEXTS = (
    "Melding van buurtbewoners over veel wisselende bezoekers.",
    "Persoon aangetroffen zonder geldige identiteitsdocumenten.",
    "Verklaring afgelegd na aanhouding; geen aanwijzingen voor dwang.",
    "Anonieme tip via Meld Misdaad Anoniem, nader onderzoek nodig.",
    "Controle horeca, personeel kon geen arbeidscontract tonen.",
)


def _person(region: Region, *, female: bool | None = None) -> Person:
    """A new person, or now and then one seen before at another partner (innocent overlap).

    Only a person of any sex (``female`` None) can be one seen before."""
    if region.recent and region.rng.random() < 0.04 and female is None:
        return region.rng.choice(region.recent)
    person = region.world.person(female=female)
    region.recent.append(person)
    if len(region.recent) > 300:
        del region.recent[:100]
    return person


def unit(region: Region) -> None:
    """One scale unit of background records for every partner."""
    for _ in range(PER_UNIT["gemeente"]):
        gemeente(region)
    for _ in range(PER_UNIT["politie"]):
        politie(region)
    for _ in range(PER_UNIT["arbeidsinspectie"]):
        arbeidsinspectie(region)
    for _ in range(PER_UNIT["zorg"]):
        zorg(region)
    for _ in range(PER_UNIT["woningcorporatie"]):
        woningcorporatie(region)
    for _ in range(PER_UNIT["om"]):
        om(region)
    for _ in range(PER_UNIT["belastingdienst"]):
        belastingdienst(region)


def gemeente(region: Region) -> None:
    """A BRP registration, a housing inspection or a licence check without a pattern behind it."""
    rng, world = region.rng, region.world
    code = region.municipality()
    writer = region.gemeente(code)
    day = region.day()
    roll = rng.random()
    if roll < 0.65:
        place = world.place(code)
        if rng.random() < 0.12:  # a family: a parent registers a child
            parent = _person(region)
            child = world.person(
                origin=parent.origin, born_from=date(2009, 1, 1), born_to=date(2020, 12, 31)
            )
            writer.brp(
                day,
                child,
                place,
                registered=rng.randint(2, 5),
                companion=parent,
                companion_seen=False,
            )
        elif rng.random() < 0.15:  # a student house: several registrations in a few weeks
            for index in range(rng.randint(2, 4)):
                student = world.person(born_from=date(1999, 1, 1), born_to=date(2006, 12, 31))
                writer.brp(
                    region.day(after=day, within=40),
                    student,
                    place,
                    registered=index + 4,
                    phone=rng.random() < 0.5,
                )
        else:
            writer.brp(
                day, _person(region), place, registered=rng.randint(1, 7), phone=rng.random() < 0.2
            )
    elif roll < 0.9:
        allowed = rng.randint(2, 8)
        writer.housing_inspection(
            day,
            world.place(code),
            found=max(1, allowed + rng.choice((-2, -1, 0, 0, 0, 1, 2))),
            allowed=allowed,
            defects=rng.random() < 0.2,
            resident=_person(region) if rng.random() < 0.5 else None,
            landlord=world.company("vastgoed", municipality=code) if rng.random() < 0.2 else None,
            text=rng.choice(
                (None, None, "Geen bijzonderheden.", "Bewoners niet thuis, brief achtergelaten.")
            ),
        )
    else:
        business = world.company(
            rng.choice(("massage", "nagelstudio", "horeca")), municipality=code
        )
        licensed = rng.random() < 0.7
        writer.licence_check(
            day,
            business.site,
            licence="geldig" if licensed else rng.choice(("geen", "verlopen", "aangevraagd")),
            operator=business,
            worker=_person(region, female=True) if rng.random() < 0.5 else None,
            phone=business.phone if rng.random() < 0.5 else "",
            url=world.advert("rode-lampen") if not licensed and rng.random() < 0.5 else "",
            text="Controle zonder bevindingen." if licensed else None,
        )


def politie(region: Region) -> None:
    """An incident, control or intake unrelated to any pattern."""
    rng, world = region.rng, region.world
    form = rng.choices(list(POLICE_FORMS), weights=[w for w, _ in POLICE_FORMS.values()])[0]
    candidates = POLICE_FORMS[form][1]
    indicators = rng.sample(candidates, k=rng.randint(0, min(2, len(candidates))))
    place = world.place()
    persons = []
    for index in range(rng.choice((1, 1, 1, 2, 2, 3))):
        role = rng.choice(("betrokkene", "getuige", "slachtoffer", "verdachte", "aangever"))
        persons.append(
            (
                role,
                _person(region),
                place if index == 0 and rng.random() < 0.5 else None,
                rng.random() < 0.4,
            )
        )
    region.politie.registration(
        rng.choice(("incident", "controle", "intake", "aangifte", "bestuurlijke_rapportage")),
        region.moment(region.day(), night=rng.random() < 0.3),
        place.municipality,
        form,
        indicators=indicators,
        certainty=rng.choice(("vermoeden", "vermoeden", "aannemelijk", "vastgesteld")),
        protected=rng.random() < 0.1,
        persons=persons,
        vehicles=[world.kenteken()] if rng.random() < 0.25 else [],
        adverts=[(world.advert("escort-demo"), world.mobile())]
        if form in ("illegale_prostitutie", "seksuele_uitbuiting") and rng.random() < 0.4
        else [],
        text=rng.choice(POLICE_TEXTS) if rng.random() < 0.6 else None,
    )


def arbeidsinspectie(region: Region) -> None:
    """A routine inspection: a violation, rarely underpayment, no exploitation behind it."""
    rng, world = region.rng, region.world
    company = world.company(
        rng.choice(
            ("logistiek", "kwekerij", "schoonmaak", "horeca", "bouw", "uitzend", "nagelstudio")
        )
    )
    day = region.day()
    minimum = minimum_wage(day)
    workers = []
    for _ in range(rng.randint(1, 3)):
        underpaid = rng.random() < 0.25
        wage = (
            minimum - Decimal(rng.choice(("0.50", "1.00", "1.75")))
            if underpaid
            else minimum + Decimal(rng.choice(("0.00", "0.35", "1.20", "2.80")))
        )
        workers.append(
            Worker(
                _person(region),
                wage=wage,
                hours=rng.randint(24, 50),
                codes=tuple(
                    dict.fromkeys(
                        rng.sample(("ATW", "WAV"), k=rng.randint(0, 1))
                        + (["WML"] if underpaid else [])
                    )
                ),
            )
        )
    region.arbeidsinspectie.inspection(
        day,
        company,
        workers,
        assessment="overtreding",
        text=rng.choice(
            (None, "Administratie niet op orde.", "Werkgever toonde loonstroken na aanmaning.")
        ),
    )


def zorg(region: Region) -> None:
    """A client of the care coordinator, not part of any planted pattern."""
    rng, world = region.rng, region.world
    form = rng.choice(list(CARE_FORMS))
    day = region.day()
    minor = rng.random() < 0.1
    person = world.minor(day, female=None, origin=None) if minor else _person(region)
    stay = world.place() if rng.random() < 0.5 else None
    region.zorg.registration(
        day,
        person,
        municipality=(stay.municipality if stay else region.municipality()),
        form=form,
        signals=rng.sample(CARE_FORMS[form], k=rng.randint(0, len(CARE_FORMS[form]))),
        consent=rng.choice(("ja", "ja", "nee", "onbekend")),
        minor=minor,
        stay=stay,
        phone=rng.random() < 0.5,
        email=world.email(person) if rng.random() < 0.2 else "",
        medical=rng.random() < 0.3,
        referrer=rng.choice(("politie", "GGD", "huisarts", "CoMensha", "Veilig Thuis", "advocaat")),
        text=rng.choice(
            (
                None,
                "Eerste gesprek gevoerd, vervolg ingepland.",
                "Cliënt wil terug naar land van herkomst.",
            )
        ),
    )


def woningcorporatie(region: Region) -> None:
    """A housing-fraud report with nothing else behind it."""
    rng, world = region.rng, region.world
    place = world.place(rng.choice(HOUSING_MUNICIPALITIES))
    kind = rng.choices(
        ("Overbewoning", "Onderverhuur", "Woonfraude overig", "Verwaarlozing"), weights=(4, 3, 2, 1)
    )[0]
    allowed = rng.randint(2, 6)
    tenant = _person(region) if rng.random() < 0.9 else None
    region.woningcorporatie.report(
        region.day(),
        place,
        kind=kind,
        estimated=allowed + rng.randint(-1, 3) if kind == "Overbewoning" else None,
        allowed=allowed if kind == "Overbewoning" else None,
        tenant=tenant,
        iban=world.iban(rng.choice(("NL",) * 9 + ("PL",))) if tenant else "",
        payer_differs=rng.random() < 0.1,
        phone=tenant is not None and rng.random() < 0.6,
        visited=rng.random() < 0.3,
        unit=f"VHE-{rng.randint(100_000, 399_999)}",
        text=rng.choice((None, "Melding via buren.", "Huurder reageert niet op brieven.")),
    )


def om(region: Region) -> None:
    """A registered case at the public prosecutor, unrelated to the patterns."""
    rng = region.rng
    writer = region.om
    suspect = _person(region)
    when = region.moment(region.day())
    parket = f"10/{writer.next_number() + 500_000:06d}-{when.year % 100:02d}"
    subjects = [*writer.person("both", "verdachte", suspect)]
    if rng.random() < 0.5:
        subjects.append(writer.thing("telefoon", "contactmiddel", suspect.mobile))
    form = rng.choice(("mensensmokkel", "seksuele_uitbuiting", "arbeidsuitbuiting", "onbekend"))
    writer.signal(
        f"OM-{parket.replace('/', '-')}",
        when,
        region.municipality(),
        form=form,
        data_classes=["strafrechtelijk"],
        certainty=rng.choice(("vermoeden", "aannemelijk")),
        **(
            {"embargo_until": region.day(after=when.date(), within=200)}
            if rng.random() < 0.3
            else {}
        ),
        subjects=subjects,
        details={"parketnummer": parket},
    )


def belastingdienst(region: Region) -> None:
    """An address or company the tax authority noticed, unrelated to the patterns."""
    rng, world = region.rng, region.world
    writer = region.belastingdienst
    when = region.moment(region.day())
    company = world.company(rng.choice(("uitzend", "schoonmaak", "bouw", "horeca")))
    subjects = [writer.thing("kvk", "werkgever", company.kvk)]
    if rng.random() < 0.6:
        subjects.append(writer.place("werkplek", company.site))
    if rng.random() < 0.4:
        subjects.append(writer.thing("iban", "rekening", company.iban))
    writer.signal(
        f"BD-{when.year}-{writer.next_number():06d}",
        when,
        company.site.municipality,
        form="onbekend",
        data_classes=["fiscaal"],
        certainty="vermoeden",
        subjects=subjects,
        details={
            "toelichting": rng.choice(
                (
                    "Loonaangifte wijkt sterk af van het aantal werknemers.",
                    "Veel contante opnames in korte tijd.",
                    "Geen loonaangifte ondanks personeel ter plaatse.",
                )
            )
        },
    )

"""Fictitious people, places, companies and their identifiers, unique within one region.

Everything is drawn from one seeded ``random.Random`` (and a seeded Faker for street names), so a
seed always gives the same world. Identifiers are valid but obviously fake where a fake range
exists: every BSN starts with ``999`` (RvIG's test BSNs live in ``9999xxxxx``; the wider ``999``
prefix leaves room for the large region), advertisement sites are on the reserved ``.example``
top-level domain, e-mail goes to ``mail.example``. Postcodes, phone numbers, IBANs, KvK numbers
and kentekens have the real formats and check digits; any match with a real one is chance.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import phonenumbers
from faker import Faker
from faker.providers.person.nl_NL import Provider as DutchNames
from stdnum import iban as stdnum_iban
from stdnum.nl import bsn as stdnum_bsn

from adapters.normalise import TUSSENVOEGSELS

#: Municipalities of the demo region: CBS code -> (name, postcode digit ranges, landline area code).
REGION: dict[str, tuple[str, tuple[tuple[int, int], ...], str]] = {
    "GM0599": ("Rotterdam", ((3011, 3089),), "010"),
    "GM0622": ("Vlaardingen", ((3131, 3138),), "010"),
    "GM0597": ("Ridderkerk", ((2981, 2988),), "0180"),
    "GM0606": ("Schiedam", ((3111, 3125),), "010"),
    "GM0502": ("Capelle aan den IJssel", ((2901, 2909),), "010"),
    "GM0489": ("Barendrecht", ((2991, 2994),), "0180"),
}
#: Where people live, roughly by population.
REGION_WEIGHTS = {"GM0599": 60, "GM0622": 14, "GM0597": 10, "GM0606": 8, "GM0502": 5, "GM0489": 3}

# Letters used in Dutch postcodes and kentekens (no vowels on plates; SA/SD/SS never in postcodes).
_POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
_PLATE_LETTERS = "BDFGHJKLNPRSTVXZ"
_PLATE_SIDECODES = ("XX-999-X", "X-999-XX", "XXX-99-X", "99-XXX-9", "9-XXX-99")

#: Family and given names common in the communities that trafficking in the region touches, next
#: to Dutch names. (family names, female given names, male given names)
ORIGINS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "pl": (
        (
            "Nowak",
            "Wiśniewski",
            "Wójcik",
            "Kowalczyk",
            "Kamiński",
            "Lewandowski",
            "Zieliński",
            "Woźniak",
            "Dąbrowski",
            "Kozłowski",
            "Mazur",
            "Krawczyk",
            "Kaczmarek",
            "Zając",
            "Król",
            "Wróbel",
        ),
        ("Anna", "Katarzyna", "Magdalena", "Agnieszka", "Małgorzata", "Joanna", "Ewa", "Karolina"),
        ("Piotr", "Tomasz", "Paweł", "Krzysztof", "Michał", "Łukasz", "Marcin", "Grzegorz"),
    ),
    "ro": (
        (
            "Popescu",
            "Ionescu",
            "Popa",
            "Radu",
            "Dumitru",
            "Stan",
            "Stoica",
            "Gheorghe",
            "Matei",
            "Ciobanu",
            "Munteanu",
            "Constantin",
            "Șerban",
            "Lungu",
        ),
        ("Ioana", "Elena", "Maria", "Andreea", "Gabriela", "Alexandra", "Mihaela", "Cristina"),
        ("Andrei", "Ionuț", "Mihai", "Florin", "Alexandru", "Marius", "Bogdan", "Ștefan"),
    ),
    "bg": (
        (
            "Dimitrov",
            "Ivanov",
            "Georgiev",
            "Petrov",
            "Nikolov",
            "Todorov",
            "Stoyanov",
            "Angelov",
            "Kolev",
        ),
        ("Maria", "Elena", "Desislava", "Petya", "Gergana", "Tsvetelina", "Ralitsa"),
        ("Georgi", "Ivan", "Dimitar", "Nikolay", "Hristo", "Stoyan", "Plamen"),
    ),
    "tr": (
        (
            "Yılmaz",
            "Kaya",
            "Demir",
            "Şahin",
            "Çelik",
            "Öztürk",
            "Aydın",
            "Arslan",
            "Doğan",
            "Kılıç",
        ),
        ("Ayşe", "Elif", "Fatma", "Zeynep", "Emine", "Büşra", "Merve"),
        ("Mehmet", "Mustafa", "Emre", "Burak", "Hüseyin", "Ömer", "Kemal"),
    ),
    "ma": (
        (
            "El Amrani",
            "Bouzid",
            "El Idrissi",
            "Benali",
            "Ouali",
            "Azzouzi",
            "El Khattabi",
            "Bakkali",
            "Rachidi",
        ),
        ("Fatima", "Samira", "Nadia", "Khadija", "Salma", "Imane", "Houda"),
        ("Mohamed", "Youssef", "Hamza", "Bilal", "Ayoub", "Mehdi", "Anouar"),
    ),
    "ng": (
        ("Okafor", "Okonkwo", "Adeyemi", "Eze", "Nwosu", "Balogun", "Obi", "Osagie", "Igbinedion"),
        ("Blessing", "Joy", "Precious", "Favour", "Gift", "Mercy", "Esther"),
        ("Chinedu", "Emeka", "Tunde", "Osas", "Efosa", "Kelvin"),
    ),
    "vn": (
        ("Nguyen", "Tran", "Pham", "Hoang", "Vu", "Dang", "Bui"),
        ("Thi Lan", "Thi Hoa", "Thi Mai", "Ngoc Anh", "Thu Trang"),
        ("Van Minh", "Duc Anh", "Van Hung", "Quang Huy", "Minh Tuan"),
    ),
    "ua": (
        ("Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk", "Boyko"),
        ("Olena", "Oksana", "Iryna", "Nataliia", "Yuliia", "Tetiana"),
        ("Andriy", "Oleksandr", "Dmytro", "Serhiy", "Mykola", "Vasyl"),
    ),
    "er": (
        ("Tesfay", "Gebremedhin", "Haile", "Kidane", "Berhane", "Tekle", "Weldu"),
        ("Senait", "Helen", "Feven", "Selam", "Saba", "Winta"),
        ("Yonas", "Dawit", "Samuel", "Filmon", "Robel", "Yohannes"),
    ),
}
#: Bulgarian family names take -a for women.
_FEMININE_A = {"bg"}
#: Letters NFKD does not decompose, for back offices that only store ASCII.
_ASCII_MAP = str.maketrans(
    {"ł": "l", "Ł": "L", "ı": "i", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d", "Đ": "D"}
)


def _dutch_family_names() -> list[tuple[str, str]]:
    """Faker's Dutch family names as (prefix, core), keeping only the everyday ones."""
    allowed_prefixes = {
        "",
        "van",
        "de",
        "van der",
        "van den",
        "van de",
        "den",
        "ter",
        "te",
        "'t",
        "in 't",
        "van 't",
    }
    names: list[tuple[str, str]] = []
    for name in DutchNames.last_names:
        words = name.split()
        cut = 0
        while cut < len(words) - 1 and words[cut].lower().strip("'") in TUSSENVOEGSELS | {"t"}:
            cut += 1
        prefix, core = " ".join(words[:cut]), " ".join(words[cut:])
        medieval = core.endswith(
            ("sz", "dr", "dochter")
        )  # patronymics from Faker's historical list
        if (
            prefix in allowed_prefixes
            and core.replace("-", "").isalpha()
            and core[:1].isupper()
            and not medieval
        ):
            names.append((prefix, core))
    return sorted(set(names))


DUTCH_FAMILY = _dutch_family_names()
DUTCH_FEMALE = tuple(sorted({n for n in DutchNames.first_names_female if n.isalpha()}))
DUTCH_MALE = tuple(sorted({n for n in DutchNames.first_names_male if n.isalpha()}))


@dataclass(frozen=True, slots=True)
class Person:
    """A fictitious person as the BRP knows them."""

    bsn: str
    family: str  # without tussenvoegsel: "Vries"
    prefix: str  # tussenvoegsel: "de", "van der", or ""
    given: str  # all given names: "Marco Johannes"
    born: date
    female: bool
    origin: str
    mobile: str  # E.164

    @property
    def first_name(self) -> str:
        """The first given name (roepnaam), all many back offices keep."""
        return self.given.split()[0] if self.origin != "vn" else self.given

    @property
    def full_family(self) -> str:
        """Family name with its tussenvoegsel in front: "de Vries"."""
        return f"{self.prefix} {self.family}".strip()

    def age_on(self, day: date) -> int:
        """Age in whole years on a day."""
        return day.year - self.born.year - ((day.month, day.day) < (self.born.month, self.born.day))


@dataclass(frozen=True, slots=True)
class Place:
    """A dwelling or premises."""

    postcode: str  # compact: "3082TK"
    number: int
    addition: str  # "", "A", "2"
    street: str
    city: str
    municipality: str

    @property
    def spaced_postcode(self) -> str:
        """ "3082 TK", as most letters and forms write it."""
        return f"{self.postcode[:4]} {self.postcode[4:]}"


@dataclass(frozen=True, slots=True)
class Company:
    """A company in the Handelsregister."""

    kvk: str
    name: str
    site: Place
    iban: str
    phone: str  # E.164 landline


class World:
    """Draws unique fictitious identities for one region from one seed."""

    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        self.faker = Faker("nl_NL")
        self.faker.seed_instance(seed)
        self._used: set[tuple[str, str]] = set()
        self._bsn_prefix = 999
        self._bsn_step = self._bsn_offset = 0
        self._bsn_index = 100_000  # forces a fresh permutation on first use

    # -- uniqueness ---------------------------------------------------------------------------

    def _claim(self, kind: str, value: str) -> bool:
        if (kind, value) in self._used:
            return False
        self._used.add((kind, value))
        return True

    def _unique(self, kind: str, draw: Callable[[], str | None]) -> str:
        for _ in range(10_000):
            value = draw()
            if value is not None and self._claim(kind, value):
                return value
        raise RuntimeError(f"no more unique {kind} values in this region")

    # -- identifiers --------------------------------------------------------------------------

    def bsn(self) -> str:
        """A valid BSN ``999xxxxxC``, never repeated: the middle five digits walk a permutation."""
        while True:
            if self._bsn_index >= 100_000:
                if self._bsn_step:  # a whole prefix used up: go on below it
                    self._bsn_prefix -= 1
                self._bsn_step = self.rng.choice([s for s in range(10_001, 99_999, 2) if s % 5])
                self._bsn_offset = self.rng.randrange(100_000)
                self._bsn_index = 0
            middle = (self._bsn_step * self._bsn_index + self._bsn_offset) % 100_000
            self._bsn_index += 1
            digits = f"{self._bsn_prefix}{middle:05d}"
            check = sum(int(d) * (9 - i) for i, d in enumerate(digits)) % 11
            if check == 10:
                continue
            value = digits + str(check)
            if stdnum_bsn.is_valid(value) and self._claim("bsn", value):
                return value

    def mobile(self) -> str:
        """A Dutch mobile number in E.164 (+316...)."""

        def draw() -> str | None:
            number = f"+316{self.rng.choice('12345')}{self.rng.randrange(10_000_000):07d}"
            return number if phonenumbers.is_valid_number(phonenumbers.parse(number)) else None

        return self._unique("telefoon", draw)

    def landline(self, municipality: str) -> str:
        """A landline in the municipality's area code, E.164."""
        area = REGION.get(municipality, REGION["GM0599"])[2]
        width = 10 - len(area)

        def draw() -> str | None:
            subscriber = (
                f"{self.rng.randint(2, 9)}{self.rng.randrange(10 ** (width - 1)):0{width - 1}d}"
            )
            number = f"+31{area[1:]}{subscriber}"
            return number if phonenumbers.is_valid_number(phonenumbers.parse(number)) else None

        return self._unique("telefoon", draw)

    def iban(self, country: str = "NL") -> str:
        """A compact IBAN with valid check digits (NL banks, or a Polish/Romanian/Bulgarian one)."""

        def draw() -> str | None:
            def digits(n: int) -> str:
                return "".join(str(self.rng.randrange(10)) for _ in range(n))

            bban = {
                "NL": lambda: (
                    self.rng.choice(
                        ("ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ")
                    )
                    + digits(10)
                ),
                "PL": lambda: digits(24),
                "RO": lambda: self.rng.choice(("BTRL", "RNCB", "BRDE")) + digits(16),
                "BG": lambda: (
                    self.rng.choice(("BNBG", "UNCR", "STSA")) + digits(4) + "10" + digits(8)
                ),
            }[country]()
            numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
            value = f"{country}{98 - int(numeric) % 97:02d}{bban}"
            return value if stdnum_iban.is_valid(value) else None

        return self._unique("iban", draw)

    def kvk(self) -> str:
        """An 8-digit KvK number in the range issued since 2016."""
        return self._unique("kvk", lambda: str(self.rng.randint(60_000_000, 99_999_999)))

    def kenteken(self) -> str:
        """A Dutch number plate in a current side code, written with dashes."""

        def draw() -> str:
            pattern = self.rng.choice(_PLATE_SIDECODES)
            return "".join(
                self.rng.choice(_PLATE_LETTERS)
                if c == "X"
                else str(self.rng.randrange(10))
                if c == "9"
                else c
                for c in pattern
            )

        return self._unique("kenteken", draw)

    def advert(self, site: str) -> str:
        """An advertisement URL on a fictitious site under the reserved ``.example`` domain."""
        paths = {
            "rode-lampen": "https://www.rode-lampen.example/profiel/{n}",
            "kinky-demo": "https://www.kinky-demo.example/ads/{n}",
            "escort-demo": "https://escort-demo.example/nl/rotterdam/{n}",
            "vacatures": "https://werk-direct.example/vacature/{n}",
        }
        return self._unique("url", lambda: paths[site].format(n=self.rng.randint(10_000, 999_999)))

    def email(self, person: Person) -> str:
        """An address at ``mail.example`` derived from the name (folded to ASCII)."""
        base = f"{ascii_fold(person.first_name)}.{ascii_fold(person.family)}".lower().replace(
            " ", ""
        )
        return self._unique("email", lambda: f"{base}{self.rng.randint(1, 999)}@mail.example")

    # -- people, places, companies --------------------------------------------------------------

    def person(
        self,
        *,
        origin: str | None = None,
        female: bool | None = None,
        born_from: date = date(1962, 1, 1),
        born_to: date = date(2005, 12, 31),
        bsn: bool = True,
    ) -> Person:
        """A person; ``origin`` "nl" for Dutch names or one of :data:`ORIGINS`."""
        rng = self.rng
        if origin is None:
            origin = rng.choices(
                ["nl", *ORIGINS], weights=[70] + [30 / len(ORIGINS)] * len(ORIGINS)
            )[0]
        if female is None:
            female = rng.random() < 0.5
        if origin == "nl":
            prefix, family = rng.choice(DUTCH_FAMILY)
            pool = DUTCH_FEMALE if female else DUTCH_MALE
            given = " ".join(rng.sample(pool, rng.choice((1, 1, 2, 2, 3))))
        else:
            families, women, men = ORIGINS[origin]
            prefix, family = "", rng.choice(families)
            if female and origin in _FEMININE_A:
                family += "a"
            given = rng.choice(women if female else men)
            if origin in ("pl", "ro", "bg", "ua") and rng.random() < 0.3:
                second = rng.choice(women if female else men)
                given = given if second == given else f"{given} {second}"
        born = born_from + timedelta(days=rng.randrange((born_to - born_from).days + 1))
        return Person(
            bsn=self.bsn() if bsn else "",
            family=family,
            prefix=prefix,
            given=given,
            born=born,
            female=female,
            origin=origin,
            mobile=self.mobile(),
        )

    def minor(self, on: date, *, female: bool | None = True, origin: str | None = "nl") -> Person:
        """A person aged 14 to 17 on the given day."""
        return self.person(
            origin=origin,
            female=female,
            born_from=date(on.year - 18, on.month, 1) + timedelta(days=40),
            born_to=date(on.year - 14, on.month, 1) - timedelta(days=30),
        )

    def place(self, municipality: str | None = None) -> Place:
        """A dwelling with a real-format postcode in the municipality (chosen by population)."""
        rng = self.rng
        if municipality is None:
            municipality = rng.choices(list(REGION_WEIGHTS), weights=list(REGION_WEIGHTS.values()))[
                0
            ]
        city, ranges, _ = REGION[municipality]
        while True:
            low, high = rng.choice(ranges)
            letters = rng.choice(_POSTCODE_LETTERS) + rng.choice(_POSTCODE_LETTERS)
            if letters in ("SA", "SD", "SS"):
                continue
            postcode = f"{rng.randint(low, high)}{letters}"
            number = rng.choices([rng.randint(1, 60), rng.randint(61, 250)], weights=[3, 1])[0]
            addition = rng.choices(
                ["", rng.choice("ABCD"), str(rng.randint(1, 4))], weights=[80, 12, 8]
            )[0]
            if self._claim("adres", f"{postcode}|{number}|{addition}"):
                return Place(
                    postcode, number, addition, self.faker.street_name(), city, municipality
                )

    def company(
        self, sector: str, *, municipality: str | None = None, site: Place | None = None
    ) -> Company:
        """A company of a sector (its name says what it does), with a site, account and phone."""
        site = site or self.place(municipality)
        prefix, family = self.rng.choice(DUTCH_FAMILY)
        owner = f"{prefix} {family}".strip()
        owner = owner[0].upper() + owner[1:]
        names = {
            "logistiek": [
                f"{site.city} Logistiek B.V.",
                f"{owner} Transport B.V.",
                "Maasvlakte Distributie B.V.",
            ],
            "kwekerij": [f"Kwekerij {owner}", f"{owner} Glastuinbouw B.V."],
            "schoonmaak": [f"Schoonmaakbedrijf {owner}", "Glans Facilitair B.V."],
            "uitzend": [
                f"Uitzendbureau {owner}",
                "FlexWerk Rijnmond B.V.",
                "EuroStaff Zuid-Holland B.V.",
            ],
            "vlees": [f"Vleesverwerking {owner} B.V."],
            "bouw": [f"Bouwbedrijf {owner}", f"{owner} Renovatie"],
            "horeca": [f"Restaurant {self.faker.street_name()}", f"Eethuis {owner}"],
            "massage": [
                "Wellness Maasstad",
                f"Massagesalon {owner}",
                "Thai Spa Oost",
                "Beauty & Relax Rijnmond",
            ],
            "vastgoed": [f"{owner} Vastgoed B.V.", "Kamerverhuur Rijnmond B.V."],
            "nagelstudio": [f"Nagelstudio {site.street}", "Nails & More"],
        }[sector]
        return Company(
            kvk=self.kvk(),
            name=self.rng.choice(names),
            site=site,
            iban=self.iban("NL"),
            phone=self.landline(site.municipality),
        )


# -- written forms: how different back offices write the same identifier ------------------------


def ascii_fold(text: str) -> str:
    """``Wiśniewski`` -> ``Wisniewski``: what a back office without Unicode stores."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_MAP))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def bsn_dotted(bsn: str) -> str:
    """``9995.26.017``: the grouping on Dutch identity documents."""
    return f"{bsn[:4]}.{bsn[4:6]}.{bsn[6:]}"


def bsn_spaced(bsn: str) -> str:
    """``999 526 017``."""
    return f"{bsn[:3]} {bsn[3:6]} {bsn[6:]}"


def phone_national(e164: str, *, style: str = "dash") -> str:
    """National notation: ``06-12345678`` / ``010-1234567`` (dash), ``06 12 34 56 78`` (pairs),
    ``0612345678`` (plain) or ``+31 6 12345678`` (international, spaced)."""
    national = "0" + e164[3:]
    mobile = national.startswith("06")
    area = 2 if mobile else (3 if national[:3] in ("010", "020", "030", "070") else 4)
    if style == "plain":
        return national
    if style == "international":
        return f"+31 {national[1:area]} {national[area:]}"
    if style == "pairs" and mobile:
        rest = national[2:]
        return "06 " + " ".join(rest[i : i + 2] for i in range(0, len(rest), 2))
    if style == "pairs":
        return f"{national[:area]} {national[area : area + 3]} {national[area + 3 :]}"
    return f"{national[:area]}-{national[area:]}"


def iban_grouped(iban: str) -> str:
    """``NL18 ABNA 0385 2808 41``: the printed form."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))

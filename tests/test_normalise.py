"""Normal forms of identifiers: they decide whether two partners' records link.

Per kind: known answers; a property that formatting noise (spacing, case, separators, diacritics,
prefix placement) on a generated valid value gives the normal form computed independently from
the clean value (so variants agree *and* different values differ); refusals whose message never
contains the input; and every result starts with ``kind:``.
"""

from __future__ import annotations

import pickle
import re
import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iban as stdnum_iban

from adapters.base import Address, PersonName
from adapters.normalise import TUSSENVOEGSELS, IdentifierError, normalise
from gateway.vocabulary import SubjectKind as K

DAY = date(1990, 1, 31)
SPACES = st.sampled_from(["", " ", "  ", "\t", "\u00a0", " \n"])


def person(family: str, given_names: str = "Anna", prefix: str = "", born: date = DAY) -> bytes:
    return normalise(
        K.PERSOON,
        PersonName(family_name=family, prefix=prefix, given_names=given_names, birth_date=born),
    )


def adres(postcode: str = "", number: str = "", addition: str = "", bag_id: str = "") -> bytes:
    return normalise(
        K.ADRES, Address(postcode=postcode, number=number, addition=addition, bag_id=bag_id)
    )


def refused(kind: K, value: str | PersonName | Address, *secrets: str) -> IdentifierError:
    """Assert ``value`` is refused and the error (str and repr) quotes none of ``secrets``."""
    with pytest.raises(IdentifierError) as caught:
        normalise(kind, value)
    error = caught.value
    assert error.kind == kind and str(error) == error.reason and error.reason
    text = f"{error} {error!r}"
    for secret in secrets:
        for form in {secret.strip(), re.sub(r"\W", "", secret)}:
            if len(form) >= 4:
                assert form not in text and form.lower() not in text.lower()
    assert error.__cause__ is None
    return error


@st.composite
def spaced(draw: st.DrawFn, text: str, separators: tuple[str, ...]) -> str:
    """``text`` with random separators between its characters and whitespace around it."""
    out = [draw(SPACES)]
    for i, char in enumerate(text):
        out.append(char)
        if i < len(text) - 1 and draw(st.booleans()):
            out.append(draw(st.sampled_from(separators)))
    return "".join(out) + draw(SPACES)


@st.composite
def cased(draw: st.DrawFn, text: str) -> str:
    return "".join(c.upper() if draw(st.booleans()) else c.lower() for c in text)


# --------------------------------------------------------------------------------------- bsn


@st.composite
def valid_bsns(draw: st.DrawFn) -> str:
    """A valid BSN: 8 random digits and the 11-check digit (weights 9..2, last weight -1)."""
    digits = draw(st.lists(st.integers(0, 9), min_size=8, max_size=8))
    check = sum((9 - i) * d for i, d in enumerate(digits)) % 11
    bsn = "".join(map(str, digits)) + str(check)
    if check == 10 or int(bsn) == 0:
        return draw(valid_bsns())
    return bsn


def test_bsn_known_answers() -> None:
    for text in ["111222333", "1112.22.333", " 111 222 333 ", "111-222-333"]:
        assert normalise(K.BSN, text) == b"bsn:111222333"
    assert normalise(K.BSN, "12345672") == normalise(K.BSN, "012345672") == b"bsn:012345672"
    assert str(refused(K.BSN, "111222334")) == "BSN voldoet niet aan de elfproef"
    for text in ["000000000", "00000000", "1234567", "1234567890", "11122233x", ""]:
        refused(K.BSN, text)


@given(valid_bsns(), st.data())
def test_bsn_variants_agree(bsn: str, data: st.DataObject) -> None:
    written = bsn[1:] if bsn[0] == "0" and data.draw(st.booleans()) else bsn
    text = data.draw(spaced(written, (" ", ".", "-", ". ")))
    assert normalise(K.BSN, text) == b"bsn:" + bsn.encode()


@given(valid_bsns(), valid_bsns())
def test_different_bsns_differ(a: str, b: str) -> None:
    assert (normalise(K.BSN, a) == normalise(K.BSN, b)) == (a == b)


@given(valid_bsns(), st.integers(1, 9))
def test_bsn_with_wrong_check_digit_is_refused_without_the_value(bsn: str, delta: int) -> None:
    wrong = bsn[:-1] + str((int(bsn[-1]) + delta) % 10)
    assert str(refused(K.BSN, wrong, wrong, bsn)) == "BSN voldoet niet aan de elfproef"


@given(st.text(min_size=1, max_size=20))
def test_bsn_never_leaks_arbitrary_input(text: str) -> None:
    try:
        result = normalise(K.BSN, text)
    except IdentifierError as error:
        assert len(text.strip()) < 4 or text.strip() not in str(error)
    else:
        assert re.fullmatch(rb"bsn:[0-9]{9}", result)


# ----------------------------------------------------------------------------------- persoon

CORE_WORDS = st.from_regex(r"[a-z]{2,9}", fullmatch=True).filter(lambda w: w not in TUSSENVOEGSELS)
PREFIXES = [
    "",
    "van",
    "de",
    "van der",
    "van den",
    "van de",
    "de la",
    "ter",
    "ten",
    "te",
    "'t",
    "in 't",
    "op de",
    "el",
    "al",
    "den",
    "der",
    "'s",
    "uit den",
    "von",
    "van 't",
    "d'",
]
ACCENTS = {
    "a": "áàäâå",
    "e": "éèëê",
    "i": "íïî",
    "o": "óöôø",
    "u": "úüû",
    "c": "ç",
    "n": "ñ",
    "s": "š",
    "z": "ž",
    "l": "ł",
}
BIRTH_DATES = st.dates(min_value=date(1900, 1, 2), max_value=date(2020, 12, 31))


@st.composite
def people(draw: st.DrawFn) -> tuple[list[str], str, list[str], date]:
    """(core words, prefix, given names, birth date), all plain lower-case ASCII."""
    core = draw(st.lists(CORE_WORDS, min_size=1, max_size=2))
    if len(core) == 2 and draw(st.booleans()):
        core.insert(1, draw(st.sampled_from(["de", "van", "van der", "ter"])))
    given_names = draw(st.lists(CORE_WORDS, min_size=1, max_size=3))
    return core, draw(st.sampled_from(PREFIXES)), given_names, draw(BIRTH_DATES)


def expected_person(core: list[str], prefix: str, given_names: list[str], born: date) -> bytes:
    folded_prefix = " ".join(re.sub(r"[^a-z]", " ", prefix).split())
    core_text = "".join(" ".join(core).split())
    return f"persoon:{core_text}|{folded_prefix}|{given_names[0][0]}|{born}".encode()


@st.composite
def noisy(draw: st.DrawFn, word: str, accents: bool = True) -> str:
    """A word with random case and (optionally) diacritics, composed or decomposed."""
    out = []
    for char in word:
        if accents and char in ACCENTS and draw(st.booleans()):
            char = draw(st.sampled_from(ACCENTS[char]))
        out.append(char.upper() if draw(st.booleans()) else char)
    text = "".join(out)
    return unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), text)


@st.composite
def rendered_people(
    draw: st.DrawFn, core: list[str], prefix: str, given_names: list[str]
) -> tuple[str, str, str]:
    """(family_name, prefix, given_names) as some partner might write them."""
    core_words = " ".join(core).split()
    family = draw(noisy(core_words[0]))
    for word in core_words[1:]:
        family += draw(st.sampled_from([" ", "-", " - ", "  ", ""])) + draw(noisy(word))
    apostrophe = draw(st.sampled_from(["'", "’", "‘", "`", ""]))
    prefix_words = [draw(cased(w.replace("'", apostrophe))) for w in prefix.split()]
    prefix_text = draw(st.sampled_from([" ", "  "])).join(prefix_words)
    placement = draw(st.sampled_from(["field", "front", "comma", "both"])) if prefix else "none"
    prefix_field = prefix_text if placement in ("field", "both") else ""
    if placement in ("front", "both"):
        family = f"{prefix_text}{draw(st.sampled_from([' ', '  ', '-']))}{family}"
    elif placement == "comma":
        family = f"{family}{draw(st.sampled_from([',', ', ', ' ,  ']))}{prefix_text}"
    if draw(st.booleans()):
        given = " ".join(draw(noisy(w)) for w in given_names)
    else:
        given = " ".join(
            draw(cased(w[0])) + draw(st.sampled_from([".", "", ". "])) for w in given_names
        )
    return (draw(SPACES) + family + draw(SPACES), draw(SPACES) + prefix_field, given)


def test_persoon_known_answers() -> None:
    expected = b"persoon:vries|de|a|1990-01-31"
    for family, prefix in [
        ("de Vries", ""),
        ("Vries, de", ""),
        ("DE VRIES", ""),
        ("de vries", ""),
        ("Vries", "de"),
        ("Vries", "De"),
        ("de Vries", "de"),
    ]:
        assert person(family, prefix=prefix) == expected
    assert person("Vries", given_names="anna maria") == b"persoon:vries||a|1990-01-31"
    assert person("Öztürk", "Ömer") == person("Ozturk", "omer") == b"persoon:ozturk||o|1990-01-31"
    assert person("Müller") == person("MULLER") == b"persoon:muller||a|1990-01-31"
    assert person("'t Hart") == person("t Hart") == person("Hart", prefix="’t")
    assert person("'t Hart") == b"persoon:hart|t|a|1990-01-31"
    assert person("Jansen-de Boer") == person("Jansen de Boer") == person("JANSEN-DE-BOER")
    assert person("Jansen-de Boer") == b"persoon:jansendeboer||a|1990-01-31"
    assert person("in 't Veld") == person("Veld, in 't") == b"persoon:veld|in t|a|1990-01-31"
    assert person("van der Berg", "Jan") == person("Berg", "J.", "van der")
    assert person("van der Berg", "Jan") == b"persoon:berg|van der|j|1990-01-31"
    assert person("Ĳzerman", "IJsbrand") == person("IJzerman", "Ijsbrand")
    assert person("IJzerman", "IJsbrand") == b"persoon:ijzerman||i|1990-01-31"
    assert person("O'Brien") == person("OBrien") == b"persoon:obrien||a|1990-01-31"
    assert person("Ter") == b"persoon:ter||a|1990-01-31"  # a name that is a tussenvoegsel stays
    assert person("Jansen, Piet") == b"persoon:jansenpiet||a|1990-01-31"  # not a prefix: kept
    assert person("Łukasiewicz", "Øyvind") == b"persoon:lukasiewicz||o|1990-01-31"
    assert person("Straße") == person("STRASSE") == b"persoon:strasse||a|1990-01-31"
    assert person("Vries", born=date(1900, 1, 2)) == b"persoon:vries||a|1900-01-02"


def test_persoon_parts_all_count() -> None:
    base = person("de Vries")
    assert person("Vries") != base  # the prefix is part of the name
    assert person("van Vries") != base
    assert person("de Vries", "Berta") != base
    assert person("de Vries", born=date(1990, 1, 30)) != base
    assert person("Vandam") != person("van Dam")  # fused prefixes are not split (documented)
    assert person("Meijer") != person("Meyer")  # ij is kept, not mapped to y


def test_persoon_refusals_name_only_what_is_wrong() -> None:
    assert (
        str(refused(K.PERSOON, PersonName(family_name="-'.", given_names="Anna", birth_date=DAY)))
        == "achternaam bevat geen letters"
    )
    no_given = PersonName(family_name="Xyzzyq", given_names="..", birth_date=DAY)
    assert str(refused(K.PERSOON, no_given, "Xyzzyq")) == "voornaam bevat geen letters"
    for born in [date(1900, 1, 1), date(1, 1, 1), date(9999, 12, 31)]:
        refused(
            K.PERSOON,
            PersonName(family_name="Xyzzyq", given_names="Qwxz", birth_date=born),
            "Xyzzyq",
            "Qwxz",
            born.isoformat(),
        )
    refused(K.PERSOON, "de Vries, A., 1990-01-31", "Vries")


@settings(max_examples=300)
@given(people(), st.data())
def test_persoon_variants_agree(
    person_: tuple[list[str], str, list[str], date], data: st.DataObject
) -> None:
    core, prefix, given_names, born = person_
    family, prefix_field, given = data.draw(rendered_people(core, prefix, given_names))
    name = PersonName(family_name=family, prefix=prefix_field, given_names=given, birth_date=born)
    assert normalise(K.PERSOON, name) == expected_person(*person_)


@given(people(), people())
def test_different_people_differ(
    a: tuple[list[str], str, list[str], date], b: tuple[list[str], str, list[str], date]
) -> None:
    def clean(p: tuple[list[str], str, list[str], date]) -> bytes:
        return person(" ".join(p[0]).title(), " ".join(p[2]).title(), p[1], p[3])

    assert (clean(a) == clean(b)) == (expected_person(*a) == expected_person(*b))


# -------------------------------------------------------------------------------------- adres

POSTCODES = (
    st.tuples(st.integers(1000, 9999), st.from_regex(r"[A-Z]{2}", fullmatch=True))
    .filter(lambda p: p[1] not in ("SA", "SD", "SS"))
    .map(lambda p: f"{p[0]}{p[1]}")
)
ADDITIONS = st.one_of(
    st.just(""),
    st.just("H"),
    st.from_regex(r"[A-Z]", fullmatch=True),
    st.integers(1, 99).map(str),
    st.from_regex(r"[A-Z][0-9]{1,2}", fullmatch=True),
)


@st.composite
def addresses(draw: st.DrawFn) -> tuple[str, int, str]:
    return draw(POSTCODES), draw(st.integers(1, 99999)), draw(ADDITIONS)


@st.composite
def written_addition(draw: st.DrawFn, addition: str) -> str:
    if addition == "H":
        return draw(st.sampled_from(["h", "H", "hs", "HS", "huis", "Hs"]))
    if addition.isdigit():
        floor = draw(st.sampled_from(["", "e", "ste", " hoog", "e hoog", "e etage", "de"]))
        return "0" * draw(st.integers(0, 1)) + addition + (floor if int(addition) < 10 else "")
    return draw(cased(addition))


def test_adres_known_answers() -> None:
    for postcode in ["3011ab", "3011 AB", " 3011AB ", "3011  ab", "NL-3011 AB"]:
        for number, addition in [
            ("40", "a"),
            ("40", "-a"),
            ("040", " A"),
            ("40a", ""),
            ("40-A", ""),
            ("40 a", "A"),
        ]:
            assert adres(postcode, number, addition) == b"adres:3011AB|40|A"
    assert adres("3011AB", "40") == b"adres:3011AB|40|"
    assert adres("3011AB", "40", "1 hoog") == adres("3011AB", "40", "1e") == b"adres:3011AB|40|1"
    assert adres("3011AB", "40", "hs") == adres("3011AB", "40-H") == b"adres:3011AB|40|H"
    assert adres("3011AB", "40", "bis") == b"adres:3011AB|40|BIS"
    assert adres("3011AB", "40", "02") == b"adres:3011AB|40|2"
    assert adres(bag_id="0599010000012345") == b"adres:bag:0599010000012345"
    assert adres(bag_id="599010000012345") == b"adres:bag:0599010000012345"  # Excel ate the 0
    assert adres("3011AB", "40", bag_id="0599010000012345") == b"adres:3011AB|40|"


def test_adres_refusals() -> None:
    assert str(refused(K.ADRES, Address(postcode="30111AB", number="40"), "30111AB")) == (
        "postcode heeft niet de vorm 1234 AB"
    )
    for postcode, number, addition, bag in [
        ("0123AB", "40", "", ""),
        ("3011SS", "40", "", ""),
        ("3011SA", "40", "", ""),
        ("3011AB", "0", "", ""),
        ("3011AB", "123456", "", ""),
        ("3011AB", "", "", ""),
        ("", "40", "", ""),
        ("3011AB", "veertig", "", ""),
        ("3011AB", "40a", "b", ""),
        ("3011AB", "40", "QXZQXZQ", ""),
        ("", "", "", ""),
        ("", "", "", "059901000001234"),
        ("", "", "", "0599200000012345"),
        ("", "", "", "0599.0100.0001"),
        ("3011AB", "40", "", "1234"),
        ("3011AB", "40", "1234567", ""),
    ]:
        refused(
            K.ADRES,
            Address(postcode=postcode, number=number, addition=addition, bag_id=bag),
            postcode,
            number,
            addition,
            bag,
        )
    refused(K.ADRES, "Coolsingel 40, 3011 AD Rotterdam", "Coolsingel")


@settings(max_examples=300)
@given(addresses(), st.data())
def test_adres_variants_agree(address: tuple[str, int, str], data: st.DataObject) -> None:
    postcode, number, addition = address
    around = st.sampled_from(["", " ", "\t"])
    middle = data.draw(st.sampled_from(["", " ", "  ", "-"]))
    written_postcode = (
        data.draw(around)
        + postcode[:4]
        + middle
        + data.draw(cased(postcode[4:]))
        + data.draw(around)
    )
    written_number = "0" * data.draw(st.integers(0, 2)) + str(number)
    written_add = data.draw(written_addition(addition))
    if addition and data.draw(st.booleans()):  # the addition attached to the number
        glue = ["-", " ", " - "] + ([""] if written_add[0].isalpha() else [])
        written_number += data.draw(st.sampled_from(glue)) + written_add
        written_add = ""
    else:
        written_add = data.draw(st.sampled_from(["", "-", " ", " - "])) + written_add
    result = adres(written_postcode, data.draw(SPACES) + written_number, written_add)
    assert result == f"adres:{postcode}|{number}|{addition}".encode()


@given(addresses(), addresses())
def test_different_addresses_differ(a: tuple[str, int, str], b: tuple[str, int, str]) -> None:
    assert (adres(a[0], str(a[1]), a[2]) == adres(b[0], str(b[1]), b[2])) == (a == b)


@given(st.from_regex(r"[0-9]{4}01[0-9]{10}", fullmatch=True), st.data())
def test_bag_id_variants_agree(bag: str, data: st.DataObject) -> None:
    written = bag[1:] if bag[0] == "0" and data.draw(st.booleans()) else bag
    assert adres(bag_id=written) == f"adres:bag:{bag}".encode()  # Address allows 16 characters


@given(POSTCODES, st.integers(100000, 10**8))
def test_adres_refusal_never_quotes_the_number(postcode: str, number: int) -> None:
    refused(K.ADRES, Address(postcode=postcode, number=str(number)), str(number), postcode)


# ---------------------------------------------------------------------------------------- kvk

KVKS = st.from_regex(r"[0-9]{8}", fullmatch=True).filter(lambda k: int(k) != 0)


def test_kvk_known_answers() -> None:
    for text in ["24123456", " 2412 3456 ", "24.12.34.56", "24123456 0000", "24123456-0001"]:
        assert normalise(K.KVK, text) == b"kvk:24123456"
    for text in ["241234560000", "2412345", "241234567", "00000000", "KvK 24123456", ""]:
        refused(K.KVK, text, text)
    assert "vestigingsnummer" in str(refused(K.KVK, "000012345678"))


@given(KVKS, st.data())
def test_kvk_variants_agree(kvk: str, data: st.DataObject) -> None:
    if data.draw(st.booleans()):
        text = data.draw(spaced(kvk, (" ", ".", "-")))
    else:
        suffix = data.draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
        text = kvk + data.draw(st.sampled_from([" ", "-", " - ", "/"])) + suffix
    assert normalise(K.KVK, text) == b"kvk:" + kvk.encode()


@given(KVKS, KVKS)
def test_different_kvks_differ(a: str, b: str) -> None:
    assert (normalise(K.KVK, a) == normalise(K.KVK, b)) == (a == b)


@given(st.from_regex(r"[1-9][0-9]{8,11}", fullmatch=True))
def test_kvk_refusal_never_quotes_the_value(text: str) -> None:
    refused(K.KVK, text, text)


# ----------------------------------------------------------------------------------- telefoon

# Subscriber numbers phonenumbers knows to be valid: mobile 06[1-5] and Rotterdam 010.
PHONES = st.one_of(
    st.from_regex(r"6[1-5][0-9]{7}", fullmatch=True), st.from_regex(r"10[0-9]{7}", fullmatch=True)
)


def test_telefoon_known_answers() -> None:
    for text in [
        "06-12345678",
        "0612345678",
        "+31 6 1234 5678",
        "0031612345678",
        "+31 (0)6 12345678",
        "06 12 34 56 78",
    ]:
        assert normalise(K.TELEFOON, text) == b"telefoon:+31612345678"
    assert normalise(K.TELEFOON, "010-4171234") == b"telefoon:+31104171234"
    assert normalise(K.TELEFOON, "+32 470 12 34 56") == b"telefoon:+32470123456"
    for text in ["112", "06123", "0697123456", "geen nummer", ""]:
        refused(K.TELEFOON, text, text)


@given(PHONES, st.data())
def test_telefoon_variants_agree(subscriber: str, data: st.DataObject) -> None:
    trunk = data.draw(st.sampled_from(["0", "+31", "+31 ", "0031", "0031 ", "+31 (0)", "+31(0)"]))
    area, rest = (
        (subscriber[:1], subscriber[1:])
        if subscriber[0] == "6"
        else (subscriber[:2], subscriber[2:])
    )
    text = (
        trunk
        + area
        + data.draw(st.sampled_from(["", "-", " ", " - "]))
        + data.draw(spaced(rest, (" ", "-")))
    )
    assert normalise(K.TELEFOON, text) == f"telefoon:+31{subscriber}".encode()


@given(PHONES, PHONES)
def test_different_phones_differ(a: str, b: str) -> None:
    assert (normalise(K.TELEFOON, "0" + a) == normalise(K.TELEFOON, "0" + b)) == (a == b)


@given(st.from_regex(r"06[0-9]{9,12}", fullmatch=True))
def test_telefoon_refusal_never_quotes_the_value(text: str) -> None:
    refused(K.TELEFOON, text, text)


# -------------------------------------------------------------------------------------- email

LOCALS = st.from_regex(r"[a-z0-9](?:[a-z0-9._+-]{0,14}[a-z0-9])?", fullmatch=True)
DOMAINS = st.from_regex(r"(?:[a-z0-9]{1,10}\.){1,2}[a-z]{2,6}", fullmatch=True)


def test_email_known_answers() -> None:
    assert normalise(K.EMAIL, " Jan.de.Vries+X@Example.NL ") == b"email:jan.de.vries+x@example.nl"
    assert normalise(K.EMAIL, "jan@München.de") == b"email:jan@xn--mnchen-3ya.de"
    assert normalise(K.EMAIL, "jan@xn--mnchen-3ya.de") == b"email:jan@xn--mnchen-3ya.de"
    assert normalise(K.EMAIL, "a.b@x.nl") != normalise(K.EMAIL, "ab@x.nl")  # dots are kept
    assert normalise(K.EMAIL, "ab+x@x.nl") != normalise(K.EMAIL, "ab@x.nl")  # tags are kept
    for text in [
        "jan",
        "jan@",
        "@example.nl",
        "jan@@example.nl",
        "j an@example.nl",
        "jan@example",
        "jan@exa mple.nl",
        "jan@-x.nl",
        "jan@x..nl",
        "jan@1.2.3.4",
    ]:
        refused(K.EMAIL, text, text)


@given(LOCALS, DOMAINS, st.data())
def test_email_variants_agree(local: str, domain: str, data: st.DataObject) -> None:
    text = data.draw(SPACES) + data.draw(cased(f"{local}@{domain}")) + data.draw(SPACES)
    assert normalise(K.EMAIL, text) == f"email:{local}@{domain}".encode()


@given(LOCALS, DOMAINS, LOCALS, DOMAINS)
def test_different_emails_differ(l1: str, d1: str, l2: str, d2: str) -> None:
    same = normalise(K.EMAIL, f"{l1}@{d1}") == normalise(K.EMAIL, f"{l2}@{d2}")
    assert same == ((l1, d1) == (l2, d2))


@given(LOCALS, DOMAINS)
def test_email_refusal_never_quotes_the_value(local: str, domain: str) -> None:
    refused(K.EMAIL, f"{local} {domain}", local, domain)


# --------------------------------------------------------------------------------------- iban

BANKS = st.sampled_from(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])


@st.composite
def ibans(draw: st.DrawFn) -> str:
    bban = draw(BANKS) + draw(st.from_regex(r"[0-9]{10}", fullmatch=True))
    return f"NL{stdnum_iban.calc_check_digits('NL00' + bban)}{bban}"


def test_iban_known_answers() -> None:
    for text in ["NL91ABNA0417164300", "nl91 abna 0417 1643 00", " NL91 ABNA 0417 1643 00 "]:
        assert normalise(K.IBAN, text) == b"iban:NL91ABNA0417164300"
    assert normalise(K.IBAN, "DE89 3704 0044 0532 0130 00") == b"iban:DE89370400440532013000"
    for text in ["NL92ABNA0417164300", "NL91ABNA041716430", "0417164300", ""]:
        refused(K.IBAN, text, text)


@given(ibans(), st.data())
def test_iban_variants_agree(iban: str, data: st.DataObject) -> None:
    grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    text = data.draw(cased(data.draw(st.sampled_from([iban, grouped]))))
    text = data.draw(SPACES) + text + data.draw(SPACES)
    assert normalise(K.IBAN, text) == b"iban:" + iban.encode()


@given(ibans(), ibans())
def test_different_ibans_differ(a: str, b: str) -> None:
    assert (normalise(K.IBAN, a) == normalise(K.IBAN, b)) == (a == b)


@given(ibans(), st.integers(8, 17), st.integers(1, 9))
def test_iban_with_a_wrong_digit_is_refused(iban: str, position: int, delta: int) -> None:
    wrong = iban[:position] + str((int(iban[position]) + delta) % 10) + iban[position + 1 :]
    refused(K.IBAN, wrong, wrong, iban)


# ----------------------------------------------------------------------------------- kenteken

PLATES = st.from_regex(r"[A-Z0-9]{6}", fullmatch=True)


def test_kenteken_known_answers() -> None:
    for text in ["AB-123-C", "ab123c", " Ab 123 c ", "AB123C"]:
        assert normalise(K.KENTEKEN, text) == b"kenteken:AB123C"
    for text in ["AB-123", "AB-123-CD", "AB*123", "ÄB-123-C", ""]:
        refused(K.KENTEKEN, text, text)


@given(PLATES, st.data())
def test_kenteken_variants_agree(plate: str, data: st.DataObject) -> None:
    text = data.draw(spaced(data.draw(cased(plate)), ("-", " ", " - ")))
    assert normalise(K.KENTEKEN, text) == b"kenteken:" + plate.encode()


@given(PLATES, PLATES)
def test_different_plates_differ(a: str, b: str) -> None:
    assert (normalise(K.KENTEKEN, a) == normalise(K.KENTEKEN, b)) == (a == b)


@given(st.from_regex(r"[A-Z0-9]{7,9}", fullmatch=True))
def test_kenteken_refusal_never_quotes_the_value(text: str) -> None:
    refused(K.KENTEKEN, text, text)


# ---------------------------------------------------------------------------------------- url

HOSTS = st.from_regex(r"(?:[a-z0-9]{1,8}\.){1,2}[a-z]{2,5}", fullmatch=True)
PATHS = st.lists(st.from_regex(r"[A-Za-z0-9_~-]{1,8}", fullmatch=True), max_size=3).map(
    lambda parts: "".join("/" + p for p in parts)
)
QUERIES = st.one_of(
    st.just(""),
    st.from_regex(r"[a-z]{1,4}=[A-Za-z0-9]{1,6}(?:&[a-z]{1,4}=[0-9]{1,3})?", fullmatch=True),
)


def test_url_known_answers() -> None:
    expected = b"url:https://example.nl/advertentie?id=7"
    for text in [
        "https://example.nl/advertentie?id=7",
        "HTTPS://Example.NL:443/advertentie?id=7",
        " https://example.nl/advertentie/?id=7#foto-3 ",
        "https://user@example.nl/advertentie?id=7",
    ]:
        assert normalise(K.URL, text) == expected
    assert normalise(K.URL, "http://Example.nl/") == normalise(K.URL, "http://example.nl")
    assert normalise(K.URL, "http://example.nl:8080/") == b"url:http://example.nl:8080"
    assert normalise(K.URL, "http://example.nl/A") != normalise(K.URL, "http://example.nl/a")
    assert normalise(K.URL, "http://x.nl?b=1&a=2") != normalise(K.URL, "http://x.nl?a=2&b=1")
    assert normalise(K.URL, "https://bücher.de/x") == b"url:https://xn--bcher-kva.de/x"
    assert normalise(K.URL, "http://[2001:DB8::1]:80/") == b"url:http://[2001:db8::1]"
    assert normalise(K.URL, "http://192.168.1.1/") == b"url:http://192.168.1.1"
    for text in [
        "ftp://example.nl/x",
        "www.example.nl/x",
        "example.nl",
        "https://",
        "http://x/",
        "https://example.nl:99999/",
        "javascript:alert(1)",
        "",
    ]:
        refused(K.URL, text, text)


@given(
    st.sampled_from(["http", "https"]),
    HOSTS,
    st.sampled_from([None, 8080, 8443]),
    PATHS,
    QUERIES,
    st.data(),
)
def test_url_variants_agree(
    scheme: str, host: str, port: int | None, path: str, query: str, data: st.DataObject
) -> None:
    default = {"http": 80, "https": 443}[scheme]
    netloc = data.draw(cased(host))
    if port is not None:
        netloc += f":{port}"
    elif data.draw(st.booleans()):
        netloc += f":{default}"
    text = (
        data.draw(cased(scheme))
        + "://"
        + netloc
        + path
        + data.draw(st.sampled_from(["", "/"]))
        + (f"?{query}" if query else "")
        + data.draw(st.sampled_from(["", "#", "#top"]))
    )
    expected = f"url:{scheme}://{host}{f':{port}' if port else ''}{path}"
    expected += f"?{query}" if query else ""
    assert normalise(K.URL, data.draw(SPACES) + text) == expected.encode()


@given(HOSTS, PATHS, HOSTS, PATHS)
def test_different_urls_differ(h1: str, p1: str, h2: str, p2: str) -> None:
    same = normalise(K.URL, f"https://{h1}{p1}") == normalise(K.URL, f"https://{h2}{p2}")
    assert same == ((h1, p1) == (h2, p2))


@given(HOSTS, PATHS)
def test_url_refusal_never_quotes_the_value(host: str, path: str) -> None:
    refused(K.URL, f"ftp://{host}{path}", host, path)


# ------------------------------------------------------------------------------- cross-cutting

VALID = {
    K.BSN: "111222333",
    K.KVK: "24123456",
    K.TELEFOON: "0612345678",
    K.EMAIL: "a@b.nl",
    K.IBAN: "NL91ABNA0417164300",
    K.KENTEKEN: "AB123C",
    K.URL: "https://b.nl",
    K.PERSOON: PersonName(family_name="Vries", given_names="A", birth_date=DAY),
    K.ADRES: Address(postcode="3011AB", number="40"),
}


@pytest.mark.parametrize("kind", list(K))
def test_every_result_starts_with_its_kind(kind: K) -> None:
    assert normalise(kind, VALID[kind]).startswith(f"{kind}:".encode())
    assert normalise(kind.value, VALID[kind]) == normalise(kind, VALID[kind])


@pytest.mark.parametrize("kind", list(K))
def test_wrong_value_type_is_refused(kind: K) -> None:
    wrong = "3011AB 40" if kind in (K.PERSOON, K.ADRES) else Address(postcode="3011AB", number="40")
    refused(kind, wrong)


def test_identifier_error_is_a_plain_exception_that_pickles() -> None:
    error = pickle.loads(pickle.dumps(IdentifierError(K.BSN, "BSN voldoet niet aan de elfproef")))
    assert (error.kind, error.reason, str(error)) == (
        K.BSN,
        "BSN voldoet niet aan de elfproef",
        "BSN voldoet niet aan de elfproef",
    )


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        normalise("paspoort", "X")  # type: ignore[arg-type]

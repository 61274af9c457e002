"""Normal forms of identifiers: the one place that decides whether two partners' records link.

The pseudonym of an identifier is ``OPRF(kind ":" normal_form)``. The OPRF is exact,
so two records link only if their normal forms are byte-equal: every partner's spelling of the
same BSN, name, address, ... must map to one string, and different identifiers must never map
to the same string. Every adapter calls :func:`normalise`; no adapter normalises on its own.

Normal forms (the returned bytes are UTF-8 ``kind:normal_form``):

=========  ===========================================  =====================================
kind       normal form                                  example
=========  ===========================================  =====================================
bsn        9 digits (8-digit BSNs get a leading zero)   ``bsn:111222333``
persoon    ``core|prefix|initial|YYYY-MM-DD``           ``persoon:vries|de|a|1990-01-31``
adres      ``PPPPLL|number|ADDITION`` or ``bag:<16>``   ``adres:3011AB|40|A``, ``adres:3011AB|40|``
kvk        8 digits                                     ``kvk:24123456``
telefoon   E.164                                        ``telefoon:+31612345678``
email      lower-case local part ``@`` IDNA domain      ``email:jan.de.vries+x@xn--mnchen-3ya.de``
iban       compact, upper case                          ``iban:NL91ABNA0417164300``
kenteken   6 upper-case letters/digits, no dashes       ``kenteken:AB123C``
url        ``scheme://host[:port]path[?query]``         ``url:https://example.nl/advertentie?id=7``
=========  ===========================================  =====================================

persoon, in detail. Family name and prefix (tussenvoegsel) are folded together as one sequence
of words, so ``de Vries``, ``DE VRIES``, ``Vries, de`` and ``prefix="de", family_name="Vries"``
are the same name:

* fold: NFKD, drop combining marks (``Öztürk`` = ``Ozturk``), case-fold (``ß`` → ``ss``), map
  the few letters NFKD does not decompose (``ø`` → ``o``, ``ł`` → ``l``, ``æ`` → ``ae``, ...).
  The ligature ``ĳ`` becomes ``ij``; ``ij`` stays ``ij`` and is *not* unified with ``y``
  (``Meijer`` and ``Meyer`` are different spellings to the BRP, and guessing would merge people).
* words: everything that is not a letter or digit separates words (spaces, hyphens, apostrophes,
  dots), so ``'t Hart`` = ``t Hart`` = ``’t Hart``.
* ``Vries, de``: if the text after the first comma consists only of tussenvoegsels it is moved
  to the front; otherwise the comma is just a separator. A prefix given separately that the
  family name already starts with is not added twice.
* prefix: the leading words that are tussenvoegsels (:data:`TUSSENVOEGSELS`), joined by one
  space (``van der``, ``in t``); the last word is always kept as the core, so a family name that
  *is* such a word (``Ter``) keeps it. Only *leading* words count: ``Jansen-de Boer`` has no prefix.
* core: the remaining words joined *without* separator, so ``Jansen-de Boer``, ``Jansen de Boer``
  and ``Jansen-De-Boer`` are one name (``jansendeboer``), as are ``O'Brien`` and ``OBrien``. A
  prefix written fused to the core (``Vandam``, ``Terhorst``) is not split off: that would need a
  dictionary, and Flemish ``Vandamme`` and Dutch ``van Damme`` are different families.
* initial: first letter of the first given name after folding (``IJsbrand`` → ``i``).
* birth date: ISO 8601. Dates before 1900-01-02 or in the future are refused, because partners
  use ``1900-01-01`` (or earlier) as "unknown", and a placeholder would link strangers.

adres: postcode compact upper case (``3011 ab`` → ``3011AB``, SA/SD/SS refused); house number
without leading zeros (1–99999); addition upper case without separators (``"-a"``, ``" A"`` →
``A``).
A number with the addition attached (``40a``, ``40-2``) is split. Written conventions that the
BAG records otherwise are mapped: ``hs``/``huis`` → ``H`` (ground floor, as the BAG in Amsterdam
writes it), ``1 hoog``/``1e``/``1ste``/``1e etage`` → ``1``; an all-digit addition loses its
leading zeros. ``bis`` stays ``BIS``: municipalities record it inconsistently (``BIS``, a letter,
a separate number), so no mapping is safe. Roman floors (``II``) are kept as written. When a
postcode or number is given, the pseudonym is of postcode+number+addition, because that is what
most partners hold; the BAG id (verblijfsobject, 16 digits, object type ``01``; a 15-digit id lost
its leading zero to a spreadsheet and gets it back) is still checked then, but used only when
neither postcode nor number is given, as ``bag:<id>``. The two forms never link to each other.

kvk: 8 digits. ``24123456 0000`` / ``24123456-0000`` (number plus the old 4-digit subdossier
suffix, with a separator) is accepted as the 8-digit part. A bare 12-digit number is refused:
it is as likely a vestigingsnummer (its own 12-digit number), and truncating that would name
a different company.

email: the whole address is lower-cased. RFC 5321 lets the local part be case-sensitive, but no
real mailbox provider uses that and partners' systems do not preserve case reliably, so keeping
case would lose links and gain none. ``+tags`` and dots are kept: whether ``a.b+x`` and ``ab``
reach one mailbox depends on the provider, and merging two people is worse than missing a link.
The domain is IDNA-encoded with Python's ``idna`` codec (IDNA 2003: ``straße.de`` → ``strasse.de``).

url: scheme and host lower-case (host IDNA-encoded), default port dropped, user info and
fragment dropped, trailing slashes of the path dropped (``/`` becomes empty); path and query kept
byte for byte (the query often *is* the advertisement id; its order is not sorted). ``http`` and
``https`` and ``www.`` variants stay different.

Errors: :class:`IdentifierError` says in Dutch what is wrong and never contains the value (it is
logged and sent back to partners), and is raised ``from None`` so no library exception that might
quote the value travels along in a traceback.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from datetime import date
from urllib.parse import urlsplit

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError
from stdnum.nl import bsn as stdnum_bsn

from adapters.base import Address, PersonName
from gateway.vocabulary import SubjectKind

__all__ = ["TUSSENVOEGSELS", "IdentifierError", "normalise"]

#: Words that make up Dutch (and common foreign) tussenvoegsels, after folding; multi-word
#: prefixes (``van der``, ``in 't``, ``op de``, ``de la``) are sequences of these.
TUSSENVOEGSELS: frozenset[str] = frozenset(
    "aan al bij d da dal das de del della den der des di do dos du el het in l la le les "
    "onder op over s t te ten ter thoe tot uit uijt van ver voor vom von zu zum zur".split()
)

_LETTER_MAP = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h"}
)
_WHITESPACE = re.compile(r"\s+")
_POSTCODE = re.compile(r"[1-9][0-9]{3}[A-Z]{2}")
_HOUSE_NUMBER = re.compile(r"0*([0-9]{1,5})(?![0-9])(.*)", re.DOTALL)
_FLOOR = re.compile(r"([0-9]{1,2})(?:(?:E|STE|DE)(?:HOOG|ETAGE|VERDIEPING)?|HOOG|ETAGE|VERDIEPING)")
_KVK_WITH_SUFFIX = re.compile(r"([0-9]{8})[\s./-]+[0-9]{4}")
_EMAIL_LOCAL_FORBIDDEN = re.compile(r'[\s<>()\[\]\\,;:"@]')
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_KENTEKEN = re.compile(r"[A-Z0-9]{6}")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_EARLIEST_BIRTH_DATE = date(1900, 1, 2)


class IdentifierError(Exception):
    """An identifier cannot be normalised. ``str()`` is ``reason``: Dutch, without the value."""

    def __init__(self, kind: SubjectKind, reason: str) -> None:
        super().__init__(kind, reason)
        self.kind = kind
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def normalise(kind: SubjectKind, value: str | PersonName | Address) -> bytes:
    """Return the OPRF input ``kind:normal_form`` (UTF-8) or raise :class:`IdentifierError`."""
    kind = SubjectKind(kind)
    if kind is SubjectKind.PERSOON:
        if not isinstance(value, PersonName):
            raise IdentifierError(kind, "persoon vraagt naam, voornaam en geboortedatum")
        form = _persoon(value)
    elif kind is SubjectKind.ADRES:
        if not isinstance(value, Address):
            raise IdentifierError(kind, "adres vraagt postcode en huisnummer of een BAG-id")
        form = _adres(value)
    else:
        if not isinstance(value, str):
            raise IdentifierError(kind, f"{kind} moet als tekst worden aangeleverd")
        form = _TEXT_KINDS[kind](value)
    return f"{kind}:{form}".encode()


def _fold(text: str) -> str:
    """Case- and accent-free text, so spelling variants of one name compare equal."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_LETTER_MAP)


def _words(text: str) -> list[str]:
    """Folded words: anything that is not a letter or digit separates them."""
    return "".join(c if c.isalnum() else " " for c in _fold(text)).split()


def _persoon(name: PersonName) -> str:
    kind = SubjectKind.PERSOON
    family_text = name.family_name
    if "," in family_text:
        before, after = family_text.split(",", 1)
        after_words = _words(after)
        if after_words and all(w in TUSSENVOEGSELS for w in after_words):
            family_text = f"{after} {before}"
    family = _words(family_text)
    given_prefix = _words(name.prefix)
    if family[: len(given_prefix)] != given_prefix:
        family = given_prefix + family
    if not family:
        raise IdentifierError(kind, "achternaam bevat geen letters")
    split = 0
    while split < len(family) - 1 and family[split] in TUSSENVOEGSELS:
        split += 1
    core, prefix = "".join(family[split:]), " ".join(family[:split])
    given = _words(name.given_names)
    if not given:
        raise IdentifierError(kind, "voornaam bevat geen letters")
    born = name.birth_date
    if not _EARLIEST_BIRTH_DATE <= born <= date.today():
        raise IdentifierError(
            kind, "geboortedatum ligt voor 1900 of in de toekomst (geen nepdatum gebruiken)"
        )
    return f"{core}|{prefix}|{given[0][0]}|{born.isoformat()}"


def _adres(address: Address) -> str:
    kind = SubjectKind.ADRES
    bag = _bag_id(address.bag_id) if address.bag_id.strip() else None
    if not (address.postcode.strip() or address.number.strip()):
        if bag is None:
            raise IdentifierError(kind, "adres heeft geen postcode en huisnummer en geen BAG-id")
        return f"bag:{bag}"
    postcode = _WHITESPACE.sub("", address.postcode).replace("-", "").upper()
    if postcode.startswith("NL") and len(postcode) == 8:
        postcode = postcode[2:]
    if not _POSTCODE.fullmatch(postcode):
        raise IdentifierError(kind, "postcode heeft niet de vorm 1234 AB")
    if postcode[4:] in ("SA", "SD", "SS"):
        raise IdentifierError(kind, "postcode met letters SA, SD of SS bestaat niet")
    match = _HOUSE_NUMBER.fullmatch(address.number.strip())
    if match is None or int(match[1]) == 0:
        raise IdentifierError(kind, "huisnummer is geen getal van 1 tot en met 99999")
    attached, separate = _addition(match[2]), _addition(address.addition)
    if attached and separate and attached != separate:
        raise IdentifierError(kind, "toevoeging in huisnummer en toevoegingsveld verschillen")
    return f"{postcode}|{int(match[1])}|{attached or separate}"


def _addition(text: str) -> str:
    """Huisletter + huisnummertoevoeging as one upper-case token (see the module docstring)."""
    compact = "".join(c for c in _fold(text) if c.isalnum()).upper()
    if compact in ("HS", "HUIS"):
        return "H"
    floor = _FLOOR.fullmatch(compact)
    if floor is not None:
        return str(int(floor[1]))
    if len(compact) > 6 or not compact.isascii():
        raise IdentifierError(SubjectKind.ADRES, "huisnummertoevoeging is te lang of ongeldig")
    return str(int(compact)) if compact.isdigit() else compact


def _bag_id(text: str) -> str:
    kind = SubjectKind.ADRES
    compact = _WHITESPACE.sub("", text).replace(".", "")
    if compact.isdigit() and len(compact) == 15:
        compact = "0" + compact  # a spreadsheet dropped the leading zero of the gemeentecode
    if not (compact.isascii() and compact.isdigit() and len(compact) == 16):
        raise IdentifierError(kind, "BAG-id heeft geen 16 cijfers")
    if compact[4:6] != "01":
        raise IdentifierError(kind, "BAG-id is geen verblijfsobject (objecttypecode 01)")
    return compact


def _bsn(text: str) -> str:
    kind = SubjectKind.BSN
    compact = _WHITESPACE.sub("", text).replace(".", "").replace("-", "")
    if not (compact.isascii() and compact.isdigit()):
        raise IdentifierError(kind, "BSN bevat andere tekens dan cijfers")
    if len(compact) not in (8, 9):
        raise IdentifierError(kind, "BSN heeft geen 9 cijfers")
    compact = compact.zfill(9)
    if int(compact) == 0:
        raise IdentifierError(kind, "BSN bestaat alleen uit nullen")
    try:
        return stdnum_bsn.validate(compact)
    except ValidationError:
        raise IdentifierError(kind, "BSN voldoet niet aan de elfproef") from None


def _kvk(text: str) -> str:
    kind = SubjectKind.KVK
    stripped = text.strip()
    compact = _WHITESPACE.sub("", stripped).replace(".", "").replace("-", "")
    if not (compact.isascii() and compact.isdigit()):
        match = _KVK_WITH_SUFFIX.fullmatch(stripped)
        if match is None:
            raise IdentifierError(kind, "KvK-nummer bevat andere tekens dan cijfers")
        compact = match[1]
    elif len(compact) == 12:
        match = _KVK_WITH_SUFFIX.fullmatch(stripped)
        if match is None:
            raise IdentifierError(
                kind, "12 cijfers zonder scheiding: mogelijk een vestigingsnummer, geen KvK-nummer"
            )
        compact = match[1]
    if len(compact) != 8:
        raise IdentifierError(kind, "KvK-nummer heeft geen 8 cijfers")
    if int(compact) == 0:
        raise IdentifierError(kind, "KvK-nummer bestaat alleen uit nullen")
    return compact


def _telefoon(text: str) -> str:
    kind = SubjectKind.TELEFOON
    try:
        number = phonenumbers.parse(_WHITESPACE.sub(" ", text), "NL")  # it stumbles on tabs
    except phonenumbers.NumberParseException:
        raise IdentifierError(kind, "telefoonnummer is niet te lezen") from None
    if not phonenumbers.is_valid_number(number):
        raise IdentifierError(kind, "telefoonnummer bestaat niet volgens het nummerplan")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _idna_host(host: str) -> str | None:
    """Lower-case ASCII host name, or None if it is not a valid DNS name."""
    host = host.lower().rstrip(".")
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or len(labels) < 2 or labels[-1].isdigit():
        return None
    return ascii_host if all(_DNS_LABEL.fullmatch(label) for label in labels) else None


def _url_host(raw_host: str) -> str | None:
    """An IP address in its canonical spelling (IPv6 in brackets), else an IDNA host name."""
    try:
        ip = ipaddress.ip_address(raw_host)
    except ValueError:
        return _idna_host(raw_host)
    return f"[{ip.compressed}]" if ip.version == 6 else ip.compressed


def _email(text: str) -> str:
    kind = SubjectKind.EMAIL
    address = unicodedata.normalize("NFC", text.strip().lower())
    if address.count("@") != 1:
        raise IdentifierError(kind, "e-mailadres heeft niet precies één @")
    local, domain = address.split("@")
    if not 0 < len(local) <= 64 or not local.isprintable() or _EMAIL_LOCAL_FORBIDDEN.search(local):
        raise IdentifierError(kind, "deel voor de @ is leeg, te lang of bevat ongeldige tekens")
    host = _idna_host(domain)
    if host is None:
        raise IdentifierError(kind, "domein na de @ is geen geldige domeinnaam")
    return f"{local}@{host}"


def _iban(text: str) -> str:
    try:
        return stdnum_iban.validate(_WHITESPACE.sub("", text)).upper()
    except ValidationError:
        reason = "IBAN: controlegetal of opbouw klopt niet"
        raise IdentifierError(SubjectKind.IBAN, reason) from None


def _kenteken(text: str) -> str:
    compact = _WHITESPACE.sub("", text).replace("-", "").upper()
    if not (compact.isascii() and _KENTEKEN.fullmatch(compact)):
        raise IdentifierError(SubjectKind.KENTEKEN, "kenteken heeft geen 6 letters en cijfers")
    return compact


def _url(text: str) -> str:
    kind = SubjectKind.URL
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise IdentifierError(kind, "URL is niet te lezen (poort of host ongeldig)") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise IdentifierError(kind, "URL begint niet met http:// of https://")
    host = _url_host(parts.hostname or "")
    if not host:
        raise IdentifierError(kind, "URL heeft geen geldige hostnaam")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{host}{parts.path.rstrip('/')}{query}"


_TEXT_KINDS = {
    SubjectKind.BSN: _bsn,
    SubjectKind.KVK: _kvk,
    SubjectKind.TELEFOON: _telefoon,
    SubjectKind.EMAIL: _email,
    SubjectKind.IBAN: _iban,
    SubjectKind.KENTEKEN: _kenteken,
    SubjectKind.URL: _url,
}

"""The covenant's vocabulary, defined once: codes in the words the users use.

These enumerations are the API contract and the policy input contract alike; adding a member is a
change privacy officers must see in review, which is why they live here and not in loose strings.
"""

from __future__ import annotations

from enum import StrEnum


class PartyType(StrEnum):
    """Kinds of covenant partner."""

    GEMEENTE = "gemeente"
    POLITIE = "politie"
    OM = "om"
    RIEC = "riec"
    ARBEIDSINSPECTIE = "arbeidsinspectie"
    BELASTINGDIENST = "belastingdienst"
    KMAR = "kmar"
    IND = "ind"
    ZORG = "zorg"
    WONINGCORPORATIE = "woningcorporatie"
    ZVH = "zvh"


class Role(StrEnum):
    """Roles a token may carry; the covenant says which a party may hold."""

    ADAPTER = "adapter"
    ANALIST = "analist"
    CASUSREGISSEUR = "casusregisseur"
    PRIVACY_OFFICER = "privacy_officer"
    DEELNEMER = "deelnemer"


class Form(StrEnum):
    """Forms of exploitation (verschijningsvormen) plus the related labels the covenant names."""

    SEKSUELE_UITBUITING = "seksuele_uitbuiting"
    ARBEIDSUITBUITING = "arbeidsuitbuiting"
    CRIMINELE_UITBUITING = "criminele_uitbuiting"
    GEDWONGEN_DIENSTVERLENING = "gedwongen_dienstverlening"
    ORGAANVERWIJDERING = "orgaanverwijdering"
    ILLEGALE_PROSTITUTIE = "illegale_prostitutie"
    MENSENSMOKKEL = "mensensmokkel"
    ONBEKEND = "onbekend"


class Barrier(StrEnum):
    """Barriers of the barrier model; every indicator belongs to one."""

    ENTREE = "entree"
    IDENTITEIT = "identiteit"
    HUISVESTING = "huisvesting"
    ARBEID = "arbeid"
    FINANCIEN = "financien"
    VERVOER = "vervoer"
    WERVING = "werving"


class Certainty(StrEnum):
    """How firmly the reporting partner holds the signal: a suspicion is not an established fact."""

    VERMOEDEN = "vermoeden"
    AANNEMELIJK = "aannemelijk"
    VASTGESTELD = "vastgesteld"


class DataClass(StrEnum):
    """Legal classes of the data behind a signal; the policies decide who may receive which."""

    GEWOON = "gewoon"  # ordinary personal data
    GEZONDHEID = "gezondheid"  # AVG art. 9 (health)
    SEKSUEEL_LEVEN = "seksueel_leven"  # AVG art. 9 (sex life: prostitution, licences)
    STRAFRECHTELIJK = "strafrechtelijk"  # AVG art. 10 (criminal data)
    POLITIEGEGEVENS = "politiegegevens"  # Wpg police data
    CIE = "cie"  # criminal intelligence: the ingest policy must refuse it
    FISCAAL = "fiscaal"  # tax secrecy, AWR art. 67
    ZORG_BEROEPSGEHEIM = "zorg_beroepsgeheim"  # professional secrecy of care providers
    VERBLIJFSSTATUS = "verblijfsstatus"  # immigration status


class SubjectKind(StrEnum):
    """What a pseudonym stands for; the OPRF input is ``kind ":" normalised value``."""

    BSN = "bsn"
    PERSOON = "persoon"
    ADRES = "adres"
    KVK = "kvk"
    TELEFOON = "telefoon"
    EMAIL = "email"
    IBAN = "iban"
    KENTEKEN = "kenteken"
    URL = "url"


class SubjectRole(StrEnum):
    """The part a subject plays in a signal: persons have a role; things link them."""

    SLACHTOFFER = "slachtoffer"
    VERDACHTE = "verdachte"
    FACILITEERDER = "faciliteerder"
    BETROKKENE = "betrokkene"
    VERBLIJFPLAATS = "verblijfplaats"
    WERKGEVER = "werkgever"
    WERKPLEK = "werkplek"
    CONTACTMIDDEL = "contactmiddel"
    VOERTUIG = "voertuig"
    ADVERTENTIE = "advertentie"
    REKENING = "rekening"


class SignalState(StrEnum):
    """What a reporting party may learn about its own signal, never the case content."""

    RECEIVED = "received"
    LINKED = "linked"  # in a cluster with at least one other signal (whose, it does not say)
    IN_CASE = (
        "in_case"  # part of a case that is not closed (which, and what in it, it does not say)
    )
    CLOSED = "closed"  # every case it was part of is closed

"""Option tables shared by several partner formats (keys are matched with ``fields.key``)."""

from __future__ import annotations

from gateway.vocabulary import Certainty, Form, SubjectRole

FORMS: dict[str, Form] = {form.value: form for form in Form}
#: Care and municipal back offices write the forms as words, not codes; ``key`` folds
#: "Seksuele uitbuiting" to ``seksuele_uitbuiting`` already, these are the other spellings seen.
FORMS_WRITTEN: dict[str, Form] = {
    **FORMS,
    "gedwongen bedelarij": Form.GEDWONGEN_DIENSTVERLENING,
    "overig": Form.ONBEKEND,
}

CERTAINTIES: dict[str, Certainty] = {certainty.value: certainty for certainty in Certainty}

PERSON_ROLES: dict[str, SubjectRole] = {
    "slachtoffer": SubjectRole.SLACHTOFFER,
    "verdachte": SubjectRole.VERDACHTE,
    "faciliteerder": SubjectRole.FACILITEERDER,
    "betrokkene": SubjectRole.BETROKKENE,
}

"""FHIR R4: a patient's record as resources (export), and check-ins read back from a Bundle.

`patient_resources` streams one patient's resources and `instrument_questionnaires` gives the
instruments as Questionnaires; `$everything` (routes.py) and the Bulk Data export both write them.
"""

from afterglow.fhir.export import PATIENT_TYPES, patient_resources
from afterglow.fhir.questionnaires import afterglow_code_system, instrument_questionnaires

__all__ = [
    "PATIENT_TYPES",
    "afterglow_code_system",
    "instrument_questionnaires",
    "patient_resources",
]

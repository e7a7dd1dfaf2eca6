"""The code tables of the FHIR mapping (docs/fhir.md prints the same): FHIR codes ↔ clinimg values.

Both directions read these tables, so what `clinimg fhir export` writes is what the import reads.
"""
from __future__ import annotations

BASE = "https://clinimg.example/fhir"
# An identifier with this system carries a clinimg id verbatim (event ids, image ids, people):
# FHIR logical ids allow only [A-Za-z0-9-.]{1,64}, clinimg ids any text.
EVENT_ID_SYSTEM = f"{BASE}/event-id"
ID_SYSTEM = f"{BASE}/id"
# A field extension sets one event field that FHIR has no element for: its URL is this prefix
# plus the field's dotted path (`…/StructureDefinition/image.identifiable`), its value the
# field's (valueBoolean, valueDecimal, valueString, valueCode). A list or object is carried as
# JSON text (valueString) under JSON_FIELD_PREFIX.
FIELD_PREFIX = f"{BASE}/StructureDefinition/"
JSON_FIELD_PREFIX = f"{BASE}/StructureDefinition/json/"
# clinimg's own code systems: each code is the clinimg value itself.
PURPOSE_SYSTEM = f"{BASE}/CodeSystem/purpose"
ROLE_SYSTEM = f"{BASE}/CodeSystem/role"
EVENT_TYPE_SYSTEM = f"{BASE}/CodeSystem/event-type"
RULE_SYSTEM = f"{BASE}/CodeSystem/rule"

DCM = "http://dicom.nema.org/resources/ontology/DCM"
ISO_LIFECYCLE = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle"
V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
V3_PURPOSE_OF_USE = "http://terminology.hl7.org/CodeSystem/v3-PurposeOfUse"
V3_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
MEDIA_TYPE = "http://terminology.hl7.org/CodeSystem/media-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
AUDIT_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
RESTFUL = "http://hl7.org/fhir/restful-interaction"
AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
PROVENANCE_ACTIVITY = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_CATEGORY_LOINC = "http://loinc.org"

PURPOSES = ("clinical_care", "teaching", "training", "research", "publication", "legal_proceedings", "patient_access", "personal")
ROLES = ("medical_student", "intern", "resident", "registrar", "consultant", "nurse", "allied_health", "clinical_photographer", "admin")

# HL7 v3 ActReason / PurposeOfUse codes with a clear clinimg purpose (any other code of those
# systems is "not mapped": the resource is listed, never decided on a guess).
V3_PURPOSE = {
    "TREAT": "clinical_care", "ETREAT": "clinical_care", "CAREMGT": "clinical_care", "COC": "clinical_care", "POPHLTH": None,
    "HRESCH": "research", "CLINTRCH": "research", "BIORCH": "research", "DSRCH": "research", "CLINTRL": "research",
    "HLEGAL": "legal_proceedings",
    "PATRQT": "patient_access",
}
V3_PURPOSE = {k: v for k, v in V3_PURPOSE.items() if v}
# clinimg purpose → the v3 code written on export (clinimg's own code system for the others).
PURPOSE_V3 = {"clinical_care": "TREAT", "research": "HRESCH", "legal_proceedings": "HLEGAL", "patient_access": "PATRQT"}

MEDIA_MODALITY = {"image": "photo", "video": "video", "audio": "audio"}  # media-type code → image.modality
MODALITY_MEDIA = {v: k for k, v in MEDIA_MODALITY.items()}

# AuditEvent.type / subtype codes → the clinimg event type (DICOM and ISO 21089, as IHE BALP uses them)
AUDIT_TYPE = {
    (DCM, "110106"): "disclosure",  # Export
    (DCM, "110107"): "receipt",  # Import
    (ISO_LIFECYCLE, "disclose"): "disclosure",
    (ISO_LIFECYCLE, "transmit"): "disclosure",
    (ISO_LIFECYCLE, "receive"): "receipt",
    (ISO_LIFECYCLE, "destroy"): "deletion",
    (ISO_LIFECYCLE, "delete"): "deletion",
    (RESTFUL, "delete"): "deletion",
}
# Agent types (DICOM role ids, v3 participation) by the part they play
SOURCE_AGENT = {(DCM, "110153"), (V3_PARTICIPATION, "CST"), (V3_PARTICIPATION, "AUT"), (V3_PARTICIPATION, "INF")}
DESTINATION_AGENT = {(DCM, "110152"), (V3_PARTICIPATION, "IRCP"), (V3_PARTICIPATION, "PRCP"), (V3_PARTICIPATION, "RCV")}

CONSENT_STATUS = {"active": "granted", "rejected": "refused", "inactive": "withdrawn"}
# A RelatedPerson who consents: a parent or guardian, else a substitute decision-maker.
PARENT_CODES = {"PRN", "MTH", "FTH", "NPRN", "NMTH", "NFTH", "GUARD", "STPPRN", "STPMTH", "STPFTH", "ADOPTP", "FTHFOST", "MTHFOST", "PRNFOST", "GUADLTM"}
# A Consent actor with one of these roles names who may receive the image (consent.recipients).
RECIPIENT_ROLES = {"IRCP", "PRCP", "RCV", "recipient"}
RECIPIENT_DESCRIPTORS = ("clinician", "health_record", "patient", "patient_representative", "student", "researcher", "publisher",
                         "court", "law_enforcement", "family", "public", "social_media", "other", "treating_team", "consulted")
# The kind of a recipient (or a consent's named recipient) by the resource the reference names
RECIPIENT_KIND_BY_RESOURCE = {"Practitioner": "clinician", "PractitionerRole": "clinician", "Patient": "patient",
                              "RelatedPerson": "family", "CareTeam": "treating_team"}

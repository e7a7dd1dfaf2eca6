"""FHIR R4 in and out (issue 11): the mapping table is docs/fhir.md.

- inbound: Bundles and Bulk Data NDJSON → clinimg events (audit) or one request (check)
- outbound: clinimg events → FHIR (`clinimg fhir export`), audit findings → a FHIR Bundle
"""
from .inbound import FhirEvent, FhirRead, Unmapped, looks_like_fhir, read_fhir, read_fhir_document, request_from_events, request_from_fhir

__all__ = ["FhirEvent", "FhirRead", "Unmapped", "looks_like_fhir", "read_fhir", "read_fhir_document", "request_from_events", "request_from_fhir"]

"""Writes examples/logs/week.jsonl: a week of ordinary, compliant traffic (checker.loggen with no
violations) with the guide's six case studies hidden in it. Deterministic; re-run to regenerate.
The findings the audit must produce are in examples/logs/week.expected.yaml."""
from __future__ import annotations

import io
import json
import pathlib

from checker.loggen import FULLY_INFORMED, Generator

ROOT = pathlib.Path(__file__).resolve().parent.parent
PHONE = {"owner": "personal", "passcode": True, "remote_wipe": True, "auto_upload": "off"}


def ev(event_id: str, kind: str, at: str, actor: dict, patient: dict, **fields) -> dict:
    return {"schema_version": "1", "event_id": event_id, "type": kind, "occurred_at": at, "facility": "north-hospital", "actor": actor, "patient": patient, **fields}


def image(image_id: str, **flags) -> dict:
    base = {"id": image_id, "modality": "photo", "subject": "wound", "identifiable": False, "identifying_features": [], "intimate": False,
            "deidentified": False, "metadata_present": [], "rare_condition": False, "source": "staff"}
    return {**base, **flags}


def consent(purposes: list[str], image_ids: list[str], documented: bool = True) -> dict:
    return {"status": "granted", "given_by": "patient", "purposes": purposes, "image_ids": image_ids, "identifiable_use": False, "publication": False,
            "documented_in_record": documented, "written_form": False, "informed_of": FULLY_INFORMED}


def capture_fields(img: dict, who: str, at: str, purposes: list[str]) -> dict:
    return {"image": img, "purposes": purposes, "capture_record": {"who": who, "when": at, "mode": "personal smartphone camera"},
            "circumstances": {"urgent": False, "child_distressed": False, "in_theatre": False}}


def case_studies() -> list[dict]:
    out = []
    # 1. A medical student films a resuscitation and posts it on Facebook.
    student = {"id": "student-cs1", "role": "medical_student", "device": {"id": "ph-student-cs1", **PHONE}}
    p1 = {"id": "pt-cs1", "age_years": 81, "capacity": "impaired"}
    out.append(ev("cs1-film", "capture", "2026-11-16T15:40:00+11:00", student, p1, **capture_fields(image("img-cs1", modality="video", subject="procedure"), "student-cs1", "2026-11-16T15:40:00+11:00", ["personal"]),
                  ) | {"circumstances": {"urgent": True, "child_distressed": False, "in_theatre": True}})
    out.append(ev("cs1-post", "disclosure", "2026-11-16T19:05:00+11:00", student, p1, image={"id": "img-cs1"}, purpose="personal",
                  recipient={"id": "facebook", "kind": "social_media", "relationship": "none", "within_facility": False}, channel="social_media", legal_basis="none"))
    # 2. An intern's images, sent with consent and saved to the record, stay on the phone and are shown to ward doctors.
    intern2 = {"id": "intern-cs2", "role": "intern", "device": {"id": "ph-intern-cs2", **PHONE}}
    p2 = {"id": "pt-cs2", "age_years": 44, "capacity": "full"}
    out.append(ev("cs2-consent", "consent", "2026-11-16T22:00:00+11:00", {"id": "intern-cs2", "role": "intern"}, p2, consent=consent(["clinical_care"], ["img-cs2"])))
    out.append(ev("cs2-capture", "capture", "2026-11-16T22:05:00+11:00", intern2, p2, **capture_fields(image("img-cs2"), "intern-cs2", "2026-11-16T22:05:00+11:00", ["clinical_care"])))
    out.append(ev("cs2-send", "disclosure", "2026-11-16T22:10:00+11:00", intern2, p2, image={"id": "img-cs2"}, purpose="clinical_care",
                  recipient={"id": "surgeon-cs2", "kind": "clinician", "relationship": "consulted", "within_facility": True}, channel="hospital_secure_app", legal_basis="none", intended_recipient={"id": "surgeon-cs2"}))
    out.append(ev("cs2-record", "record_transfer", "2026-11-16T23:00:00+11:00", {"id": "intern-cs2", "role": "intern"}, p2, image={"id": "img-cs2"}, method="secure_upload", linked_to_patient=True))
    out.append(ev("cs2-show", "disclosure", "2026-11-21T12:30:00+11:00", intern2, p2, image={"id": "img-cs2"}, purpose="teaching",
                  recipient={"id": "ward-doctors", "kind": "clinician", "relationship": "none", "within_facility": True}, channel="in_person_display", legal_basis="none"))
    # 3. An RMO photographs a lesion under anaesthesia, with verbal consent for teaching he never recorded.
    rmo = {"id": "rmo-cs3", "role": "resident", "device": {"id": "ph-rmo-cs3", **PHONE}}
    p3 = {"id": "pt-cs3", "age_years": 63, "capacity": "full"}
    out.append(ev("cs3-consent", "consent", "2026-11-17T07:30:00+11:00", {"id": "rmo-cs3", "role": "resident"}, p3, consent=consent(["clinical_care", "teaching"], ["img-cs3"], documented=False)))
    out.append(ev("cs3-capture", "capture", "2026-11-17T09:15:00+11:00", rmo, p3, **capture_fields(image("img-cs3", subject="lesion", intimate=True), "rmo-cs3", "2026-11-17T09:15:00+11:00", ["clinical_care", "teaching"])))
    out.append(ev("cs3-record", "record_transfer", "2026-11-17T11:00:00+11:00", {"id": "rmo-cs3", "role": "resident"}, p3, image={"id": "img-cs3"}, method="secure_upload", linked_to_patient=True))
    out.append(ev("cs3-delete", "device_deletion", "2026-11-17T11:05:00+11:00", {"id": "rmo-cs3", "role": "resident"}, p3, image={"id": "img-cs3"}, device=rmo["device"]))
    # 4. A doctor photographs (and records) domestic-violence injuries and keeps them on his phone; a subpoena produces none.
    doctor4 = {"id": "registrar-cs4", "role": "registrar", "device": {"id": "ph-registrar-cs4", **PHONE}}
    p4 = {"id": "pt-cs4", "age_years": 31, "capacity": "full"}
    out.append(ev("cs4-consent", "consent", "2026-11-17T23:20:00+11:00", {"id": "registrar-cs4", "role": "registrar"}, p4, consent=consent(["clinical_care", "legal_proceedings"], [])))
    out.append(ev("cs4-photo", "capture", "2026-11-17T23:30:00+11:00", doctor4, p4, **capture_fields(image("img-cs4-photo", subject="wound", identifiable=True, identifying_features=["face"]), "registrar-cs4", "2026-11-17T23:30:00+11:00", ["clinical_care"])))
    out.append(ev("cs4-audio", "capture", "2026-11-17T23:35:00+11:00", doctor4, p4, **capture_fields(image("img-cs4-audio", modality="audio", subject="body"), "registrar-cs4", "2026-11-17T23:35:00+11:00", ["clinical_care"])))
    out.append(ev("cs4-subpoena", "access_request", "2026-11-21T10:00:00+11:00", {"id": "records-cs4", "role": "admin"}, p4,
                  requester={"id": "local-court", "kind": "court"}, legal_basis="subpoena", produced=True, images_produced=[]))
    # 5. A registrar on call receives an image at night and leaves it on his phone.
    intern5 = {"id": "intern-cs5", "role": "intern", "device": {"id": "ph-intern-cs5", **PHONE}}
    p5 = {"id": "pt-cs5", "age_years": 58, "capacity": "full"}
    out.append(ev("cs5-consent", "consent", "2026-11-18T23:20:00+11:00", {"id": "intern-cs5", "role": "intern"}, p5, consent=consent(["clinical_care"], ["img-cs5"])))
    out.append(ev("cs5-capture", "capture", "2026-11-18T23:25:00+11:00", intern5, p5, **capture_fields(image("img-cs5"), "intern-cs5", "2026-11-18T23:25:00+11:00", ["clinical_care"])))
    out.append(ev("cs5-send", "disclosure", "2026-11-18T23:30:00+11:00", intern5, p5, image={"id": "img-cs5"}, purpose="clinical_care",
                  recipient={"id": "registrar-cs5", "kind": "clinician", "relationship": "consulted", "within_facility": True}, channel="hospital_secure_app", legal_basis="none", intended_recipient={"id": "registrar-cs5"}))
    out.append(ev("cs5-receipt", "receipt", "2026-11-18T23:30:30+11:00", {"id": "registrar-cs5", "role": "registrar"}, p5, image={"id": "img-cs5"}, sender={"id": "intern-cs5"}, device={"id": "ph-registrar-cs5", **PHONE}))
    out.append(ev("cs5-record", "record_transfer", "2026-11-19T00:10:00+11:00", {"id": "intern-cs5", "role": "intern"}, p5, image={"id": "img-cs5"}, method="secure_upload", linked_to_patient=True))
    out.append(ev("cs5-delete", "device_deletion", "2026-11-19T00:12:00+11:00", {"id": "intern-cs5", "role": "intern"}, p5, image={"id": "img-cs5"}, device=intern5["device"]))
    # 6. A father brings his own photo of his son's wound: a copy with his agreement is fine; one taken without it is not.
    p6 = {"id": "pt-cs6", "age_years": 7, "capacity": "full"}
    resident6 = {"id": "resident-cs6", "role": "resident"}
    out.append(ev("cs6-copy", "patient_provided", "2026-11-20T16:00:00+11:00", resident6, p6, image=image("img-cs6", source="patient_provided"), owner_agreed_to_copy=True, retention_explained=True))
    out.append(ev("cs6-copy-no-agreement", "patient_provided", "2026-11-20T16:20:00+11:00", resident6, p6, image=image("img-cs6b", source="patient_provided"), owner_agreed_to_copy=False, retention_explained=True))
    return out


def main() -> None:
    buf = io.StringIO()
    gen = Generator(2026, violation_rate=0.0, malformed_rate=0.0, patients=60, staff=40)
    for line in gen.lines(420, span_days=6.0):
        buf.write(line + "\n")
    lines = buf.getvalue().splitlines()
    events = [json.loads(line) for line in lines] + case_studies()
    from checker.audit.state import parse_ns

    events.sort(key=lambda e: (parse_ns(e["occurred_at"]), e["event_id"]))
    out = ROOT / "examples" / "logs" / "week.jsonl"
    out.write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events))
    print(f"{out}: {len(events)} events")


if __name__ == "__main__":
    main()

"""Hand-written lifecycle events for audit tests: a registrar with a personal phone, one patient."""
from __future__ import annotations

import json
from typing import Any

ACTOR = {"id": "reg-1", "role": "registrar"}
PHONE = {"id": "ph-reg-1", "owner": "personal", "passcode": True, "remote_wipe": True, "auto_upload": "off"}


class Events:
    """Events of one patient, their ids `<prefix><n>`, as JSON lines."""

    def __init__(self, prefix: str, patient: dict[str, Any]) -> None:
        self.prefix, self.patient = prefix, patient

    def event(self, n: int, kind: str, at: str, image_id: str, **fields: Any) -> str:
        actor = dict(ACTOR, device=PHONE) if kind == "capture" else ACTOR
        doc = {"schema_version": "1", "event_id": f"{self.prefix}{n}", "type": kind, "occurred_at": at, "facility": "fac-1",
               "actor": actor, "patient": self.patient, "image": {"id": image_id}, **fields}
        return json.dumps(doc, separators=(",", ":"))

    def capture(self, n: int, at: str, image_id: str) -> str:
        """A photo taken on the personal phone for clinical care."""
        return self.event(n, "capture", at, image_id,
                          image={"id": image_id, "modality": "photo", "subject": "wound", "identifiable": False, "identifying_features": [],
                                 "intimate": False, "deidentified": False, "metadata_present": [], "rare_condition": False, "source": "staff"},
                          purposes=["clinical_care"],
                          capture_record={"who": ACTOR["id"], "when": at, "mode": "personal smartphone camera"})

    def transfer(self, n: int, at: str, image_id: str) -> str:
        return self.event(n, "record_transfer", at, image_id, method="secure_upload", linked_to_patient=True)

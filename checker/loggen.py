"""A seeded generator of realistic event logs (for `make bench`, the examples and the tests).

Image lifecycles — consent, capture on a personal phone, a consult, the receipt on the
consultant's phone, the save to the record, deletion from both phones — start throughout the
period and interleave in time. A share of them break one rule each (kept on the phone, never
saved to the record, sent to the wrong person and not reported, shown for teaching without
consent, posted on social media, …), and a share of lines are malformed. Output is in time order;
memory holds only the lifecycles in progress.

    python -m checker.loggen --events 1000000 --seed 7 --out /tmp/events.jsonl
"""
from __future__ import annotations

import argparse
import datetime
import heapq
import json
import random
import sys
from typing import Any, Iterator, TextIO

TZ = datetime.timezone(datetime.timedelta(hours=11))
START = datetime.datetime(2026, 11, 16, 0, 0, tzinfo=TZ)
FULLY_INFORMED = ["purpose", "use", "access", "sharing", "deidentification", "storage", "withdrawal_limits"]
VIOLATIONS = [
    "kept_on_phone",  # storage.delete_after_transfer
    "never_saved",  # storage.transfer_to_record
    "receiver_keeps",  # storage.receiver_delete
    "wrong_recipient",  # disclosure.wrong_recipient + disclosure.breach_unreported
    "teaching_no_consent",  # disclosure.consent_scope
    "social_media",  # disclosure.non_professional
    "undocumented_consent",  # consent.documented
    "no_passcode",  # storage.passcode
]
# What each violation must produce, for the tests.
EXPECTED_RULES = {
    "kept_on_phone": {"storage.delete_after_transfer"},
    "never_saved": {"storage.transfer_to_record"},
    "receiver_keeps": {"storage.receiver_delete"},
    "wrong_recipient": {"disclosure.wrong_recipient", "disclosure.breach_unreported"},
    "teaching_no_consent": {"disclosure.consent_scope"},
    "social_media": {"disclosure.non_professional"},
    "undocumented_consent": {"consent.documented"},
    "no_passcode": {"storage.passcode"},
}


def ts(t: datetime.datetime) -> str:
    return t.isoformat(timespec="seconds")


class Generator:
    def __init__(self, seed: int = 7, *, violation_rate: float = 0.08, malformed_rate: float = 0.005, patients: int = 5000, staff: int = 400,
                 diverse: bool = False) -> None:
        self.rng = random.Random(seed)
        # diverse: the facts any rule reads vary independently, as across a hospital (roles,
        # subjects, modality, devices and their posture, facilities, ages and capacity, consent
        # shapes, recipients, channels, lifecycles) — a log whose events rarely repeat a question.
        self.diverse = diverse
        self.violation_rate = violation_rate
        self.malformed_rate = malformed_rate
        self.patients = patients
        self.staff = staff
        self.serial = 0
        self.violations: dict[str, str] = {}  # image id -> violation kind
        self.waivable: list[tuple[str, str]] = []  # (event id, actor id) of some diverse captures, for waivers

    def _id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.serial:08d}"

    def _device(self, owner_id: str, passcode: bool = True) -> dict[str, Any]:
        return {"id": f"ph-{owner_id}", "owner": "personal", "passcode": passcode, "remote_wipe": True, "auto_upload": "off"}

    def _envelope(self, kind: str, at: datetime.datetime, actor: dict[str, Any], patient: dict[str, Any]) -> dict[str, Any]:
        return {"schema_version": "1", "event_id": self._id("ev"), "type": kind, "occurred_at": ts(at), "facility": self.facility, "actor": actor, "patient": patient}

    def lifecycle(self, start: datetime.datetime) -> list[tuple[datetime.datetime, dict[str, Any]]]:
        if self.diverse:
            return self.diverse_lifecycle(start)
        rng = self.rng
        self.facility = rng.choice(["north-hospital", "south-hospital", "east-clinic"])
        n = rng.randrange(self.patients)
        patient = {"id": f"pt-{n:06d}", "age_years": 18 + (n * 7919) % 80, "capacity": "full"}
        role = rng.choice(["intern", "resident", "registrar", "nurse"])
        taker_id = f"{role}-{rng.randrange(self.staff):04d}"
        consultant_id = f"consultant-{rng.randrange(self.staff // 4):04d}"
        violation = rng.choice(VIOLATIONS) if rng.random() < self.violation_rate else None
        image_id = self._id("img")
        if violation:
            self.violations[image_id] = violation
        device = self._device(taker_id, passcode=violation != "no_passcode")
        taker = {"id": taker_id, "role": role, "device": device}
        consent = {"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "image_ids": [image_id], "identifiable_use": False,
                   "publication": False, "documented_in_record": violation != "undocumented_consent", "written_form": False, "informed_of": FULLY_INFORMED}
        image = {"id": image_id, "modality": "photo", "subject": rng.choice(["wound", "lesion", "body"]), "identifiable": False, "identifying_features": [],
                 "intimate": False, "deidentified": False, "metadata_present": [], "rare_condition": False, "source": "staff"}
        t = start
        events: list[tuple[datetime.datetime, dict[str, Any]]] = []
        e = self._envelope("consent", t, {"id": taker_id, "role": role}, patient)
        e["consent"] = consent
        events.append((t, e))
        t += datetime.timedelta(minutes=rng.randint(1, 20))
        e = self._envelope("capture", t, taker, patient)
        e.update(image=image, purposes=["clinical_care"], capture_record={"who": taker_id, "when": ts(t), "mode": "personal smartphone camera"},
                 circumstances={"urgent": False, "child_distressed": False, "in_theatre": False})
        events.append((t, e))
        t += datetime.timedelta(minutes=rng.randint(2, 60))
        recipient = {"id": consultant_id, "kind": "clinician", "relationship": "consulted", "within_facility": True}
        e = self._envelope("disclosure", t, taker, patient)
        e.update(image={"id": image_id}, purpose="clinical_care", recipient=recipient, channel="hospital_secure_app", legal_basis="none")
        if violation == "wrong_recipient":
            e["intended_recipient"] = {"id": f"consultant-{(int(consultant_id[-4:]) + 1) % (self.staff // 4):04d}x"}
        else:
            e["intended_recipient"] = {"id": consultant_id}
        events.append((t, e))
        t_receipt = t + datetime.timedelta(seconds=rng.randint(5, 90))
        receiver_device = self._device(consultant_id)
        e = self._envelope("receipt", t_receipt, {"id": consultant_id, "role": "consultant"}, patient)
        e.update(image={"id": image_id}, sender={"id": taker_id}, device=receiver_device)
        events.append((t_receipt, e))
        t_transfer = t + datetime.timedelta(minutes=rng.randint(10, 600))
        if violation != "never_saved":
            e = self._envelope("record_transfer", t_transfer, {"id": taker_id, "role": role}, patient)
            e.update(image={"id": image_id}, method="secure_upload", linked_to_patient=True)
            events.append((t_transfer, e))
            if violation != "kept_on_phone":
                t_del = t_transfer + datetime.timedelta(minutes=rng.randint(1, 300))
                e = self._envelope("device_deletion", t_del, {"id": taker_id, "role": role}, patient)
                e.update(image={"id": image_id}, device=device)
                events.append((t_del, e))
            if violation != "receiver_keeps":
                t_rdel = max(t_transfer, t_receipt) + datetime.timedelta(minutes=rng.randint(1, 600))
                e = self._envelope("device_deletion", t_rdel, {"id": consultant_id, "role": "consultant"}, patient)
                e.update(image={"id": image_id}, device=receiver_device)
                events.append((t_rdel, e))
        if violation == "teaching_no_consent":
            t_show = t_transfer - datetime.timedelta(minutes=5)
            e = self._envelope("disclosure", t_show, taker, patient)
            e.update(image={"id": image_id}, purpose="teaching", recipient={"id": "ward-students", "kind": "student", "relationship": "none", "within_facility": True},
                     channel="in_person_display", legal_basis="none")
            events.append((t_show, e))
        if violation == "social_media":
            t_post = t + datetime.timedelta(minutes=3)
            e = self._envelope("disclosure", t_post, taker, patient)
            e.update(image={"id": image_id}, purpose="personal", recipient={"id": "social-feed", "kind": "social_media", "relationship": "none", "within_facility": False},
                     channel="social_media", legal_basis="none")
            events.append((t_post, e))
        return events

    # --- diverse mode: each fact drawn on its own -----------------------------------------------
    ROLES = ["medical_student", "intern", "resident", "registrar", "consultant", "nurse", "allied_health", "clinical_photographer", "admin"]
    SUBJECTS = ["body", "lesion", "wound", "body_fluid", "procedure", "pathology_report", "diagnostic_image", "medication"]
    PURPOSES = ["clinical_care", "teaching", "training", "research", "publication", "legal_proceedings", "patient_access", "personal"]
    CHANNELS = ["hospital_secure_app", "hospital_email", "health_record_upload", "personal_email", "sms", "messaging_app", "social_media",
                "in_person_display", "print", "publication"]
    KINDS = ["clinician", "health_record", "patient", "patient_representative", "student", "researcher", "publisher", "court",
             "law_enforcement", "family", "public", "social_media", "other"]
    FEATURES = ["face", "tattoo", "birthmark", "jewellery", "name_band", "other"]
    METADATA = ["gps", "timestamp", "device_model", "serial_number", "owner_name", "thumbnail", "software", "comment", "unique_id", "other"]

    def _some(self, items: list[str], most: int = 3) -> list[str]:
        return self.rng.sample(items, self.rng.randint(0, min(most, len(items))))

    def _diverse_device(self, owner_id: str) -> dict[str, Any]:
        rng = self.rng
        device: dict[str, Any] = {"id": f"ph-{owner_id}-{rng.randrange(3)}", "owner": rng.choice(["personal", "personal", "hospital"]),
                                  "passcode": rng.random() < 0.85, "remote_wipe": rng.random() < 0.7,
                                  "auto_upload": rng.choice(["off", "off", "cloud_backup", "social_media"])}
        if rng.random() < 0.3:
            device["approved"] = rng.random() < 0.5
        return device

    def _diverse_consent(self, image_id: str) -> dict[str, Any]:
        rng = self.rng
        consent: dict[str, Any] = {"status": rng.choice(["granted", "granted", "granted", "refused", "withdrawn"]),
                                   "given_by": rng.choice(["patient", "patient", "parent_guardian", "substitute_decision_maker"]),
                                   "purposes": self._some(self.PURPOSES[:5])}
        shape = rng.randrange(4)
        if shape == 1:
            consent["image_ids"] = [image_id]
        elif shape == 2:
            consent["image_ids"] = [image_id, self._id("img")]
        elif shape == 3:
            consent["image_ids"] = []
        for key, p in (("identifiable_use", 0.5), ("publication", 0.2), ("documented_in_record", 0.85), ("written_form", 0.4)):
            if rng.random() < 0.8:
                consent[key] = rng.random() < p
        if rng.random() < 0.8:
            consent["informed_of"] = FULLY_INFORMED if rng.random() < 0.6 else self._some(FULLY_INFORMED, 6)
        return consent

    def diverse_lifecycle(self, start: datetime.datetime) -> list[tuple[datetime.datetime, dict[str, Any]]]:
        rng = self.rng
        self.facility = f"facility-{rng.randrange(40):02d}"
        n = rng.randrange(self.patients)
        patient: dict[str, Any] = {"id": f"pt-{n:06d}", "age_years": rng.choice([rng.randrange(0, 18), rng.randrange(18, 100), rng.randrange(60, 101)]),
                                   "capacity": rng.choice(["full", "full", "full", "impaired_temporary", "impaired", "unknown"])}
        if patient["age_years"] < 18 and rng.random() < 0.5:
            patient["mature_minor_assessed"] = rng.random() < 0.5
        role = rng.choice(self.ROLES)
        taker_id = f"{role}-{rng.randrange(self.staff):04d}"
        device = self._diverse_device(taker_id)
        taker = {"id": taker_id, "role": role, "device": device}
        image_id = self._id("img")
        image: dict[str, Any] = {"id": image_id, "modality": rng.choice(["photo", "photo", "video", "audio"]), "subject": rng.choice(self.SUBJECTS),
                                 "identifiable": rng.random() < 0.3, "identifying_features": self._some(self.FEATURES, 2),
                                 "intimate": rng.random() < 0.1, "deidentified": rng.random() < 0.3, "metadata_present": self._some(self.METADATA, 3),
                                 "rare_condition": rng.random() < 0.05, "source": rng.choice(["staff", "staff", "staff", "patient_provided", "third_party"])}
        if rng.random() < 0.3:
            image["metadata_claimed"] = self._some(self.METADATA, 3)
        if rng.random() < 0.4:
            image["resolution_mp"] = rng.choice([0.3, 1, 1.5, 2, 8, 12])
        purposes = self._some(self.PURPOSES, 2) if rng.random() < 0.5 else ["clinical_care"]
        t = start
        events: list[tuple[datetime.datetime, dict[str, Any]]] = []
        for _ in range(rng.choice([0, 1, 1, 1, 2])):
            e = self._envelope("consent", t, {"id": taker_id, "role": role}, patient)
            e["consent"] = self._diverse_consent(image_id)
            events.append((t, e))
            t += datetime.timedelta(minutes=rng.randint(1, 20))
        e = self._envelope("capture", t, taker, patient)
        e.update(image=image, purposes=purposes,
                 circumstances={"urgent": rng.random() < 0.1, "child_distressed": rng.random() < 0.05, "in_theatre": rng.random() < 0.15,
                                "substitute_available": rng.random() < 0.5})
        if rng.random() < 0.9:
            record = {"who": taker_id, "when": ts(t), "mode": rng.choice(["personal smartphone camera", "hospital camera", "tablet"])}
            e["capture_record"] = {k: v for k, v in record.items() if rng.random() < 0.95}
        events.append((t, e))
        if rng.random() < 0.03 and len(self.waivable) < 300:
            self.waivable.append((e["event_id"], taker_id))
        for _ in range(rng.choice([0, 1, 1, 2, 3])):  # disclosures, each with its own receiver
            t += datetime.timedelta(minutes=rng.randint(2, 90))
            kind = rng.choice(self.KINDS)
            receiver_id = f"{kind}-{rng.randrange(self.staff):04d}"
            recipient = {"id": receiver_id, "kind": kind, "relationship": rng.choice(["treating_team", "consulted", "none"]),
                         "within_facility": rng.random() < 0.7}
            e = self._envelope("disclosure", t, taker, patient)
            e.update(image={"id": image_id}, purpose=rng.choice(self.PURPOSES), recipient=recipient, channel=rng.choice(self.CHANNELS),
                     legal_basis=rng.choice(["none", "none", "none", "court_order", "subpoena", "required_by_law", "serious_threat"]))
            if rng.random() < 0.7:
                e["intended_recipient"] = {"id": receiver_id if rng.random() < 0.9 else receiver_id + "x"}
            events.append((t, e))
            if kind == "clinician" and rng.random() < 0.7:
                t_receipt = t + datetime.timedelta(seconds=rng.randint(5, 900))
                e = self._envelope("receipt", t_receipt, {"id": receiver_id, "role": rng.choice(self.ROLES)}, patient)
                e.update(image={"id": image_id}, sender={"id": taker_id}, device=self._diverse_device(receiver_id))
                events.append((t_receipt, e))
        if rng.random() < 0.2:
            t_posture = t + datetime.timedelta(minutes=rng.randint(1, 120))
            e = self._envelope("device_posture", t_posture, {"id": taker_id, "role": role}, patient)
            e["device"] = self._diverse_device(taker_id)
            events.append((t_posture, e))
        if rng.random() < 0.8:
            t_transfer = t + datetime.timedelta(minutes=rng.randint(10, 3000))
            e = self._envelope("record_transfer", t_transfer, {"id": taker_id, "role": role}, patient)
            e.update(image={"id": image_id}, method=rng.choice(["secure_upload", "secure_upload", "hard_copy"]), linked_to_patient=rng.random() < 0.9)
            events.append((t_transfer, e))
            if rng.random() < 0.8:
                t_del = t_transfer + datetime.timedelta(minutes=rng.randint(1, 3000))
                e = self._envelope("device_deletion", t_del, {"id": taker_id, "role": role}, patient)
                e.update(image={"id": image_id}, device=device)
                events.append((t_del, e))
            if rng.random() < 0.03:
                t_rd = t_transfer + datetime.timedelta(hours=rng.randint(1, 48))
                e = self._envelope("record_deletion", t_rd, {"id": taker_id, "role": role}, patient)
                e.update(image={"id": image_id}, reason=rng.choice(["retention_expired", "consent_withdrawn", "duplicate", "error", "court_order", "other"]))
                events.append((t_rd, e))
        if rng.random() < 0.03:
            t_req = t + datetime.timedelta(hours=rng.randint(1, 72))
            e = self._envelope("access_request", t_req, {"id": taker_id, "role": role}, patient)
            kind = rng.choice(["court", "law_enforcement", "patient", "other"])
            e.update(requester={"id": f"{kind}-{rng.randrange(50)}", "kind": kind}, legal_basis=rng.choice(["subpoena", "court_order", "none"]),
                     produced=rng.random() < 0.7)
            if rng.random() < 0.7:
                e["images_produced"] = [image_id] if rng.random() < 0.7 else []
            events.append((t_req, e))
        return events

    def malformed(self, at: datetime.datetime, event: dict[str, Any]) -> str:
        """A broken line in place of `event` (the same actor and patient: a corrupted line comes
        from anywhere in the hospital, not from one patient's records)."""
        kind = self.rng.randrange(5)
        actor = {"id": event["actor"]["id"], "role": event["actor"]["role"]}
        good = self._envelope("device_posture", at, actor, dict(event["patient"]))
        good["device"] = self._device(actor["id"])
        text = json.dumps(good)
        if kind == 0:
            return text[: len(text) // 2]  # truncated
        if kind == 1:
            return "\x00\x01binary junk \x7f"  # not JSON
        if kind == 2:
            del good["actor"]
            return json.dumps(good)  # a missing field
        if kind == 3:
            good["type"] = "teleport"
            return json.dumps(good)  # an unknown type
        good["occurred_at"] = good["occurred_at"][:19]  # a timestamp without offset
        return json.dumps(good)

    def lines(self, events: int, *, span_days: float = 7.0) -> Iterator[str]:
        """About `events` lines in time order (lifecycles are ~7 events)."""
        per_lifecycle = 5.3 if self.diverse else 6.6
        lifecycles = max(1, int(events / per_lifecycle))
        step = span_days * 86400 / lifecycles
        heap: list[tuple[datetime.datetime, int, str]] = []
        emitted = 0
        counter = 0
        for i in range(lifecycles):
            start = START + datetime.timedelta(seconds=i * step + self.rng.random() * step)
            while heap and heap[0][0] <= start:
                yield heapq.heappop(heap)[2]
                emitted += 1
            for at, event in self.lifecycle(start):
                counter += 1
                line = json.dumps(event, separators=(",", ":"))
                if self.rng.random() < self.malformed_rate:
                    line = self.malformed(at, event)
                heapq.heappush(heap, (at, counter, line))
        while heap:
            yield heapq.heappop(heap)[2]


def write_log(out: TextIO, events: int, seed: int = 7, **kwargs: Any) -> Generator:
    gen = Generator(seed, **kwargs)
    for line in gen.lines(events):
        out.write(line + "\n")
    return gen


# Rules a diverse capture often breaks: the waivers of a customised run name these.
WAIVED_RULES = ["storage.auto_upload", "storage.remote_wipe", "collection.consent_required", "deidentification.metadata_claim",
                "storage.passcode", "deidentification.features", "collection.capture_details"]


def audit_inputs(events: int, seed: int = 3) -> list[dict[str, Any]]:
    """The engine inputs an audit builds for a diverse log's events, each with the patient's
    consents as the audit holds them then (for measuring and testing the engines on them)."""
    import io

    from .audit.reader import EventParser, InputProblem, LogLine
    from .audit.state import State

    text = io.StringIO()
    write_log(text, events, seed, diverse=True, malformed_rate=0)
    parser, state, docs = EventParser(), State(), []
    for number, line in enumerate(text.getvalue().splitlines(), start=1):
        parsed = parser.parse(LogLine("gen", number, line.encode()))
        if isinstance(parsed, InputProblem):
            continue
        docs.append(state.input_for(parsed.doc, parsed.occurred_ns))
        if parsed.doc["type"] == "breach_report":
            state.apply_breach_report(parsed.doc, parsed.occurred_ns)
        else:
            state.apply(parsed.doc, parsed.occurred_ns)
    return docs


def waivers_for(gen: Generator) -> list[dict[str, str]]:
    """Waivers on events `gen` wrote (diverse mode): applied, expired and self-approved ones, so a
    customised run exercises every waiver status."""
    out = []
    for n, (event_id, actor_id) in enumerate(gen.waivable):
        status = n % 3
        out.append({"rule": WAIVED_RULES[n % len(WAIVED_RULES)], "event_id": event_id, "reason": "bench waiver",
                    "approved_by": actor_id if status == 2 else f"privacy-officer-{n % 5}",
                    "expires": "2026-11-01" if status == 1 else "2027-06-30"})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="-")
    ap.add_argument("--diverse", action="store_true", help="vary every fact a rule reads independently (a hospital's variety)")
    ap.add_argument("--overlay-out", help="with --diverse: also write examples/overlay/hospital.yaml plus waivers on events of this log here")
    args = ap.parse_args(argv)
    if args.out == "-":
        gen = write_log(sys.stdout, args.events, args.seed, diverse=args.diverse)
    else:
        with open(args.out, "w") as fh:
            gen = write_log(fh, args.events, args.seed, diverse=args.diverse)
    if args.overlay_out:
        write_overlay(args.overlay_out, gen)
    return 0


def write_overlay(path: str, gen: Generator) -> None:
    """The example hospital's overlay with waivers on events `gen` wrote (a customised run)."""
    import pathlib

    import yaml

    base = pathlib.Path(__file__).resolve().parent.parent / "examples" / "overlay" / "hospital.yaml"
    if not base.is_file():  # installed as a wheel: the example overlay rides inside (setup.py)
        base = pathlib.Path(__file__).resolve().parent / "overlay" / "hospital.yaml"
    overlay = yaml.safe_load(base.read_text())
    overlay["waivers"] = waivers_for(gen)
    with open(path, "w") as fh:
        yaml.safe_dump(overlay, fh, sort_keys=False)


if __name__ == "__main__":
    raise SystemExit(main())

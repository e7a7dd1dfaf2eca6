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
    def __init__(self, seed: int = 7, *, violation_rate: float = 0.08, malformed_rate: float = 0.005, patients: int = 5000, staff: int = 400) -> None:
        self.rng = random.Random(seed)
        self.violation_rate = violation_rate
        self.malformed_rate = malformed_rate
        self.patients = patients
        self.staff = staff
        self.serial = 0
        self.violations: dict[str, str] = {}  # image id -> violation kind

    def _id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.serial:08d}"

    def _device(self, owner_id: str, passcode: bool = True) -> dict[str, Any]:
        return {"id": f"ph-{owner_id}", "owner": "personal", "passcode": passcode, "remote_wipe": True, "auto_upload": "off"}

    def _envelope(self, kind: str, at: datetime.datetime, actor: dict[str, Any], patient: dict[str, Any]) -> dict[str, Any]:
        return {"schema_version": "1", "event_id": self._id("ev"), "type": kind, "occurred_at": ts(at), "facility": self.facility, "actor": actor, "patient": patient}

    def lifecycle(self, start: datetime.datetime) -> list[tuple[datetime.datetime, dict[str, Any]]]:
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
        per_lifecycle = 6.6
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="-")
    args = ap.parse_args(argv)
    if args.out == "-":
        write_log(sys.stdout, args.events, args.seed)
    else:
        with open(args.out, "w") as fh:
            write_log(fh, args.events, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

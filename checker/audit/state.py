"""State per patient and image, built from events in time order (SPEC §5).

Python gathers facts; Rego decides. For each event this module builds the decision input — the
event plus what earlier events established (consents on file, the image as captured, where the
image is) — *before* applying the event. At the end of a run it builds one `image_review` input
per image whose lifecycle is still open (or changed tonight), with the hours each obligation took
or has been waiting (docs/input.md, `lifecycle`).
"""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import os
from typing import Any, Callable, Iterable

import orjson

from ..engines.canon import STATE_ADDED, exact_child_age, fact_text
from ..errors import CheckerError
from ..schemas import purposes
from . import records

NS_PER_HOUR = 3_600_000_000_000
NS_PER_YEAR = int(365.25 * 24 * NS_PER_HOUR)


_MINUTES: dict[str, int] = {}  # "YYYY-MM-DDTHH:MM" + offset → ns at its second 0
# Recent times exactly: an audit reads each line's time twice (to check the order, then with the
# event), a few thousand lines apart.
_RECENT: dict[str, int] = {}


def parse_ns(timestamp: str) -> int:
    """RFC 3339 with offset → ns since the epoch (the schema has checked the form).

    A log holds a few events a second: whole-second times are parsed once a minute (per offset)
    and their seconds added."""
    ns = _RECENT.get(timestamp)
    if ns is None:
        ns = _parse_ns_minutes(timestamp)
        if len(_RECENT) >= 16_384:
            _RECENT.clear()
        _RECENT[timestamp] = ns
    return ns


def _parse_ns_minutes(timestamp: str) -> int:
    if len(timestamp) in (20, 25) and timestamp[16] == ":" and timestamp[19] in "+-Zz" and timestamp[17:19].isascii() and timestamp[17:19].isdigit():
        seconds = int(timestamp[17:19])
        if seconds < 60:
            minute = timestamp[:16] + timestamp[19:]
            base = _MINUTES.get(minute)
            if base is None:
                base = _parse_ns(timestamp[:16] + ":00" + timestamp[19:])
                if len(_MINUTES) > 100_000:
                    _MINUTES.clear()
                _MINUTES[minute] = base
            return base + seconds * 1_000_000_000
    return _parse_ns(timestamp)


def _parse_ns(timestamp: str) -> int:
    # (RFC 3339 allows a lower-case `t` and `z`, which fromisoformat does not read)
    if len(timestamp) > 10 and timestamp[10] == "t":
        timestamp = timestamp[:10] + "T" + timestamp[11:]
    dt = datetime.datetime.fromisoformat(timestamp.replace("z", "Z"))
    if dt.tzinfo is None:  # pragma: no cover - the schema requires an offset
        raise ValueError("timestamp without offset")
    whole = int(dt.timestamp())
    return whole * 1_000_000_000 + dt.microsecond * 1000


def iso(ns: int) -> str:
    return datetime.datetime.fromtimestamp(ns / 1e9, tz=datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def hours(from_ns: int, to_ns: int) -> float:
    return round((to_ns - from_ns) / NS_PER_HOUR, 3)


# ---------------------------------------------------------------------------------------------
# An image's lifecycle review: its facts, once, rendered as the policy's input and as a cache key.


@dataclasses.dataclass(frozen=True)
class Receiver:
    event_id: str
    device: dict[str, Any]
    on_device: bool
    hours_on_device_after_record: float | None  # (only once the image is in the record)
    actor_id: Any = None  # who received it (the receipt's actor): self-approval of a waiver of it


@dataclasses.dataclass(frozen=True)
class ReviewFacts:
    """What the lifecycle review of one image, as of a time, is decided on."""

    event_id: str  # the capture event's id, else "image:<id>"
    facility: str
    actor: dict[str, Any]
    patient: dict[str, Any]
    image: dict[str, Any]  # with the purposes it was taken for
    # (capture event id, hours from capture to record transfer — or to the review); None: no capture seen
    captured: tuple[str, float] | None
    # (record transfer event id, hours since the transfer); None: not in the record
    transfer: tuple[str, float] | None
    # (the capture device, still on it, hours on it after the record transfer or None)
    capture_device: tuple[dict[str, Any], bool, float | None] | None
    receivers: tuple[Receiver, ...]
    # (event id, hours to the breach report, the sender's id or None)
    wrong_disclosures: tuple[tuple[str, float, Any], ...]

    def as_input(self, as_of_ns: int) -> dict[str, Any]:
        """The image_review input the policy decides."""
        lifecycle: dict[str, Any] = {"as_of": iso(as_of_ns), "in_record": self.transfer is not None}
        if self.captured is not None:
            lifecycle["capture_event_id"], lifecycle["hours_to_record_transfer"] = self.captured
        if self.transfer is not None:
            lifecycle["record_transfer_event_id"], lifecycle["hours_since_record_transfer"] = self.transfer
        if self.capture_device is not None:
            device, on_device, after_record = self.capture_device
            lifecycle["capture_device"] = device
            lifecycle["on_capture_device"] = on_device
            if after_record is not None:
                lifecycle["hours_on_capture_device_after_record"] = after_record
        receivers = []
        for r in self.receivers:
            entry: dict[str, Any] = {"event_id": r.event_id, "device": r.device, "on_device": r.on_device}
            if r.actor_id is not None:
                entry["actor_id"] = r.actor_id
            if r.hours_on_device_after_record is not None:
                entry["hours_on_device_after_record"] = r.hours_on_device_after_record
            receivers.append(entry)
        lifecycle["receivers"] = receivers
        lifecycle["wrong_recipient_disclosures"] = [
            {"event_id": e, "hours_to_breach_report": h, **({"actor_id": a} if a is not None else {})} for e, h, a in self.wrong_disclosures
        ]
        return {
            "schema_version": "1",
            "event_id": self.event_id,
            "type": "image_review",
            "occurred_at": iso(as_of_ns),
            "facility": self.facility,
            "actor": self.actor,
            "patient": self.patient,
            "image": self.image,
            "lifecycle": lifecycle,
        }

    def as_key(self, bucket: Callable[[float], Any]) -> tuple[Any, ...] | None:
        """The input as engines/canon.py's `canonical` reduces it: the identifiers by their
        pattern of equalities, hours by `bucket` (their interval between the deadlines), the age
        a child's exactly and an adult's as 18, the review's time and facility not at all; every other fact verbatim
        (fact_text). None: an identifier that is not a string."""
        actor, patient, image = self.actor, self.patient, self.image
        ids: list[Any] = [self.event_id, actor.get("id")]
        device = actor.get("device")
        if isinstance(device, dict):
            ids.append(device.get("id"))
            actor = {**actor, "device": {k: v for k, v in device.items() if k != "id"}}
        ids += [patient.get("id"), image.get("id")]
        if "file" in image:  # a placeholder too (engines/canon.py, with_file)
            ids.append(image["file"])
        age = patient.get("age_years")
        if isinstance(age, (int, float)) and not isinstance(age, bool):
            # (finer than the canonical key's age under any overlay: equal keys, equal canonical keys)
            patient = {**patient, "age_years": exact_child_age(age)}
        facts: list[Any] = [
            self.transfer is not None,
            fact_text({k: v for k, v in actor.items() if k != "id"}),
            fact_text({k: v for k, v in patient.items() if k != "id"}),
            fact_text({k: ("<file>" if k == "file" else v) for k, v in image.items() if k != "id"}),
        ]
        if self.captured is not None:
            ids.append(self.captured[0])
            facts += ["captured", bucket(self.captured[1])]
        if self.transfer is not None:
            ids.append(self.transfer[0])
            facts.append(bucket(self.transfer[1]))
        if self.capture_device is not None:
            device, on_device, after_record = self.capture_device
            ids.append(device.get("id"))
            facts += ["capture_device", fact_text({k: v for k, v in device.items() if k != "id"}), on_device]
            if after_record is not None:
                facts.append(bucket(after_record))
        for r in self.receivers:
            ids += [r.event_id, r.device.get("id")] + ([r.actor_id] if r.actor_id is not None else [])
            facts += ["receiver", fact_text({k: v for k, v in r.device.items() if k != "id"}), r.on_device, r.actor_id is not None]
            if r.hours_on_device_after_record is not None:
                facts.append(bucket(r.hours_on_device_after_record))
        for event_id, delay, sender in self.wrong_disclosures:
            ids += [event_id] + ([sender] if sender is not None else [])
            facts += ["wrong", bucket(delay), sender is not None]
        if set(map(type, ids)) != {str}:
            return None
        seen: dict[str, int] = {}
        return ("image_review", tuple(map(seen.setdefault, ids, range(len(ids)))), tuple(facts))


def review_facts(img: dict[str, Any], as_of_ns: int) -> ReviewFacts | None:
    """The facts of an image's lifecycle review as of `as_of_ns` (None: nothing to review).

    An image deleted from the health record is still reviewed: what was late before the deletion
    stays late (a transfer 27 hours after the capture, a device copy kept for days), and copies
    on devices or an unreported wrong-recipient disclosure do not end with the record's copy.
    Only the clock of "not yet saved to the record" stops at the deletion. (Skipping such images
    lost their findings, or not, depending on where the audit's chunks happened to end.)"""
    deleted_at = img.get("deleted_from_record_at")
    if img.get("deleted_from_record") and deleted_at is None:
        return None  # kept by a version that did not note when: nothing to judge it by
    transfer = img.get("record_transfer_at")
    captured = None
    if img.get("captured_at") is not None:
        until = transfer if transfer is not None else (min(as_of_ns, deleted_at) if deleted_at is not None else as_of_ns)
        captured = (img["capture_event_id"], hours(img["captured_at"], max(until, img["captured_at"])))
    in_record = (img["record_transfer_event_id"], hours(transfer, as_of_ns)) if transfer is not None else None
    capture_device = None
    cap = img.get("capture_device")
    if cap:
        after_record = None
        if transfer is not None:
            until = img.get("capture_device_deleted_at") or as_of_ns
            after_record = hours(transfer, max(until, transfer))
        capture_device = (cap, img.get("capture_device_deleted_at") is None, after_record)
    receivers = []
    for r in sorted(img["receivers"].values(), key=lambda r: r["event_id"]):
        after_record = None
        if transfer is not None:
            start = max(transfer, r["received_at"])
            until = r.get("deleted_at") or as_of_ns
            after_record = hours(start, max(until, start))
        receivers.append(Receiver(r["event_id"], r["device"], r.get("deleted_at") is None, after_record, r.get("actor_id")))
    wrong = []
    for event_id, w in sorted(img["wrong_disclosures"].items()):
        until = w.get("reported_at") or as_of_ns
        wrong.append((event_id, hours(w["at"], max(until, w["at"])), w.get("actor_id")))
    image = dict(img.get("image") or {"id": img["id"]})
    image["purposes"] = list(img.get("purposes") or [])
    return ReviewFacts(
        event_id=img.get("capture_event_id") or f"image:{img['id']}",
        facility=img.get("facility") or "",
        actor=img.get("actor") or {"id": "", "role": "unknown"},
        patient=img.get("patient") or {"id": img["patient_id"]},
        image=image,
        captured=captured,
        transfer=in_record,
        capture_device=capture_device,
        receivers=tuple(receivers),
        wrong_disclosures=tuple(wrong),
    )


# ---------------------------------------------------------------------------------------------
# Consents on file: a later grant supersedes earlier refusals/withdrawals of the same purposes and
# images, a later refusal/withdrawal ends earlier grants of the purposes it names (all, if it
# names none) for the images it names (all, if it names none). The policy lets a refusal or
# withdrawal on file beat any grant it covers (lib.rego), so an earlier grant is narrowed only
# where the negative speaks of all its images. A refusal of every image that is later granted
# again for some images keeps holding every other image — future ones too — as a refusal with
# `except_image_ids`: a key of the state only, resolved per event by State.input_for (the policy
# sees the refusal for any other image, and none for those). A later grant that does not allow
# identifiable use takes it back from an earlier grant of the same purposes, for the images the
# later one speaks of (the patient's later word governs from then; lib.rego reads `given_at`,
# which the state drops, the same way).

EXCEPT = "except_image_ids"

_NEGATIVE = ("refused", "withdrawn")

# A refusal or withdrawal that names no purposes covers every purpose but the patient's own access
# to their record (lib.covers_negative).
_BLANKET_PURPOSES = purposes() - {"patient_access"}


def _purposes(c: dict[str, Any]) -> set[str]:
    return set(c.get("purposes") or [])


def _granted_purposes(c: dict[str, Any]) -> set[str]:
    """The purposes a grant covers: those it names, and publication when it says `publication`."""
    return _purposes(c) | ({"publication"} if c.get("publication") is True else set())


def _images(c: dict[str, Any]) -> set[str] | None:
    """The images a consent speaks of; None: every image of the patient (but its
    `except_image_ids`, if any)."""
    ids = c.get("image_ids") or []
    return set(ids) if ids else None


def _scoped_overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Do two consents speak of a common image? (No image_ids: every image of the patient.)"""
    ids_a, ids_b = _images(a), _images(b)
    return ids_a is None or ids_b is None or bool(ids_a & ids_b)


def _covers_images_of(new: dict[str, Any], c: dict[str, Any]) -> bool:
    """Does `new` speak of every image `c` speaks of?"""
    ids_new, ids_c = _images(new), _images(c)
    return ids_new is None or (ids_c is not None and ids_c <= ids_new)


def _with(c: dict[str, Any], purposes: set[str], image_ids: set[str] | None = None) -> dict[str, Any]:
    out = {**c, "purposes": sorted(purposes)}
    if image_ids is not None:
        out["image_ids"] = [i for i in c["image_ids"] if i in image_ids]  # the order on file
    return out


def _negative_after_grant(c: dict[str, Any], granted: set[str], new: dict[str, Any]) -> list[dict[str, Any]]:
    """What is left of an earlier refusal or withdrawal `c` once `new` grants `granted`."""
    named = _purposes(c)
    covered = named or _BLANKET_PURPOSES
    lifted = covered & granted
    if not lifted:
        return [c]
    if not _covers_images_of(new, c):
        # Granted again for some of its images only: carve those out of it.
        ids_c = _images(c)
        granted_ids = _images(new) or set()
        pieces = [_with(c, covered - lifted)] if covered - lifted else []
        if ids_c is None:  # every image, future ones too, but these
            excepted = sorted(set(c.get(EXCEPT) or []) | granted_ids)
            return pieces + [{**_with(c, lifted), EXCEPT: excepted}]
        return pieces + [_with(c, lifted, ids_c - granted_ids)]
    if covered - lifted:
        return [_with(c, covered - lifted)]
    return []


def _grant_after_negative(c: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """What is left of an earlier grant `c` once `new` refuses or withdraws. Only a negative that
    speaks of every image of the grant narrows it; otherwise the grant stays as it was, and the
    negative beats it for the images they share. Nor does one that names `recipients`: it refuses
    the image to them only (lib.negative_reaches_recipient), so the grant stays for everyone else
    and the negative beats it for those it names."""
    if not _covers_images_of(new, c) or new.get("recipients"):
        return [c]
    if not _purposes(new):
        return []
    remaining = _purposes(c) - _purposes(new)
    return [{**c, "purposes": sorted(remaining)}] if remaining else []


def _narrows_identifiable_use(c: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """The purposes for which a later grant `new` takes back the identifiable use an earlier grant
    `c` allowed: those both cover, when `new` does not allow it (lib.rego's
    identifiable_use_narrowed_later — the patient's later word on a purpose governs from then).
    Only a grant the patient could give narrows (not one made while lacking capacity, nor a
    child's unassessed one: grant_cannot_lift's second test)."""
    if c.get("status") != "granted" or c.get("identifiable_use") is not True or new.get("identifiable_use") is True:
        return set()
    if new.get("given_by") == "patient" and grant_cannot_lift({}, new):
        return set()
    return _granted_purposes(c) & _granted_purposes(new)


def _identifiable_use_after_grant(c: dict[str, Any], narrowed: set[str], new: dict[str, Any]) -> list[dict[str, Any]]:
    """What is left of an earlier grant `c` once a later grant `new` takes back its identifiable
    use for `narrowed`: for the images `new` speaks of, `c` splits into its other purposes as they
    were and the narrowed ones without identifiable use; for its other images it stays whole."""
    rest_purposes = _purposes(c) - narrowed
    rest = {**c, "purposes": sorted(rest_purposes), "publication": c.get("publication") is True and "publication" not in narrowed}
    narrow = {**c, "purposes": sorted(narrowed), "publication": False, "identifiable_use": False}
    split = ([rest] if rest_purposes or rest["publication"] else []) + [narrow]
    if _covers_images_of(new, c):
        return split
    ids_new = _images(new) or set()
    ids_c = _images(c)
    if ids_c is None:  # every image, future ones too, but those `new` speaks of (and earlier exceptions)
        shared = ids_new - set(c.get(EXCEPT) or [])
        whole = {**c, EXCEPT: sorted(set(c.get(EXCEPT) or []) | ids_new)}
    else:
        shared = ids_c & ids_new
        whole = {**c, "image_ids": [i for i in c["image_ids"] if i not in shared]}
    if not shared:
        return [c]
    pieces = [{k: v for k, v in {**piece, "image_ids": sorted(shared)}.items() if k != EXCEPT} for piece in split]
    return [whole, *pieces]


def without_authority(consent: dict[str, Any], patient: dict[str, Any]) -> bool:
    """Given by a parent or a decision-maker while the patient (as the consent event describes
    them) decides alone — an adult, or a young person assessed as mature, with full capacity:
    lib.negative_without_authority's test. Such a refusal or withdrawal does not end the patient's
    grants, and such a grant does not lift the patient's refusal; both stay on file beside them
    for the policy to judge (consent.refusal_authority, consent.competent_adult)."""
    if consent.get("given_by") not in ("parent_guardian", "substitute_decision_maker"):
        return False
    if patient.get("capacity") != "full":
        return False
    age = patient.get("age_years")
    child = isinstance(age, (int, float)) and not isinstance(age, bool) and age < 18
    return not child or _maturity(patient) == "mature"


_LACKING = ("impaired", "impaired_temporary")


def grant_cannot_lift(c: dict[str, Any], new: dict[str, Any]) -> bool:
    """Grants that leave an earlier refusal or withdrawal `c` on file, where it binds:
    - a parent's or decision-maker's grant, when the patient made `c` themselves — unless they made
      it while lacking capacity (lib.rego's decider_over_patients_refusal: the patient's right to
      refuse; a young child's own objection too);
    - the patient's own grant made while they could not consent: lacking capacity, or as a child
      not assessed as mature (lib.rego's lifted_later asks for a valid giver)."""
    by = new.get("given_by")
    if by in ("parent_guardian", "substitute_decision_maker"):
        return c.get("given_by") == "patient" and c.get("capacity_at_consent") not in _LACKING
    if by == "patient":
        age = new.get("age_at_consent")
        as_child = isinstance(age, (int, float)) and not isinstance(age, bool) and age < 18
        return new.get("capacity_at_consent") in _LACKING or (as_child and new.get("maturity_at_consent") != "mature")
    return False


def apply_consent(on_file: list[dict[str, Any]], new: dict[str, Any], authority: bool = True) -> list[dict[str, Any]]:
    """The consents on file once `new` is given; `authority` False: by someone who could not decide
    for the patient then (without_authority), so it narrows and lifts nothing."""
    status = new.get("status")
    kept: list[dict[str, Any]] = []
    for c in on_file:
        if not _scoped_overlap(c, new) or not authority:
            kept.append(c)
        elif status == "granted" and c.get("status") in _NEGATIVE and grant_cannot_lift(c, new):
            kept.append(c)
        elif status == "granted" and c.get("status") in _NEGATIVE:
            kept.extend(_negative_after_grant(c, _granted_purposes(new), new))
        elif status in _NEGATIVE and c.get("status") == "granted":
            kept.extend(_grant_after_negative(c, new))
        elif status == "granted" and (narrowed := _narrows_identifiable_use(c, new)):
            kept.extend(_identifiable_use_after_grant(c, narrowed, new))
        else:
            kept.append(c)
    # The same consent given again for other images (one per capture, typically) joins the
    # earlier one: coverage is the same (an image is covered when one of them names it), and the
    # list a patient carries stays short however many images they have.
    if new.get("image_ids"):
        same = {k: v for k, v in new.items() if k != "image_ids"}
        for i, c in enumerate(kept):
            if c.get("image_ids") and {k: v for k, v in c.items() if k != "image_ids"} == same:
                kept[i] = {**c, "image_ids": list(dict.fromkeys([*c["image_ids"], *new["image_ids"]]))}
                return kept
    kept.append(new)
    return kept


def _for_image(on_file: list[dict[str, Any]], image_id: str | None) -> list[dict[str, Any]]:
    """The consents on file as the policy sees them for an event about `image_id`: a refusal of
    every image but some (`except_image_ids`) is a refusal of every image for any other image
    (and for an event about no image: the whole record), and absent for those. Usually the list on
    file itself (shared: a list on file is replaced, never changed in place)."""
    if not any(EXCEPT in c for c in on_file):
        return on_file
    return [
        {k: v for k, v in c.items() if k != EXCEPT} if EXCEPT in c else c
        for c in on_file
        if not (EXCEPT in c and image_id in c[EXCEPT])
    ]


def consent_on_file(event: dict[str, Any]) -> dict[str, Any]:
    """The consent of a consent event as the state keeps it.

    - It states the patient's capacity when it was given (from the event's patient) unless it
      says so itself: a consent the patient gave while competent stays valid while they later
      lack capacity (lib.rego, valid_giver). Unknown capacity is not stated (the policy reads a
      missing value as unknown).
    - Given by a child (under 18): it states their age and maturity assessment then
      (`age_at_consent`, `maturity_at_consent`), so a consent given unassessed stays invalid
      after the patient turns 18.
    - Its `given_at` is dropped: the consent event's own time orders it, and every event decided
      with it comes later in the log. (Kept, it would make each consent a fact set of its own, and
      the policy compares it with the decided event's time, which fast keys blank.)"""
    consent = event["consent"]
    if "given_at" in consent:
        consent = {k: v for k, v in consent.items() if k != "given_at"}
    patient = event.get("patient") or {}
    capacity = patient.get("capacity")
    if "capacity_at_consent" not in consent and capacity not in (None, "unknown"):
        consent = {**consent, "capacity_at_consent": capacity}
    # Given as a child: the policy needs the age and maturity then, not the patient's age when a
    # later event is decided (a 15-year-old's unassessed consent stays invalid at 18). Stated for
    # children only, so an adult's consents stay one fact set whatever their age.
    age = patient.get("age_years")
    if "age_at_consent" not in consent and isinstance(age, (int, float)) and not isinstance(age, bool) and age < 18:
        consent = {**consent, "age_at_consent": age, "maturity_at_consent": _maturity(patient)}
    # Kept until the night ends (and read back for every event of the patient): its words shared.
    return records.compact(consent)


def _maturity(patient: dict[str, Any]) -> str:
    """The patient's maturity assessment as lib.rego reads it: `not_mature` wins over a stray
    `mature_minor_assessed: true`."""
    assessment = patient.get("maturity_assessment", "not_assessed")
    if assessment == "not_mature":
        return "not_mature"
    if assessment == "mature" or patient.get("mature_minor_assessed") is True:
        return "mature"
    return "not_assessed"


# By a 128-bit BLAKE2b digest of the text, as the engine's caches key theirs: by the end of a
# varied night a partition's patients hold ~50,000 distinct consents, and their texts (~0.4 KB
# each, with a tuple and a table entry: ~22 MB a partition half-way) were kept here once more.
_TEXT_IDS: dict[bytes, int] = {}


def _text_id(*text: Any) -> Any:
    """A small number standing for a consent's text in cache keys (the text itself past 100,000
    distinct ones: memory stays bounded, keys stay exact)."""
    digest = hashlib.blake2b(orjson.dumps(text), digest_size=16).digest()
    known = _TEXT_IDS.get(digest)
    if known is None:
        if len(_TEXT_IDS) >= 100_000:
            return text
        known = _TEXT_IDS[digest] = len(_TEXT_IDS)
    return known


# ---------------------------------------------------------------------------------------------


class State:
    """Patients and images. Plain dicts, so the store can keep them as JSON."""

    def __init__(
        self,
        patients: dict[str, dict[str, Any]] | None = None,
        images: dict[str, dict[str, Any]] | None = None,
        load_image: Callable[[str], dict[str, Any] | None] | None = None,
        owns_patient: Callable[[str], bool] | None = None,
        load_patient: Callable[[str], dict[str, Any] | None] | None = None,
    ) -> None:
        self.patients = patients if patients is not None else {}
        self._load_patient = load_patient
        # Records dropped from memory by spill() (the store has them), loaded back when used;
        # and which were used since spill() last looked.
        self._spilled_patients: set[str] = set()
        self._spilled_images: set[str] = set()
        self._used_patients: set[str] = set()
        self._used_images: set[str] = set()
        # Open images (and those touched since they were last saved); closed ones are evicted to
        # the store and loaded back on demand, so memory follows open images, not all images.
        self.images = images if images is not None else {}
        self._load_image = load_image
        # In a partitioned audit, each process holds some patients; an event that reaches an
        # image of a patient held elsewhere is noted, and the run is redone in one process.
        self._owns_patient = owns_patient
        self.foreign_reference = False
        self.touched_images: set[str] = set()
        self._touched_since_evict: set[str] = set()
        # patient id → (their consents list, its signature for cache keys); a list on file is
        # replaced, never changed in place, so `is` tells whether the signature is current.
        self._consent_signatures: dict[str, tuple[list[Any], tuple[tuple[int | str, Any, bool], ...]]] = {}
        self.touched_patients: set[str] = set()
        self._changed_images: list[dict[str, Any]] = []

    def get_image(self, image_id: str) -> dict[str, Any] | None:
        img = self.images.get(image_id)
        if img is None and self._load_image is not None:
            img = self._load_image(image_id)
            if img is not None:
                if self._owns_patient is not None and not self._owns_patient(img["patient_id"]):
                    self.foreign_reference = True
                self.images[image_id] = img
                self._spilled_images.discard(image_id)
        self._used_images.add(image_id)
        return img

    def get_patient(self, patient_id: str) -> dict[str, Any] | None:
        p = self.patients.get(patient_id)
        if p is None and patient_id in self._spilled_patients:
            p = self._load_patient(patient_id) if self._load_patient is not None else None
            if p is None:  # fail closed: a patient's consents must never silently vanish
                raise CheckerError("audit: a patient's record written to the store could not be read back; nothing was committed")
            self.patients[patient_id] = p
            self._spilled_patients.discard(patient_id)
        self._used_patients.add(patient_id)
        return p

    # A varied night can hold more patients and open images than memory should (a million lines:
    # ~100k patients, ~200k images). Past this many records, those no event used since the last
    # look are written to the store (which keeps them between runs anyway) and dropped; each is
    # read back when an event needs it. Lower limits change nothing but speed
    # (tests/acceptance/test_state_spill.py: the same reports with a limit of a few records,
    # set through CLINIMG_STATE_SPILL_AT — for tests; partitions are processes of their own).
    SPILL_AT = int(os.environ.get("CLINIMG_STATE_SPILL_AT") or 8_000)

    def spill(self) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, bool, dict[str, Any]]]]:
        """Drop from memory the patients and images not used since the last call, when memory
        holds more than SPILL_AT of them; returns those of them that changed since they were last
        saved, for the caller to save now (as store.save_state takes them). Call between chunks,
        with no input waiting for the engine."""
        used_patients, used_images = self._used_patients, self._used_images
        self._used_patients, self._used_images = set(), set()
        if len(self.patients) + len(self.images) <= self.SPILL_AT:
            return [], []
        patients, images = [], []
        for image_id in [i for i in self.images if i not in used_images]:
            img = self.images.pop(image_id)
            self._spilled_images.add(image_id)
            self._touched_since_evict.discard(image_id)
            if image_id in self.touched_images:
                self.touched_images.discard(image_id)
                images.append((image_id, self.is_open(img), img))
        for patient_id in [p for p in self.patients if p not in used_patients]:
            patient = self.patients.pop(patient_id)
            self._spilled_patients.add(patient_id)
            self._consent_signatures.pop(patient_id, None)
            if patient_id in self.touched_patients:
                self.touched_patients.discard(patient_id)
                patients.append((patient_id, patient))
        return patients, images

    def unsaved(self) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, bool, dict[str, Any]]]]:
        """The patients and images in memory changed since they were last saved, as
        store.save_state takes them."""
        patients = [(pid, self.patients[pid]) for pid in sorted(self.touched_patients) if pid in self.patients]
        images = [(iid, self.is_open(self.images[iid]), self.images[iid]) for iid in sorted(self.touched_images) if iid in self.images]
        return patients, images

    def hand_over(self) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, bool, dict[str, Any]]], list[str], list[str]]:
        """Drop every record from memory, as spill() drops some: (the patients and images changed
        since they were last saved, for the caller to save now; the ids of every patient and image
        held, in memory or spilled). A fresh process takes the state up with State.taken_up()."""
        patients, images = self.unsaved()
        patient_ids = sorted(self.patients.keys() | self._spilled_patients)
        image_ids = sorted(self.images.keys() | self._spilled_images)
        self.patients, self.images = {}, {}
        self._spilled_patients, self._spilled_images = set(patient_ids), set(image_ids)
        self.touched_patients, self.touched_images, self._touched_since_evict = set(), set(), set()
        self._consent_signatures = {}
        return patients, images, patient_ids, image_ids

    @classmethod
    def taken_up(cls, patient_ids: Iterable[str], image_ids: Iterable[str], *, load_image: Callable[[str], dict[str, Any] | None],
                 load_patient: Callable[[str], dict[str, Any] | None], owns_patient: Callable[[str], bool] | None = None) -> "State":
        """The state another process handed over (hand_over): every record in the store, read
        back when an event needs it."""
        state = cls(load_image=load_image, owns_patient=owns_patient, load_patient=load_patient)
        state._spilled_patients, state._spilled_images = set(patient_ids), set(image_ids)
        return state

    def image_ids_to_review(self) -> list[str]:
        """Every image held, in memory or spilled, sorted (the audit's end reviews the open ones)."""
        return sorted(self.images.keys() | self._spilled_images)

    def release(self, image_id: str) -> None:
        """An image read back only to be reviewed at the end goes back to the store's keeping."""
        if image_id not in self.touched_images and image_id in self.images and len(self.images) > self.SPILL_AT:
            del self.images[image_id]
            self._spilled_images.add(image_id)

    def evict_closed(self) -> list[dict[str, Any]]:
        """Remove from memory the touched images whose lifecycle is closed; the caller reviews
        and saves them (their review no longer depends on the time it is judged at)."""
        # Only an event can close a lifecycle: look at the images touched since the last call.
        candidates, self._touched_since_evict = self._touched_since_evict, set()
        closed = [self.images[i] for i in sorted(candidates) if i in self.images and not self.is_open(self.images[i])]
        for img in closed:
            del self.images[img["id"]]
            self.touched_images.discard(img["id"])
        return closed

    def consent_signature(self, patient_id: str) -> tuple[tuple[int | str, Any, bool], ...]:
        """The patient's consents on file as a cache key needs them: each consent but its image
        ids (as text), with the set of image ids it is scoped to (None: every image; ("except",
        ids): every image but those — see State.input_for)."""
        consents = (self.get_patient(patient_id) or {}).get("consents") or []
        known = self._consent_signatures.get(patient_id)
        if known is not None and known[0] is consents:
            return known[1]
        signature = tuple(
            (
                _text_id(fact_text({k: v for k, v in c.items() if k not in ("image_ids", EXCEPT)}), c.get("image_ids") == []),
                frozenset(c["image_ids"]) if c.get("image_ids") else (("except", frozenset(c[EXCEPT])) if c.get(EXCEPT) else None),
                c.get("status") == "granted",
            )
            for c in consents
        )
        if patient_id in self.patients:
            self._consent_signatures[patient_id] = (consents, signature)
        return signature

    # -- access -------------------------------------------------------------------------------

    def patient(self, patient_id: str) -> dict[str, Any]:
        p = self.get_patient(patient_id)
        if p is None:
            p = self.patients[patient_id] = {"consents": [], "image_ids": []}
        return p

    def image(self, image_id: str, patient_id: str) -> dict[str, Any]:
        img = self.get_image(image_id)
        if img is None:
            img = self.images[image_id] = {
                "id": image_id,
                "patient_id": patient_id,
                "receivers": {},
                "wrong_disclosures": {},
            }
            ids = self.patient(patient_id)["image_ids"]
            if image_id not in ids:
                ids.append(image_id)
            self.touched_patients.add(patient_id)
        return img

    # -- inputs -------------------------------------------------------------------------------

    # What input_for puts in an event's input besides the event itself (engines/canon.py,
    # Canonicalizer.fast_key, builds its keys from exactly these).
    STATE_KEYS = {"*": ("consents",), "disclosure": ("consents", "image", "lifecycle"), "record_deletion": ("consents", "lifecycle"), "access_request": ("consents", "lifecycle")}
    ADDS_MORE_THAN_CONSENTS = STATE_ADDED
    assert ADDS_MORE_THAN_CONSENTS == frozenset(STATE_KEYS) - {"*"}

    def input_for(self, event: dict[str, Any], at_ns: int) -> dict[str, Any]:
        """The decision input for `event`, from the state before it."""
        doc = dict(event)
        patient_id = event["patient"]["id"]
        patient = self.get_patient(patient_id) or {"consents": [], "image_ids": []}
        doc["consents"] = _for_image(patient["consents"], (event.get("image") or {}).get("id"))
        kind = event["type"]
        if kind not in self.ADDS_MORE_THAN_CONSENTS:
            return doc  # the state adds only the consents on file
        image_id = (event.get("image") or {}).get("id")
        img = self.get_image(image_id) if image_id else None
        if kind == "disclosure":
            captured = dict((img or {}).get("image") or {})
            captured["purposes"] = list((img or {}).get("purposes") or [])
            captured.update(event["image"])
            doc["image"] = captured
            lifecycle: dict[str, Any] = {"in_record": bool(img and img.get("record_transfer_at") is not None)}
            if img and img.get("record_transfer_at") is not None:
                lifecycle["hours_since_record_transfer"] = hours(img["record_transfer_at"], at_ns)
                on_device = self.on_device(img, ((event.get("actor") or {}).get("device") or {}).get("id"))
                if on_device is not None:
                    lifecycle["on_actor_device"] = on_device
            doc["lifecycle"] = lifecycle
        elif kind == "record_deletion":
            lifecycle = {}
            if img and img.get("record_transfer_at") is not None:
                lifecycle["years_in_record"] = round((at_ns - img["record_transfer_at"]) / NS_PER_YEAR, 3)
            if img and img.get("age_at_capture") is not None:
                lifecycle["age_at_capture"] = img["age_at_capture"]
            doc["lifecycle"] = lifecycle
        elif kind == "access_request":
            doc["lifecycle"] = {
                "patient_image_ids": [
                    i for i in patient["image_ids"] if not (self.get_image(i) or {}).get("deleted_from_record")
                ]
            }
        return doc

    # -- transitions --------------------------------------------------------------------------

    def apply(self, event: dict[str, Any], at_ns: int) -> None:
        kind = event["type"]
        patient_id = event["patient"]["id"]
        patient = self.patient(patient_id)
        self.touched_patients.add(patient_id)
        image_id = (event.get("image") or {}).get("id")
        if kind == "consent":
            patient["consents"] = apply_consent(
                patient["consents"], consent_on_file(event),
                authority=not without_authority(event["consent"], event.get("patient") or {}),
            )
            return
        if not image_id:
            return
        img = self.image(image_id, patient_id)
        self.touched_images.add(image_id)
        self._touched_since_evict.add(image_id)
        if kind in ("capture", "patient_provided"):
            img["image"] = {k: v for k, v in event["image"].items() if k != "purposes"}
            img["purposes"] = list(event.get("purposes") or [])
            img["captured_at"] = at_ns
            img["capture_event_id"] = event["event_id"]
            img["actor"] = {k: v for k, v in event["actor"].items()}
            img["patient"] = dict(event["patient"])
            img["facility"] = event.get("facility")
            img["capture_device"] = event["actor"].get("device") if kind == "capture" else None
            img["age_at_capture"] = event["patient"].get("age_years")
            img["source"] = kind
            self._changed(img, at_ns)
        elif kind == "record_transfer":
            if img.get("record_transfer_at") is None:
                img["record_transfer_at"] = at_ns
                img["record_transfer_event_id"] = event["event_id"]
                self._changed(img, at_ns)
        elif kind == "device_deletion":
            device_id = event["device"]["id"]
            cap = img.get("capture_device") or {}
            if cap.get("id") == device_id and img.get("capture_device_deleted_at") is None:
                img["capture_device_deleted_at"] = at_ns
                self._changed(img, at_ns)
            receiver = img["receivers"].get(device_id)
            if receiver is not None and receiver.get("deleted_at") is None:
                receiver["deleted_at"] = at_ns
                self._changed(img, at_ns)
        elif kind == "receipt":
            device = event["device"]
            if device["id"] not in img["receivers"]:
                img["receivers"][device["id"]] = {"event_id": event["event_id"], "device": device, "received_at": at_ns, "deleted_at": None,
                                                  "actor_id": event["actor"]["id"]}
                self._changed(img, at_ns)
        elif kind == "disclosure":
            intended = event.get("intended_recipient")
            intended_id = intended.get("id") if isinstance(intended, dict) else intended
            if intended_id is not None and intended_id != event["recipient"]["id"]:
                img["wrong_disclosures"][event["event_id"]] = {"at": at_ns, "reported_at": None, "actor_id": event["actor"]["id"]}
                self._changed(img, at_ns)
        elif kind == "record_deletion":
            img["deleted_from_record"] = True
            if img.get("deleted_from_record_at") is None:
                img["deleted_from_record_at"] = at_ns
                self._changed(img, at_ns)

    def _changed(self, img: dict[str, Any], at_ns: int) -> None:
        img["changed_at"] = at_ns
        if not self._changed_images or self._changed_images[-1] is not img:
            self._changed_images.append(img)

    def changed_images(self) -> list[dict[str, Any]]:
        """The images whose lifecycle facts the events applied since the last call changed (the
        caller reviews those now closed: State.review_time)."""
        changed, self._changed_images = self._changed_images, []
        return changed

    def apply_breach_report(self, event: dict[str, Any], at_ns: int) -> None:
        related = event.get("related_event_id")
        patient = self.get_patient(event["patient"]["id"]) or {"image_ids": []}
        for image_id in patient["image_ids"]:
            img = self.get_image(image_id)
            wrong = (img or {}).get("wrong_disclosures", {}).get(related)
            if wrong is not None and wrong.get("reported_at") is None:
                wrong["reported_at"] = at_ns
                self._changed(img, at_ns)
                self.touched_images.add(image_id)
                self._touched_since_evict.add(image_id)

    # -- lifecycle ----------------------------------------------------------------------------

    @staticmethod
    def on_device(img: dict[str, Any], device_id: Any) -> bool | None:
        """Does this device still hold the image (the capture device, or a receiver's)? None when
        the log never put the image on it (storage.shown_from_device then assumes it does)."""
        if device_id is None:
            return None
        if (img.get("capture_device") or {}).get("id") == device_id:
            return img.get("capture_device_deleted_at") is None
        receiver = img["receivers"].get(device_id)
        if receiver is not None:
            return receiver.get("deleted_at") is None
        return None

    @staticmethod
    def is_open(img: dict[str, Any]) -> bool:
        """Could a lifecycle rule still fire for this image in a later run?"""
        deleted = img.get("deleted_from_record")
        if deleted and img.get("deleted_from_record_at") is None:
            return False  # (kept by a version that never reviewed deleted images)
        if img.get("captured_at") is not None and img.get("record_transfer_at") is None:
            return not deleted  # the "save it to the record" clock stopped at the deletion
        cap = img.get("capture_device") or {}
        if cap.get("owner") == "personal" and img.get("capture_device_deleted_at") is None:
            return True
        if any(r["device"].get("owner") == "personal" and r.get("deleted_at") is None for r in img["receivers"].values()):
            return True
        return any(w.get("reported_at") is None for w in img["wrong_disclosures"].values())

    @classmethod
    def review_time(cls, img: dict[str, Any], as_of_ns: int) -> int:
        """When to judge an image's lifecycle: an open one as of `as_of_ns`; a closed one as of
        the last event that changed its lifecycle facts (`changed_at`: the one that closed it),
        whenever and however often it is reviewed. Its hours no longer move, but a waiver's
        expiry is compared with the review's time: judged at whatever time the review happened
        to run (the end of the chunk it closed in, the end of the run, a later night that loaded
        it), the same closed image was waived or not depending on where chunks ended, on the
        number of processes, and on how the nights were split."""
        if cls.is_open(img):
            return as_of_ns
        changed = img.get("changed_at")
        return changed if isinstance(changed, int) else as_of_ns  # (saved by a version that did not note it)

    def review_input(self, img: dict[str, Any], as_of_ns: int) -> dict[str, Any] | None:
        """The image_review input for one image, as of `as_of_ns` (None: nothing to review)."""
        facts = review_facts(img, as_of_ns)
        return facts.as_input(as_of_ns) if facts is not None else None

    @staticmethod
    def review_key(img: dict[str, Any], as_of_ns: int, bucket: Callable[[float], Any]) -> tuple[Any, ...] | None:
        """A cache key for review_input(img, as_of_ns), without building it: equal keys mean equal
        canonical keys (engines/canon.py), hence the same decision (tests/unit/test_fast_keys.py).
        Both are rendered from the same ReviewFacts. None: no key (nothing to review, or an
        identifier that is not a string: review_input and `canonical` will say)."""
        facts = review_facts(img, as_of_ns)
        return facts.as_key(bucket) if facts is not None else None

"""The guide's case studies as a clinician would answer them on serve's page, each beside the
example request (examples/requests/) that states the same facts as JSON. Control names and values
are checker/static/index.html's."""
from __future__ import annotations

EXPLAINED_ALL = [("informed_of", v) for v in ("purpose", "use", "access", "sharing", "deidentification", "storage", "withdrawal_limits")]
SAFE_PHONE = [("owner", "personal"), ("passcode", "yes"), ("remote_wipe", "yes"), ("auto_upload", "off")]

CASES: dict[str, list[tuple[str, str]]] = {
    # Case Study One: a medical student films a resuscitation on her phone …
    "disallowed_case1_film_resuscitation.json": [
        ("action", "take"), ("role", "medical_student"), ("modality", "video"), ("subject", "procedure"), ("intimate", "no"),
        ("purposes", "personal"), ("age", "81"), ("capacity", "impaired"), ("urgent", "yes"), ("substitute", "no"),
        ("consent", "none"), *SAFE_PHONE,
    ],
    # … and posts it on Facebook.
    "disallowed_case1_post_on_facebook.json": [
        ("action", "publish"), ("role", "medical_student"), ("modality", "video"), ("subject", "procedure"),
        ("intimate", "no"), ("taken_for", "personal"), ("purpose", "personal"), ("recipient", "social_media"),
        ("channel", "social_media"), ("shown_from", "actor_device"), ("age", "81"), ("capacity", "impaired"),
        ("consent", "none"), ("in_record", "no"), *SAFE_PHONE,
    ],
    # Case Study Two: an intern shows the images from the phone to ward doctors three months later.
    "disallowed_case2_show_from_phone.json": [
        ("action", "show"), ("role", "intern"), ("modality", "photo"), ("subject", "wound"), ("intimate", "no"),
        ("taken_for", "clinical_care"), ("purpose", "teaching"), ("deidentified", "no"), ("metadata_removed", "yes"),
        ("recipient", "clinician_none"),
        ("channel", "in_person_display"), ("shown_from", "actor_device"), ("age", "38"), ("capacity", "full"),
        ("consent", "granted"), ("given_by", "patient"), ("consent_purposes", "clinical_care"), ("documented", "yes"),
        *EXPLAINED_ALL, ("in_record", "yes"), ("since_amount", "3"), ("since_unit", "728"), *SAFE_PHONE,
    ],
    # Case Study Three: an RMO photographs a lesion under anaesthesia; verbal consent, not recorded.
    "disallowed_case3_lesion_verbal_consent.json": [
        ("action", "take"), ("role", "resident"), ("modality", "photo"), ("subject", "lesion"), ("intimate", "yes"),
        ("purposes", "clinical_care"), ("purposes", "teaching"), ("age", "62"), ("capacity", "full"),
        ("consent", "granted"), ("given_by", "patient"), ("consent_purposes", "clinical_care"), ("consent_purposes", "teaching"),
        ("identifiable_use", "no"), ("documented", "no"), *EXPLAINED_ALL, *SAFE_PHONE,
    ],
    # Case Study Four: the record is produced on a subpoena without the photos kept on the phone.
    "disallowed_case4_subpoena_without_images.json": [
        ("action", "produce"), ("role", "admin"), ("requester", "court"), ("produce_legal", "subpoena"),
        ("images_held", "2"), ("images_produced", "0"),
    ],
    # Case Study Five: the registrar leaves a received image on his phone.
    "disallowed_case5_receiver_keeps_image.json": [
        ("action", "keep"), ("role", "registrar"), ("sender_saved", "yes"), ("since_amount", "55.5"), ("since_unit", "1"), *SAFE_PHONE,
    ],
    # Case Study Six: a father's own photo of his son's wound — with and without his agreement.
    "allowed_case6_copy_with_agreement.json": [
        ("action", "copy"), ("role", "resident"), ("modality", "photo"), ("subject", "wound"),
        ("owner_agreed", "yes"), ("retention_explained", "yes"),
    ],
    "disallowed_case6_copy_without_agreement.json": [
        ("action", "copy"), ("role", "resident"), ("modality", "photo"), ("subject", "wound"),
        ("owner_agreed", "no"), ("retention_explained", "yes"),
    ],
    # Not a case study: secondary-purpose sharing, permitted with an obligation (tell the patient).
    "allowed_secondary_purpose_share.json": [
        ("action", "send"), ("role", "intern"), ("modality", "photo"), ("subject", "wound"), ("intimate", "no"),
        ("taken_for", "teaching"), ("purpose", "clinical_care"), ("recipient", "consulted"), ("channel", "hospital_secure_app"),
        ("shown_from", "health_record"), ("age", "54"), ("capacity", "full"), ("consent", "granted"), ("given_by", "patient"),
        ("consent_purposes", "teaching"), ("identifiable_use", "no"), ("documented", "yes"),
        *[a for a in EXPLAINED_ALL if a[1] != "sharing"],
    ],
    # An intimate image taken on the clinician's own phone: the guide asks for advice first.
    "escalate_intimate_capture_on_personal_phone.json": [
        ("action", "take"), ("role", "intern"), ("modality", "photo"), ("subject", "body"), ("intimate", "yes"),
        ("purposes", "clinical_care"), ("age", "54"), ("capacity", "full"),
        ("consent", "granted"), ("given_by", "patient"), ("consent_purposes", "clinical_care"), ("documented", "yes"),
        *EXPLAINED_ALL, *SAFE_PHONE,
    ],
    # A 4-year-old needs an urgent image for their care and no parent can be reached.
    "escalate_child_emergency_no_parent_reachable.json": [
        ("action", "take"), ("role", "intern"), ("modality", "photo"), ("subject", "wound"), ("intimate", "no"),
        ("purposes", "clinical_care"), ("age", "4"), ("maturity", "not_assessed"), ("distressed", "no"),
        ("urgent", "yes"), ("substitute", "no"), ("consent", "none"), *SAFE_PHONE,
    ],
}

# A de-identified video of a procedure shown to students, with the patient's consent to teaching
# (not to identifiable use): whether the patient's voice is heard decides (What identifies).
_TEACHING_VIDEO = [
    ("action", "show"), ("role", "registrar"), ("modality", "video"), ("subject", "procedure"), ("intimate", "no"),
    ("taken_for", "clinical_care"), ("taken_for", "teaching"), ("purpose", "teaching"), ("deidentified", "yes"),
    ("rare", "no"), ("metadata_removed", "yes"), ("recipient", "student"), ("channel", "in_person_display"),
    ("shown_from", "health_record"), ("age", "54"), ("capacity", "full"), ("consent", "granted"), ("given_by", "patient"),
    ("consent_purposes", "clinical_care"), ("consent_purposes", "teaching"), ("identifiable_use", "no"), ("documented", "yes"),
    *EXPLAINED_ALL,
]

# Variants answered on the page, with the outcome and findings `clinimg check` gives on the same
# facts (checked on the page's own request by the test): Case Study Two with the phone's metadata
# still in the file; the teaching video with and without the patient's voice.
VARIANTS: dict[str, tuple[list[tuple[str, str]], list[str], str]] = {
    "case 2, metadata left in the file": (
        [("metadata_removed", "no") if a == ("metadata_removed", "yes") else a for a in CASES["disallowed_case2_show_from_phone.json"]],
        ["deidentification.metadata", "disclosure.consent_scope", "storage.shown_from_device"],
        "deny",
    ),
    "teaching video, the patient's voice heard": (
        [*_TEACHING_VIDEO, ("voice", "yes")],
        ["deidentification.features", "disclosure.deidentify_for_education"],
        "deny",
    ),
    "teaching video, no voice heard": ([*_TEACHING_VIDEO, ("voice", "no")], [], "permit"),
}

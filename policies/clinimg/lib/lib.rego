# METADATA
# title: clinimg shared helpers
# description: |
#   Facts every rule needs, derived once from the decision input (a disclosure request, SPEC §3):
#   the hospital configuration with the guide's defaults, who the patient is (child, mature minor,
#   adult lacking capacity), which consents are in force, and what the device is.
#   Never evaluated under `with` by the embedded engine (regopy crashes there, see DEVELOPERS.md).
package clinimg.lib

# ---------------------------------------------------------------------------------------------
# Hospital configuration. The overlay arrives as data.clinimg.config (see checker/overlay.py);
# every key falls back to the guide-alone default here, so the policies also run with no data.
# object.get per key, never a deep object.union: regopy's union is shallow, OPA's is deep.

default_config := {
	"personal_devices": "allowed",
	"written_consent_required": false,
	"secure_transfer_system": true,
	# The guide names no channel list; the rule only bites once a hospital sets one.
	"approved_channels": null,
	# The guide is written for medical students and doctors: anyone clinical may take the image.
	"capture_roles": [
		"medical_student", "intern", "resident", "registrar", "consultant",
		"nurse", "allied_health", "clinical_photographer",
	],
	"jurisdiction": null,
}

default_deadlines := {
	"record_transfer_hours": 24,
	"device_deletion_hours": 24,
	"receipt_deletion_hours": 24,
	"breach_report_hours": 72,
}

# Retention of health records by jurisdiction (adults: years after the last entry; minors: until
# the patient reaches this age). Used when the overlay sets no `retention`.
retention_by_jurisdiction := {
	"NSW": {"adult_years": 7, "minor_until_age": 25},
	"VIC": {"adult_years": 7, "minor_until_age": 25},
	"ACT": {"adult_years": 7, "minor_until_age": 25},
}

default_retention := {"adult_years": 7, "minor_until_age": 25}

# Below this many megapixels a diagnostic image or report is flagged (warn only).
default_min_resolution_mp := 2

# Referencing data.clinimg.config, never `data` whole: a lookup on `data` depends on every rule.
default overlay := {}

overlay := data.clinimg.config

config_value(key) := object.get(overlay, [key], default_config[key])

deadline_hours(name) := object.get(overlay, ["deadlines", name], default_deadlines[name])

jurisdiction_retention := object.get(retention_by_jurisdiction, [config_value("jurisdiction")], default_retention)

retention(key) := object.get(overlay, ["retention", key], jurisdiction_retention[key])

min_resolution_mp := object.get(overlay, ["quality", "min_resolution_mp"], default_min_resolution_mp)

# ---------------------------------------------------------------------------------------------
# Purposes.

education_purposes := {"teaching", "training", "research"}

# Uses that the guide wants de-identified where possible.
deidentified_use_purposes := {"teaching", "training", "research", "publication"}

capture_purposes := {p | some p in object.get(input, "purposes", [])}

# What the patient was told when the image was collected: the primary purposes.
primary_purposes := {p | some p in object.get(input, ["image", "purposes"], [])}

# ---------------------------------------------------------------------------------------------
# The patient.

age := object.get(input, ["patient", "age_years"], null)

is_child if {
	is_number(age)
	age < 18
}

is_adult if {
	is_number(age)
	age >= 18
}

is_mature_minor if {
	is_child
	input.patient.mature_minor_assessed == true
}

capacity := object.get(input, ["patient", "capacity"], "unknown")

lacks_capacity if capacity in {"impaired", "impaired_temporary"}

# ---------------------------------------------------------------------------------------------
# Consents. The request (or the audit's state) lists the consent objects on file for the patient.
# A consent covers a purpose when it names it (publication also when `publication: true`), and
# an image when it names no images or names this one.

consents := object.get(input, "consents", [])

image_id := object.get(input, ["image", "id"], null)

# No images named (missing, null or []) means every image of the patient.
covers_image(c) if not c.image_ids

covers_image(c) if c.image_ids == []

covers_image(c) if image_id in c.image_ids

names_purpose(c, purpose) if purpose in object.get(c, "purposes", [])

names_purpose(c, "publication") if c.publication == true

covers(c, purpose) if {
	names_purpose(c, purpose)
	covers_image(c)
}

# A refusal or withdrawal that names no purpose covers every purpose.
covers_negative(c, purpose) if {
	count(object.get(c, "purposes", [])) == 0
	covers_image(c)
}

covers_negative(c, purpose) if covers(c, purpose)

granted(c) if c.status == "granted"

# A withdrawal on file beats a grant for the same purpose: the audit keeps only withdrawals made
# after the grant, and a caller that sends both is answered conservatively.
withdrawn_for(purpose) if {
	some c in consents
	c.status == "withdrawn"
	covers_negative(c, purpose)
}

refused_for(purpose) if {
	some c in consents
	c.status == "refused"
	covers_negative(c, purpose)
}

# `personal` is never a legitimate purpose: no consent makes it one.
consent_in_force_for(purpose) if {
	purpose != "personal"
	some c in consents
	granted(c)
	covers(c, purpose)
	not withdrawn_for(purpose)
}

consents_in_force_for(purpose) := {c |
	purpose != "personal"
	some c in consents
	granted(c)
	covers(c, purpose)
	not withdrawn_for(purpose)
}

any_consent_granted if {
	some c in consents
	granted(c)
}

# Consents an action relies on: for a capture, those covering its purposes; for a disclosure
# without a primary or secondary purpose or a legal basis, those covering its purpose.
relied_consents contains c if {
	input.type == "capture"
	some purpose in capture_purposes
	some c in consents_in_force_for(purpose)
}

relied_consents contains c if {
	input.type == "disclosure"
	basis == "consent"
	some c in consents_in_force_for(input.purpose)
}

# ---------------------------------------------------------------------------------------------
# Emergency: impaired capacity, nobody available to consent, urgent treatment (Adults with
# impaired capacity). It only ever excuses a capture for clinical care.

emergency_capture if {
	input.type == "capture"
	"clinical_care" in capture_purposes
	lacks_capacity
	input.circumstances.urgent == true
	not object.get(input, ["circumstances", "substitute_available"], false)
	not consent_in_force_for("clinical_care")
}

court_ordered if object.get(input, "legal_basis", "none") == "court_order"

# ---------------------------------------------------------------------------------------------
# Devices. The device that takes, shows or holds the image.

actor_device := object.get(input, ["actor", "device"], null)

event_device := input.device if input.type in {"receipt", "device_posture"}

event_device := actor_device if input.type in {"capture", "disclosure"}

personal_device if actor_device.owner == "personal"

# ---------------------------------------------------------------------------------------------
# Disclosures: the legal basis, in the guide's order (Use and disclosure of clinical images).

# Social media, the public, or a personal purpose: a non-professional context (Case Study One).
non_professional if input.purpose == "personal"

non_professional if input.recipient.kind in {"social_media", "public"}

non_professional if input.channel == "social_media"

# Someone caring for the patient, or the record itself.
care_recipient if input.recipient.kind == "health_record"

care_recipient if {
	input.recipient.kind == "clinician"
	input.recipient.relationship in {"treating_team", "consulted"}
}

patient_side_recipient if input.recipient.kind in {"patient", "patient_representative"}

legal_bases := {"court_order", "subpoena", "required_by_law", "serious_threat"}

has_legal_basis if object.get(input, "legal_basis", "none") in legal_bases

consent_withdrawn_for_disclosure if {
	input.type == "disclosure"
	withdrawn_for(input.purpose)
}

# The purpose the patient was told about at collection; care purposes only towards carers.
primary_purpose if {
	not non_professional
	not consent_withdrawn_for_disclosure
	input.purpose in primary_purposes
	purpose_fits_recipient
}

purpose_fits_recipient if input.purpose != "clinical_care"

purpose_fits_recipient if care_recipient

# Closely related and reasonably expected: clinical care by the treating team or a consulted
# colleague, or the patient's own access to their record.
secondary_purpose if {
	not non_professional
	not consent_withdrawn_for_disclosure
	not primary_purpose
	input.purpose == "clinical_care"
	care_recipient
}

secondary_purpose if {
	not non_professional
	not consent_withdrawn_for_disclosure
	not primary_purpose
	input.purpose == "patient_access"
	patient_side_recipient
}

consent_basis if {
	not non_professional
	consent_in_force_for(input.purpose)
}

basis := "primary_purpose" if {
	input.type == "disclosure"
	primary_purpose
} else := "secondary_purpose" if {
	input.type == "disclosure"
	secondary_purpose
} else := "consent" if {
	input.type == "disclosure"
	consent_basis
} else := "legal" if {
	input.type == "disclosure"
	not non_professional
	has_legal_basis
} else := "consent" if {
	input.type == "capture"
	some purpose in capture_purposes
	consent_in_force_for(purpose)
} else := "legal" if {
	input.type == "capture"
	court_ordered
} else := null

# ---------------------------------------------------------------------------------------------
# Lifecycle facts, computed by the audit from the image's history (or given in a request).

lifecycle := object.get(input, "lifecycle", {})

# Saved to the record and still on a personal device past the deletion deadline.
overdue_on_device if {
	lifecycle.in_record == true
	lifecycle.hours_since_record_transfer > deadline_hours("device_deletion_hours")
}

# ---------------------------------------------------------------------------------------------
# Messages about consents: "the consent for clinical_care, teaching" (the purposes the consents
# name, sorted), or "the consent" when they name none. Purposes are vocabulary, never patient data.
# Built with concat, not sprintf: regopy 1.5.2's sprintf wraps a %s argument that another builtin
# computed (concat, lower…) in raw quotes, and its JSON output then fails to parse.

consents_label(cs) := concat("", ["the consent for ", concat(", ", ps)]) if {
	ps := sort({p | some c in cs; some p in object.get(c, "purposes", [])})
	count(ps) > 0
} else := "the consent"

# Every deadline in force, in hours. The audit's cache (checker/engines/canon.py) keeps each
# `hours > deadline` comparison exact by knowing these.
deadline_thresholds := sort([hours | some name in object.keys(default_deadlines); hours := deadline_hours(name)])

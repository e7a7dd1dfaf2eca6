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
	# Children: "Older children and young people under 18 years of age will need to be assessed to
	# determine if they have sufficient maturity". The guide names no age; from 16 a parent's
	# consent alone, without that assessment, is not safe in any Australian jurisdiction (some
	# let a 16-year-old consent by statute). consent.maturity_assessment reads it.
	"maturity_assessment_age": 16,
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

# A valid consent in force for the disclosure's purpose allows identifiable use — to the
# recipients it names: a patient who let students see their face has not let every clinician see
# it ("Make sure the patient understands … to whom it will be shown").
identifiable_use_consented if {
	some c in consents_in_force_for(input.purpose)
	c.identifiable_use == true
	covers_recipient(c, input.purpose)
	not identifiable_use_narrowed_later(c, input.purpose)
}

# The patient's later word on the same purpose and image governs from when it was given: a grant
# dated (`given_at`) after one that allowed identifiable use, for this purpose and image, that does
# not allow it, narrows it as a partial withdrawal would ("patients have the right to withdraw
# their consent"; Scope and nature of consent: "The scope and nature of the patient's original
# consent may need to be considered"). Only a grant someone able to consent gave, before the
# event. Undated (or unreadable) grants add up as before: an additional consent is the common case.
# The audit narrows the earlier grant the same way when the later one arrives (checker/audit/
# state.py, _identifiable_use_after_grant), since it drops `given_at`.
identifiable_use_narrowed_later(c, purpose) if {
	some g in consents
	granted(g)
	covers(g, purpose)
	not allows_identifiable_use(g)
	time_ns(g.given_at) > time_ns(c.given_at)
	not given_after_event(g)
	valid_giver(g)
}

# (A helper: with the field absent, `not g.identifiable_use == true` is read alike by both engines.)
allows_identifiable_use(c) if c.identifiable_use == true

# Teaching, training, research or publication without consent to identifiable use, or an image
# declared de-identified: the image must then be de-identified — features, metadata, and a rare
# presentation that may still identify ("Clinical images used for teaching, training, and research
# should be de-identified"; "the rarer the clinical presentation, the more likely it may be
# identifiable").
used_as_deidentified if input.image.deidentified == true

used_as_deidentified if {
	input.purpose in deidentified_use_purposes
	not identifiable_use_consented
}

capture_purposes := {p | some p in object.get(input, "purposes", [])}

# What the patient was told when the image was collected: the primary purposes — the image's
# `purposes`, and on a disclosure the capture's `purposes` written where a capture has them, at
# the top level. (SPEC §3 gives a disclosure request "the `image` as captured (`purposes`,
# flags)"; read either way, the capture's purposes were ignored at the top level: a disclosure
# for a purpose the patient was told of was judged as if it had been a secondary one.)
primary_purposes := {p | some p in object.get(input, ["image", "purposes"], [])} | disclosure_told_purposes

disclosure_told_purposes := {p | input.type == "disclosure"; some p in object.get(input, "purposes", [])}

# ---------------------------------------------------------------------------------------------
# The patient.

age := object.get(input, ["patient", "age_years"], null)

is_child if {
	is_number(age)
	age < 18
}

age_unknown if not is_number(age)

# Maturity (Children): SPEC's `mature_minor_assessed: true` means assessed as mature enough to
# consent; the extension `maturity_assessment` (mature | not_mature | not_assessed) tells "not yet
# assessed" from "assessed as not mature". A recorded "not_mature" wins over a stray `true`: the
# young person's own consent then never counts (fail closed).
maturity_assessment := object.get(input, ["patient", "maturity_assessment"], "not_assessed")

assessed_mature if input.patient.mature_minor_assessed == true

assessed_mature if maturity_assessment == "mature"

is_mature_minor if {
	is_child
	assessed_mature
	maturity_assessment != "not_mature"
}

# "Older children … will need to be assessed": nobody has said whether this child is mature.
maturity_not_assessed if {
	is_child
	not assessed_mature
	maturity_assessment != "not_mature"
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

covers_image(c) if c.image_ids[_] == image_id

names_purpose(c, purpose) if c.purposes[_] == purpose

names_purpose(c, "publication") if c.publication == true

covers(c, purpose) if {
	names_purpose(c, purpose)
	covers_image(c)
}

# A refusal or withdrawal that names no purpose covers every purpose but the patient's own access
# to their record ("patients are entitled to request access to, and obtain a copy of, their
# health record, including any clinical images"), which only a refusal naming it covers.
covers_negative(c, purpose) if {
	count(object.get(c, "purposes", [])) == 0
	purpose != "patient_access"
	covers_image(c)
	negative_reaches_recipient(c)
}

covers_negative(c, purpose) if {
	covers(c, purpose)
	negative_reaches_recipient(c)
}

# A refusal or withdrawal that names `recipients` refuses the image to them, not to everyone: the
# patient decides "who will have access to the image" and "whether it might be shared and
# disclosed to others" (Consent to collection, use, and disclosure), and refuses as precisely as
# they consent (Scope and nature of consent). It binds a disclosure to (an access request from)
# someone it names; it leaves alone a disclosure to anyone else, and the taking of the image
# itself, which no recipient sees. (qa12: a refusal to show the family stopped the image going
# to the consulted surgeon, and its taking.) Naming none (absent or []): every recipient.
negative_reaches_recipient(c) if count(object.get(c, "recipients", [])) == 0

negative_reaches_recipient(c) if {
	some r in c.recipients
	r in negative_target_descriptors
}

# Whom this input would show the image to, as consents name recipients: a disclosure's recipient,
# an access request's requester — and whoever publishes it, when it goes out through
# `channel: publication` (a publication is a publication whatever the recipient is called:
# disclosure.publication_consent), so a refusal naming `publisher` binds it.
negative_target_descriptors := (recipient_descriptors | {k | input.type == "access_request"; k := requester_kind}) | {"publisher" | input.channel == "publication"}

granted(c) if c.status == "granted"

# Who may refuse or withdraw: the one who may consent ("Patients have the right to consent to (or
# refuse)"; "Only competent patients can provide consent"). A patient who decides alone — an adult,
# or a young person assessed as mature, whose capacity is recorded as full — is not bound by a
# parent's or a decision-maker's refusal on their behalf: it has no authority
# (consent.refusal_authority escalates instead, for the conflict needs advice). Fail closed:
# whenever capacity is anything but full, or the patient is a child not assessed as mature, a
# refusal or withdrawal from anyone binds — a young child's own objection too ("If the child
# appears distressed … reconsider your position, even if the parent … has provided consent").
decides_alone if {
	not is_child
	capacity == "full"
}

decides_alone if {
	is_mature_minor
	capacity == "full"
}

negative_without_authority(c) if {
	decides_alone
	c.given_by in {"parent_guardian", "substitute_decision_maker"}
}

# A withdrawal or refusal on file beats a grant for the same purpose: the audit keeps only those
# made after the grant, and a caller that sends both is answered conservatively (Right to refuse
# consent; Withdrawing consent) — unless both are dated and the grant came later (lifted_later).
withdrawn_for(purpose) if {
	some c in consents
	c.status == "withdrawn"
	covers_negative(c, purpose)
	not negative_without_authority(c)
	not lifted_later(c, purpose)
}

refused_for(purpose) if {
	some c in consents
	c.status == "refused"
	covers_negative(c, purpose)
	not negative_without_authority(c)
	not lifted_later(c, purpose)
}

# Refusals and withdrawals on file for a purpose that someone without authority made.
unauthorised_negatives_for(purpose) := {c |
	some c in consents
	c.status in {"refused", "withdrawn"}
	covers_negative(c, purpose)
	negative_without_authority(c)
	not lifted_later(c, purpose)
}

# A refusal or withdrawal the patient later reversed: a grant dated (`given_at`) after it, and
# not after the event, covers this purpose and image ("Patients have the right to consent to (or
# refuse)"; a refusal is not for ever). The audit orders consents by their events and lifts a
# refusal the same way (checker/audit/state.py, apply_consent); a request says the order with
# `given_at` on both. Undated, or a date that cannot be read: the refusal binds (fail closed).
# Only a grant someone able to consent gave lifts it (valid_giver): not a parent's or
# decision-maker's while the patient decides alone (as in the audit: without_authority), nor the
# patient's own while lacking capacity, nor a child's unassessed.
lifted_later(c, purpose) if {
	some g in consents
	granted(g)
	covers(g, purpose)
	time_ns(g.given_at) > time_ns(c.given_at)
	not given_after_event(g)
	valid_giver(g)
	not decider_over_patients_refusal(g, c)
}

# A parent or decision-maker cannot lift a refusal or withdrawal the patient made themselves
# while able to decide ("Patients have the right to … refuse"; Adults with impaired capacity: the
# decision-maker consents while the patient cannot, not against what the patient decided): only
# one known to be given while the patient lacked capacity (`capacity_at_consent`) is lifted by
# their grant. A child's own refusal stays too ("reconsider your position, even if the parent or
# guardian has provided consent"). The audit keeps such a refusal on file the same way
# (checker/audit/state.py, grant_cannot_lift).
decider_over_patients_refusal(g, c) if {
	decides_for_patient(g)
	c.given_by == "patient"
	not given_lacking_capacity(c)
}

# (A helper, not `not c.capacity_at_consent in {…}`: with the field absent, the reference OPA and
# regopy answered that differently.)
given_lacking_capacity(c) if c.capacity_at_consent == "impaired"

given_lacking_capacity(c) if c.capacity_at_consent == "impaired_temporary"

negated_for(purpose) if withdrawn_for(purpose)

negated_for(purpose) if refused_for(purpose)

# A grant dated after the event (`given_at`) was not there when the image was taken or sent:
# consent is obtained before, never after ("Before taking a clinical image … obtain appropriate
# consent"). (Refusals and withdrawals count whenever they were made: fail closed.)
given_after_event(c) if time_ns(c.given_at) > time_ns(input.occurred_at)

# Fail closed: a grant whose date cannot be read is not taken to predate the event.
given_after_event(c) if {
	c.given_at # (no date on file: nothing to read)
	not time_read(c.given_at)
}

# (A helper: `not is_number(time_ns(t))` is not true when time_ns(t) is undefined.)
time_read(t) if is_number(time_ns(t))

# An RFC 3339 time in nanoseconds; undefined for anything else (what reads it then fails closed).
# rego-cpp (regopy 1.x) reads no "Z" offset, OPA reads both: "Z" is read as the same instant
# written "+00:00", so both engines agree.
# RFC 3339 (and the schema) allow a lower-case "t" and "z" too, which neither engine's parser
# reads: the time is rewritten as "T" and "+00:00" first (the date is always 10 characters).
time_ns(t) := time.parse_rfc3339_ns(concat("", [substring(t, 0, 10), "T", substring(t, 11, count(t) - 12), "+00:00"])) if {
	is_string(t)
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?[Zz]$`, t)
}

time_ns(t) := time.parse_rfc3339_ns(concat("", [substring(t, 0, 10), "T", substring(t, 11, count(t) - 11)])) if {
	is_string(t)
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?[+-][0-9]{2}:[0-9]{2}$`, t)
}

# A date (YYYY-MM-DD) in nanoseconds, at its midnight UTC; undefined for anything else.
date_ns(d) := time.parse_ns("2006-01-02", d) if {
	is_string(d)
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`, d)
}

# Grants on file that cover a purpose for this image, whoever gave them. `personal` is never a
# legitimate purpose: no consent makes it one.
on_file_for(purpose) := found if {
	found := on_file_by_purpose[purpose]
} else := grants_on_file(purpose)

grants_on_file(purpose) := {c |
	purpose != "personal"
	not negated_for(purpose)
	some c in consents
	granted(c)
	covers(c, purpose)
	not given_after_event(c)
}

# The purposes the rules ask about for this input (a capture's, a disclosure's), each one's
# grants on file and valid consents computed once: a rule's value is computed once a query, a
# function's at every call (and on_file_for and consents_in_force_for are called a dozen times).
asked_purposes := capture_purposes | {p | p := input.purpose}

on_file_by_purpose := {purpose: grants_on_file(purpose) | some purpose in asked_purposes}

in_force_by_purpose := {purpose: valid_in_force(purpose) | some purpose in asked_purposes}

# Who may consent ("Only competent patients can provide consent"; Adults with impaired capacity;
# Children). A consent the patient gave while competent stays valid while they later lack
# capacity: the consent says so in `capacity_at_consent` (the audit fills it from the consent
# event). Where it does not, only a temporary incapacity now lets it stand — a patient cannot
# consent while anaesthetised or sedated, so their own consent was given before (Case Study Three).
# A child's own consent counts only once assessed as mature enough to give it ("Older children …
# will need to be assessed"): given under 18 without that assessment (`age_at_consent`,
# `maturity_at_consent`, which the audit fills from the consent event), it never was the
# patient's to give, and turning 18 since does not make it valid.
given_as_child_not_mature(c) if {
	is_number(c.age_at_consent)
	c.age_at_consent < 18
	object.get(c, "maturity_at_consent", "not_assessed") != "mature"
}

competent_when_given(c) if {
	c.capacity_at_consent == "full"
	not given_as_child_not_mature(c)
}

competent_when_given(c) if {
	object.get(c, "capacity_at_consent", "unknown") == "unknown"
	capacity != "impaired"
	not given_as_child_not_mature(c)
}

# A consent given by someone deciding for the patient (a parent or guardian, a substitute).
decides_for_patient(c) if c.given_by == "parent_guardian"

decides_for_patient(c) if c.given_by == "substitute_decision_maker"

valid_giver(c) if {
	is_mature_minor
	c.given_by == "patient"
	competent_when_given(c)
}

# A mature minor who now lacks capacity: their parents or another decision-maker decide for them.
valid_giver(c) if {
	is_mature_minor
	lacks_capacity
	decides_for_patient(c)
}

valid_giver(c) if {
	is_child
	not is_mature_minor
	decides_for_patient(c)
}

valid_giver(c) if {
	not is_child
	c.given_by == "patient"
	competent_when_given(c)
}

valid_giver(c) if {
	not is_child
	lacks_capacity
	c.given_by == "substitute_decision_maker"
}

# The patient's age is not stated (`age_years` absent or null; the schema lets it be left out):
# a parent's, guardian's or decision-maker's consent is valid for a child not assessed as mature
# ("For young children, their parents or guardians generally provide consent"), not for a
# competent adult. Nobody is presumed an adult (consent.age_unknown): such a consent is taken as
# it was given and escalated for the age to be recorded, as the patient's own is — not denied as
# if the patient were known to be an adult (qa12).
valid_giver(c) if {
	age_unknown
	decides_for_patient(c)
}

# Valid consents in force for a purpose and this image.
consents_in_force_for(purpose) := found if {
	found := in_force_by_purpose[purpose]
} else := valid_in_force(purpose)

valid_in_force(purpose) := {c |
	some c in on_file_for(purpose)
	valid_giver(c)
}

consent_in_force_for(purpose) if count(consents_in_force_for(purpose)) > 0

# The patient's own valid consent (not a decision-maker's): what waiting for capacity is about.
own_consent_for(purpose) if {
	some c in consents_in_force_for(purpose)
	c.given_by == "patient"
}

any_consent_granted if {
	some c in consents
	granted(c)
}

# The purposes an action needs consent for: a capture's, and a disclosure's unless it rests on a
# legal basis. A consent on file for one of them that nobody able to consent gave is a finding of
# the consent area (child_guardian, mature_minor, substitute_decision_maker, competent_adult),
# for the capture and for every later use or disclosure alike.
consent_purposes contains purpose if {
	input.type == "capture"
	some purpose in capture_purposes
}

consent_purposes contains input.purpose if {
	input.type == "disclosure"
	basis != "legal"
}

invalid_consents contains c if {
	some purpose in consent_purposes
	not consent_in_force_for(purpose)
	some c in on_file_for(purpose)
	not lapsed_and_not_needed(c)
}

# A consent that was valid when it was given, but whose giver no longer decides: a substitute
# decision-maker's given while the patient lacked capacity (`capacity_at_consent`), a parent's or
# guardian's given while the patient was a child not assessed as mature (`age_at_consent`,
# `maturity_at_consent`); the patient has since regained capacity, come of age or been assessed
# as mature. Every later use that needs consent needs the patient's own ("Only competent patients
# can provide consent"), but clinical care by the people caring for the patient, or their own
# access, needs none ("if the patient would reasonably expect you to send the image for the
# purpose of their clinical management"): such a consent is not held against it.
lapsed_when_patient_decides(c) if {
	c.given_by == "substitute_decision_maker"
	c.capacity_at_consent in {"impaired", "impaired_temporary"}
}

lapsed_when_patient_decides(c) if {
	decides_for_patient(c)
	given_as_child_not_mature(c)
}

lapsed_and_not_needed(c) if {
	basis == "secondary_purpose"
	lapsed_when_patient_decides(c)
}

# Consents an action relies on: for a capture, those covering its purposes (the valid ones where
# there are any); for a disclosure resting on consent, those that cover its purpose and
# recipient — on the primary purpose too, unless the disclosure is also a secondary purpose that
# needs no consent (clinical care by the people caring for the patient, the patient's own access).
# The primary purpose's consent may not be the one the capture was judged by (given later, or
# never judged: `clinimg check` of a disclosure alone), and "this consent should be documented".
relied_consents contains c if {
	input.type == "capture"
	some purpose in capture_purposes
	some c in consents_in_force_for(purpose)
}

relied_consents contains c if {
	input.type == "capture"
	some purpose in capture_purposes
	not consent_in_force_for(purpose)
	some c in on_file_for(purpose)
}

relied_consents contains c if {
	input.type == "disclosure"
	basis == "consent"
	some c in disclosure_consents
}

relied_consents contains c if {
	input.type == "disclosure"
	basis == "primary_purpose"
	not secondary_purpose
	some c in disclosure_consents
}

# An access request answered to a requester only a consent entitles (police, an insurer, a
# competent adult's representative — not the patient, nor the representative of a patient who
# cannot decide alone): the record goes out on that consent, which "should be documented" (Use
# and disclosure of clinical images). (qa10: a verbal, unrecorded consent let police have the
# whole record without a finding.)
relied_consents contains c if {
	input.type == "access_request"
	input.produced == true
	not requester_entitled_in_own_right
	some c in record_release_consents
}

# ---------------------------------------------------------------------------------------------
# Emergency: impaired capacity, nobody available to consent, urgent treatment (Adults with
# impaired capacity). It only ever excuses a capture for clinical care.

# Who cannot consent alone and so may need emergency treatment law when nobody is available to
# consent for them: an adult lacking capacity, and a child not assessed as mature (a young child's
# parents or guardians consent — Children). The guide puts the emergency passage under adults, but
# the same emergency treatment law covers a child whose parents cannot be reached; the capture is
# escalated for review all the same.
cannot_consent_alone if lacks_capacity

cannot_consent_alone if {
	is_child
	not is_mature_minor
}

emergency_capture if {
	input.type == "capture"
	"clinical_care" in capture_purposes
	cannot_consent_alone
	input.circumstances.urgent == true
	not object.get(input, ["circumstances", "substitute_available"], false)
	not consent_in_force_for("clinical_care")
}

legal_bases := {"court_order", "subpoena", "required_by_law", "serious_threat"}

legal_basis := object.get(input, "legal_basis", "none")

has_legal_basis if {
	legal_basis in legal_bases
	not purpose_beyond_law
}

# A disclosure for teaching, training or publication (or a personal purpose) rests on the
# patient's consent alone: the law allows or requires disclosure "to third parties without patient
# consent … to prevent a serious threat", to a court, to those a statute names — never to teach
# or to publish (Privacy and confidentiality: "Using clinical images for any purpose other than
# that for which consent has been obtained … is inappropriate"). A legal basis stated on such a
# disclosure is not one (qa10: it escalated for advice, even over the patient's refusal, where
# nothing allows it). Research stays: privacy legislation has research exemptions, and a
# disclosure claiming one escalates for advice.
purposes_beyond_law := {"teaching", "training", "publication", "personal"}

purpose_beyond_law if {
	input.type == "disclosure"
	input.purpose in purposes_beyond_law
}

# A capture the law requires (a court order, or another legal requirement): an exception to the
# right to refuse, always escalated (collection.legal_requirement).
legal_capture if {
	input.type == "capture"
	has_legal_basis
}

# What a legal capture stands in for consent for: a purpose a law can require — never teaching,
# training, publication or a personal purpose (purposes_beyond_law), for which only the patient's
# consent will do, and whose refusal therefore still binds (collection.consent_required,
# collection.consent_refused; teaching and training are also collection.teaching_research_consent's).
legal_capture_for(purpose) if {
	legal_capture
	not purpose in purposes_beyond_law
}


# ---------------------------------------------------------------------------------------------
# Devices. The device that takes, shows or holds the image.

actor_device := object.get(input, ["actor", "device"], null)

event_device := input.device if input.type in {"receipt", "device_posture"}

event_device := actor_device if input.type in {"capture", "disclosure"}

personal_device if actor_device.owner == "personal"

# ---------------------------------------------------------------------------------------------
# Images: what identifies. Listed identifying features make an image identifiable whatever its
# flags claim ("seemingly insignificant features, such as tattoos, can still make a person
# identifiable to others").

# A clinical image "may be a photo, video recording, or audio recording": a recording's sound
# carries the patient's voice, which identifies them as a face does. An audio or video recording
# counts as showing the voice unless the request says none is heard (`voice_audible: false`, an
# extension) — fail closed; `voice` may also be listed among the features.
stated_features := {f | some f in object.get(input, ["image", "identifying_features"], [])}

voice_heard if {
	input.image.modality in {"audio", "video"}
	object.get(input, ["image", "voice_audible"], true) != false
}

voice_heard if input.image.voice_audible == true

identifying_features := stated_features | {"voice"} if voice_heard
else := stated_features

image_identifiable if input.image.identifiable == true

image_identifiable if count(identifying_features) > 0

# The request says whether the image identifies the patient: `identifiable` given (true or
# false), or the image declared de-identified.
identifiability_stated if is_boolean(input.image.identifiable)

identifiability_stated if input.image.deidentified == true

# Identifiable, or nobody said it is not: a use that needs a de-identified image is not allowed
# on silence (fail closed).
may_identify if image_identifiable

may_identify if not identifiability_stated

# The flags say "not identifiable" (or "de-identified") while features that identify are listed.
flags_contradict_features if {
	count(identifying_features) > 0
	input.image.identifiable == false
}

flags_contradict_features if {
	count(identifying_features) > 0
	input.image.deidentified == true
}

# ---------------------------------------------------------------------------------------------
# Disclosures: the legal basis, in the guide's order (Use and disclosure of clinical images).
# "Never send a clinical image to anyone else unless you have the patient's consent to do so, or
# if the patient would reasonably expect you to send the image for the purpose of their clinical
# management, or if you are otherwise permitted by law to do so."

# Social media, the public, or a personal purpose: a non-professional context (Case Study One).
non_professional if input.purpose == "personal"

non_professional if input.recipient.kind in {"social_media", "public"}

non_professional if input.channel == "social_media"

# The recipient as consents name recipients: its kind, and for a clinician its relationship to
# the patient's care (treating_team, consulted).
recipient_descriptors contains input.recipient.kind

recipient_descriptors contains input.recipient.relationship if {
	input.recipient.kind == "clinician"
	input.recipient.relationship in {"treating_team", "consulted"}
}

# A medical student on the treating team is part of the team caring for the patient (the guide is
# written "for medical students and doctors", who are bound alike): clinical care reaches them as
# it reaches the team. A student is never "consulted", and one with no part in the care is not.
recipient_descriptors contains "treating_team" if {
	input.recipient.kind == "student"
	input.recipient.relationship == "treating_team"
}

# Clinical management: the people caring for the patient — treating and consulted clinicians,
# the health record, the patient, and the representative of a patient who cannot decide alone.
# Not family, the public, or a clinician with no part in the care.
care_recipients := {"health_record", "patient", "treating_team", "consulted"} | representative_recipients

# A representative speaks for a patient who cannot decide alone: a child not assessed as mature
# (the parents or guardians who consent for them — Children), or a patient lacking capacity (the
# substitute decision-maker). A competent adult's representative is
# not part of their care: the image goes to them only under a consent that names them.
representative_recipients := {"patient_representative"} if patient_represented

else := set()

# A child assessed as mature decides for themselves ("consent will need to be obtained from
# them"): their parents are encouraged to give input, not shown their images without the young
# person's consent — unless the young person now lacks capacity.
patient_represented if {
	is_child
	not is_mature_minor
}

patient_represented if lacks_capacity

# Who a consent for a purpose lets see the image when it names no `recipients` ("make sure the
# patient understands … to whom it will be shown"): the audience that purpose implies.
purpose_audience := {
	"clinical_care": care_recipients,
	"teaching": {"clinician", "student"},
	"training": {"clinician", "student"},
	"research": {"researcher"},
	"publication": {"publisher"},
	"legal_proceedings": {"court", "law_enforcement"},
	"patient_access": patient_access_recipients,
}

# The patient's own access to their record: the patient, or the representative of a patient who
# cannot decide alone (a competent adult's representative needs the patient's consent naming them).
patient_access_recipients := {"patient"} | representative_recipients

consent_audience(c, purpose) := {r | some r in c.recipients} if count(object.get(c, "recipients", [])) > 0
else := object.get(purpose_audience, purpose, set())

covers_recipient(c, purpose) if {
	some r in consent_audience(c, purpose)
	r in recipient_descriptors
}

care_recipient if {
	some r in recipient_descriptors
	r in care_recipients
}

patient_side_recipient if input.recipient.kind in {"patient", "patient_representative"}

negated_for_disclosure if {
	input.type == "disclosure"
	negated_for(input.purpose)
}

consent_withdrawn_for_disclosure if {
	input.type == "disclosure"
	withdrawn_for(input.purpose)
}

consent_refused_for_disclosure if {
	input.type == "disclosure"
	refused_for(input.purpose)
}

# Valid consents that cover this disclosure: its purpose, this image and this recipient.
disclosure_consents := {c |
	input.type == "disclosure"
	some c in consents_in_force_for(input.purpose)
	covers_recipient(c, input.purpose)
}

# A consent on file (valid or not) that covers purpose and image but not this recipient.
recipient_not_covered if {
	input.type == "disclosure"
	some c in on_file_for(input.purpose)
	not covers_recipient(c, input.purpose)
}

consent_basis if {
	not non_professional
	count(disclosure_consents) > 0
}

# The primary purpose is "the purpose (or purposes) the patient was informed about when he or she
# provided consent for the image to be collected": a purpose the image was taken for, with the
# patient's valid consent to it (and to this recipient). A capture that claimed a purpose without
# consent does not make it a primary purpose later.
primary_purpose if {
	input.purpose in primary_purposes
	consent_basis
}

# Closely related and reasonably expected: clinical care by the people caring for the patient,
# or the patient's own access to their record. A refusal or withdrawal on file for the purpose
# binds here too.
secondary_purpose if {
	not non_professional
	not negated_for_disclosure
	input.purpose == "clinical_care"
	care_recipient
	not recipients_named_exclude
}

# The patient was told to whom the image would be shown ("Make sure the patient understands …
# to whom it will be shown"; Documenting the consent process: "sent to Dr X for clinical
# advice"): the grants on file for this purpose and image name their `recipients`, and none names
# this one. The patient then would not reasonably expect it to go elsewhere, and "the scope and
# nature of the patient's original consent" decides: only a consent naming this recipient reaches
# them (disclosure.consent_scope). The health record, the patient, and the representative of a
# patient who cannot decide alone stay within the care whatever a consent names.
# (A grant that names no recipients covers every care recipient — the audience clinical care
# implies — so only grants that name theirs can leave this one out.)
recipients_named_exclude if {
	count(on_file_for(input.purpose)) > 0
	not recipient_named_by_a_grant
	not always_care_recipient
}

always_care_recipient if input.recipient.kind in always_care_recipients

recipient_named_by_a_grant if {
	some c in on_file_for(input.purpose)
	covers_recipient(c, input.purpose)
}

always_care_recipients := {"health_record", "patient"} | representative_recipients

secondary_purpose if {
	not non_professional
	not negated_for_disclosure
	input.purpose == "patient_access"
	input.recipient.kind in patient_access_recipients
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
	legal_capture
} else := null

# ---------------------------------------------------------------------------------------------
# Access requests: who is entitled to the record without a legal basis (access.requester;
# disclosure.legal_advice). The patient's own access: the patient, or the representative of a
# patient who cannot decide alone; anyone else through a valid consent in force for the whole
# record to release it to them.

requester_kind := object.get(input, ["requester", "kind"], null)

requester_entitled if requester_entitled_in_own_right

requester_entitled if count(record_release_consents) > 0

requester_entitled_in_own_right if requester_kind == "patient"

# A representative's access is the patient's access on their behalf: a refusal or withdrawal on
# file that names the patient's access binds it, as it binds a copy handed to them
# (secondary_purpose). (The patient's own request is their word now.)
requester_entitled_in_own_right if {
	requester_kind == "patient_representative"
	patient_represented
	not negated_for("patient_access")
}

record_purposes := {"patient_access", "legal_proceedings"}

# Valid consents in force that release the whole record to this requester.
record_release_consents := {c |
	some purpose in record_purposes
	some c in consents_in_force_for(purpose)
	requester_kind in consent_audience(c, purpose)
}

# The patient was told, when consenting for this image, that it may be shared.
told_of_sharing if {
	some c in consents
	granted(c)
	covers_image(c)
	"sharing" in object.get(c, "informed_of", [])
}

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

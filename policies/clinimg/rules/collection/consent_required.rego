# METADATA
# title: Obtain consent before taking a clinical image
# description: |
#   Every purpose of a capture (other than teaching, training and research, which
#   collection.teaching_research_consent judges) needs a granted consent in force naming it.
#   Excused: a capture for clinical care under emergency law (collection.emergency), and a
#   capture the law requires (collection.legal_requirement escalates it) — but never a
#   `personal` purpose, which no consent and no law makes legitimate, nor `publication`, which
#   only the patient's consent allows; and no emergency excuses a purpose the patient withdrew. A purpose the patient
#   refused is left to collection.consent_refused, and a consent on file that the person who gave
#   it could not give to the consent area's rules (child_guardian, substitute_decision_maker, …):
#   the more specific findings. `personal` is never covered.
# custom:
#   id: collection.consent_required
#   effect: deny
#   guide_section: Obtaining consent to collect a clinical image
#   passage: >-
#     Patients have the right to consent to (or refuse) the collection, use, and disclosure of
#     clinical images.
#   remedy: >-
#     Explain why the image is needed, how it will be used and who will see it, obtain the
#     patient's consent (or their substitute decision-maker's) for that purpose, and document it
#     before taking the image.
package clinimg.rules.collection.consent_required

import data.clinimg.lib

# Emergency law lets a capture for clinical care go ahead without consent (flagged by
# collection.emergency); it never excuses any other purpose. Nor does it override the patient's
# own word: emergency law stands in for a consent nobody can give, not for one the patient (or
# their decision-maker) withdrew ("Patients have the right to withdraw their consent"; a refusal
# is collection.consent_refused's, which no emergency excuses either).
excused("clinical_care") if {
	lib.emergency_capture
	not lib.withdrawn_for("clinical_care")
}

# A court order or another legal requirement stands in for consent (escalated by
# collection.legal_requirement) — for what the law may require (lib.legal_capture_for), never a
# personal purpose ("Using clinical images for any purpose other than that for which consent has
# been obtained, or sharing them in a non-professional context, is inappropriate"), nor
# publication, which only the patient's consent allows ("where a patient has consented to their
# image being used in a publication"; no law requires an image to be taken to be published).
# (Teaching, training and research are collection.teaching_research_consent's, which no legal
# basis excuses either.)
excused(purpose) if lib.legal_capture_for(purpose)

uncovered contains purpose if {
	input.type == "capture"
	some purpose in lib.capture_purposes
	not purpose in lib.education_purposes
	count(lib.on_file_for(purpose)) == 0
	not lib.refused_for(purpose)
	not excused(purpose)
}

deny contains finding if {
	some purpose in uncovered
	finding := {
		"rule": "collection.consent_required",
		"message": concat("", ["No consent in force covers taking this image for ", purpose, ": do not take it until the patient has consented to that purpose."]),
		"guide": "Obtaining consent to collect a clinical image",
		"remedy": "Explain why the image is needed, how it will be used and who will see it, obtain the patient's consent (or their substitute decision-maker's) for that purpose, and document it before taking the image.",
	}
}

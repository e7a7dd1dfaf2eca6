# METADATA
# title: A refusal binds only from someone who may decide for the patient
# description: |
#   A refusal or withdrawal on file for a purpose of the capture, or of a use or disclosure, came
#   from a parent or guardian or a substitute decision-maker, while the patient decides alone (an
#   adult, or a young person assessed as mature, with full capacity). It does not bind — the
#   patient's own decision does — but nobody should act against a relative's or decision-maker's
#   stated objection without advice and the patient's own word, so it escalates.
# custom:
#   id: consent.refusal_authority
#   effect: escalate
#   guide_section: Obtaining consent to collect a clinical image
#   passage: >-
#     Patients have the right to consent to (or refuse) the collection, use, and disclosure of
#     clinical images. Only competent patients can provide consent; however, where a patient lacks
#     decision-making capacity, consent should be sought from the patient’s substitute
#     decision-maker.
#   remedy: >-
#     Confirm the patient's own decision with them and document it; the refusal of someone who
#     cannot decide for the patient does not bind, but seek advice from hospital administration or
#     your medical defence organisation before acting against it.
package clinimg.rules.consent.refusal_authority

import data.clinimg.lib

escalate contains finding if {
	some purpose in lib.consent_purposes
	count(lib.unauthorised_negatives_for(purpose)) > 0
	finding := {
		"rule": "consent.refusal_authority",
		"message": concat("", ["A refusal or withdrawal for ", purpose, " on file came from a parent, guardian or decision-maker of a patient who decides for themselves: it does not bind, but confirm the patient's own decision and seek advice."]),
		"guide": "Obtaining consent to collect a clinical image",
		"remedy": "Confirm the patient's own decision with them and document it; the refusal of someone who cannot decide for the patient does not bind, but seek advice from hospital administration or your medical defence organisation before acting against it.",
	}
}

# METADATA
# title: A competent adult consents for themselves
# description: |
#   The patient is not a child and does not lack capacity, yet the only consent on file for a
#   purpose of the capture or of a later use or disclosure was given by someone else (a substitute
#   decision-maker, a parent or guardian), or by the patient at a time they lacked capacity
#   (`capacity_at_consent`). Nobody else can consent for a patient who can decide.
# custom:
#   id: consent.competent_adult
#   effect: deny
#   guide_section: Obtaining consent to collect a clinical image
#   passage: >-
#     Only competent patients can provide consent; however, where a patient lacks decision-making
#     capacity, consent should be sought from the patient’s substitute decision-maker.
#   remedy: >-
#     Ask the patient for their own consent, explaining the purpose, use, who will see the image
#     and how it is stored, and document it; a substitute decision-maker decides only while the
#     patient lacks capacity.
package clinimg.rules.consent.competent_adult

import data.clinimg.lib

deny contains finding if {
	not lib.is_child
	not lib.lacks_capacity
	count(lib.invalid_consents) > 0
	finding := {
		"rule": "consent.competent_adult",
		"message": concat("", ["The patient can decide for themselves, so ", lib.consents_label(lib.invalid_consents), ", not given by the patient while able to decide, is not valid."]),
		"guide": "Obtaining consent to collect a clinical image",
		"remedy": "Ask the patient for their own consent, explaining the purpose, use, who will see the image and how it is stored, and document it; a substitute decision-maker decides only while the patient lacks capacity.",
	}
}

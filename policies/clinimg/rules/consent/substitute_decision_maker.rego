# METADATA
# title: An adult lacking capacity cannot consent for themselves
# description: |
#   The patient is an adult whose capacity is impaired (temporarily or not), and a consent relied
#   on was given by the patient rather than a substitute decision-maker. Unknown capacity does not
#   count as lacking it.
# custom:
#   id: consent.substitute_decision_maker
#   effect: deny
#   guide_section: Adults with impaired capacity
#   passage: >-
#     Where an adult patient lacks decision-making capacity, consent from the appropriate
#     substitute decision-maker must be obtained.
#   remedy: >-
#     Obtain consent from the patient's substitute decision-maker, and document it; if the
#     incapacity is temporary and nothing is urgent, wait until the patient can decide.
package clinimg.rules.consent.substitute_decision_maker

import data.clinimg.lib

from_patient := {c |
	some c in lib.relied_consents
	c.given_by == "patient"
}

deny contains finding if {
	lib.is_adult
	lib.lacks_capacity
	count(from_patient) > 0
	finding := {
		"rule": "consent.substitute_decision_maker",
		"message": concat("", ["The patient lacks decision-making capacity, so ", lib.consents_label(from_patient), ", given by the patient, is not valid."]),
		"guide": "Adults with impaired capacity",
		"remedy": "Obtain consent from the patient's substitute decision-maker, and document it; if the incapacity is temporary and nothing is urgent, wait until the patient can decide.",
	}
}

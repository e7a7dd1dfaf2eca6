# METADATA
# title: An adult lacking capacity cannot consent for themselves
# description: |
#   The patient is an adult whose capacity is impaired (temporarily or not), and the only consent
#   on file for a purpose of the capture or of a later use or disclosure was given by someone who
#   cannot give it: the patient while lacking capacity (`capacity_at_consent`; without it, only a
#   temporary incapacity now lets the patient's own earlier consent stand), or a parent or
#   guardian who is not the substitute decision-maker. Unknown capacity does not count as lacking
#   it.
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

# An adult, or a young person assessed as mature: someone whose own consent would count if they
# had capacity (a younger child's consent is consent.child_guardian's).
decides_for_themselves if not lib.is_child

decides_for_themselves if lib.is_mature_minor

deny contains finding if {
	lib.lacks_capacity
	decides_for_themselves
	count(lib.invalid_consents) > 0
	finding := {
		"rule": "consent.substitute_decision_maker",
		"message": concat("", ["The patient lacks decision-making capacity, so ", lib.consents_label(lib.invalid_consents), " is not valid: it must come from their substitute decision-maker, or from the patient while they could decide."]),
		"guide": "Adults with impaired capacity",
		"remedy": "Obtain consent from the patient's substitute decision-maker, and document it; if the incapacity is temporary and nothing is urgent, wait until the patient can decide.",
	}
}

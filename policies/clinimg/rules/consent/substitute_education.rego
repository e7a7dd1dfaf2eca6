# METADATA
# title: Seek advice before teaching, research or publication on a decision-maker's consent
# description: |
#   An adult who lacks capacity for good (`impaired`) has only a substitute decision-maker's
#   consent, not their own, for taking or using an image for teaching, training, research or
#   publication. The guide is written for clinical care and "does not specifically cover other
#   purposes such as research, teaching, or training"; an adult with impaired capacity is one of
#   the complex circumstances where it asks for advice, and what a decision-maker may consent to
#   beyond the patient's care depends on the law of the place. (Temporary incapacity:
#   consent.wait_for_capacity.)
# custom:
#   id: consent.substitute_education
#   effect: escalate
#   guide_section: Adults with impaired capacity
#   passage: >-
#     Where an adult patient lacks decision-making capacity, consent from the appropriate
#     substitute decision-maker must be obtained. … In these circumstances, and at any time you
#     feel uncertain about how to proceed with the use of clinical images, always contact your
#     hospital administration or medical defence organisation for advice related to your specific
#     situation.
#   remedy: >-
#     Seek advice from hospital administration or your medical defence organisation on whether
#     the decision-maker may consent to this use, and follow any research or ethics approval it
#     needs; de-identify the image where possible.
package clinimg.rules.consent.substitute_education

import data.clinimg.lib

escalate contains finding if {
	not lib.is_child
	lib.capacity == "impaired"
	some purpose in lib.consent_purposes
	purpose in lib.deidentified_use_purposes
	lib.consent_in_force_for(purpose)
	not lib.own_consent_for(purpose)
	finding := {
		"rule": "consent.substitute_education",
		"message": concat("", ["This use for ", purpose, " of an adult who lacks capacity rests on a substitute decision-maker's consent, not the patient's own: seek advice first."]),
		"guide": "Adults with impaired capacity",
		"remedy": "Seek advice from hospital administration or your medical defence organisation on whether the decision-maker may consent to this use, and follow any research or ethics approval it needs; de-identify the image where possible.",
	}
}

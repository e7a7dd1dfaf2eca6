# METADATA
# title: Seek advice before a child's identifiable image is used for teaching, research or publication on a parent's consent
# description: |
#   A child who does not consent for themselves (not assessed as mature, or a young person now
#   lacking capacity) has only a parent's, guardian's or decision-maker's consent to an image that
#   may identify them being taken or used for teaching, training, research or publication. The
#   guide is written for clinical care and "does not specifically cover other purposes such as
#   research, teaching, or training"; children are the first of the circumstances where it asks
#   for advice, and a published image "may not be possible to have … removed" when the child
#   later decides for themselves. A de-identified image (flagged not identifiable, no features)
#   is not held up; an identifiable one used without consent to identifiable use is
#   disclosure.deidentify_for_education's deny instead. (Adults lacking capacity:
#   consent.substitute_education.)
# custom:
#   id: consent.child_education
#   effect: escalate
#   guide_section: Children
#   passage: >-
#     There are some circumstances where it may be difficult to be certain that you have
#     addressed the legal issues correctly. These include clinical images that involve:
#     Children. … When taking pictures of children, make absolutely certain that it is necessary
#     to do so, and appropriate consent has been obtained and documented. … In these
#     circumstances, and at any time you feel uncertain about how to proceed with the use of
#     clinical images, always contact your hospital administration or medical defence
#     organisation for advice related to your specific situation.
#   remedy: >-
#     De-identify the image if the purpose allows it; otherwise seek advice from hospital
#     administration or your medical defence organisation, and follow the hospital's policy on
#     images of children, before this use.
package clinimg.rules.consent.child_education

import data.clinimg.lib

# The purposes of this capture or use, beyond the child's care, that rest on someone else's
# consent: a valid consent covers them, and none is the young person's own.
on_someone_elses_consent contains purpose if {
	some purpose in lib.consent_purposes
	purpose in lib.deidentified_use_purposes
	lib.consent_in_force_for(purpose)
	not lib.own_consent_for(purpose)
}

# A capture: the image may identify the child (identifiable, features listed, or not said).
identifiable_use if {
	input.type == "capture"
	lib.may_identify
}

# A use: it goes ahead identifiable on that consent (without it, de-identifying is
# disclosure.deidentify_for_education's demand).
# (lib.identifiable_use_consented reads the disclosure's purpose: never true for a capture.)
identifiable_use if {
	lib.may_identify
	lib.identifiable_use_consented
}

escalate contains finding if {
	lib.is_child
	identifiable_use
	some purpose in on_someone_elses_consent
	finding := {
		"rule": "consent.child_education",
		"message": concat("", ["An image that may identify a child is to be used for ", purpose, " on a parent's, guardian's or decision-maker's consent, not the young person's own: seek advice first."]),
		"guide": "Children",
		"remedy": "De-identify the image if the purpose allows it; otherwise seek advice from hospital administration or your medical defence organisation, and follow the hospital's policy on images of children, before this use.",
	}
}

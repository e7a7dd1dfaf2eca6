# METADATA
# title: A capture the law requires is escalated
# description: |
#   A capture resting on a court order or another legal requirement (legal_basis court_order,
#   subpoena, required_by_law or serious_threat) instead of the patient's consent — for a purpose
#   no valid consent covers, or over a refusal on file — is never a silent permit: the scope of
#   the requirement must be clarified first. It replaces collection.consent_required and
#   collection.consent_refused for such a capture; it never excuses teaching, training or
#   research (collection.teaching_research_consent).
# custom:
#   id: collection.legal_requirement
#   effect: escalate
#   guide_section: Right to refuse consent
#   passage: >-
#     There may be exceptions to a patient’s right to refuse consent, such as where a court order
#     requires it. If this is the case, doctors should clarify the scope of the requirement with
#     their hospital administration or medical defence organisation.
#   remedy: >-
#     Before taking the image, clarify the scope of the requirement with hospital administration
#     or your medical defence organisation; take only what it requires, and document the
#     requirement and the advice in the health record.
package clinimg.rules.collection.legal_requirement

import data.clinimg.lib

# The purposes the law, not consent, would have to carry.
without_consent contains purpose if {
	some purpose in lib.capture_purposes
	not lib.consent_in_force_for(purpose)
}

over_refusal if {
	some purpose in lib.capture_purposes
	lib.refused_for(purpose)
}

situation := "over the patient's refusal" if over_refusal
else := "without the patient's consent"

escalate contains finding if {
	lib.legal_capture
	count(without_consent) > 0
	finding := {
		"rule": "collection.legal_requirement",
		"message": concat("", [
			"This image would be taken ", situation, ", on a legal basis (", lib.legal_basis,
			"): clarify the scope of the requirement with hospital administration or your medical defence organisation first.",
		]),
		"guide": "Right to refuse consent",
		"remedy": "Before taking the image, clarify the scope of the requirement with hospital administration or your medical defence organisation; take only what it requires, and document the requirement and the advice in the health record.",
	}
}

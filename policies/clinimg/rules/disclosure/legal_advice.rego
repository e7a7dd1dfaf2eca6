# METADATA
# title: Seek advice before disclosing on a legal basis
# description: |
#   A disclosure without consent that relies on a court order, subpoena, a legal requirement or a
#   serious threat goes ahead only after advice from hospital management. So does an access
#   request made on such a basis (a subpoena, a court order, police with a warrant) by a requester
#   not otherwise entitled to the record: producing it is a disclosure the law may require, and
#   its scope needs clarifying (Case Study Four: "These images may also need to be produced to a
#   court") — whether the record is produced or not.
# custom:
#   id: disclosure.legal_advice
#   effect: escalate
#   guide_section: Other circumstances where you may be able to use or disclose
#   passage: >-
#     Circumstances may exist where you are allowed or required by law to disclose clinical
#     images to third parties without patient consent. For example, to prevent a serious threat
#     to the safety or health of a patient or the public. However, you should always seek advice
#     from your hospital management and, if necessary, consult with your medical defence
#     organisation as to when these circumstances apply.
#   remedy: >-
#     Clarify the scope of the requirement with hospital administration or your medical defence
#     organisation before disclosing, and disclose only what the law requires.
package clinimg.rules.disclosure.legal_advice

import data.clinimg.lib

# A legal basis may override a refusal or a withdrawal (Right to refuse consent): say so.
over := " over the patient's refusal" if lib.consent_refused_for_disclosure
else := " over the patient's withdrawal of consent" if lib.consent_withdrawn_for_disclosure
else := ""

escalate contains finding if {
	input.type == "disclosure"
	lib.basis == "legal"
	finding := {
		"rule": "disclosure.legal_advice",
		"message": concat("", ["This disclosure relies on a legal basis (", lib.legal_basis, ") instead of the patient's consent", over, ": seek advice before disclosing."]),
		"guide": "Other circumstances where you may be able to use or disclose",
		"remedy": "Clarify the scope of the requirement with hospital administration or your medical defence organisation before disclosing, and disclose only what the law requires.",
	}
}

escalate contains finding if {
	input.type == "access_request"
	lib.has_legal_basis
	not lib.requester_entitled
	finding := {
		"rule": "disclosure.legal_advice",
		"message": concat("", ["The record is requested on a legal basis (", lib.legal_basis, ") by a requester the patient has not consented to: seek advice on what must be produced."]),
		"guide": "Other circumstances where you may be able to use or disclose",
		"remedy": "Clarify the scope of the requirement with hospital administration or your medical defence organisation before disclosing, and disclose only what the law requires.",
	}
}

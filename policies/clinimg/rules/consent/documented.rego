# METADATA
# title: Consent relied on is documented in the health record
# description: |
#   A consent that a capture or a consent-based disclosure relies on must be documented in the
#   health record (Case Study Three: the patient agreed, but nothing was recorded).
# custom:
#   id: consent.documented
#   effect: deny
#   guide_section: Documenting the consent process
#   passage: >-
#     The consent process should be documented in the medical records, including the scope and
#     details of the consent.
#   remedy: >-
#     Document the consent process in the health record, including its scope and details (what the
#     image is for, how it will be used, who will see it).
package clinimg.rules.consent.documented

import data.clinimg.lib

undocumented := {c |
	some c in lib.relied_consents
	object.get(c, "documented_in_record", false) != true
}

deny contains finding if {
	count(undocumented) > 0
	finding := {
		"rule": "consent.documented",
		"message": concat("", ["You are relying on ", lib.consents_label(undocumented), ", but it is not documented in the health record."]),
		"guide": "Documenting the consent process",
		"remedy": "Document the consent process in the health record, including its scope and details (what the image is for, how it will be used, who will see it).",
	}
}

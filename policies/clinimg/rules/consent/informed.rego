# METADATA
# title: Consent is informed
# description: |
#   The consent discussion for a capture must cover the image's purpose, how it may be used, who
#   will have access, whether it may be shared, whether it will be de-identified, and how and
#   where it will be stored (consent informed_of).
# custom:
#   id: consent.informed
#   effect: warn
#   guide_section: Consent to collection, use, and disclosure
#   passage: >-
#     You should discuss the following information with the patient (or their substitute
#     decision-maker) to ensure they make an informed decision when consenting to (or refusing)
#     the collection, use, and disclosure of clinical images:
#   remedy: >-
#     Discuss with the patient the purpose, how the image may be used, who will have access,
#     whether it may be shared, whether it will be de-identified, and how and where it will be
#     stored; note it in the record.
package clinimg.rules.consent.informed

import data.clinimg.lib

topics := ["purpose", "use", "access", "sharing", "deidentification", "storage"]

missing contains topic if {
	some c in lib.relied_consents
	some topic in topics
	not topic in object.get(c, "informed_of", [])
}

warn contains finding if {
	input.type == "capture"
	count(missing) > 0
	finding := {
		"rule": "consent.informed",
		"message": concat("", ["The consent discussion did not cover: ", concat(", ", [t | some t in topics; t in missing]), "."]),
		"guide": "Consent to collection, use, and disclosure",
		"remedy": "Discuss with the patient the purpose, how the image may be used, who will have access, whether it may be shared, whether it will be de-identified, and how and where it will be stored; note it in the record.",
	}
}

# METADATA
# title: De-identify images used for teaching, training, research or publication
# description: |
#   An identifiable image may be used for education, research or publication only with a consent
#   in force for that purpose that allows identifiable use.
# custom:
#   id: disclosure.deidentify_for_education
#   effect: deny
#   guide_section: De-identification of clinical images
#   passage: >-
#     Clinical images used for teaching, training, and research should be de-identified, where
#     possible, and must comply with relevant research or ethical guidelines.
#   remedy: >-
#     De-identify the image (faces, tattoos and other features, and its metadata) before this
#     use, or obtain and document the patient's consent to identifiable use.
package clinimg.rules.disclosure.deidentify_for_education

import data.clinimg.lib

consent_to_identifiable_use if {
	some c in lib.consents_in_force_for(input.purpose)
	c.identifiable_use == true
}

deny contains finding if {
	input.type == "disclosure"
	input.purpose in lib.deidentified_use_purposes
	input.image.identifiable == true
	not consent_to_identifiable_use
	finding := {
		"rule": "disclosure.deidentify_for_education",
		"message": concat("", [
			"The image is identifiable and is to be used for ", input.purpose,
			" without the patient's consent to identifiable use: de-identify it first.",
		]),
		"guide": "De-identification of clinical images",
		"remedy": "De-identify the image (faces, tattoos and other features, and its metadata) before this use, or obtain and document the patient's consent to identifiable use.",
	}
}

# METADATA
# title: State the purpose before taking a clinical image
# description: A capture must say what the image is for; the patient is told that purpose.
# custom:
#   id: collection.purpose_required
#   effect: deny
#   guide_section: Key points to remember
#   passage: >-
#     Before taking a clinical image, consider the purpose for which you require the image,
#     and obtain appropriate consent.
#   remedy: >-
#     Decide why the image is needed (clinical care, teaching, research…), tell the patient,
#     and record the purpose with the capture.
package clinimg.rules.collection.purpose_required

import data.clinimg.lib

deny contains finding if {
	input.type == "capture"
	count(lib.capture_purposes) == 0
	finding := {
		"rule": "collection.purpose_required",
		"message": "The capture states no purpose: consider why the image is needed before taking it.",
		"guide": "Key points to remember",
		"remedy": "Decide why the image is needed (clinical care, teaching, research…), tell the patient, and record the purpose with the capture.",
	}
}

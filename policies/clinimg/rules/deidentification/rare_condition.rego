# METADATA
# title: A rare condition may identify a de-identified image
# description: |
#   Even with every identifier removed, a rare presentation can make the patient recognisable:
#   an image disclosed as de-identified that shows one needs advice first — flagged de-identified,
#   or used for teaching, training, research or publication without the patient's consent to
#   identifiable use (such use "should be de-identified", whatever its flags say).
# custom:
#   id: deidentification.rare_condition
#   effect: escalate
#   guide_section: De-identification of clinical images
#   passage: >-
#     Even when all identifying features are removed, sometimes the clinical condition itself
#     may provide recognition - the rarer the clinical presentation, the more likely it may be
#     identifiable.
#   remedy: >-
#     Seek advice before using the image as de-identified, or obtain the patient's consent to
#     identifiable use.
package clinimg.rules.deidentification.rare_condition

import data.clinimg.lib

escalate contains finding if {
	input.type == "disclosure"
	lib.used_as_deidentified
	input.image.rare_condition == true
	finding := {
		"rule": "deidentification.rare_condition",
		"message": "The condition shown is rare: even with identifiers removed, the patient may be recognisable from this image.",
		"guide": "De-identification of clinical images",
		"remedy": "Seek advice before using the image as de-identified, or obtain the patient's consent to identifiable use.",
	}
}

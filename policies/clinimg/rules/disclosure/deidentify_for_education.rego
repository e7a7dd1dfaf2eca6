# METADATA
# title: De-identify images used for teaching, training, research or publication
# description: |
#   An identifiable image may be used for education, research or publication only with a consent
#   in force for that purpose that allows identifiable use. An image with identifying features
#   listed is identifiable whatever its `identifiable` / `deidentified` flags say, and the message
#   says the flags contradict the features. An image about which the request says nothing —
#   neither `identifiable` nor `deidentified: true`, and no features listed — is not taken to be
#   de-identified (fail closed): nobody has checked it for the features that identify.
# custom:
#   id: disclosure.deidentify_for_education
#   effect: deny
#   guide_section: De-identification of clinical images
#   passage: >-
#     Clinical images used for teaching, training, and research should be de-identified, where
#     possible, and must comply with relevant research or ethical guidelines. When
#     de-identifying photographs, remember that seemingly insignificant features, such as
#     tattoos, can still make a person identifiable to others.
#   remedy: >-
#     De-identify the image (faces, tattoos and other features, and its metadata) before this
#     use, or obtain and document the patient's consent to identifiable use.
package clinimg.rules.disclosure.deidentify_for_education

import data.clinimg.lib

what := concat("", [
	"The image is marked as not identifiable, but it shows identifying features (",
	concat(", ", sort(lib.identifying_features)), "), so it is identifiable",
]) if lib.flags_contradict_features
else := "The image is identifiable" if lib.image_identifiable
else := "Nothing says whether the image identifies the patient (neither image.identifiable nor image.deidentified is given), so it is treated as identifiable"

deny contains finding if {
	input.type == "disclosure"
	input.purpose in lib.deidentified_use_purposes
	lib.may_identify
	not lib.identifiable_use_consented
	finding := {
		"rule": "disclosure.deidentify_for_education",
		"message": concat("", [
			what, " and is to be used for ", input.purpose,
			" without the patient's consent to identifiable use: de-identify it first.",
		]),
		"guide": "De-identification of clinical images",
		"remedy": "De-identify the image (faces, tattoos and other features, and its metadata) before this use, or obtain and document the patient's consent to identifiable use.",
	}
}

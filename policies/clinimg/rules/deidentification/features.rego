# METADATA
# title: Remove every identifying feature from a de-identified image
# description: |
#   An image disclosed as de-identified must show no identifying feature (face, tattoo,
#   birthmark, jewellery, name band, …) and must not be marked identifiable. An audio or video
#   recording carries the patient's voice unless the request says none is heard
#   (lib.identifying_features).
# custom:
#   id: deidentification.features
#   effect: deny
#   guide_section: De-identification of clinical images
#   passage: >-
#     When de-identifying photographs, remember that seemingly insignificant features, such as
#     tattoos, can still make a person identifiable to others.
#   remedy: >-
#     Crop or mask every identifying feature (face, tattoos, birthmarks, jewellery, name bands)
#     before using the image as de-identified, or obtain consent to identifiable use.
package clinimg.rules.deidentification.features

import data.clinimg.lib

features := lib.identifying_features

message := concat("", [
	"The image is used as de-identified but still shows identifying features (",
	concat(", ", sort(features)), ").",
]) if {
	count(features) > 0
} else := "The image is used as de-identified but is still marked identifiable." if {
	input.image.identifiable == true
}

deny contains finding if {
	input.type == "disclosure"
	input.image.deidentified == true
	finding := {
		"rule": "deidentification.features",
		"message": message,
		"guide": "De-identification of clinical images",
		"remedy": "Crop or mask every identifying feature (face, tattoos, birthmarks, jewellery, name bands) before using the image as de-identified, or obtain consent to identifiable use.",
	}
}

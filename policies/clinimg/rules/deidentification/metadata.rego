# METADATA
# title: Remove metadata from a de-identified image
# description: |
#   An image disclosed as de-identified — flagged so, or used for teaching, training, research or
#   publication without consent to identifiable use — must not still carry its time/date of
#   capture, the device that took it or its GPS location.
# custom:
#   id: deidentification.metadata
#   effect: deny
#   guide_section: De-identification of clinical images
#   passage: >-
#     Also remember that digital images may contain metadata that could be used to identify an
#     individual, despite other identifiers being removed. This may include the time/date of
#     capture, the device that was used, and the GPS location of capture. Care should be taken to
#     remove this data when de-identifying images.
#   remedy: >-
#     Strip the image's metadata (time/date, device, GPS location) before using it as
#     de-identified.
package clinimg.rules.deidentification.metadata

import data.clinimg.lib

metadata := object.get(input, ["image", "metadata_present"], [])

# Used as de-identified (lib.used_as_deidentified): flagged so, or used for teaching, training,
# research or publication without the patient's consent to identifiable use — such use "should be
# de-identified", and an image that was never identifiable still is once its GPS location, time or
# device say whose it is. (With consent to identifiable use the metadata may stay.)

what := "The image is used as de-identified" if input.image.deidentified == true
else := concat("", ["The image is to be used for ", input.purpose, " without consent to identifiable use, so it must be de-identified"])

deny contains finding if {
	input.type == "disclosure"
	lib.used_as_deidentified
	count(metadata) > 0
	finding := {
		"rule": "deidentification.metadata",
		"message": concat("", [
			what, " but still carries metadata that can identify the patient (",
			concat(", ", sort(metadata)), ").",
		]),
		"guide": "De-identification of clinical images",
		"remedy": "Strip the image's metadata (time/date, device, GPS location) before using it as de-identified.",
	}
}

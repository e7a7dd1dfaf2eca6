# METADATA
# title: Remove metadata from a de-identified image
# description: |
#   An image disclosed as de-identified must not still carry its time/date of capture, the device
#   that took it or its GPS location.
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

metadata := object.get(input, ["image", "metadata_present"], [])

deny contains finding if {
	input.type == "disclosure"
	input.image.deidentified == true
	count(metadata) > 0
	finding := {
		"rule": "deidentification.metadata",
		"message": concat("", [
			"The image is used as de-identified but still carries metadata that can identify the patient (",
			concat(", ", sort(metadata)), ").",
		]),
		"guide": "De-identification of clinical images",
		"remedy": "Strip the image's metadata (time/date, device, GPS location) before using it as de-identified.",
	}
}

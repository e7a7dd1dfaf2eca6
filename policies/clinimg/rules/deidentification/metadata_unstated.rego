# METADATA
# title: Say what metadata an image used as de-identified still carries
# description: |
#   An image used for teaching, training, research or publication without the patient's consent
#   to identifiable use — which must then be de-identified, whatever its flags say — whose
#   request (or capture) does not say what metadata the file still holds (`image.metadata_present`
#   absent; `clinimg check --image` or `image.file` reads it from the file itself). De-identifying
#   the picture leaves the file's metadata where it was: a photo from a phone carries its time of
#   capture and its device, and often its GPS location. Whether this image still does is a fact
#   the record lacks, so the use is escalated, not permitted (deidentification.metadata denies
#   once the metadata is known to be there). Clinical care needs no de-identification: an image
#   merely flagged de-identified on its way to a consulted clinician is not escalated for this.
# custom:
#   id: deidentification.metadata_unstated
#   effect: escalate
#   guide_section: De-identification of clinical images
#   passage: >-
#     Also remember that digital images may contain metadata that could be used to identify an
#     individual, despite other identifiers being removed. This may include the time/date of
#     capture, the device that was used, and the GPS location of capture. Care should be taken to
#     remove this data when de-identifying images.
#   remedy: >-
#     Strip the image's metadata (time/date, device, GPS location) and say so
#     (image.metadata_present: []), or let clinimg read the file (clinimg check --image FILE),
#     before using it as de-identified — or obtain the patient's consent to identifiable use.
package clinimg.rules.deidentification.metadata_unstated

import data.clinimg.lib

# `metadata_present: []` says the file holds none; absent (or null) says nothing.
metadata_stated if is_array(input.image.metadata_present)

# The uses the guide wants de-identified, and no consent to identifiable use: de-identification is
# what the use rests on ("Clinical images used for teaching, training, and research should be
# de-identified").
must_be_deidentified if {
	input.purpose in lib.deidentified_use_purposes
	not lib.identifiable_use_consented
}

what := concat("", ["The image is used as de-identified for ", input.purpose]) if input.image.deidentified == true
else := concat("", ["The image is to be used for ", input.purpose, " without consent to identifiable use, so it must be de-identified"])

escalate contains finding if {
	input.type == "disclosure"
	must_be_deidentified
	not metadata_stated
	finding := {
		"rule": "deidentification.metadata_unstated",
		"message": concat("", [
			what, ", but nothing says whether its file still carries metadata that can identify the patient ",
			"(image.metadata_present is not given): removing faces and tattoos leaves the time, device and GPS location of capture in the file.",
		]),
		"guide": "De-identification of clinical images",
		"remedy": "Strip the image's metadata (time/date, device, GPS location) and say so (image.metadata_present: []), or let clinimg read the file (clinimg check --image FILE), before using it as de-identified — or obtain the patient's consent to identifiable use.",
	}
}

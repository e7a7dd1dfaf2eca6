# METADATA
# title: The image file holds metadata the request did not declare
# description: |
#   When clinimg reads an image's metadata from the file itself (clinimg check --image, or an
#   image.file in the request), image.metadata_present is what the file really holds and
#   image.metadata_claimed is what the request said. A file holding identifying metadata the
#   request did not declare means the facts given about the image cannot be relied on.
# custom:
#   id: deidentification.metadata_claim
#   effect: warn
#   guide_section: De-identification of clinical images
#   passage: >-
#     Also remember that digital images may contain metadata that could be used to identify an
#     individual, despite other identifiers being removed. This may include the time/date of
#     capture, the device that was used, and the GPS location of capture. Care should be taken to
#     remove this data when de-identifying images.
#   remedy: >-
#     Check what the image file really carries (clinimg inspect) and strip it (clinimg deidentify)
#     or declare it in the request.
package clinimg.rules.deidentification.metadata_claim

claimed := {kind | some kind in input.image.metadata_claimed}

unclaimed := [kind |
	some kind in object.get(input, ["image", "metadata_present"], [])
	not claimed[kind]
]

warn contains finding if {
	is_array(input.image.metadata_claimed)
	count(unclaimed) > 0
	finding := {
		"rule": "deidentification.metadata_claim",
		"message": concat("", [
			"The image file holds identifying metadata the request did not declare (",
			concat(", ", sort(unclaimed)), ").",
		]),
		"guide": "De-identification of clinical images",
		"remedy": "Check what the image file really carries (clinimg inspect) and strip it (clinimg deidentify) or declare it in the request.",
	}
}

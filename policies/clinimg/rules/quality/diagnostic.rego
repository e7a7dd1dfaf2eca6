# METADATA
# title: Check the resolution of diagnostic images and pathology reports
# description: |
#   A photo of a diagnostic image or pathology report below the hospital's minimum resolution
#   (overlay `quality.min_resolution_mp`, default 2 megapixels) may not support diagnosis.
#   Only judged when the resolution is given.
# custom:
#   id: quality.diagnostic
#   effect: warn
#   guide_section: Image quality
#   passage: >-
#     Think about whether the resolution of the mobile device you are using can provide the
#     image quality you will require; accurate colour retention and image definition are vital
#     if the image is to be used to assist diagnosis and treatment, or for research purposes.
#     This is particularly the case when transmitting images of previously obtained diagnostic
#     images or pathology reports.
#   remedy: >-
#     Use a device or method that gives enough resolution and accurate colour, or obtain the
#     original diagnostic image or report.
package clinimg.rules.quality.diagnostic

import data.clinimg.lib

resolution := object.get(input, ["image", "resolution_mp"], null)

warn contains finding if {
	input.type in {"capture", "disclosure"}
	input.image.subject in {"diagnostic_image", "pathology_report"}
	is_number(resolution)
	resolution < lib.min_resolution_mp
	finding := {
		"rule": "quality.diagnostic",
		"message": "This image of a diagnostic image or pathology report is below the hospital's minimum resolution: it may not be reliable for diagnosis or treatment.",
		"guide": "Image quality",
		"remedy": "Use a device or method that gives enough resolution and accurate colour, or obtain the original diagnostic image or report.",
	}
}

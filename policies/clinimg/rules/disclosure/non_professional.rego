# METADATA
# title: Never share clinical images in a non-professional context
# description: |
#   Social media, the public, or a personal purpose is never a legitimate use of a clinical image,
#   even when the patient cannot be identified (Case Study One).
# custom:
#   id: disclosure.non_professional
#   effect: deny
#   guide_section: Privacy and confidentiality
#   passage: >-
#     Using clinical images for any purpose other than that for which consent has been
#     obtained, or sharing them in a non-professional context, is inappropriate.
#   remedy: >-
#     Do not post or share the image; share clinical images only with people caring for the
#     patient, or as the patient has consented, through channels your hospital approves.
package clinimg.rules.disclosure.non_professional

import data.clinimg.lib

deny contains finding if {
	input.type == "disclosure"
	lib.non_professional
	finding := {
		"rule": "disclosure.non_professional",
		"message": "This is a non-professional use (social media, the public, or a personal purpose): clinical images must never be shared this way, even when the patient cannot be identified.",
		"guide": "Privacy and confidentiality",
		"remedy": "Do not post or share the image; share clinical images only with people caring for the patient, or as the patient has consented, through channels your hospital approves.",
	}
}

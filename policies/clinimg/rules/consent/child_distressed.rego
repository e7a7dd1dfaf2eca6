# METADATA
# title: Reconsider when a child is distressed
# description: |
#   A child appears distressed at having an image taken: reconsider, even with a parent's or
#   guardian's consent.
# custom:
#   id: consent.child_distressed
#   effect: escalate
#   guide_section: Children
#   passage: >-
#     If the child appears distressed at having an image taken, you will need to reconsider your
#     position, even if the parent or guardian has provided consent.
#   remedy: >-
#     Stop and reconsider whether the image is necessary now; seek advice if unsure, even though a
#     parent or guardian has consented.
package clinimg.rules.consent.child_distressed

import data.clinimg.lib

escalate contains finding if {
	input.type == "capture"
	lib.is_child
	object.get(input, ["circumstances", "child_distressed"], false) == true
	finding := {
		"rule": "consent.child_distressed",
		"message": "The child appears distressed at having the image taken: reconsider, even though consent has been given.",
		"guide": "Children",
		"remedy": "Stop and reconsider whether the image is necessary now; seek advice if unsure, even though a parent or guardian has consented.",
	}
}

# METADATA
# title: The right person takes the image
# description: |
#   The actor's role is not one the hospital allows to take clinical images (overlay
#   capture_roles; by default every clinical role). A missing role counts as not allowed.
# custom:
#   id: collection.appropriate_person
#   effect: escalate
#   guide_section: Decision making process (flowchart)
#   passage: >-
#     Should I be the person taking the image? Talk to an approproate person about taking the
#     image.
#   remedy: >-
#     Talk to an appropriate person (the treating clinician or a clinical photographer) about
#     taking the image.
package clinimg.rules.collection.appropriate_person

import data.clinimg.lib

escalate contains finding if {
	input.type == "capture"
	not object.get(input, ["actor", "role"], null) in lib.config_value("capture_roles")
	finding := {
		"rule": "collection.appropriate_person",
		"message": "Your role is not one this hospital allows to take clinical images.",
		"guide": "Decision making process (flowchart)",
		"remedy": "Talk to an appropriate person (the treating clinician or a clinical photographer) about taking the image.",
	}
}

# METADATA
# title: No personal device where the hospital prohibits it
# description: |
#   The hospital overlay sets personal_devices to prohibited: a capture on a personal device
#   breaks hospital policy.
# custom:
#   id: collection.personal_device_prohibited
#   effect: deny
#   guide_section: Hospital policies and contracts
#   passage: >-
#     Some organisations may prohibit the use of personal mobile devices to capture clinical
#     images, in their employment contracts and/or policies.
#   remedy: >-
#     Use the hospital's equipment to take the image, as the hospital policy requires.
package clinimg.rules.collection.personal_device_prohibited

import data.clinimg.lib

deny contains finding if {
	input.type == "capture"
	lib.personal_device
	lib.config_value("personal_devices") == "prohibited"
	finding := {
		"rule": "collection.personal_device_prohibited",
		"message": "This hospital prohibits taking clinical images on a personal mobile device.",
		"guide": "Hospital policies and contracts",
		"remedy": "Use the hospital's equipment to take the image, as the hospital policy requires.",
	}
}

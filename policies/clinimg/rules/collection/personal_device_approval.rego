# METADATA
# title: Personal device needs the hospital's approval
# description: |
#   The hospital overlay sets personal_devices to with_approval: a capture on a personal device
#   whose approval is not recorded (actor.device.approved) is escalated.
# custom:
#   id: collection.personal_device_approval
#   effect: escalate
#   guide_section: Hospital policies and contracts
#   passage: >-
#     Where a hospital does have a policy on clinical images and the use of personal mobile
#     devices, doctors should follow this in the first instance and use this guide as further
#     information.
#   remedy: >-
#     Have the device approved under the hospital's policy before using it for clinical images,
#     or use the hospital's equipment.
package clinimg.rules.collection.personal_device_approval

import data.clinimg.lib

escalate contains finding if {
	input.type == "capture"
	lib.personal_device
	lib.config_value("personal_devices") == "with_approval"
	object.get(input, ["actor", "device", "approved"], false) != true
	finding := {
		"rule": "collection.personal_device_approval",
		"message": "This hospital allows personal mobile devices only with approval, and none is recorded for this device.",
		"guide": "Hospital policies and contracts",
		"remedy": "Have the device approved under the hospital's policy before using it for clinical images, or use the hospital's equipment.",
	}
}

# METADATA
# title: Use only channels the hospital approves
# description: |
#   Once a hospital lists its approved channels (overlay `approved_channels`), an image may be
#   sent or shown only through one of them. The guide alone names no list, so by default the rule
#   is quiet.
# custom:
#   id: disclosure.approved_channel
#   effect: deny
#   guide_section: Hospital policies and contracts
#   passage: >-
#     Where a hospital does have a policy on clinical images and the use of personal mobile
#     devices, doctors should follow this in the first instance and use this guide as further
#     information.
#   remedy: >-
#     Send or show the image only through a channel your hospital approves, such as its secure
#     clinical messaging app or the health record.
package clinimg.rules.disclosure.approved_channel

import data.clinimg.lib

approved := lib.config_value("approved_channels")

channel := object.get(input, "channel", null)

message := "No channel is stated: clinical images may only be sent or shown through a channel the hospital approves." if {
	not is_string(channel)
} else := concat("", ["The channel used (", channel, ") is not one the hospital approves for clinical images."])

deny contains finding if {
	input.type == "disclosure"
	is_array(approved)
	not channel in approved
	finding := {
		"rule": "disclosure.approved_channel",
		"message": message,
		"guide": "Hospital policies and contracts",
		"remedy": "Send or show the image only through a channel your hospital approves, such as its secure clinical messaging app or the health record.",
	}
}

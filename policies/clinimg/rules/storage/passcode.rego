# METADATA
# title: The device must be password protected
# description: A device that takes, shows or holds a clinical image must have password protection.
# custom:
#   id: storage.passcode
#   effect: deny
#   guide_section: Securing your mobile device
#   passage: >-
#     Your mobile device should have password protection, and you should be able to erase images
#     remotely if your device is stolen.
#   remedy: >-
#     Set a passcode (or password) lock on the device before using it for clinical images.
package clinimg.rules.storage.passcode

import data.clinimg.lib

deny contains finding if {
	lib.event_device.passcode == false
	finding := {
		"rule": "storage.passcode",
		"message": "The device holding the image has no password protection.",
		"guide": "Securing your mobile device",
		"remedy": "Set a passcode (or password) lock on the device before using it for clinical images.",
	}
}

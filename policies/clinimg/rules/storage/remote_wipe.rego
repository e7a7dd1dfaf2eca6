# METADATA
# title: The device should be erasable remotely
# description: A device that takes, shows or holds a clinical image should support remote erase.
# custom:
#   id: storage.remote_wipe
#   effect: warn
#   guide_section: Securing your mobile device
#   passage: >-
#     Your mobile device should have password protection, and you should be able to erase images
#     remotely if your device is stolen.
#   remedy: >-
#     Turn on remote erase (for example Find My iPhone or Find My Device) so the images can be
#     wiped if the device is lost or stolen.
package clinimg.rules.storage.remote_wipe

import data.clinimg.lib

warn contains finding if {
	lib.event_device.remote_wipe == false
	finding := {
		"rule": "storage.remote_wipe",
		"message": "The device holding the image cannot be erased remotely if it is lost or stolen.",
		"guide": "Securing your mobile device",
		"remedy": "Turn on remote erase (for example Find My iPhone or Find My Device) so the images can be wiped if the device is lost or stolen.",
	}
}

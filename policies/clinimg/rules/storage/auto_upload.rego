# METADATA
# title: The device must not auto-upload clinical images
# description: |
#   A device that takes, shows or holds a clinical image must not copy it automatically to
#   social media or a back-up site.
# custom:
#   id: storage.auto_upload
#   effect: deny
#   guide_section: Securing your mobile device
#   passage: >-
#     Make sure any clinical images do not auto-upload to any social media networks or back-up
#     sites that might be publically available.
#   remedy: >-
#     Turn off automatic upload (cloud photo back-up, social media sync) for the camera roll
#     before using the device for clinical images.
package clinimg.rules.storage.auto_upload

import data.clinimg.lib

messages := {
	"cloud_backup": "The device automatically backs up photos to a cloud back-up site, so clinical images on it are copied off the device.",
	"social_media": "The device automatically uploads photos to social media, so clinical images on it may be published.",
}

deny contains finding if {
	message := messages[lib.event_device.auto_upload]
	finding := {
		"rule": "storage.auto_upload",
		"message": message,
		"guide": "Securing your mobile device",
		"remedy": "Turn off automatic upload (cloud photo back-up, social media sync) for the camera roll before using the device for clinical images.",
	}
}

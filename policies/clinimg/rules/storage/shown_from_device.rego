# METADATA
# title: Do not show an image from a personal device after it should have been deleted
# description: |
#   An image that was saved to the health record longer ago than the deletion deadline should no
#   longer be on the personal device, let alone shown from it (Case Study Two). Not when the copy
#   shown did not come from the device: the disclosure says it came from the health record or a
#   hard copy (`shown_from`), or the audit knows the device's copy was deleted
#   (`lifecycle.on_actor_device: false`).
# custom:
#   id: storage.shown_from_device
#   effect: deny
#   guide_section: Case Study Two
#   passage: >-
#     Three months later, a member of staff witnessed the images being shown by the intern on
#     their phone to other doctors on the ward.
#   remedy: >-
#     Show the image from the health record, not your phone, and delete it from your personal
#     device.
package clinimg.rules.storage.shown_from_device

import data.clinimg.lib

deny contains finding if {
	input.type == "disclosure"
	lib.personal_device
	lib.overdue_on_device
	object.get(input, "shown_from", "actor_device") == "actor_device"
	object.get(lib.lifecycle, "on_actor_device", true) != false
	finding := {
		"rule": "storage.shown_from_device",
		"message": "The image is being shared from a personal device although it was saved to the health record long enough ago that it should have been deleted from the device.",
		"guide": "Case Study Two",
		"remedy": "Show the image from the health record, not your phone, and delete it from your personal device.",
	}
}

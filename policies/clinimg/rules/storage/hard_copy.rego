# METADATA
# title: Without a secure transfer system, put a hard copy in the record
# description: |
#   Where the hospital has no secure system to transfer images from a device to the record, the
#   image goes into the record as a hard copy.
# custom:
#   id: storage.hard_copy
#   effect: deny
#   guide_section: Transferring the clinical image … reasonable steps
#   passage: >-
#     Find out if your hospital has a process that allows you to transfer an image from your
#     mobile device and store it electronically. If it doesn’t, you will need to produce a hard
#     copy/copies of the image to store in the patient record.
#   remedy: >-
#     Your hospital has no secure transfer system: print the image and place the hard copy in the
#     patient's record.
package clinimg.rules.storage.hard_copy

import data.clinimg.lib

deny contains finding if {
	input.type == "record_transfer"
	lib.config_value("secure_transfer_system") == false
	object.get(input, "method", null) != "hard_copy"
	finding := {
		"rule": "storage.hard_copy",
		"message": "The hospital has no secure system for transferring images, so the image must go into the record as a hard copy.",
		"guide": "Transferring the clinical image … reasonable steps",
		"remedy": "Your hospital has no secure transfer system: print the image and place the hard copy in the patient's record.",
	}
}

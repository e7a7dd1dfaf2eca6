# METADATA
# title: A receiver deletes the image once the sender has put it in the record
# description: |
#   (audit) Someone who received an image on a personal device should delete it once the person
#   who took it has saved it to the health record (Case Study Five). Fires on the audit's
#   image_review input, once per receiving personal device whose hours from the later of the save
#   to the record and the receipt, until it deleted the image (or until as_of, if it still holds
#   it), exceed the deadline: late or still overdue alike. Blames the receipt. A `receipt` request
#   whose `lifecycle.receivers` the caller states is judged the same way (the receiver asking
#   "may I keep it?"); the audit's receipt events carry no lifecycle.
# custom:
#   id: storage.receiver_delete
#   effect: deny
#   guide_section: Receipt of clinical images
#   passage: >-
#     In most cases, the person who obtained the image has the responsibility for incorporating
#     the clinical image in the patient’s health record. Once this is done, it is not necessary
#     for the receiver of the image to retain a copy as well, and it should be deleted from the
#     personal mobile device.
#   remedy: >-
#     Delete the received image from your personal device now if it is still there, and delete
#     received images as soon as they are saved in the patient's health record.
package clinimg.rules.storage.receiver_delete

import data.clinimg.lib

deny contains finding if {
	input.type in {"image_review", "receipt"}
	deadline := lib.deadline_hours("receipt_deletion_hours")
	some receiver in object.get(lib.lifecycle, "receivers", [])
	receiver.device.owner == "personal"
	hours := receiver.hours_on_device_after_record
	is_number(hours)
	hours > deadline
	device_id := object.get(receiver.device, "id", "unknown")
	finding := {
		"rule": "storage.receiver_delete",
		"message": sprintf("A received copy of the image was not deleted from personal device %s within %v hours of the image being saved to the health record.", [device_id, deadline]),
		"guide": "Receipt of clinical images",
		"remedy": "Delete the received image from your personal device now if it is still there, and delete received images as soon as they are saved in the patient's health record.",
		"event_id": object.get(receiver, "event_id", input.event_id),
	}
}

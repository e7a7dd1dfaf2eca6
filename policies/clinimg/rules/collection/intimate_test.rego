package clinimg.rules.collection.intimate_test

import data.clinimg.rules.collection.intimate

capture := {
	"type": "capture",
	"event_id": "e-1",
	"actor": {"id": "dr-1", "role": "registrar", "device": {"id": "ph-1", "owner": "personal", "passcode": true}},
	"image": {"id": "img-1", "intimate": true},
	"purposes": ["clinical_care"],
}

finding := {
	"rule": "collection.intimate",
	"message": "This is an intimate image and it is being taken on a device the hospital does not own: seek advice first.",
	"guide": "Intimate areas of the body",
	"remedy": "Use the hospital's equipment (or a clinical photographer) for intimate images, include only what the clinical purpose needs, and seek advice from hospital administration or your medical defence organisation first.",
}

test_fail_intimate_on_a_personal_phone if {
	intimate.escalate == {finding} with input as capture
}

test_fail_intimate_on_a_device_not_named if {
	intimate.escalate == {finding} with input as object.remove(capture, ["actor"])
}

test_success_intimate_on_hospital_equipment if {
	intimate.escalate == set() with input as object.union(capture, {"actor": {"device": {"owner": "hospital"}}})
}

test_success_not_intimate if {
	intimate.escalate == set() with input as object.union(capture, {"image": {"intimate": false}})
}

test_success_not_a_capture if {
	intimate.escalate == set() with input as object.union(capture, {"type": "disclosure"})
}

# METADATA
# title: Record who took the image, when, and how
# description: |
#   A capture must record who took the image, when it was taken and the mode of capture
#   (capture_record.who, .when, .mode, each present and not empty).
# custom:
#   id: collection.capture_details
#   effect: deny
#   guide_section: Storage in the health record
#   passage: >-
#     It is essential to record who took the image, when it was taken, and the mode of capture.
#   remedy: >-
#     Record who took the image, when it was taken, and the mode of capture (for example the
#     personal phone camera) with the image.
package clinimg.rules.collection.capture_details

details := ["who", "when", "mode"]

record := object.get(input, "capture_record", {})

blank(value) if value == null

blank(value) if {
	is_string(value)
	trim_space(value) == ""
}

missing contains key if {
	some key in details
	not is_object(record)
}

missing contains key if {
	some key in details
	is_object(record)
	blank(object.get(record, key, null))
}

deny contains finding if {
	input.type == "capture"
	count(missing) > 0
	finding := {
		"rule": "collection.capture_details",
		"message": concat("", ["The capture record is missing: ", concat(", ", [key | some key in details; key in missing]), ". Who took the image, when, and the mode of capture must all be recorded."]),
		"guide": "Storage in the health record",
		"remedy": "Record who took the image, when it was taken, and the mode of capture (for example the personal phone camera) with the image.",
	}
}

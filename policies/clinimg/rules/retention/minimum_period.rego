# METADATA
# title: Keep an image in the record for the whole retention period
# description: |
#   An image in the health record is kept for the period the law sets for health records: for an
#   adult, a number of years; for an image taken while the patient was a child, also until the
#   patient reaches an age. A deletion that cannot show the period has ended is refused — also
#   when nothing says how old the patient was when the image was taken.
#   Applies whatever the reason given for the deletion.
# custom:
#   id: retention.minimum_period
#   effect: deny
#   guide_section: Retention of clinical images
#   passage: >-
#     Health information has to be retained for set periods of time prescribed by legislation.
#     This requirement extends to the retention of clinical images.
#   remedy: >-
#     Keep the image in the record until the retention period has ended; ask the health
#     information service which period applies.
package clinimg.rules.retention.minimum_period

import data.clinimg.lib

years_in_record := object.get(lib.lifecycle, "years_in_record", null)

adult_years := lib.retention("adult_years")

minor_until_age := lib.retention("minor_until_age")

age_at_capture := lib.lifecycle.age_at_capture if {
	is_number(lib.lifecycle.age_at_capture)
} else := lib.age - years_in_record if {
	is_number(lib.age)
	is_number(years_in_record)
}

child_at_capture if age_at_capture < 18

# The patient's current age decides when a child's retention ends; unknown, it has not ended.
before_minor_age_limit if not is_number(lib.age)

before_minor_age_limit if {
	is_number(lib.age)
	lib.age < minor_until_age
}

message := "The image's time in the record is not known, so nothing shows its retention period has ended." if {
	not is_number(years_in_record)
} else := sprintf("The image has been in the record for less than the %v years health records must be kept.", [adult_years]) if {
	years_in_record < adult_years
} else := sprintf("The image was taken when the patient was a child; it must be kept until the patient is %v.", [minor_until_age]) if {
	child_at_capture
	before_minor_age_limit
} else := sprintf("The patient's age when the image was taken is not known: it may be a child's image, which must be kept until the patient is %v.", [minor_until_age]) if {
	not age_at_capture_known
	years_in_record < minor_until_age
}

# Neither the age at capture nor today's age is stated: the image may have been taken of a child
# (qa10: such a deletion was let through on the adult period alone). Fail closed until even a
# newborn's image would have reached the minors' limit.
age_at_capture_known if is_number(age_at_capture)

deny contains finding if {
	input.type == "record_deletion"
	finding := {
		"rule": "retention.minimum_period",
		"message": message,
		"guide": "Retention of clinical images",
		"remedy": "Keep the image in the record until the retention period has ended; ask the health information service which period applies.",
	}
}

package clinimg.rules.retention.minimum_period_test

import data.clinimg.rules.retention.minimum_period

deletion(age, lifecycle) := {
	"type": "record_deletion",
	"event_id": "e-rd-1",
	"patient": {"id": "pt-001", "age_years": age, "capacity": "full"},
	"image": {"id": "img-1"},
	"reason": "retention_expired",
	"lifecycle": lifecycle,
}

finding(message) := {
	"rule": "retention.minimum_period",
	"message": message,
	"guide": "Retention of clinical images",
	"remedy": "Keep the image in the record until the retention period has ended; ask the health information service which period applies.",
}

adult_years(n) := finding(sprintf("The image has been in the record for less than the %v years health records must be kept.", [n]))

minor := finding("The image was taken when the patient was a child; it must be kept until the patient is 25.")

unknown := finding("The image's time in the record is not known, so nothing shows its retention period has ended.")

test_fail_adult_too_early if {
	minimum_period.deny == {adult_years(7)} with input as deletion(54, {"years_in_record": 3, "age_at_capture": 51})
}

test_fail_any_reason if {
	inp := object.union(deletion(54, {"years_in_record": 3, "age_at_capture": 51}), {"reason": "duplicate"})
	minimum_period.deny == {adult_years(7)} with input as inp
}

test_fail_years_unknown if {
	minimum_period.deny == {unknown} with input as deletion(54, {"age_at_capture": 51})
}

test_fail_no_lifecycle if {
	minimum_period.deny == {unknown} with input as object.remove(deletion(54, {}), ["lifecycle"])
}

test_fail_child_at_capture if {
	minimum_period.deny == {minor} with input as deletion(20, {"years_in_record": 10, "age_at_capture": 10})
}

test_fail_child_at_capture_from_current_age if {
	minimum_period.deny == {minor} with input as deletion(22, {"years_in_record": 8})
}

test_fail_child_at_capture_current_age_unknown if {
	inp := object.union(object.remove(deletion(0, {"years_in_record": 10, "age_at_capture": 10}), ["patient"]), {"patient": {"id": "pt-001"}})
	minimum_period.deny == {minor} with input as inp
}

test_fail_hospital_retention if {
	minimum_period.deny == {adult_years(10)} with input as deletion(54, {"years_in_record": 9, "age_at_capture": 45})
		with data.clinimg.config as {"retention": {"adult_years": 10}}
}

test_success_adult_period_ended if {
	minimum_period.deny == set() with input as deletion(54, {"years_in_record": 9, "age_at_capture": 45})
}

test_success_child_now_past_age_limit if {
	minimum_period.deny == set() with input as deletion(26, {"years_in_record": 16, "age_at_capture": 10})
}

test_success_shorter_hospital_retention if {
	minimum_period.deny == set() with input as deletion(54, {"years_in_record": 6, "age_at_capture": 48})
		with data.clinimg.config as {"retention": {"adult_years": 5}}
}

test_success_not_a_deletion if {
	minimum_period.deny == set() with input as object.union(deletion(54, {"years_in_record": 1}), {"type": "record_transfer"})
}

test_success_age_at_capture_null_worked_out_as_adult if {
	# null is no age: the age at capture is worked out from today's age (24 - 3 = 21, an adult).
	minimum_period.deny == set() with input as {
		"type": "record_deletion", "event_id": "e-1", "patient": {"id": "pt-1", "age_years": 24},
		"lifecycle": {"years_in_record": 3, "age_at_capture": null},
	}
		with data.clinimg.config as {"retention": {"adult_years": 3, "minor_until_age": 25}}
}

# qa10: no age at capture and no age today: it may be a child's image.
age_not_known := finding("The patient's age when the image was taken is not known: it may be a child's image, which must be kept until the patient is 25.")

no_age(lifecycle) := object.union(object.remove(deletion(0, lifecycle), ["patient"]), {"patient": {"id": "pt-001"}})

test_fail_no_age_at_all if {
	minimum_period.deny == {age_not_known} with input as no_age({"years_in_record": 9})
}

test_fail_no_age_at_all_just_under_the_minors_limit if {
	minimum_period.deny == {age_not_known} with input as no_age({"years_in_record": 24.9})
}

test_success_no_age_at_all_past_even_a_newborns_limit if {
	minimum_period.deny == set() with input as no_age({"years_in_record": 25})
}

test_success_no_age_today_but_adult_at_capture if {
	minimum_period.deny == set() with input as no_age({"years_in_record": 9, "age_at_capture": 40})
}

package clinimg.rules.consent.child_distressed_test

import data.clinimg.rules.consent.child_distressed

capture(age, distressed) := {
	"type": "capture",
	"event_id": "e-1",
	"patient": {"id": "pt-2", "age_years": age, "capacity": "full"},
	"purposes": ["clinical_care"],
	"circumstances": {"urgent": false, "child_distressed": distressed},
}

test_fail_distressed_child if {
	child_distressed.escalate == {{
		"rule": "consent.child_distressed",
		"message": "The child appears distressed at having the image taken: reconsider, even though consent has been given.",
		"guide": "Children",
		"remedy": "Stop and reconsider whether the image is necessary now; seek advice if unsure, even though a parent or guardian has consented.",
	}} with input as capture(5, true)
}

test_success_calm_child if {
	child_distressed.escalate == set() with input as capture(5, false)
}

test_success_adult if {
	child_distressed.escalate == set() with input as capture(40, true)
}

test_success_not_a_capture if {
	child_distressed.escalate == set() with input as object.union(capture(5, true), {"type": "disclosure"})
}

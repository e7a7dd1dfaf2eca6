package clinimg.rules.request.event_type_test

import data.clinimg.rules.request.event_type

finding := {
	"rule": "request.event_type",
	"message": "The request does not say what happened (no known event type), so nothing can be permitted.",
	"guide": "Ask for advice",
	"remedy": "Send one event of the clinimg vocabulary (capture, disclosure, …) with its type; ask your hospital administration if unsure.",
}

test_fail_empty_input if {
	event_type.deny == {finding} with input as {}
}

test_fail_unknown_type if {
	event_type.deny == {finding} with input as {"type": "teleport"}
}

test_success_known_type if {
	event_type.deny == set() with input as {"type": "capture"}
}

# Tests of lib's time helpers (the rules' own tests cover the rest of lib through them).
package clinimg.lib_test

import data.clinimg.lib

# (helpers: `not f(x)` over an undefined f(x) is not true in Rego — the call is made outside)
time_of(t) if is_number(lib.time_ns(t))

date_of(d) if is_number(lib.date_ns(d))

test_success_time_ns_reads_z_as_utc if {
	lib.time_ns("2026-01-20T09:00:00Z") == lib.time_ns("2026-01-20T09:00:00+00:00")
	lib.time_ns("2026-01-20T09:00:00.05z") == time.parse_rfc3339_ns("2026-01-20T09:00:00.05+00:00")
	lib.time_ns("2026-01-20T09:00:00Z") == 1768899600000000000
}

test_success_time_ns_reads_offsets if {
	lib.time_ns("2026-01-20T14:30:00.05+05:30") == lib.time_ns("2026-01-20T09:00:00.05Z")
	lib.time_ns("2026-01-20T09:00:00-10:00") == lib.time_ns("2026-01-20T19:00:00Z")
}

# RFC 3339 allows a lower-case "t" and "z"; the schema does too.
test_success_time_ns_reads_lower_case_t_and_z if {
	lib.time_ns("2026-01-20t09:00:00z") == 1768899600000000000
	lib.time_ns("2026-01-20t09:00:00Z") == 1768899600000000000
	lib.time_ns("2026-01-20t09:00:00.5z") == lib.time_ns("2026-01-20T09:00:00.5Z")
	lib.time_ns("2026-01-20t20:00:00+11:00") == 1768899600000000000
	lib.time_ns("2026-01-20t09:00:00.250-00:30") == lib.time_ns("2026-01-20T09:30:00.25Z")
}

test_fail_time_ns_of_what_is_not_a_time if {
	not time_of("2026-01-20x09:00:00Z")
	not time_of("2026-01-20t09:00:00")
	not time_of("2026-01-20t09:00:00+1100")
	not time_of("2026-01-2009:00:00Z")
	not time_of("not a time")
	not time_of("2026-01-20 09:00:00Z")
	not time_of("2026-01-20T09:00:00")
	not time_of(1768899600)
	not time_of(null)
}

test_success_date_ns if {
	lib.date_ns("2027-01-01") == time.parse_ns("2006-01-02", "2027-01-01")
}

test_fail_date_ns_of_what_is_not_a_date if {
	not date_of("soon")
	not date_of("2027-01-01T00:00:00Z")
	not date_of(20270101)
}

# A grant dated after the event does not cover it; one whose date cannot be read is not taken to
# predate it (fail closed); one with no date on file is read as given before.
test_success_given_after_event if {
	at := {"occurred_at": "2026-11-20T09:00:00+11:00"}
	lib.given_after_event({"given_at": "2026-11-19T23:00:00Z"}) with input as at
	not lib.given_after_event({"given_at": "2026-11-19T21:00:00Z"}) with input as at
	not lib.given_after_event({"given_at": "2026-11-20T08:00:00+11:00"}) with input as at
	not lib.given_after_event({}) with input as at
}

test_fail_given_at_that_cannot_be_read if {
	at := {"occurred_at": "2026-11-20T09:00:00+11:00"}
	lib.given_after_event({"given_at": "yesterday"}) with input as at
	lib.given_after_event({"given_at": 5}) with input as at
}

# The primary purposes of a disclosure: the image's `purposes`, and the capture's `purposes`
# written at the top level of the request; never a capture's own top-level purposes (those are
# what it is for, not what an earlier capture was told).
test_success_primary_purposes_of_a_disclosure_read_the_image_and_the_top_level if {
	lib.primary_purposes == {"teaching", "research"} with input as {"type": "disclosure", "image": {"purposes": ["teaching"]}, "purposes": ["research"]}
	lib.primary_purposes == {"teaching"} with input as {"type": "disclosure", "image": {"id": "i"}, "purposes": ["teaching"]}
	lib.primary_purposes == {"teaching"} with input as {"type": "disclosure", "image": {"purposes": ["teaching"]}}
	lib.primary_purposes == set() with input as {"type": "capture", "image": {"id": "i"}, "purposes": ["teaching"]}
	lib.primary_purposes == set() with input as {"type": "disclosure", "image": {"id": "i"}}
}

// Package differential runs the same supervisord scenarios under the
// Python reference daemon and under ours, and requires the two main logs to
// tell the same story: the same spawned/success/exited/gave up/stopped/
// waiting lines in the same order, once times and pids are normalised.
//
// The daemon under test is $SUPERVISORD_BIN, or a fresh build of
// ./cmd/supervisord when that is unset (a failed build fails the tests).
// Setting
// SUPERVISORD_BIN=/usr/bin/supervisord compares the reference with itself,
// which proves the scenarios and their expectations. Without the reference
// the tests skip, unless SUPERVISORD_REQUIRE_REFERENCE=1.
package differential

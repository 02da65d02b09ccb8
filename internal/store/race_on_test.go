//go:build race

package store_test

// raceEnabled is true when the tests run under the race detector (-race).
const raceEnabled = true

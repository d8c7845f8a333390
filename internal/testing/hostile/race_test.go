//go:build race

package hostile_test

// raceDetector is true under the race detector, which makes the suite several times slower:
// it then runs every behaviour on a few calls only (make unit runs them all).
const raceDetector = true

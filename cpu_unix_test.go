//go:build unix

package ginauth_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used, user and system,
// so that benchmarks on a busy machine can report CPU per operation
// beside the wall-clock time.
func processCPU() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

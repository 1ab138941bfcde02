//go:build linux

package cpuset

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"slices"

	"golang.org/x/sys/unix"
)

// maxMaskBits bounds the affinity masks handled here: the buffer
// threadAffinity grows into while the kernel answers EINVAL (it wants at
// least nr_cpu_ids bits), and the CPU ids StartPinned accepts.
const maxMaskBits = 1 << 17

// Supported reports whether this platform has a CPU affinity API. On Linux
// it does: StartPinned pins, Inherited reads the mask.
func Supported() bool { return true }

// Inherited returns this process's current affinity mask: the mask the
// benchmark gave the daemon, where the live shard should stay so that it
// never competes with the load generator.
//
// Affinity is per thread on Linux (unix.SchedGetaffinity(0, …) answers for
// whichever runtime thread the goroutine happens to run on), so Inherited
// reads the main thread's mask, sched_getaffinity(getpid()) — the mask
// /proc/self/status reports as Cpus_allowed_list and taskset -p shows.
// StartPinned never forks from the main thread, so the answer is never a
// worker's block caught mid-start.
func Inherited() (Set, error) {
	cpus, err := threadAffinity(unix.Getpid())
	if err != nil {
		return nil, fmt.Errorf("cpuset: affinity of this process: %w", err)
	}
	return cpus, nil
}

// StartPinned starts cmd with its CPU affinity already set to cpus, so the
// child and every thread it will ever create run only on that block: the
// child inherits the mask of the thread that forks it, before it executes
// anything. The daemon is not moved: the forking goroutine is locked to its
// OS thread, that thread alone is pinned for the duration of cmd.Start and
// restored afterwards, and the Go runtime never creates threads by cloning
// a locked thread (it hands that to its template thread), so no other
// thread can inherit the temporary mask. The main thread is never the one
// pinned, so Inherited stays exact during the window.
//
// nil or empty cpus is a plain cmd.Start. The kernel clamps cpus to the
// process's cgroup cpuset; an error is returned, and cmd is not started,
// when no CPU of cpus is allowed (EINVAL) or an id cannot be represented.
//
// cmd.SysProcAttr.Pdeathsig, if set, fires when the forking thread exits,
// not when the process does (golang.org/issue/27505). Go only ends a thread
// when a goroutine returns while locked to it: StartPinned never does (if
// restoring the mask ever failed, the thread is parked for good instead),
// and the rest of the daemon must not either, pinned or not.
func StartPinned(cmd *exec.Cmd, cpus Set) error {
	if len(cpus) == 0 {
		return cmd.Start()
	}
	if slices.Min(cpus) < 0 || slices.Max(cpus) >= maxMaskBits {
		return fmt.Errorf("cpuset: pin %s: cpu id out of range 0..%d", cpus, maxMaskBits-1)
	}
	done := make(chan error, 1)
	go startOnPinnedThread(cmd, cpus, done)
	return <-done
}

// startOnPinnedThread does StartPinned's work on its own goroutine, so the
// locked thread's fate never depends on the caller, and reports on done.
func startOnPinnedThread(cmd *exec.Cmd, cpus Set, done chan<- error) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// On the main thread, whose mask Inherited reports. Keep it locked
		// to this goroutine so the helper cannot be scheduled onto it.
		inner := make(chan error, 1)
		go startOnPinnedThread(cmd, cpus, inner)
		err := <-inner
		runtime.UnlockOSThread()
		done <- err
		return
	}
	saved, err := threadAffinity(0)
	if err != nil {
		runtime.UnlockOSThread()
		done <- fmt.Errorf("cpuset: pin %s: save thread mask: %w", cpus, err)
		return
	}
	if err := setThreadAffinity(cpus); err != nil {
		// A failed sched_setaffinity leaves the mask unchanged.
		runtime.UnlockOSThread()
		done <- fmt.Errorf("cpuset: pin %s: %w", cpus, err)
		return
	}
	if testHookPinned != nil {
		testHookPinned()
	}
	startErr := cmd.Start()
	if err := setThreadAffinity(saved); err != nil {
		// The thread keeps the block. Unlocking would let other goroutines
		// run there; returning while locked would exit the thread and fire
		// the child's Pdeathsig. Park it: one idle thread is the lesser harm.
		done <- startErr
		select {}
	}
	runtime.UnlockOSThread()
	done <- startErr
}

// testHookPinned, when set by a test, runs on the pinned thread just
// before the fork, so the test can look at the masks inside the window.
var testHookPinned func()

// threadAffinity returns the affinity mask of thread tid (0: the calling
// thread), growing the buffer while the kernel's mask is larger.
func threadAffinity(tid int) (Set, error) {
	for bits := 1024; ; bits *= 2 {
		mask := unix.NewCPUSet(bits)
		err := unix.SchedGetaffinityDynamic(tid, mask)
		if errors.Is(err, unix.EINVAL) && bits < maxMaskBits {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sched_getaffinity(%d): %w", tid, err)
		}
		var cpus Set
		for cpu := range bits {
			if mask.IsSet(cpu) {
				cpus = append(cpus, cpu)
			}
		}
		return cpus, nil
	}
}

// setThreadAffinity sets the calling thread's mask to cpus (non-empty,
// ids in 0..maxMaskBits-1).
func setThreadAffinity(cpus Set) error {
	mask := unix.NewCPUSet(slices.Max(cpus) + 1)
	for _, cpu := range cpus {
		mask.Set(cpu)
	}
	if err := unix.SchedSetaffinityDynamic(0, mask); err != nil {
		return fmt.Errorf("sched_setaffinity(%s): %w", cpus, err)
	}
	return nil
}

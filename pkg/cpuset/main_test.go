package cpuset

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"testing"
)

// helperEnv makes the test binary act as a worker child (see runHelper).
const helperEnv = "CPUSET_TEST_HELPER"

// helperThreads is how many extra OS threads the helper child creates, so
// the proof test sees that threads born in the child inherit its block.
const helperThreads = 8

// mainThread carries functions for TestMain to run on the process's main
// OS thread (see onMain).
var mainThread = make(chan func())

func init() {
	// Keep the main goroutine, which runs TestMain, on the main thread.
	runtime.LockOSThread()
}

// TestMain either acts as the helper child, or runs the tests on another
// goroutine while the main goroutine serves onMain.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		runHelper()
		return
	}
	exit := make(chan int)
	go func() { exit <- m.Run() }()
	for {
		select {
		case f := <-mainThread:
			f()
		case code := <-exit:
			os.Exit(code)
		}
	}
}

// runHelper is the child: it parks helperThreads goroutines on their own
// OS threads, says "ready", and exits when its stdin closes.
func runHelper() {
	var started sync.WaitGroup
	for range helperThreads {
		started.Add(1)
		go func() {
			runtime.LockOSThread()
			started.Done()
			select {}
		}()
	}
	started.Wait()
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	os.Exit(0)
}

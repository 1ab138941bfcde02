package transport

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// TestZmq4PubCloseLeakProbe documents why the Publisher does not use
// zmq4.NewPub: closing a zmq4 PUB leaves its writer goroutine
// (pubMWriter.run) parked forever. It only reports; it fails nothing, so a
// zmq4 upgrade that fixes the leak shows up here as "no leak".
func TestZmq4PubCloseLeakProbe(t *testing.T) {
	before := runtime.NumGoroutine()
	pub := zmq4.NewPub(context.Background())
	if err := pub.Listen("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	pub.Close()
	time.Sleep(200 * time.Millisecond)
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	leaked := strings.Contains(string(buf), "zmq4.(*pubMWriter).run")
	t.Logf("zmq4 PUB Close: goroutines %d -> %d, pubMWriter.run still alive: %v",
		before, runtime.NumGoroutine(), leaked)
}

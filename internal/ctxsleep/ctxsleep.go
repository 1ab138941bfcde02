// Package ctxsleep is a sleep that a context cuts short, for the retry
// loops with back-off (the event subscriber's redial, the live token
// lane's worker restarts).
package ctxsleep

import (
	"context"
	"time"
)

// Sleep sleeps for d or until ctx is done; it reports whether the full
// duration elapsed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

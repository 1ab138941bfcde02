package watch

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mlperf-tools/aggregator/pkg/transport"
)

// Endpoint resolves the watch command's address flags to the ZeroMQ
// endpoint of the daemon's snapshot PUB.
//
// With --socket-dir D --metrics-socket M it is the socket the daemon binds
// for those same two flags: a bare name (or relative path) M is joined to D
// exactly as the daemon does (transport.IPCEndpoint(D, M) =
// "ipc://" + filepath.Join(D, M)). M may also be written as the full
// endpoint, ipc://D/NAME or tcp://HOST:PORT, which is used as is (D is then
// optional). --connect gives the endpoint directly and excludes the other
// two.
func Endpoint(socketDir, metricsSocket, connect string) (string, error) {
	if connect != "" {
		if socketDir != "" || metricsSocket != "" {
			return "", errors.New("--connect excludes --socket-dir and --metrics-socket")
		}
		if !hasScheme(connect) {
			return "", fmt.Errorf("--connect %q: want ipc://PATH or tcp://HOST:PORT", connect)
		}
		return connect, nil
	}
	switch {
	case metricsSocket == "":
		if socketDir != "" {
			return "", errors.New("--metrics-socket is required with --socket-dir (the daemon's --metrics-socket value)")
		}
		return "", errors.New("give --socket-dir DIR --metrics-socket NAME (as passed to the daemon) or --connect ENDPOINT")
	case hasScheme(metricsSocket):
		return metricsSocket, nil
	case strings.Contains(metricsSocket, "://"):
		return "", fmt.Errorf("--metrics-socket %q: want a socket name or ipc://PATH or tcp://HOST:PORT", metricsSocket)
	case socketDir == "":
		return "", fmt.Errorf("--metrics-socket %q is a name: --socket-dir is required (the daemon's --socket-dir value)", metricsSocket)
	}
	return transport.IPCEndpoint(socketDir, metricsSocket), nil
}

func hasScheme(ep string) bool {
	scheme, rest, ok := strings.Cut(ep, "://")
	return ok && rest != "" && (scheme == "ipc" || scheme == "tcp")
}

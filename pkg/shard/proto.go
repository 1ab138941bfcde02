// Package shard is the pipe protocol between the aggregator daemon and its
// tokenizer worker processes (cmd/shardworker), the worker-side serving
// loop (Serve) and the daemon-side client (Start, Worker).
//
// # Protocol (version 1; docs/PROTOCOL.md has the full text)
//
// The daemon writes frames to the worker's stdin; the worker writes frames
// to its stdout and nothing else (its logs go to stderr). A frame is a
// 4-byte big-endian payload length followed by the payload, a msgpack map
// with string keys. Key "t" is the frame type. Payloads larger than
// MaxFrame are refused by both sides. Unknown keys are ignored, so later
// versions may add keys to existing frames.
//
//	worker → daemon  {"t":"hello","v":1,"pid":P,"tokenizer":"sha256:…","procs":N,"cpus":"0-7"}
//	                 sent once, after the tokenizer is loaded
//	worker → daemon  {"t":"fatal","error":"…"}    then the worker exits 1
//	daemon → worker  {"t":"count","id":N,"texts":["…",…]}
//	worker → daemon  {"t":"counts","id":N,"counts":[c,…],"errors":[nil|"msg",…]}
//	                 one count per text, in order; a failed item has count -1
//	                 and an error string, and the rest of the batch still answers
//	daemon → worker  {"t":"shutdown"}             the worker exits 0
//	worker → daemon  {"t":"error","id":N,"error":"…"}
//	                 answer to a frame the worker could not serve (unknown
//	                 type, malformed payload); the worker goes on
//
// EOF on the worker's stdin also makes it exit 0. One request is in flight
// at a time: the daemon sends the next count frame after the previous
// answer (the worker already spreads one batch over all its cores).
//
// A later version may add item kinds to the count frame (chat-template
// items rendered in the worker); a worker announces what it speaks with
// "v" in its hello, and a daemon refuses versions it does not know.
package shard

import "errors"

// Version is the protocol version this package speaks (the "v" of hello).
const Version = 1

// MaxFrame is the largest payload either side accepts or sends (256 MiB).
// A batch whose frame would be larger must be split by the caller.
const MaxFrame = 256 << 20

// Frame types (the "t" key).
const (
	TypeHello    = "hello"
	TypeFatal    = "fatal"
	TypeCount    = "count"
	TypeCounts   = "counts"
	TypeShutdown = "shutdown"
	TypeError    = "error"
)

// ErrFrameTooLarge is returned (wrapped, with the sizes) when a frame's
// payload exceeds MaxFrame, on either the encoding or the decoding side.
var ErrFrameTooLarge = errors.New("shard: frame too large")

// Frame is one protocol frame. Only the fields of its Type are encoded;
// decoding fills the fields present and ignores unknown keys.
type Frame struct {
	Type string // "t"

	// hello
	V         int    // "v": protocol version
	PID       int    // "pid"
	Tokenizer string // "tokenizer": tokenizer identity ("sha256:…")
	Procs     int    // "procs": the worker's GOMAXPROCS
	CPUs      string // "cpus": the worker's affinity mask, e.g. "0-3,8"

	// count, counts, error
	ID     uint64   // "id": request id, echoed in the answer
	Texts  []string // "texts" (count)
	Counts []int    // "counts" (counts): -1 for a failed item
	Errors []string // "errors" (counts): "" = ok (nil on the wire)

	// fatal, error
	Error string // "error"
}

// Hello is what a worker announced when it came up.
type Hello struct {
	Version   int    // protocol version
	PID       int    // worker process id
	Tokenizer string // tokenizer identity ("sha256:…")
	Procs     int    // GOMAXPROCS of the worker
	CPUs      string // affinity mask of the worker ("0-7"; "" if unknown)
}

// Result is the answer for one text of a batch.
type Result struct {
	Count int    // token count; -1 when Err is set
	Err   string // "" on success
}

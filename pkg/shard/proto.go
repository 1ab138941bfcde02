// Package shard is the pipe protocol between the aggregator daemon and its
// tokenizer worker processes (cmd/shardworker), the worker-side serving
// loop (Serve) and the daemon-side client (Start, Worker).
//
// # Protocol (version 2; docs/PROTOCOL.md has the full text)
//
// The daemon writes frames to the worker's stdin; the worker writes frames
// to its stdout and nothing else (its logs go to stderr). A frame is a
// 4-byte big-endian payload length followed by the payload, a msgpack map
// with string keys. Key "t" is the frame type. Payloads larger than
// MaxFrame are refused by both sides. Unknown keys are ignored, so later
// versions may add keys to existing frames.
//
//	worker → daemon  {"t":"hello","v":2,"pid":P,"tokenizer":"sha256:…","procs":N,"cpus":"0-7",
//	                  "chat":{"template":true,"prefix":n,"baseline":n,"error":""}}
//	                 sent once, after the tokenizer is loaded and the
//	                 chat-template baseline measured
//	worker → daemon  {"t":"fatal","error":"…"}    then the worker exits 1
//	daemon → worker  {"t":"count","id":N,"texts":["…",…],"kinds":[k,…]}
//	                 "kinds" (optional, parallel to "texts"): tokwork.Kind
//	                 of each item; absent = all texts. A chat item's texts
//	                 slot holds its msgpack payload as bin
//	worker → daemon  {"t":"counts","id":N,"counts":[c,…],"errors":[nil|"msg",…],
//	                  "rendered":[bool,…],"fallbacks":[nil|"msg",…]}
//	                 one count per item, in order; a failed item has count -1
//	                 and an error string, and the rest of the batch still
//	                 answers; "rendered" and "fallbacks" only when the
//	                 request had "kinds"
//	daemon → worker  {"t":"shutdown"}             the worker exits 0
//	worker → daemon  {"t":"error","id":N,"error":"…"}
//	                 answer to a frame the worker could not serve (unknown
//	                 type, malformed payload, kinds of the wrong length);
//	                 the worker goes on
//
// EOF on the worker's stdin also makes it exit 0. One request is in flight
// at a time: the daemon sends the next count frame after the previous
// answer (the worker already spreads one batch over all its cores).
//
// Chat items are rendered through the chat template inside the worker, and
// templates can be hostile: a render that runs past the worker's
// --render-timeout, or makes the process grow past --render-memory, makes
// the worker log the reason and exit with status ExitRenderLimit (see
// Watchdog); a recursive macro ends it with Go's fatal stack overflow. The
// client reports such a death as an error matching ErrWorkerDead whose
// text holds the reason.
package shard

import (
	"errors"

	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// Version is the protocol version this package speaks (the "v" of hello).
const Version = 2

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
	V         int      // "v": protocol version
	PID       int      // "pid"
	Tokenizer string   // "tokenizer": tokenizer identity ("sha256:…")
	Procs     int      // "procs": the worker's GOMAXPROCS
	CPUs      string   // "cpus": the worker's affinity mask, e.g. "0-3,8"
	Chat      ChatInfo // "chat": the chat-template set-up

	// count, counts, error
	ID     uint64         // "id": request id, echoed in the answer
	Texts  []string       // "texts" (count): texts, or chat payloads (bin)
	Kinds  []tokwork.Kind // "kinds" (count): nil = all texts
	Counts []int          // "counts" (counts): -1 for a failed item
	Errors []string       // "errors" (counts): "" = ok (nil on the wire)
	// "rendered" and "fallbacks" (counts), present when the request had
	// kinds: whether the chat template was applied, and why it could not
	// be ("" = it was, or the item is a text; nil on the wire).
	Rendered  []bool
	Fallbacks []string

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
	Chat      ChatInfo
}

// ChatInfo is the chat-template set-up a worker announced in its hello.
type ChatInfo struct {
	// Template: the model has a chat template (tokenizer_config.json's
	// chat_template, chat_template.jinja or additional_chat_templates/;
	// without one, chat items without a per-request template fall back).
	Template bool // "template"
	// Prefix and Baseline are chattmpl.Counter.Baseline: the tokens of
	// the prefix user message and of an empty assistant turn, subtracted
	// from message counts (both 0 when Error is set).
	Prefix   int // "prefix"
	Baseline int // "baseline"
	// Error is why the baseline could not be measured (no template, a
	// template that fails on the baseline conversation, malformed special
	// tokens in tokenizer_config.json), "" otherwise. The worker still
	// serves; messages are counted without the subtraction, or fall back.
	Error string // "error"
}

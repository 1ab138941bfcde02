// Package loadgen is a small synthetic load generator that speaks the
// benchmark's event protocol. It drives the embedded demo: a realistic
// streaming run with a warm-up, tracked blocks separated by untracked
// accuracy samples, streamed chunks, errors, every finish reason, and (with
// Config.Tokens) everything a tokenizer counts: text, pre-tokenized and
// structured chat prompts with tools, outputs with reasoning and tool calls.
package loadgen

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// Config shapes a synthetic run.
type Config struct {
	Seed      uint64
	QPS       float64       // issue rate inside tracked blocks
	Block     time.Duration // length of each tracked block's issue window
	Blocks    int           // number of tracked blocks
	Warmup    int           // untracked samples before the first block
	Accuracy  int           // untracked samples between blocks
	Streaming bool          // emit RECV_FIRST / RECV_NON_FIRST
	ErrorRate float64       // share of samples that report an error before COMPLETE
	TTFT      time.Duration // median time to first chunk
	ITL       time.Duration // median inter-chunk gap
	// Tokens makes the prompts and outputs what the benchmark sends a
	// tokenizer: text prompts, pre-tokenized prompts and structured chat
	// prompts (messages, sometimes tools), streamed outputs, some with
	// reasoning or tool calls. Without it every prompt is pre-tokenized
	// and outputs are short word streams.
	Tokens bool
	// BurstQPS and BurstFor add a last tracked block at a high rate, of
	// samples with long outputs (BurstWords words, like reasoning traces):
	// more token work than the live lane takes mid-run, left for the drain.
	BurstQPS   float64
	BurstFor   time.Duration
	BurstWords int
}

// DemoConfig is the run `aggregator demo` plays: about ten seconds, with
// token work, and a last burst the drain finishes.
func DemoConfig() Config {
	return Config{
		Seed: 1, QPS: 120, Block: 3500 * time.Millisecond, Blocks: 2,
		Warmup: 24, Accuracy: 16, Streaming: true, ErrorRate: 0.03,
		TTFT: 60 * time.Millisecond, ITL: 12 * time.Millisecond,
		Tokens: true, BurstQPS: 2000, BurstFor: 2 * time.Second, BurstWords: 3000,
	}
}

// Item is one record of the schedule, At after the run's start.
type Item struct {
	At   time.Duration
	Spec events.RecordSpec // TimestampNs is filled in when played
}

var finishReasons = []struct {
	reason string
	weight float64
}{{"stop", 0.80}, {"length", 0.12}, {"tool_calls", 0.04}, {"content_filter", 0.015}, {"function_call", 0.01}, {"cancelled", 0.01}, {"", 0.005}}

// Schedule builds the whole run, ordered by time.
func Schedule(cfg Config) []Item {
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
	g.session(0, events.SessionStarted)
	t := 50 * time.Millisecond
	for i := 0; i < cfg.Warmup; i++ {
		g.sample(t)
		t += 25 * time.Millisecond
	}
	t += 200 * time.Millisecond
	for b := 0; b < cfg.Blocks; b++ {
		g.session(t, events.SessionStartPerformanceTracking)
		end := t + cfg.Block
		for t < end {
			g.sample(t)
			t += time.Duration(g.rng.ExpFloat64() / cfg.QPS * float64(time.Second))
		}
		g.session(t, events.SessionStopPerformanceTracking)
		if b < cfg.Blocks-1 {
			t += 100 * time.Millisecond
			for i := 0; i < cfg.Accuracy; i++ {
				g.sample(t)
				t += 20 * time.Millisecond
			}
			t += 100 * time.Millisecond
		}
	}
	if cfg.BurstQPS > 0 && cfg.BurstFor > 0 {
		t += 100 * time.Millisecond
		g.session(t, events.SessionStartPerformanceTracking)
		g.long = cfg.BurstWords
		for end := t + cfg.BurstFor; t < end; {
			g.sample(t)
			t += time.Duration(g.rng.ExpFloat64() / cfg.BurstQPS * float64(time.Second))
		}
		g.session(t, events.SessionStopPerformanceTracking)
	}
	g.session(g.last+50*time.Millisecond, events.SessionEnded)
	out := make([]Item, 0, len(g.items))
	for g.items.Len() > 0 {
		out = append(out, heap.Pop(&g.items).(Item))
	}
	return out
}

type gen struct {
	cfg   Config
	rng   *rand.Rand
	items itemHeap
	seq   int
	last  time.Duration
	long  int // words per output (0: a short answer)
}

func (g *gen) push(at time.Duration, s events.RecordSpec) {
	heap.Push(&g.items, Item{At: at, Spec: s})
	if at > g.last {
		g.last = at
	}
}

func (g *gen) session(at time.Duration, t events.Type) {
	g.push(at, events.RecordSpec{Type: t})
}

// logNormal draws around median with a spread typical of serving latencies.
func (g *gen) logNormal(median time.Duration, sigma float64) time.Duration {
	return time.Duration(float64(median) * math.Exp(sigma*g.rng.NormFloat64()))
}

var words = []string{"the", "model", "streams", "tokens", "quickly", "and", "benchmark", "latency", "measures", "every", "chunk", "ok",
	"a", "of", "to", "in", "is", "that", "for", "it", "with", "as", "on", "was", "request", "answer", "server", "cache", "GPU", "throughput",
	"naïve", "café", "数据", "模型", "😀", "x²", "→", "123", "4.5", "2026"}

func (g *gen) sample(at time.Duration) {
	g.seq++
	uuid := fmt.Sprintf("%016x%016x", g.cfg.Seed, uint64(g.seq)*0x9e3779b97f4a7c15)
	prompt := events.AppendData(nil, events.Data{Kind: events.DataPromptData, PromptData: g.prompt()})
	g.push(at, events.RecordSpec{Type: events.SampleIssued, SampleUUID: uuid, Data: prompt})

	ttft := g.logNormal(g.cfg.TTFT, 0.4)
	if g.rng.Float64() < 0.03 {
		ttft *= 8 // a tail
	}
	n := 4 + g.rng.IntN(28)
	perChunk := 1
	if g.long > 0 {
		n = 24
		perChunk = max(1, g.long/2/n+g.rng.IntN(g.long/n+1))
	}
	chunks := make([]string, n)
	t := at + ttft
	for i := range chunks {
		chunks[i] = g.words(perChunk) + " "
		if g.cfg.Streaming {
			typ := events.SampleRecvNonFirst
			if i == 0 {
				typ = events.SampleRecvFirst
			}
			g.push(t, events.RecordSpec{Type: typ, SampleUUID: uuid})
		}
		if i < n-1 {
			t += g.logNormal(g.cfg.ITL, 0.5)
		}
	}
	t += time.Millisecond
	if g.rng.Float64() < g.cfg.ErrorRate {
		errData := events.AppendData(nil, events.Data{Kind: events.DataErrorData, ErrorData: events.ErrorData{ErrorType: "HTTPError", ErrorMessage: "503 Service Unavailable"}})
		g.push(t, events.RecordSpec{Type: events.ErrorClient, SampleUUID: uuid, Data: errData})
		t += time.Microsecond
		g.push(t, events.RecordSpec{Type: events.SampleComplete, SampleUUID: uuid})
		return
	}
	tmo := events.TextModelOutput{Output: events.Chunks{Kind: events.ChunksList, List: chunks}}
	spec := events.RecordSpec{Type: events.SampleComplete, SampleUUID: uuid}
	r, acc := g.rng.Float64(), 0.0
	for _, f := range finishReasons {
		acc += f.weight
		if r < acc {
			if f.reason != "" {
				spec.FinishReason, spec.HasFinish = f.reason, true
			}
			break
		}
	}
	if g.cfg.Tokens {
		switch x := g.rng.Float64(); {
		case x < 0.25: // a reasoning model: streamed thoughts before the answer
			think := make([]string, 3+g.rng.IntN(12))
			for i := range think {
				think[i] = g.words(2+g.rng.IntN(6)) + " "
			}
			tmo.Reasoning = events.Chunks{Kind: events.ChunksList, List: think}
		case x < 0.35: // a tool call ends the turn
			tmo.ToolCalls = []pyvalue.Value{g.toolCall()}
			spec.FinishReason, spec.HasFinish = "tool_calls", true
		}
	}
	spec.Data = events.AppendData(nil, events.Data{Kind: events.DataTextModelOutput, TextModelOutput: tmo})
	g.push(t, spec)
}

// prompt is the PromptData of a new sample: pre-tokenized without
// Config.Tokens; else a text prompt, token ids, or a structured chat (a
// few turns, sometimes tools).
func (g *gen) prompt() events.PromptData {
	x := g.rng.Float64()
	if !g.cfg.Tokens || x < 0.2 {
		ids := make([]int64, 32+g.rng.IntN(480))
		for i := range ids {
			ids[i] = int64(g.rng.IntN(128000))
		}
		return events.PromptData{TokenIDs: ids}
	}
	if x < 0.6 {
		text := g.words(20 + g.rng.IntN(100))
		return events.PromptData{Text: &text}
	}
	msgs := []pyvalue.Value{pyvalue.MapOf("role", "system", "content", "You are a helpful assistant. "+g.words(5))}
	for turn := g.rng.IntN(3); turn > 0; turn-- {
		msgs = append(msgs,
			pyvalue.MapOf("role", "user", "content", g.words(8+g.rng.IntN(30))),
			pyvalue.MapOf("role", "assistant", "content", g.words(10+g.rng.IntN(40))))
	}
	msgs = append(msgs, pyvalue.MapOf("role", "user", "content", g.words(8+g.rng.IntN(40))))
	p := events.PromptData{Messages: msgs}
	if g.rng.Float64() < 0.4 {
		p.Tools = []pyvalue.Value{pyvalue.MapOf("type", "function", "function", pyvalue.MapOf(
			"name", "lookup_"+g.word(), "description", g.words(6),
			"parameters", pyvalue.MapOf("type", "object",
				"properties", pyvalue.MapOf("query", pyvalue.MapOf("type", "string")),
				"required", pyvalue.ArrayOf(pyvalue.Str("query")))))}
	}
	return p
}

// toolCall is a complete tool call of an output.
func (g *gen) toolCall() pyvalue.Value {
	g.seq++
	return pyvalue.MapOf("id", fmt.Sprintf("call_%d", g.seq), "type", "function", "function",
		pyvalue.MapOf("name", "lookup_"+g.word(), "arguments", `{"query": "`+g.words(3)+`"}`))
}

// word is a random word: common ones, and made-up ones so that texts are
// distinct (the queue counts each distinct text once).
func (g *gen) word() string {
	if g.rng.IntN(4) == 0 {
		const letters = "abcdefghijklmnopqrstuvwxyz"
		b := make([]byte, 3+g.rng.IntN(7))
		for i := range b {
			b[i] = letters[g.rng.IntN(len(letters))]
		}
		return string(b)
	}
	return words[g.rng.IntN(len(words))]
}

// words is n random words joined by spaces.
func (g *gen) words(n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = g.word()
	}
	return strings.Join(ws, " ")
}

type itemHeap []Item

func (h itemHeap) Len() int           { return len(h) }
func (h itemHeap) Less(i, j int) bool { return h[i].At < h[j].At }
func (h itemHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *itemHeap) Push(x any)        { *h = append(*h, x.(Item)) }
func (h *itemHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Play sends the schedule in real time through send, batching records that
// fall due together into batch frames of at most batchMax (as upstream's
// publisher batches) and sending session events as single frames. Record
// timestamps are CLOCK_MONOTONIC at send time, like the benchmark's.
func Play(items []Item, batchMax int, send func(frame []byte) error) error {
	var enc events.Encoder
	var frame []byte
	flush := func() error {
		if enc.Len() == 0 {
			return nil
		}
		frame = enc.Flush(nil) // the socket may still hold the previous frame
		return send(frame)
	}
	start := time.Now()
	for _, it := range items {
		if d := time.Until(start.Add(it.At)); d > 0 {
			if err := flush(); err != nil {
				return err
			}
			time.Sleep(d)
		}
		it.Spec.TimestampNs = events.MonotonicNs()
		if it.Spec.Type.IsSession() {
			if err := flush(); err != nil {
				return err
			}
			enc.Add(it.Spec)
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		enc.Add(it.Spec)
		if enc.Len() >= batchMax {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

package tokqueue

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"sort"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/aggregator"
	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// captureSink records every job the triggers enqueue.
type captureSink struct{ jobs []tokwork.Job }

func (c *captureSink) Enqueue(j tokwork.Job) { c.jobs = append(c.jobs, j) }
func (c *captureSink) Pending() int64        { return int64(len(c.jobs)) }

// jobsOf folds an events.jsonl.gz through the aggregator and returns the
// token jobs its triggers produced.
func jobsOf(t *testing.T, path string) []tokwork.Job {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sink := &captureSink{}
	agg, err := aggregator.New(aggregator.Config{Streaming: true, NewTokens: func(tokwork.Recorder) tokwork.Sink { return sink }})
	if err != nil {
		t.Fatal(err)
	}
	var dec events.Decoder
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		p, err := events.TranscodeJSONRecord(sc.Bytes(), nil)
		if err != nil {
			t.Fatal(err)
		}
		recs := make([]events.Record, 1)
		dec.DecodePayload(p, &recs[0])
		agg.Process(recs)
	}
	return sink.jobs
}

// fallbackText is the text upstream counts for an input when the model has
// no chat template (the worker's path through chattmpl.CountItem).
func fallbackText(in *tokwork.Input, buf []byte) (string, []byte, error) {
	var err error
	switch in.Kind {
	case tokwork.Text:
		return in.Text, buf, nil
	case tokwork.Message:
		buf, err = chattmpl.AppendMessageFallback(buf[:0], in.Message)
	case tokwork.Prompt:
		var msgs []pyvalue.Value
		if msgs, err = chattmpl.NormalizeMessages(in.Prompt.Messages); err != nil {
			return "", buf, err
		}
		buf, err = chattmpl.AppendPromptFallback(buf[:0], msgs, in.Prompt.Tools)
	}
	return string(buf), buf, err
}

// TestFallbackTextsMatchUpstream: the text of every job equals, byte for
// byte, a key upstream's oracle tokenized for the same stream (fixture
// produced by /work/shared/oracle: gen_events.py -n 120 --seed 5
// --prompt-words 20 --output-words 20, then oracle.py --streaming
// --dump-token-texts), and every upstream key is produced.
func TestFallbackTextsMatchUpstream(t *testing.T) {
	jobs := jobsOf(t, "testdata/fallback/events.jsonl.gz")
	b, err := os.ReadFile("testdata/fallback/texts.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	wantSet := map[string]bool{}
	for _, s := range want {
		wantSet[s] = true
	}
	got := map[string]bool{}
	kinds := map[tokwork.Kind]int{}
	var buf []byte
	for i := range jobs {
		var s string
		s, buf, err = fallbackText(&jobs[i].Input, buf)
		if err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
		kinds[jobs[i].Input.Kind]++
		got[s] = true
		if !wantSet[s] && s != "" {
			t.Errorf("job %d (%s): text not among upstream's keys:\n%q", i, jobs[i].Input.Kind, s)
		}
	}
	var missing []string
	for s := range wantSet {
		if !got[s] {
			missing = append(missing, s)
		}
	}
	sort.Strings(missing)
	for _, s := range missing {
		t.Errorf("upstream key never produced: %q", s)
	}
	if kinds[tokwork.Message] == 0 || kinds[tokwork.Prompt] == 0 {
		t.Errorf("fixture lacks structured inputs: %v", kinds)
	}
	t.Logf("%d jobs, %d distinct texts, kinds %v", len(jobs), len(got), kinds)
}

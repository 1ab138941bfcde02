package tokqueue

import (
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/aggregator"
	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
)

// Payload returns what a worker counts for an input, appending scratch
// bytes to buf (returned for reuse): a text as is (chattmpl.KindText), or
// a structured input as its msgpack payload (chattmpl.KindMessage,
// chattmpl.KindPrompt), which the worker renders through the model's chat
// template — or, where upstream falls back, counts upstream's fallback
// text (chattmpl.CountItem). Rendering never happens in the daemon: a
// chat template can be hostile (see pkg/chattmpl).
func Payload(in *aggregator.TokenInput, buf []byte) (chattmpl.Kind, string, []byte, error) {
	switch in.Kind {
	case aggregator.InputText:
		return chattmpl.KindText, in.Text, buf, nil
	case aggregator.InputMessage:
		buf = chattmpl.AppendMessage(buf[:0], in.Message)
		return chattmpl.KindMessage, string(buf), buf, nil
	case aggregator.InputPrompt:
		buf = chattmpl.AppendPrompt(buf[:0], in.Prompt)
		return chattmpl.KindPrompt, string(buf), buf, nil
	}
	return 0, "", buf, fmt.Errorf("invalid token input kind %d", in.Kind)
}

package chattmpl

import (
	"errors"
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// DecodeItem decodes the payload of a Message or Prompt item
// (tokwork.AppendMessage, tokwork.AppendPrompt) with the rules of a
// `tokens count --chat` line.
func DecodeItem(k tokwork.Kind, payload []byte) (Request, error) {
	v, err := tokwork.DecodePayload(k, payload)
	if err != nil {
		return Request{}, err
	}
	if k == tokwork.Message {
		m, err := parseMessage(v)
		if err != nil {
			return Request{}, fmt.Errorf("decode message payload: %w", err)
		}
		return Request{Message: m}, nil
	}
	p, err := parsePrompt(v)
	if err != nil {
		return Request{}, fmt.Errorf("decode prompt payload: %w", err)
	}
	return Request{Prompt: p}, nil
}

// outcome is how a chat item was counted.
type outcome struct {
	count    int
	rendered bool  // the chat template was applied
	fallback error // why it could not be, when upstream's fallback text was counted
}

// CountItem counts one item as upstream's BatchTokenizer does: a text as
// is; a message or prompt through the chat template, or through the
// fallback text when the template cannot be applied (no template, a
// template error, raise_exception, a rendered text the tokenizer rejects;
// Result.Fallback says why). Result.Err is an exception upstream does not
// catch (malformed tool calls, an unencodable fallback, a tokenizer error
// on a text or on the fallback text): the item is never counted.
func (c *Counter) CountItem(k tokwork.Kind, payload string) tokwork.Result {
	var (
		o   outcome
		err error
	)
	switch k {
	case tokwork.Text:
		o.count, err = c.tok.CountErr(payload)
	case tokwork.Message, tokwork.Prompt:
		var req Request
		if req, err = DecodeItem(k, []byte(payload)); err == nil {
			if req.Message != nil {
				o, err = c.countMessageItem(*req.Message)
			} else {
				o, err = c.countPromptItem(*req.Prompt)
			}
		}
	default:
		err = fmt.Errorf("unknown item kind %d", uint8(k))
	}
	if err != nil {
		msg := err.Error()
		if msg == "" {
			msg = "error"
		}
		return tokwork.Result{Count: -1, Err: msg}
	}
	r := tokwork.Result{Count: o.count, Rendered: o.rendered}
	if o.fallback != nil {
		if r.Fallback = o.fallback.Error(); r.Fallback == "" {
			r.Fallback = "fallback"
		}
	}
	return r
}

func (c *Counter) countMessageItem(m events.MessageParts) (outcome, error) {
	ctx, err := MessageContext(m) // normalizes: upstream does it before its try
	if err != nil {
		return outcome{}, err
	}
	text, err := c.render(nil, ctx)
	if err == nil {
		var n int
		if n, err = c.count(text); err == nil {
			return outcome{count: max(0, n-c.prefixLen-c.baseline), rendered: true}, nil
		}
	}
	buf, ferr := AppendMessageFallback(c.buf[:0], m)
	c.buf = buf
	if ferr != nil {
		return outcome{}, ferr
	}
	n, ferr := c.count(string(buf))
	return outcome{count: n, fallback: err}, ferr
}

func (c *Counter) countPromptItem(p events.PromptData) (outcome, error) {
	perRequest, ctx, err := PromptContext(p)
	if errors.Is(err, ErrNormalize) {
		return outcome{}, err
	}
	if err == nil {
		var text string
		if text, err = c.render(perRequest, ctx); err == nil {
			var n int
			if n, err = c.count(text); err == nil {
				return outcome{count: n, rendered: true}, nil
			}
		}
	}
	msgs := ctx.Messages
	if msgs == nil { // PromptContext failed before normalizing
		var nerr error
		if msgs, nerr = NormalizeMessages(p.Messages); nerr != nil {
			return outcome{}, nerr
		}
	}
	buf, ferr := AppendPromptFallback(c.buf[:0], msgs, p.Tools)
	c.buf = buf
	if ferr != nil {
		return outcome{}, ferr
	}
	n, ferr := c.count(string(buf))
	return outcome{count: n, fallback: err}, ferr
}

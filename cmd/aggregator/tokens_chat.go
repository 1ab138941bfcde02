package main

import (
	"errors"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// newChatCounter builds the chat counter of `tokens count --chat`. A
// failed baseline is not fatal (upstream counts messages without the
// subtraction then), but it is logged.
func newChatCounter(tok *tokenize.Tokenizer, log *slog.Logger) (*chattmpl.Counter, error) {
	c, err := chattmpl.NewCounter(tok)
	if err != nil {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	switch prefix, base, err := c.Baseline(); {
	case errors.Is(err, chattmpl.ErrNoTemplate):
		log.Debug("tokenizer has no chat template: only lines with a chat_template can be counted")
	case err != nil:
		log.Warn("chat-template baseline failed; message counts are not reduced", "err", err)
	default:
		log.Debug("chat-template baseline", "prefix", prefix, "baseline", base)
	}
	return c, nil
}

// emitChat counts one --chat line: a structured prompt or an assistant
// message.
func (lc *lineCounter) emitChat(line []byte) error {
	if !utf8.Valid(line) {
		return fmt.Errorf("invalid UTF-8 at byte %d", invalidUTF8At(line))
	}
	req, err := chattmpl.ParseRequest(string(line))
	if err != nil {
		return err
	}
	kind := tokwork.Prompt
	if req.Message != nil {
		kind = tokwork.Message
		lc.payload = tokwork.AppendMessage(lc.payload[:0], *req.Message)
	} else {
		lc.payload = tokwork.AppendPrompt(lc.payload[:0], *req.Prompt)
	}
	o := lc.chat.CountItem(kind, string(lc.payload))
	if o.Err != "" {
		return errors.New(o.Err)
	}
	if o.Fallback != "" {
		if lc.f.noFallback {
			return fmt.Errorf("chat template: %s", o.Fallback)
		}
		reason := o.Fallback
		if !lc.fallbackSeen[reason] {
			if lc.fallbackSeen == nil {
				lc.fallbackSeen = map[string]bool{}
			}
			lc.fallbackSeen[reason] = true
			lc.log.Warn("chat template could not be applied; counted upstream's fallback text, as the daemon does (--no-fallback makes this an error)",
				"at", lc.pos, "reason", reason)
		}
	}
	return lc.writeCount(o.Count)
}

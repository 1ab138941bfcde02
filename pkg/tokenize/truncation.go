package tokenize

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// limits are the tokenizer.json "truncation" and "padding" that
// transformers keeps on the backend and encode_batch applies to every
// text (with add_special_tokens=false no room is kept for special tokens).
type limits struct {
	truncate  bool
	maxLength int
	leftTrunc bool // direction Left: keep the last maxLength ids
	onlySecond,
	strideTooLong bool // the library fails on any text longer than maxLength

	pad     bool
	padLen  int // Fixed length, rounded up to pad_to_multiple_of
	padID   uint32
	padLeft bool
}

type rawTruncation struct {
	Direction *string `json:"direction"`
	MaxLength *int    `json:"max_length"`
	Strategy  *string `json:"strategy"`
	Stride    *int    `json:"stride"`
}

type rawPadding struct {
	Strategy        json.RawMessage `json:"strategy"`
	Direction       *string         `json:"direction"`
	PadToMultipleOf *int            `json:"pad_to_multiple_of"`
	PadID           *uint32         `json:"pad_id"`
	PadTypeID       *uint32         `json:"pad_type_id"`
	PadToken        *string         `json:"pad_token"`
}

// parseTruncation reads a non-null "truncation" into l.
func (l *limits) parseTruncation(v []byte) error {
	var r rawTruncation
	if err := json.Unmarshal(v, &r); err != nil {
		return fmt.Errorf("truncation: %w", err)
	}
	if r.MaxLength == nil || r.Strategy == nil || r.Stride == nil {
		return errors.New("truncation: max_length, strategy and stride are required")
	}
	if *r.MaxLength < 0 || *r.Stride < 0 {
		return fmt.Errorf("truncation: negative max_length or stride in %s", clip(v))
	}
	l.truncate, l.maxLength = true, *r.MaxLength
	switch *r.Strategy {
	case "LongestFirst", "OnlyFirst":
	case "OnlySecond":
		l.onlySecond = true
	default:
		return fmt.Errorf("truncation: unknown strategy %q", *r.Strategy)
	}
	if r.Direction != nil {
		switch *r.Direction {
		case "Right":
		case "Left":
			l.leftTrunc = true
		default:
			return fmt.Errorf("truncation: unknown direction %q", *r.Direction)
		}
	}
	l.strideTooLong = *r.Stride >= l.maxLength
	return nil
}

// parsePadding reads a non-null "padding" into l. BatchLongest pads every
// text of an encode_batch call to the longest of that batch, so the count
// of a text depends on its neighbours in upstream's batches: refused.
func (l *limits) parsePadding(v []byte) error {
	var r rawPadding
	if err := json.Unmarshal(v, &r); err != nil {
		return fmt.Errorf("padding: %w", err)
	}
	if r.Strategy == nil || r.Direction == nil || r.PadID == nil || r.PadTypeID == nil || r.PadToken == nil {
		return errors.New("padding: strategy, direction, pad_id, pad_type_id and pad_token are required")
	}
	var batch string
	var fixed struct {
		Fixed *int `json:"Fixed"`
	}
	switch {
	case json.Unmarshal(r.Strategy, &batch) == nil && batch == "BatchLongest":
		return errors.New("unsupported padding strategy BatchLongest: encode_batch pads each text to the longest text of its batch, so upstream's counts depend on how it batches; refusing")
	case json.Unmarshal(r.Strategy, &fixed) == nil && fixed.Fixed != nil && *fixed.Fixed >= 0:
		l.pad, l.padLen = true, *fixed.Fixed
	default:
		return fmt.Errorf("padding: unknown strategy %s", clip(r.Strategy))
	}
	switch *r.Direction {
	case "Right":
	case "Left":
		l.padLeft = true
	default:
		return fmt.Errorf("padding: unknown direction %q", *r.Direction)
	}
	if m := r.PadToMultipleOf; m != nil && *m > 0 && l.padLen%*m > 0 {
		l.padLen += *m - l.padLen%*m
	}
	l.padID = *r.PadID
	return nil
}

// errTruncation is the library's error for a truncation it cannot apply.
var errTruncation = errors.New("truncation: the library fails on this text (OnlySecond without a pair, or stride >= max_length)")

// apply turns the count n (and, when ids is not nil, the ids) of an
// encode into what the library returns after truncation and padding.
func (l *limits) apply(n int, ids []uint32) (int, []uint32, error) {
	if l.truncate && n > l.maxLength {
		if l.maxLength > 0 && (l.onlySecond || l.strideTooLong) {
			return 0, ids, errTruncation
		}
		if ids != nil {
			if l.leftTrunc {
				ids = append(ids[:0], ids[n-l.maxLength:]...)
			} else {
				ids = ids[:l.maxLength]
			}
		}
		n = l.maxLength
	}
	if l.pad && n < l.padLen {
		if ids != nil {
			k := l.padLen - n
			if l.padLeft {
				ids = slices.Insert(ids, 0, make([]uint32, k)...)
				for i := range k {
					ids[i] = l.padID
				}
			} else {
				for range k {
					ids = append(ids, l.padID)
				}
			}
		}
		n = l.padLen
	}
	return n, ids, nil
}

package snapshot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ReadJSON parses a snapshot in its JSON dict form (final_snapshot.json, as
// written by AppendJSON or upstream) for consumers such as the report
// command and tests. It keeps what the dict form carries: map key order,
// int/float identity of int|float fields (a number with '.', 'e' or 'E' is a
// float, as in Python's json module; ints beyond int64 go to Num.Big), and
// null for a scrubbed NaN/±Inf, which reads back as a NaN float so writing
// it again yields null. An absent or null early_stopping_percentiles reads
// as nil. Unknown keys are skipped; missing keys keep their zero value.
func ReadJSON(r io.Reader) (*Snapshot, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	p := jsonReader{dec: dec}
	s := &Snapshot{}
	if err := p.snapshot(s); err != nil {
		return nil, fmt.Errorf("snapshot: read json: %w", err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, fmt.Errorf("snapshot: read json: after snapshot: %w", err)
		}
		return nil, fmt.Errorf("snapshot: read json: unexpected %v after snapshot", tok)
	}
	return s, nil
}

// ReadFinal reads dir/final_snapshot.json (WriteFinal's file) with
// ReadJSON.
func ReadFinal(dir string) (*Snapshot, error) {
	path := filepath.Join(dir, FinalFileName)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	s, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// jsonReader walks the token stream of one snapshot.
type jsonReader struct {
	dec *json.Decoder
}

func (p *jsonReader) snapshot(s *Snapshot) error {
	return p.object(func(key string) error {
		var err error
		switch key {
		case "counter":
			s.Counter, err = p.int()
		case "timestamp_ns":
			s.TimestampNs, err = p.int()
		case "state":
			var name string
			if name, err = p.str(); err == nil {
				var ok bool
				if s.State, ok = ParseState(name); !ok {
					err = fmt.Errorf("unknown state %q", name)
				}
			}
		case "n_pending_tasks":
			s.NPendingTasks, err = p.int()
		case "metrics":
			err = p.array(func(i int) error {
				if err := p.metric(s); err != nil {
					return fmt.Errorf("[%d]: %w", i, err)
				}
				return nil
			})
		default:
			err = p.skip()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		return nil
	})
}

func (p *jsonReader) metric(s *Snapshot) error {
	var (
		typ   string
		value Num
		m     Series
	)
	err := p.object(func(key string) error {
		var err error
		switch key {
		case "type":
			typ, err = p.str()
		case "name":
			m.Name, err = p.str()
		case "value":
			value, err = p.num()
		case "count":
			m.Count, err = p.int()
		case "total":
			m.Total, err = p.num()
		case "min":
			m.Min, err = p.num()
		case "max":
			m.Max, err = p.num()
		case "sum_sq":
			m.SumSq, err = p.num()
		case "percentiles":
			err = p.object(func(k string) error {
				v, err := p.float()
				m.Percentiles = append(m.Percentiles, Percentile{Key: k, Value: v})
				return err
			})
		case "early_stopping_percentiles":
			es := []Estimate{}
			var isNull bool
			isNull, err = p.objectOrNull(func(k string) error {
				n, isNull, err := p.number()
				if err != nil || isNull {
					es = append(es, Estimate{Key: k})
					return err
				}
				v, err := parseFloat(n)
				es = append(es, Estimate{Key: k, Value: v, Valid: true})
				return err
			})
			m.EarlyStopping = es
			if isNull {
				m.EarlyStopping = nil
			}
		case "histogram":
			err = p.array(func(i int) error {
				b, err := p.bucket()
				if err != nil {
					return fmt.Errorf("[%d]: %w", i, err)
				}
				m.Histogram = append(m.Histogram, b)
				return nil
			})
		default:
			err = p.skip()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch typ {
	case "counter":
		s.Counters = append(s.Counters, Counter{Name: m.Name, Value: value})
	case "series":
		s.Series = append(s.Series, m)
	default:
		return fmt.Errorf("metric %q: unknown type %q", m.Name, typ)
	}
	return nil
}

// bucket reads [[lo, hi], count].
func (p *jsonReader) bucket() (Bucket, error) {
	var b Bucket
	n := 0
	err := p.array(func(i int) error {
		n++
		switch i {
		case 0:
			m := 0
			err := p.array(func(j int) error {
				m++
				var err error
				switch j {
				case 0:
					b.Lo, err = p.float()
				case 1:
					b.Hi, err = p.float()
				default:
					return errors.New("bucket range has more than 2 edges")
				}
				return err
			})
			if err == nil && m != 2 {
				err = fmt.Errorf("bucket range has %d edges, want 2", m)
			}
			return err
		case 1:
			var err error
			b.Count, err = p.int()
			return err
		}
		return errors.New("bucket has more than 2 elements")
	})
	if err == nil && n != 2 {
		err = fmt.Errorf("bucket has %d elements, want 2", n)
	}
	return b, err
}

// object reads {key: value...}, calling fn for each key with the decoder
// positioned at its value; fn must consume the value.
func (p *jsonReader) object(fn func(key string) error) error {
	isNull, err := p.objectOrNull(fn)
	if err == nil && isNull {
		err = errors.New("want object, got null")
	}
	return err
}

// objectOrNull is object that also accepts null, reporting it.
func (p *jsonReader) objectOrNull(fn func(key string) error) (isNull bool, err error) {
	tok, err := p.dec.Token()
	if err != nil {
		return false, err
	}
	if tok == nil {
		return true, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return false, fmt.Errorf("want object, got %v", tok)
	}
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return false, err
		}
		key, ok := tok.(string)
		if !ok {
			return false, fmt.Errorf("want object key, got %v", tok)
		}
		if err := fn(key); err != nil {
			return false, err
		}
	}
	return false, p.delim('}')
}

// array reads [value...], calling fn for each element index.
func (p *jsonReader) array(fn func(i int) error) error {
	if err := p.delim('['); err != nil {
		return err
	}
	for i := 0; p.dec.More(); i++ {
		if err := fn(i); err != nil {
			return err
		}
	}
	return p.delim(']')
}

func (p *jsonReader) delim(want json.Delim) error {
	tok, err := p.dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %v, got %v", want, tok)
	}
	return nil
}

func (p *jsonReader) str() (string, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want string, got %v", tok)
	}
	return s, nil
}

func (p *jsonReader) number() (json.Number, bool, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return "", false, err
	}
	if tok == nil {
		return "", true, nil
	}
	n, ok := tok.(json.Number)
	if !ok {
		return "", false, fmt.Errorf("want number, got %v", tok)
	}
	return n, false, nil
}

func isFloatLiteral(n json.Number) bool {
	return strings.ContainsAny(string(n), ".eE")
}

// num reads an int|float field; null (a scrubbed non-finite) reads as NaN.
func (p *jsonReader) num() (Num, error) {
	n, isNull, err := p.number()
	switch {
	case err != nil:
		return Num{}, err
	case isNull:
		return Float(math.NaN()), nil
	case isFloatLiteral(n):
		f, err := parseFloat(n)
		return Float(f), err
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err == nil {
		return Int(v), nil
	}
	b, ok := new(big.Int).SetString(string(n), 10)
	if !ok {
		return Num{}, fmt.Errorf("bad int %q", n)
	}
	return Num{Big: b}, nil
}

// float reads a float field (ints accepted); null reads as NaN.
func (p *jsonReader) float() (float64, error) {
	n, isNull, err := p.number()
	switch {
	case err != nil:
		return 0, err
	case isNull:
		return math.NaN(), nil
	}
	return parseFloat(n)
}

// parseFloat parses like Python's float(): out-of-range values become ±Inf.
func parseFloat(n json.Number) (float64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("bad float %q: %w", n, err)
	}
	return f, nil
}

// int reads an int field that must fit int64.
func (p *jsonReader) int() (int64, error) {
	n, isNull, err := p.number()
	switch {
	case err != nil:
		return 0, err
	case isNull:
		return 0, errors.New("want int, got null")
	case isFloatLiteral(n):
		return 0, fmt.Errorf("want int, got float %s", n)
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad int %q: %w", n, err)
	}
	return v, nil
}

// skip consumes one value of any shape.
func (p *jsonReader) skip() error {
	depth := 0
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

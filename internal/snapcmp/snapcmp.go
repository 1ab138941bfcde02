// Package snapcmp compares two final_snapshot.json documents field by field
// the way the project's acceptance check does: ints exactly, floats to a
// relative tolerance, the volatile counter and timestamp_ns ignored, and
// int/float identity kept (an int where upstream has a float is a diff).
package snapcmp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Options tunes a comparison.
type Options struct {
	// RelTol is the relative tolerance for floats (default 1e-9).
	RelTol float64
	// Ignore lists dotted paths to skip, e.g. "metrics.*.percentiles".
	// "*" matches one path element. counter and timestamp_ns are always
	// ignored.
	Ignore []string
}

// Diff returns one line per difference between want and got (JSON
// documents), or nil when they agree.
func Diff(want, got []byte, opt Options) ([]string, error) {
	if opt.RelTol == 0 {
		opt.RelTol = 1e-9
	}
	opt.Ignore = append(opt.Ignore, "counter", "timestamp_ns")
	w, err := decode(want)
	if err != nil {
		return nil, fmt.Errorf("decode want: %w", err)
	}
	g, err := decode(got)
	if err != nil {
		return nil, fmt.Errorf("decode got: %w", err)
	}
	var diffs []string
	compare(nil, w, g, &opt, &diffs)
	return diffs, nil
}

func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func ignored(path []string, opt *Options) bool {
	for _, pat := range opt.Ignore {
		parts := strings.Split(pat, ".")
		if len(parts) > len(path) {
			continue
		}
		ok := true
		for i, p := range parts {
			if p != "*" && p != path[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func compare(path []string, w, g any, opt *Options, diffs *[]string) {
	if ignored(path, opt) {
		return
	}
	at := strings.Join(path, ".")
	switch wv := w.(type) {
	case map[string]any:
		gv, ok := g.(map[string]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: want object, got %T", at, g))
			return
		}
		keys := make([]string, 0, len(wv))
		for k := range wv {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gk, ok := gv[k]
			if !ok {
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: missing", at, k))
				continue
			}
			compare(append(path, k), wv[k], gk, opt, diffs)
		}
		for k := range gv {
			if _, ok := wv[k]; !ok && !ignored(append(path, k), opt) {
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: unexpected key", at, k))
			}
		}
	case []any:
		gv, ok := g.([]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: want array, got %T", at, g))
			return
		}
		if len(wv) != len(gv) {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %d elements, got %d", at, len(wv), len(gv)))
			return
		}
		for i := range wv {
			name := fmt.Sprint(i)
			// Name metrics by their "name" so paths read well.
			if m, ok := wv[i].(map[string]any); ok {
				if n, ok := m["name"].(string); ok {
					name = n
				}
			}
			compare(append(path, name), wv[i], gv[i], opt, diffs)
		}
	case json.Number:
		gv, ok := g.(json.Number)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: want number %s, got %v", at, wv, g))
			return
		}
		wf, gf := isFloat(wv), isFloat(gv)
		if wf != gf {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %s, got %s (int/float identity differs)", at, wv, gv))
			return
		}
		if !wf {
			if wv != gv {
				*diffs = append(*diffs, fmt.Sprintf("%s: want %s, got %s", at, wv, gv))
			}
			return
		}
		a, _ := wv.Float64()
		b, _ := gv.Float64()
		if !close(a, b, opt.RelTol) {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %s, got %s", at, wv, gv))
		}
	default:
		if fmt.Sprint(w) != fmt.Sprint(g) {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %v, got %v", at, w, g))
		}
	}
}

func isFloat(n json.Number) bool { return strings.ContainsAny(string(n), ".eE") }

func close(a, b, tol float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
}

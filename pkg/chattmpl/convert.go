package chattmpl

import (
	"errors"
	"fmt"

	"github.com/ardanlabs/jinja"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// maxDepth bounds the nesting of converted values (Python's own recursion
// limit would stop a deeper tojson).
const maxDepth = 512

// toJinja converts an ordered events.Value into the library's value,
// keeping dict insertion order and the int/float distinction. Values a
// JSON-like template context cannot hold (bytes, ext types, integers
// beyond int64, non-string dict keys) are errors.
func toJinja(v pyvalue.Value, depth int) (jinja.Value, error) {
	if depth > maxDepth {
		return jinja.Value{}, errors.New("value nested too deeply")
	}
	switch v.Kind {
	case pyvalue.KindNil:
		return jinja.None(), nil
	case pyvalue.KindBool:
		return jinja.NewBool(v.Bool), nil
	case pyvalue.KindInt:
		return jinja.NewInt(v.Int), nil
	case pyvalue.KindFloat:
		return jinja.NewFloat(v.Float), nil
	case pyvalue.KindStr:
		return jinja.NewString(v.Str), nil
	case pyvalue.KindArray:
		items := make([]jinja.Value, len(v.Array))
		for i, x := range v.Array {
			var err error
			if items[i], err = toJinja(x, depth+1); err != nil {
				return jinja.Value{}, err
			}
		}
		return jinja.NewList(items), nil
	case pyvalue.KindMap:
		d := jinja.NewDict()
		dict := d.AsDict()
		for _, kv := range v.Map {
			if kv.Key.Kind != pyvalue.KindStr {
				return jinja.Value{}, fmt.Errorf("dict key of kind %d: only string keys are supported", kv.Key.Kind)
			}
			x, err := toJinja(kv.Value, depth+1)
			if err != nil {
				return jinja.Value{}, err
			}
			dict.Set(kv.Key.Str, x)
		}
		return d, nil
	case pyvalue.KindUint:
		return jinja.Value{}, fmt.Errorf("integer %d does not fit in int64", v.Uint)
	}
	return jinja.Value{}, fmt.Errorf("value of kind %d cannot be passed to a chat template", v.Kind)
}

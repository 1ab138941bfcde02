package jinja

// Local patch (github.com/mlperf-tools/aggregator, see PATCHES.md): the
// binary "+" and "in" operators raise where Python raises, instead of
// coercing. Chat templates rely on it: DeepSeek-V3's template concatenates
// a tool call's arguments to a string, which Python refuses with a
// TypeError when the arguments are a dict; transformers' callers then fall
// back, and counts must follow.

import "fmt"

// pyTypeName is Python's name of v's type, for error messages.
func pyTypeName(v Value) string {
	switch v.kind {
	case KindNone:
		return "NoneType"
	case KindBool:
		return "bool"
	case KindInt:
		return "int"
	case KindFloat:
		return "float"
	case KindString:
		return "str"
	case KindList:
		if v.AsList().tuple {
			return "tuple"
		}
		return "list"
	case KindDict:
		return "dict"
	case KindUndefined:
		return "Undefined"
	}
	return "object"
}

func isPyNumber(v Value) bool { return v.IsBool() || v.IsInt() || v.IsFloat() }

// pyAdd is Python's a + b on template values: numbers (bools as ints),
// str + str, list + list and tuple + tuple; an undefined operand raises
// (jinja2.Undefined), anything else is a TypeError.
func pyAdd(a, b Value) (Value, error) {
	switch {
	case a.IsUndefined() || b.IsUndefined():
		return Undefined(), fmt.Errorf("UndefinedError: undefined value in +")
	case isPyNumber(a) && isPyNumber(b):
		return addValues(a, b), nil
	case a.IsString() && b.IsString():
		return addValues(a, b), nil
	case a.IsList() && b.IsList() && a.AsList().tuple == b.AsList().tuple:
		r := addValues(a, b)
		if a.AsList().tuple {
			r.AsList().tuple = true
		}
		return r, nil
	case a.IsString():
		return Undefined(), fmt.Errorf("TypeError: can only concatenate str (not %q) to str", pyTypeName(b))
	case a.IsList():
		return Undefined(), fmt.Errorf("TypeError: can only concatenate %s (not %q) to %s", pyTypeName(a), pyTypeName(b), pyTypeName(a))
	}
	return Undefined(), fmt.Errorf("TypeError: unsupported operand type(s) for +: %q and %q", pyTypeName(a), pyTypeName(b))
}

// pyContains is Python's item in container: a list or tuple by equality, a
// dict by key (an unhashable item is a TypeError), a str by substring (a
// non-str item is a TypeError); an undefined container iterates as empty
// (jinja2.Undefined); any other container is a TypeError.
func pyContains(container, item Value) (bool, error) {
	switch {
	case container.IsList(), container.IsUndefined():
		return containsValue(container, item), nil
	case container.IsDict():
		if item.IsDict() || (item.IsList() && !item.AsList().tuple) {
			return false, fmt.Errorf("TypeError: unhashable type: %q", pyTypeName(item))
		}
		return containsValue(container, item), nil
	case container.IsString():
		if !item.IsString() {
			return false, fmt.Errorf("TypeError: 'in <string>' requires string as left operand, not %s", pyTypeName(item))
		}
		return containsValue(container, item), nil
	}
	return false, fmt.Errorf("TypeError: argument of type %q is not iterable", pyTypeName(container))
}

package pyvalue

import (
	"math"
	"testing"
)

// TestTruthinessAndEquality: Python's truth values and the == of values
// that can be dict keys.
func TestTruthinessAndEquality(t *testing.T) {
	if Str("").Truthy() || !Str("x").Truthy() || Float(0).Truthy() || !ArrayOf(Nil()).Truthy() || (Value{Kind: KindExt, Ext: 1}).Truthy() == false {
		t.Fatal("truthiness")
	}
	if !pyEqual(Value{Kind: KindUint, Uint: 1 << 63}, Float(0x1p63)) || pyEqual(Int(math.MaxInt64), Float(0x1p63)) || pyEqual(Str("1"), Int(1)) {
		t.Fatal("equality")
	}
}

package jinja

// Local patch (github.com/mlperf-tools/aggregator, see PATCHES.md): the
// limits of Python's Jinja2 sandbox, so that a template Jinja2 refuses
// raises an ordinary error here too instead of exhausting memory or the
// goroutine stack (a Go stack overflow is a fatal error, not a panic).
//
//   - range() of more than MaxRange items raises, as jinja2.sandbox's
//     safe_range raises OverflowError.
//   - Calls of macros, caller() and recursive loops are charged the Python
//     frames Jinja2 spends on them, against Python's default recursion
//     limit: a recursion Jinja2 renders renders here, a runaway one raises
//     a RecursionError-like error at a bounded depth.
//   - Template and expression nesting is bounded while parsing: Python's
//     parser and compiler give up far earlier (a RecursionError or a
//     SyntaxError), the Go parser would recurse until the stack overflows.
//   - The methods that mutate a list or a dict (append, pop, update, ...)
//     raise a SecurityError when called, as in Jinja2's
//     ImmutableSandboxedEnvironment, the environment transformers renders
//     with.

import (
	"errors"
	"fmt"
)

// MaxRange is jinja2.sandbox.MAX_RANGE: the most items range() may give.
const MaxRange = 100_000

// Python's default recursion limit (sys.getrecursionlimit()) and the Python
// frames Jinja2 3.1 spends, measured with inspect on CPython 3.11 (the
// frames are Jinja2's own Python functions, the same on 3.12+):
//
//   - pyBaseFrames: the frames any render starts with below the template
//     code: transformers' apply_chat_template and render_jinja_template,
//     Template.render and the root render function. The caller's own
//     frames (upstream's executor thread, _token_count_prompt) are not
//     charged, so a recursion Jinja2 renders never fails here; one that
//     ends within a few levels of Python's limit may render here where
//     upstream falls back.
//   - pyMacroFrames: one macro or caller() call: SandboxedEnvironment.call,
//     Context.call, Macro.__call__, Macro._invoke, the macro's function.
//   - pyLoopFrames: one loop(...) call of a recursive for loop:
//     SandboxedEnvironment.call, Context.call, LoopContext.__call__, the
//     loop's render function.
const (
	pyRecursionLimit = 1000
	pyBaseFrames     = 4
	pyMacroFrames    = 5
	pyLoopFrames     = 4
)

// maxNesting bounds the nesting of statements ({% if %} in {% for %} ...)
// and of expressions (parentheses, lists, unary operators, chained
// inline ifs) a template may have. Every nesting level costs Python's
// parser at least one frame (it accepts ~70 nested parentheses, ~490
// unary minus signs, 20 nested for loops), so no template Jinja2 compiles
// is refused; the Go parser's stack stays below a few MiB.
const maxNesting = pyRecursionLimit

// errRecursion is the error of a call beyond the recursion limit.
var errRecursion = errors.New("RecursionError: maximum recursion depth exceeded")

// errNesting is the error of a template nested beyond maxNesting.
var errNesting = fmt.Errorf("RecursionError: template nested more than %d levels deep", maxNesting)

// pyStack is the Python frames the calls of one render would hold. It is
// shared by every evaluator of the render (one goroutine).
type pyStack struct {
	frames int
}

// enter charges a call of frames Python frames, or fails as Python would
// when they exceed the recursion limit; leave must follow a successful
// enter. A nil stack charges nothing.
func (s *pyStack) enter(frames int) error {
	if s == nil {
		return nil
	}
	if s.frames+frames > pyRecursionLimit {
		return errRecursion
	}
	s.frames += frames
	return nil
}

func (s *pyStack) leave(frames int) {
	if s != nil {
		s.frames -= frames
	}
}

// rangeLen is len(range(start, stop, step)) for step != 0, without
// overflow.
func rangeLen(start, stop, step int64) uint64 {
	switch {
	case step > 0 && start < stop:
		return (uint64(stop)-uint64(start)-1)/uint64(step) + 1
	case step < 0 && start > stop:
		return (uint64(start)-uint64(stop)-1)/(-uint64(step)) + 1
	}
	return 0
}

// checkRange is safe_range's check.
func checkRange(start, stop, step int64) error {
	if rangeLen(start, stop, step) > MaxRange {
		return fmt.Errorf("OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (%d).", MaxRange)
	}
	return nil
}

// nesting counts the nesting depth of a parser.
type nesting struct {
	depth int
}

// enter goes one level deeper, failing beyond maxNesting; leave must
// follow a successful enter.
func (n *nesting) enter() error {
	if n.depth >= maxNesting {
		return errNesting
	}
	n.depth++
	return nil
}

func (n *nesting) leave() { n.depth-- }

// mutators are the list and dict methods of jinja2.sandbox's _mutable_spec
// (MutableSequence and MutableMapping): ImmutableSandboxedEnvironment
// refuses access to them.
var mutators = map[Kind]map[string]bool{
	KindList: {"append": true, "clear": true, "pop": true, "reverse": true, "insert": true, "sort": true, "extend": true, "remove": true},
	KindDict: {"clear": true, "pop": true, "popitem": true, "setdefault": true, "update": true},
}

// unsafeAttr returns, when attr is a method that mutates obj, what
// Jinja2's unsafe_undefined returns (Python finds the method before any
// dict key of that name): an undefined value — printed empty, falsy, not
// "defined" — whose call raises the SecurityError it carries
// (evalCallExpr).
func unsafeAttr(obj Value, attr string) (Value, bool) {
	if !mutators[obj.kind][attr] {
		return Value{}, false
	}
	err := fmt.Errorf("SecurityError: access to attribute '%s' of '%s' object is unsafe.", attr, pyTypeName(obj))
	return Value{kind: KindUndefined, v: err}, true
}

// undefinedError is the error an undefined value carries (unsafeAttr),
// nil for a plain undefined.
func undefinedError(v Value) error {
	if err, ok := v.v.(error); ok && v.kind == KindUndefined {
		return err
	}
	return nil
}

package chattmpl

import (
	"fmt"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

// nested is a Jinja list literal nested n deep: [[[...]]].
func nested(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// macroDepth recurses n macro calls deep, then prints "ok".
func macroDepth(n int) string {
	return fmt.Sprintf("{%% macro f(n) %%}{%% if n > 1 %%}{{ f(n - 1) }}{%% else %%}ok{%% endif %%}{%% endmacro %%}{{ f(%d) }}", n)
}

// loopTemplate recurses one loop(...) call per level of the nested list
// data (the outer loop is not a call); see loopData.
const loopTemplate = "{% for x in data recursive %}{% if x %}{{ loop(x) }}{% else %}ok{% endif %}{% endfor %}"

// loopData is the JSON context for n loop(...) calls of loopTemplate: a
// list nested n+2 deep. (A literal in the template would stop Python's
// parser first: it gives up at ~75 nested brackets.)
func loopData(n int) string { return `{"data":` + nested(n+2) + `}` }

// callerDepth recurses through a macro and its caller() n levels deep.
func callerDepth(n int) string {
	return fmt.Sprintf("{%% macro w(n) %%}{{ caller(n) }}{%% endmacro %%}"+
		"{%% macro f(n) %%}{%% if n > 0 %%}{%% call(m) w(n - 1) %%}{{ f(m) }}{%% endcall %%}{%% else %%}ok{%% endif %%}{%% endmacro %%}{{ f(%d) }}", n)
}

// goRender compiles and renders src with the variables of the JSON object
// ctx ("" = none).
func goRender(src, ctx string) (string, error) {
	t, err := Compile(src)
	if err != nil {
		return "", err
	}
	var vars RenderContext
	if ctx != "" {
		req, err := ParseRequest(`{"messages":[],"chat_template_kwargs":` + ctx + `}`)
		if err != nil {
			return "", err
		}
		vars.Vars = req.Prompt.ChatTemplateKwargs.Map
	}
	return t.Render(vars)
}

// TestSandboxLikeJinja2: templates transformers' ImmutableSandboxedEnvironment
// refuses (range() beyond MAX_RANGE, runaway recursion, absurd nesting,
// methods that mutate a list or a dict) raise the same kind of error here, and the large or deep ones it renders
// render here, byte for byte (real python3-jinja2 through render.py). The
// Go stack limit is lowered to 8 MiB meanwhile (the shardworker's is 128
// MiB): a recursion the engine did not bound would kill the test binary.
func TestSandboxLikeJinja2(t *testing.T) {
	script := requirePython(t)
	defer debug.SetMaxStack(debug.SetMaxStack(8 << 20))
	cases := []struct {
		name, src, ctx string
		pyErr          string // the Python exception expected ("": renders)
	}{
		{"range 100001", "{% for i in range(100001) %}{% endfor %}", "", "OverflowError"},
		{"range 10**9", "{% for i in range(10**9) %}{{ i }}{% endfor %}", "", "OverflowError"},
		{"range 50M list", "{% set xs = range(50000000) | list %}{{ xs | length }}", "", "OverflowError"},
		{"range step 2", "{{ range(0, 200002, 2) | length }}", "", "OverflowError"},
		{"range negative step", "{{ range(100000, -1, -1) | length }}", "", "OverflowError"},
		{"range huge bounds", "{{ range(-9223372036854775807, 9223372036854775807, 9223372036854775807) | list }}", "", ""},
		{"range 100000", "{{ range(100000) | length }} {{ range(100000) | sum }}", "", ""},
		{"range 100000 step", "{{ range(0, 200000, 2) | length }} {{ range(99999, -1, -1) | first }}", "", ""},
		{"range empty", "{{ range(5, 0) | list }}{{ range(0, 5, -1) | list }}", "", ""},
		{"runaway macro", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "", "RecursionError"},
		{"runaway loop", "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}", "", "RecursionError"},
		{"runaway default argument", "{% macro f(x=f()) %}{% endmacro %}{{ f() }}", "", "RecursionError"},
		{"runaway caller", "{% macro w() %}{{ caller() }}{% endmacro %}{% macro f() %}{% call w() %}{{ f() }}{% endcall %}{% endmacro %}{{ f() }}", "", "RecursionError"},
		{"macro depth 50", macroDepth(50), "", ""},
		{"macro depth 150", macroDepth(150), "", ""},
		{"macro depth 300", macroDepth(300), "", "RecursionError"},
		{"loop depth 50", loopTemplate, loopData(50), ""},
		{"loop depth 180", loopTemplate, loopData(180), ""},
		{"loop depth 300", loopTemplate, loopData(300), "RecursionError"},
		{"caller depth 40", callerDepth(40), "", ""},
		{"list append", "{% set l = [1] %}{{ l.append(2) }}{{ l }}", "", "SecurityError"},
		{"list pop", "{% set l = [1, 2] %}{% set x = l.pop() %}{{ l }}", "", "SecurityError"},
		{"list sort", "{{ [3, 1].sort() }}", "", "SecurityError"},
		{"dict update", "{% set d = {} %}{% set _ = d.update({'a': 1}) %}{{ d }}", "", "SecurityError"},
		{"dict setdefault", "{% set d = {'a': 1} %}{{ d.setdefault('b', 2) }}", "", "SecurityError"},
		{"dict key named like a mutator", "{{ d.update }}|{{ d.pop is defined }}|{{ [1].append is defined }}|{{ 'yes' if d.clear else 'no' }}", `{"d": {"update": 1, "pop": 2}}`, ""},
		{"read-only methods", "{% set d = {'a': [2, 1]} %}{% for k, v in d.items() %}{{ k }}={{ v }}{% endfor %} {{ d.get('a') }} {{ d.keys() | list }} {{ d['a'] | sort }} {{ d.values() | list }}", "", ""},
		{"namespace", "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "", ""},
		{"parens 50", "{{ " + strings.Repeat("(", 50) + "1" + strings.Repeat(")", 50) + " }}", "", ""},
		{"unary 150", "{{ " + strings.Repeat("-", 150) + "1 }}", "", ""},
		{"parens 100000", "{{ " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + " }}", "", "RecursionError"},
		{"not 100000", "{{ " + strings.Repeat("not ", 100000) + "1 }}", "", "RecursionError"},
		{"ifs 3000", strings.Repeat("{% if true %}", 3000) + "x" + strings.Repeat("{% endif %}", 3000), "", "RecursionError"},
	}
	lines := make([]string, len(cases))
	for i, c := range cases {
		ctx := c.ctx
		if ctx == "" {
			ctx = "{}"
		}
		lines[i] = `{"op":"raw","template":` + mustJSON(c.src) + `,"context":` + ctx + `}`
	}
	res := pyRender(t, script, lines)
	for i, c := range cases {
		py := res[i]
		got, err := goRender(c.src, c.ctx)
		switch {
		case c.pyErr == "" && py.Text == nil:
			t.Errorf("%s: Python raised %s, the case expects a rendering", c.name, py.Error)
		case c.pyErr != "" && !strings.HasPrefix(py.Error, c.pyErr+":"):
			t.Errorf("%s: Python gave %q (error %q), the case expects %s", c.name, ptr(py.Text), py.Error, c.pyErr)
		case py.Text != nil && err != nil:
			t.Errorf("%s: Python rendered %q, Go raised %v", c.name, *py.Text, err)
		case py.Text != nil && got != *py.Text:
			t.Errorf("%s: Python %q, Go %q", c.name, *py.Text, got)
		case py.Text == nil && err == nil:
			t.Errorf("%s: Python raised %s, Go rendered %.80q", c.name, py.Error, got)
		case py.Text == nil && !strings.Contains(err.Error(), c.pyErr+":"):
			t.Errorf("%s: Python raised %s, Go raised %v", c.name, py.Error, err)
		}
	}
}

func ptr(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestSandboxRecursionBoundary sweeps the recursion depth across Python's
// limit for each kind of call (macro, recursive loop, caller): whatever
// Jinja2 renders must render here. On CPython 3.12+ (upstream's), where
// only Python frames count against the limit, Go may render at most a few
// levels more than render.py's Jinja2 (whose own frames, like upstream's
// executor thread, are not charged here; third_party/jinja/sandbox.go).
// CPython 3.11 also charges C-to-generator re-entries and stops recursive
// loops ~50 levels earlier; there the sweep only checks the first rule.
// CHAT_ORACLE_PYTHON=python3.12 runs the sweep with another interpreter.
func TestSandboxRecursionBoundary(t *testing.T) {
	script := requirePython(t)
	ver, err := exec.Command(oraclePython(), "-c", "import sys; print(sys.version_info >= (3, 12), sys.version.split()[0])").Output()
	if err != nil {
		t.Fatal(err)
	}
	modern := strings.HasPrefix(string(ver), "True")
	defer debug.SetMaxStack(debug.SetMaxStack(8 << 20))
	noData := func(int) string { return "{}" }
	loopSrc := func(int) string { return loopTemplate }
	kinds := []struct {
		name     string
		src, ctx func(int) string
		from, to int
	}{
		{"macro", macroDepth, noData, 185, 210},
		{"loop", loopSrc, loopData, 185, 260},
		{"caller", callerDepth, noData, 55, 75},
	}
	for _, k := range kinds {
		var lines []string
		for n := k.from; n <= k.to; n++ {
			lines = append(lines, `{"op":"raw","template":`+mustJSON(k.src(n))+`,"context":`+k.ctx(n)+`}`)
		}
		res := pyRender(t, script, lines)
		pyMax, goMax := 0, 0
		for i, n := 0, k.from; n <= k.to; i, n = i+1, n+1 {
			if res[i].Text != nil {
				pyMax = n
			} else if !strings.HasPrefix(res[i].Error, "RecursionError:") {
				t.Fatalf("%s depth %d: Python %s", k.name, n, res[i].Error)
			}
			out, err := goRender(k.src(n), k.ctx(n))
			switch {
			case err == nil && out == "ok":
				goMax = n
			case err == nil:
				t.Fatalf("%s depth %d: Go rendered %q", k.name, n, out)
			case !strings.Contains(err.Error(), "RecursionError:"):
				t.Fatalf("%s depth %d: Go %v", k.name, n, err)
			}
			if err != nil && res[i].Text != nil {
				t.Errorf("%s depth %d: Python rendered, Go raised %v", k.name, n, err)
			}
		}
		if pyMax == k.from || pyMax == k.to || goMax == k.to {
			t.Fatalf("%s: the sweep %d..%d does not span the limits (Python renders up to %d, Go %d)", k.name, k.from, k.to, pyMax, goMax)
		}
		if modern && goMax-pyMax > 3 {
			t.Errorf("%s: Go renders up to depth %d, Jinja2 up to %d: more than 3 levels apart", k.name, goMax, pyMax)
		}
		t.Logf("%s: deepest rendering: Jinja2 (Python %s) %d, Go %d", k.name, strings.Fields(string(ver))[1], pyMax, goMax)
	}
}

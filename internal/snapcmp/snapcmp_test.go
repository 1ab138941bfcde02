package snapcmp

import (
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	base := `{"counter": 3, "timestamp_ns": 9, "state": "complete", "metrics": [{"name": "a", "value": 5, "f": 1.5, "p": {"50.0": 2.0}}]}`
	cases := []struct {
		name, got string
		ignore    []string
		want      string // substring of the single diff, "" for none
	}{
		{"identical", base, nil, ""},
		{"volatile fields ignored", strings.Replace(strings.Replace(base, `"counter": 3`, `"counter": 4`, 1), `"timestamp_ns": 9`, `"timestamp_ns": 1`, 1), nil, ""},
		{"int differs", strings.Replace(base, `"value": 5`, `"value": 6`, 1), nil, "metrics.a.value: want 5, got 6"},
		{"int vs float identity", strings.Replace(base, `"value": 5`, `"value": 5.0`, 1), nil, "identity"},
		{"float within tolerance", strings.Replace(base, `"f": 1.5`, `"f": 1.5000000000001`, 1), nil, ""},
		{"float beyond tolerance", strings.Replace(base, `"f": 1.5`, `"f": 1.50001`, 1), nil, "metrics.a.f"},
		{"missing key", strings.Replace(base, `"f": 1.5, `, ``, 1), nil, "metrics.a.f: missing"},
		{"extra key", strings.Replace(base, `"f": 1.5`, `"f": 1.5, "g": 1`, 1), nil, "unexpected key"},
		{"ignored path", strings.Replace(base, `"50.0": 2.0`, `"50.0": 3.0`, 1), []string{"metrics.*.p"}, ""},
		{"state string", strings.Replace(base, `"complete"`, `"interrupted"`, 1), nil, "state: want complete"},
		{"array length", strings.Replace(base, `[{`, `[{"name": "z"}, {`, 1), nil, "want 1 elements, got 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Diff([]byte(base), []byte(c.got), Options{Ignore: c.ignore})
			if err != nil {
				t.Fatal(err)
			}
			if c.want == "" {
				if len(d) != 0 {
					t.Fatalf("want no diff, got %v", d)
				}
				return
			}
			if len(d) != 1 || !strings.Contains(d[0], c.want) {
				t.Fatalf("want one diff containing %q, got %v", c.want, d)
			}
		})
	}
}

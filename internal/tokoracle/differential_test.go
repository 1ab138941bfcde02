package tokoracle

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNonRaceTestsRunSomewhere: every test that calls Differential or
// NonRace (and so is skipped by the race suite) has a name make test's
// non-race line selects (the Makefile's NONRACE pattern), in a package
// that line runs; otherwise it would run nowhere.
func TestNonRaceTestsRunSomewhere(t *testing.T) {
	root := "../.."
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^NONRACE := (.+)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile: no NONRACE := line")
	}
	pattern := regexp.MustCompile(string(m[1]))
	line := regexp.MustCompile(`(?m)^.*-run '\$\(NONRACE\)'(.*)$`).FindSubmatch(mk)
	if line == nil {
		t.Fatal("Makefile: no go test -run '$(NONRACE)' line")
	}
	pkgs := strings.Fields(strings.Split(string(line[1]), ";")[0])
	covered := func(dir string) bool {
		for _, p := range pkgs {
			p = strings.TrimPrefix(p, "./")
			if rest, ok := strings.CutSuffix(p, "/..."); ok {
				if dir == rest || strings.HasPrefix(dir, rest+"/") {
					return true
				}
			} else if dir == p {
				return true
			}
		}
		return false
	}
	found := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil || !callsNonRace(fn.Body) {
				continue
			}
			found++
			if !pattern.MatchString(fn.Name.Name) {
				t.Errorf("%s: %s skips under -race but does not match NONRACE %q", path, fn.Name.Name, m[1])
			}
			if !covered(rel) {
				t.Errorf("%s: %s skips under -race but the non-race line does not run ./%s", path, fn.Name.Name, rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 10 {
		t.Errorf("found %d non-race tests; the scan is broken", found)
	}
	t.Logf("%d non-race tests; the non-race line: -run %q %v", found, m[1], pkgs)
}

// callsNonRace reports whether body calls Differential or NonRace
// (qualified or not) as a statement of its own.
func callsNonRace(body *ast.BlockStmt) bool {
	for _, st := range body.List {
		es, ok := st.(*ast.ExprStmt)
		if !ok {
			continue
		}
		call, ok := es.X.(*ast.CallExpr)
		if !ok {
			continue
		}
		switch f := call.Fun.(type) {
		case *ast.SelectorExpr:
			if x, ok := f.X.(*ast.Ident); ok && x.Name == "tokoracle" && (f.Sel.Name == "Differential" || f.Sel.Name == "NonRace") {
				return true
			}
		case *ast.Ident:
			if f.Name == "Differential" || f.Name == "NonRace" {
				return true
			}
		}
	}
	return false
}

package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"sort"
	"strings"
	"testing"
)

// statementTypes are the store types whose exported methods send SQL: each of their methods
// must be called by a test of this package, or its statements are neither recorded for the
// T-SQL parser (make sqlserver-statements, make tsql-parse) nor run by the IDSWAP_MSSQL_DSN
// suite.
var statementTypes = map[string]bool{"DB": true, "SessionStore": true}

// notReachable lists exported methods that the store tests cannot call, each with the reason.
// It is empty: every method runs on SQLite.
var notReachable = map[string]string{}

// TestEveryStoreMethodIsCalledByAStoreTest is a static check: it parses the package and fails
// for every exported method of a statementTypes type that no _test.go file of the package names
// as a selector (db.Name(...) or a method value db.Name). It matches by name, so a method that
// shares its name with another type's method a test calls slips through; the names are
// distinct enough for that to be rare, and the check is cheap.
func TestEveryStoreMethodIsCalledByAStoreTest(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string]string{} // name → Type.Name
	used := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, "_test.go") {
			ast.Inspect(f, func(n ast.Node) bool {
				if s, ok := n.(*ast.SelectorExpr); ok {
					used[s.Sel.Name] = true
				}
				return true
			})
			continue
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 || !fn.Name.IsExported() {
				continue
			}
			star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
			if !ok {
				continue
			}
			if id, ok := star.X.(*ast.Ident); ok && statementTypes[id.Name] {
				methods[fn.Name.Name] = id.Name + "." + fn.Name.Name
			}
		}
	}
	if len(methods) < 100 {
		t.Fatalf("found only %d store methods: is the scan still reading the package?", len(methods))
	}
	var missing []string
	for name, full := range methods {
		if !used[name] && notReachable[full] == "" {
			missing = append(missing, full)
		}
	}
	for full := range notReachable {
		if _, ok := methods[full[strings.IndexByte(full, '.')+1:]]; !ok {
			t.Errorf("notReachable names %s, which no longer exists", full)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("no store test calls %s: its statements are neither recorded nor run on SQL Server", m)
	}
	if len(missing) > 0 {
		t.Logf("%d of %d store methods unreached", len(missing), len(methods))
	}
}

// Package archtest enforces the import table of README.md's "Layout" section: the README states
// which idswap packages each package may import, and this test reads that table and compares it
// with what `go list` reports, so the two cannot drift apart. It has no non-test code.
package archtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/idswap/idswap"

// row is one line of the Layout table.
type row struct {
	pkg        string          // relative to the module: "internal/store"
	mayImport  map[string]bool // idswap packages, relative
	stdlibOnly bool            // no third-party import either
	planned    bool            // being created on another branch; may not exist yet
	line       int             // in README.md, for messages
}

// goPackage is the part of `go list -json` this test reads.
type goPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

func TestImportsFollowTheLayoutTable(t *testing.T) {
	root := moduleRoot(t)
	table := readLayout(t, filepath.Join(root, "README.md"))
	checkTableRules(t, table)
	pkgs := listPackages(t, root)

	seen := map[string]bool{}
	for _, p := range pkgs {
		rel := relative(p.ImportPath)
		seen[rel] = true
		if p.Error != nil {
			t.Errorf("%s: go list: %s", rel, p.Error.Err)
			continue
		}
		r, ok := table[rel]
		if !ok {
			t.Errorf("%s is not in README.md's Layout table: add a row saying what it owns and what it may import", rel)
			continue
		}
		if r.planned {
			t.Errorf("README.md:%d: %s exists now: remove its *(planned)* mark", r.line, rel)
		}
		for _, imp := range p.Imports {
			switch {
			case isIdswap(imp):
				if !r.mayImport[relative(imp)] {
					t.Errorf("%s imports %s, which its row (README.md:%d) does not allow", rel, relative(imp), r.line)
				}
			case r.stdlibOnly && !isStandard(imp):
				t.Errorf("%s imports %s, but its row (README.md:%d) says stdlib only", rel, imp, r.line)
			}
		}
		// Test files may use any idswap package (the simulator, the SMTP test server, the demo
		// world), but the two rules that keep the layers apart hold for them too.
		for _, imp := range slices.Concat(p.TestImports, p.XTestImports) {
			if !isIdswap(imp) || relative(imp) == rel {
				continue
			}
			if msg := forbidden(table, rel, relative(imp)); msg != "" {
				t.Errorf("a test of %s imports %s: %s", rel, relative(imp), msg)
			}
		}
	}
	for _, name := range sortedKeys(table) {
		if r := table[name]; !seen[name] && !r.planned {
			t.Errorf("README.md:%d: %s is in the Layout table but there is no such package: remove the row or mark it *(planned)*", r.line, name)
		}
	}
}

// checkTableRules checks the table itself against the direction DESIGN.md states, so a row
// cannot be widened past it: nothing in internal/ imports web or cmd, views never reaches
// store, ident imports nothing of idswap and change only leaf packages, and no cycle.
func checkTableRules(t *testing.T, table map[string]*row) {
	t.Helper()
	for _, name := range sortedKeys(table) {
		r := table[name]
		for _, imp := range sortedKeys(r.mayImport) {
			if _, ok := table[imp]; !ok {
				t.Errorf("README.md:%d: %s may import %s, which has no row", r.line, name, imp)
				continue
			}
			if msg := forbidden(table, name, imp); msg != "" {
				t.Errorf("README.md:%d: %s may import %s: %s", r.line, name, imp, msg)
			}
		}
		if reach(table, name)[name] {
			t.Errorf("README.md:%d: %s can reach itself through the table: imports must point one way", r.line, name)
		}
	}
	for name, allowed := range map[string][]string{
		// change and ident do no I/O: ident stands alone; change uses ident and the error type,
		// a stdlib-only leaf.
		"internal/ident":  nil,
		"internal/change": {"internal/ident", "internal/apperr"},
	} {
		r, ok := table[name]
		if !ok {
			t.Errorf("README.md's Layout table has no row for %s", name)
			continue
		}
		if !r.stdlibOnly {
			t.Errorf("README.md:%d: %s must be stdlib only", r.line, name)
		}
		for imp := range r.mayImport {
			if !slices.Contains(allowed, imp) {
				t.Errorf("README.md:%d: %s may import only %v, not %s", r.line, name, allowed, imp)
			}
		}
	}
}

// forbidden says why from may not import to, or "" when the direction rules allow it.
func forbidden(table map[string]*row, from, to string) string {
	switch {
	case strings.HasPrefix(from, "internal/") && (to == "web" || strings.HasPrefix(to, "cmd/")):
		return "nothing in internal/ imports web or cmd"
	case from == "views" && (to == "internal/store" || reach(table, to)["internal/store"]):
		return "views never reaches store: components take view models"
	}
	return ""
}

// reach is every package name can import, directly or not, according to the table.
func reach(table map[string]*row, name string) map[string]bool {
	out := map[string]bool{}
	var walk func(string)
	walk = func(n string) {
		r, ok := table[n]
		if !ok {
			return
		}
		for imp := range r.mayImport {
			if !out[imp] {
				out[imp] = true
				walk(imp)
			}
		}
	}
	walk(name)
	return out
}

var (
	codeSpan = regexp.MustCompile("`([^`]+)`")
	pkgCell  = regexp.MustCompile("^`([a-z0-9/-]+)`( \\*\\(planned\\)\\*)?$")
)

// readLayout parses the table under "## Layout": | `package` [*(planned)*] | owns | may import |.
// In the last cell every `code span` is an idswap package, "—" alone means none, and the words
// "stdlib only" forbid third-party imports.
func readLayout(t *testing.T, path string) map[string]*row {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]*row{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	inLayout, inTable, n := false, false, 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "## ") {
			inLayout = line == "## Layout"
			continue
		}
		if !inLayout {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break // the table has ended
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == "package" || strings.HasPrefix(cells[0], "---") {
			continue
		}
		if len(cells) != 3 {
			t.Fatalf("README.md:%d: a Layout row has 3 cells (package, owns, may import), this one %d", n, len(cells))
		}
		m := pkgCell.FindStringSubmatch(cells[0])
		if m == nil {
			t.Fatalf("README.md:%d: the first cell must be a `package/path`, optionally followed by *(planned)*; got %q", n, cells[0])
		}
		if _, dup := table[m[1]]; dup {
			t.Fatalf("README.md:%d: %s has two rows", n, m[1])
		}
		r := &row{pkg: m[1], planned: m[2] != "", line: n, mayImport: map[string]bool{},
			stdlibOnly: strings.Contains(cells[2], "stdlib only")}
		for _, s := range codeSpan.FindAllStringSubmatch(cells[2], -1) {
			r.mayImport[s[1]] = true
		}
		if len(r.mayImport) == 0 && !strings.HasPrefix(cells[2], "—") {
			t.Fatalf("README.md:%d: %s: the last cell lists `packages` or starts with — for none; got %q", n, m[1], cells[2])
		}
		table[m[1]] = r
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(table) == 0 {
		t.Fatal("README.md has no table under \"## Layout\"")
	}
	return table
}

// listPackages runs `go list -e -json ./...` in the module: every package, its imports and its
// test files' imports.
func listPackages(t *testing.T, root string) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Error", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

// moduleRoot walks up from the test's folder to the go.mod of this module.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			if !bytes.HasPrefix(data, fmt.Appendf(nil, "module %s\n", module)) {
				t.Fatalf("%s/go.mod is not module %s", dir, module)
			}
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

func isIdswap(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }

func relative(path string) string { return strings.TrimPrefix(path, module+"/") }

// isStandard is the go command's own rule: a standard library path has no dot in its first
// element.
func isStandard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

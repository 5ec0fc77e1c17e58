package collections

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Behaviour that depends on a field's type belongs to the type (its
// field_<type>.go, and the capabilities of fieldtype.go and shape.go): no
// code outside this package compares a field's Type with a type name.
func TestNoTypeSwitchesOutsideCollections(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || path == filepath.Join(root, "internal", "collections")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				if (n.Op == token.EQL || n.Op == token.NEQ) && (typeCompare(n.X, n.Y) || typeCompare(n.Y, n.X)) {
					t.Errorf("%s: compares a field's Type with a type name; give the type a capability instead", fset.Position(n.Pos()))
				}
			case *ast.SwitchStmt:
				if isTypeSelector(n.Tag) && switchesOnTypeNames(n) {
					t.Errorf("%s: switches on a field's Type; give the type a capability instead", fset.Position(n.Pos()))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func isTypeSelector(e ast.Expr) bool {
	s, ok := e.(*ast.SelectorExpr)
	return ok && s.Sel.Name == "Type"
}

func typeCompare(sel, lit ast.Expr) bool {
	return isTypeSelector(sel) && isTypeName(lit)
}

func isTypeName(e ast.Expr) bool {
	l, ok := e.(*ast.BasicLit)
	if !ok || l.Kind != token.STRING {
		return false
	}
	s, err := strconv.Unquote(l.Value)
	_, known := fieldTypes[s]
	return err == nil && known
}

func switchesOnTypeNames(s *ast.SwitchStmt) bool {
	for _, st := range s.Body.List {
		for _, e := range st.(*ast.CaseClause).List {
			if isTypeName(e) {
				return true
			}
		}
	}
	return false
}

package postgres

import (
	"fmt"
	"strings"
)

// filter is the one way a list's optional filters become SQL: a WHERE
// clause of the filters given, and its arguments. Only the filters given become conditions: a barcode scanned
// at the bench is then one probe of the unique index, where a condition
// like "$3 IS NULL OR barcode = $3" would, in a generic plan, walk the
// whole table.
type filter struct {
	sql  string
	args []any
}

// and adds a condition whose ? marks all stand for arg.
func (w *filter) and(cond string, arg any) {
	w.args = append(w.args, arg)
	w.sql += " AND " + strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(w.args)))
}

// also adds a condition without an argument.
func (w *filter) also(cond string) { w.sql += " AND " + cond }

// query is "SELECT columns FROM from WHERE … ORDER BY order LIMIT limit".
func (w *filter) query(columns, from, order string, limit int) (string, []any) {
	args := append(w.args, limit)
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT $%d", columns, from, w.sql, order, len(args)), args
}

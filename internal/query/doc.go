// Package query is the one expression language of FastCMS: REST ?filter=,
// access rules and GraphQL where: all become the same AST, which is either
// compiled to a parameterised PostgreSQL WHERE fragment (Compile) or
// evaluated in memory against a record (Eval). Both back ends share one
// binding step and one definition of every operator, and give the same
// answer for the same data.
//
// # Syntax
//
//	expr     = and { "||" and }           && binds tighter than ||
//	and      = primary { "&&" primary }
//	primary  = "(" expr ")" | operand op operand
//	op       = [ "?" ] ( "=" | "!=" | ">" | ">=" | "<" | "<=" | "~" | "!~" )
//	operand  = field | "@record." field | "@request.auth." path | "@request.data." path
//	         | string | number | true | false | null | @macro
//
// Strings use single or double quotes with escapes \" \' \\ \n \t. Numbers
// are decimal (-1, 2.5). Fields are dotted paths through relations
// (author.name), at most MaxPathSegments long. A bare word on the right of
// a comparison whose first segment is not a field is a string, so
// `status = published` works; on the left it must be a field. Input is
// limited to MaxLength bytes and MaxDepth nested parentheses. An empty
// (all-whitespace) expression parses to a nil Expr, meaning "match all".
// Errors are *Error with a 0-based byte offset.
//
// # Semantics
//
// Every comparison is two-valued (never "unknown"), with NULL handled so:
// `x = null` / `x != null` test for NULL; `=` is true when both sides are
// NULL and `!=` is its exact negation (so NULL != "a" is true, as in
// PocketBase); `~` (case-insensitive contains, % and _ literal) and the
// orderings are false when a side is NULL; `!~` is the exact negation of
// `~`. A relation that is missing makes the fields behind it NULL.
// Text orders by bytes (COLLATE "C"); comparing a date field with a
// datetime compares UTC calendar dates.
//
// Multi-valued operands (KindMulti fields and paths through multi
// relations) need the any-of forms: `tags ?= "go"` is true if any element
// matches; an empty list matches nothing. The only plain comparisons
// allowed on a multi field are `= null` (NULL or empty) and `!= null` (has
// elements). On a single-valued operand, `?op` is the same as `op`.
//
// `@request.auth.*` and `@request.data.*` come from Options.Request (a nil
// Auth makes them all null). Constants are converted to the type of the field they meet: numbers and
// bools may be given as strings, dates as "2006-01-02" or RFC 3339.
//
// # Date macros
//
// Macros are UTC instants (compared as timestamptz) derived from
// Options.Now, so results are deterministic for a given Now:
//
//	@now         Now itself (truncated to microseconds, PostgreSQL's precision)
//	@today       start of today (00:00:00); same as @todayStart
//	@todayStart  start of today
//	@todayEnd    last microsecond of today (23:59:59.999999)
//	@yesterday   start of yesterday
//	@tomorrow    start of tomorrow
//	@monthStart  start of the first day of this month
//	@monthEnd    last microsecond of this month
//	@yearStart   start of January 1st of this year
//	@yearEnd     last microsecond of this year
//
// Compared with a KindDate field a macro is reduced to its calendar date,
// so `birthday = @todayEnd` holds for today's date.
package query

// Package page is the one pagination contract of every list: page and
// per_page in, items with totals out.
package page

import (
	"math"

	"fastcms/internal/apierr"
)

// Limits of per_page.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
)

// Request is a validated page request. SkipTotal spares the count query.
type Request struct {
	Page      int
	PerPage   int
	SkipTotal bool
}

// New validates page (≥1, default 1) and perPage (1–100, default 20); nil
// means not given.
func New(pageArg, perPageArg *int, skipTotal bool) (Request, error) {
	pageNum, perPage := 1, DefaultPerPage
	if pageArg != nil {
		pageNum = *pageArg
	}
	if perPageArg != nil {
		perPage = *perPageArg
	}
	if pageNum < 1 {
		return Request{}, apierr.BadRequest("page must be 1 or more")
	}
	if perPage < 1 || perPage > MaxPerPage {
		return Request{}, apierr.BadRequest("per_page must be between 1 and %d", MaxPerPage)
	}
	// The offset (page-1)*per_page must fit in an int; past that it would
	// wrap into a negative OFFSET.
	if pageNum-1 > math.MaxInt/perPage {
		return Request{}, apierr.BadRequest("page is too large")
	}
	return Request{Page: pageNum, PerPage: perPage, SkipTotal: skipTotal}, nil
}

// Offset is the number of rows before this page.
func (r Request) Offset() int { return (r.Page - 1) * r.PerPage }

// Result is one page of items. Total and TotalPages are -1 when skipped.
type Result[T any] struct {
	Items      []T
	Total      int
	Page       int
	PerPage    int
	TotalPages int
}

// NewResult fills in the totals; total < 0 means it was not counted.
func NewResult[T any](items []T, total int, r Request) Result[T] {
	if items == nil {
		items = []T{}
	}
	pages := -1
	if total >= 0 {
		pages = (total + r.PerPage - 1) / r.PerPage
	}
	return Result[T]{Items: items, Total: total, Page: r.Page, PerPage: r.PerPage, TotalPages: pages}
}

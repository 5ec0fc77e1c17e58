package records

import (
	"strings"

	"fastcms/internal/apierr"
	"fastcms/internal/collections"
)

// Expansion embeds related records in a RecordResponse, as PocketBase does:
//
//	expand=author,author.company,tags,comments_via_post
//
// Each path is a dot-separated chain of at most maxExpandDepth relations
// (deeper is a 400); "author.company" implies "author". A segment is either
// a relation field of the current collection (forward) or
// <collection>_via_<field>, the records of <collection> whose relation
// field <field> (single or multi) points at the current record (back). A
// segment that is neither, or that names a field the caller may not see
// (a hidden field, for non-admins), is a 400 naming the path up to it.
//
// The shape of "expand":
//
//   - null when no path was asked at that level; otherwise an object whose
//     keys are the segments, in the order first asked.
//   - a forward single relation is one RecordResponse; a forward multi
//     relation is an array in the order of the ids in the field; a
//     back-relation is an array ordered by created then id, at most
//     maxBackRelation records.
//   - every embedded RecordResponse has its own "expand": the object of the
//     paths nested under it, or null when none was asked.
//   - a key with nothing to show is omitted, as in PocketBase: a null
//     relation, a target the caller may not view, and an empty array alike.
//     So an asked-for expand with nothing to show is {}.
//
// The target collection's view rule applies for the caller at every level
// (admins bypass it; a null rule shows nothing to non-admins; a rule that
// cannot be evaluated for the caller fails closed), and the target's
// hidden fields are shown to admins only.
//
// A request has a budget (maxExpandRecords): the most records its paths
// could embed for its rows records (the page size, or 1 for a get) must
// not exceed it, or the request is a 400 before any SQL runs. A single
// relation counts 1 per record above it, a multi relation its max_select,
// a back-relation maxBackRelation. So one page can never embed more than
// the budget, whatever the data.
//
// The tree becomes members of the read plan (restplan.go), rendered as
// correlated subqueries of the statement that reads the records, so
// expanding costs no extra statement however many records a page holds.
func (sc *scope) expand(paths []string, rows int) (*expandNode, error) {
	root := &expandNode{target: sc}
	for _, p := range paths {
		segs := strings.Split(p, ".")
		if len(segs) > maxExpandDepth {
			return nil, apierr.BadRequest("expand: %q is deeper than %d relations", p, maxExpandDepth)
		}
		n := root
		for i, seg := range segs {
			if n.files {
				return nil, apierr.BadRequest("expand: unknown relation %q", strings.Join(segs[:i+1], "."))
			}
			next := n.child(seg)
			if next == nil {
				if next = n.target.relation(seg); next == nil {
					return nil, apierr.BadRequest("expand: unknown relation %q", strings.Join(segs[:i+1], "."))
				}
				n.children = append(n.children, next)
			}
			n = next
		}
	}
	if root.embedded(rows) > maxExpandRecords {
		return nil, apierr.BadRequest("expand: %d records with these paths could embed more than %d records "+
			"(a back-relation counts %d per record, a multi relation its max_select); ask for fewer records (per_page) or fewer paths",
			rows, maxExpandRecords, maxBackRelation)
	}
	return root, nil
}

const (
	// maxExpandDepth is the longest expand path, in relations.
	maxExpandDepth = 6
	// maxBackRelation caps the records one back-relation embeds.
	maxBackRelation = 100
	// maxExpandRecords is the budget of one request: the most records its
	// expand paths could embed.
	maxExpandRecords = 10_000
)

// embedded is the most records n's relations could embed under parents
// records of n. It saturates at maxExpandRecords·maxBackRelation, so no
// max_select or depth can overflow it.
func (n *expandNode) embedded(parents int) int {
	const ceiling = maxExpandRecords * maxBackRelation
	total := 0
	for _, c := range n.children {
		rows := min(parents*c.fanOut(), ceiling)
		total = min(total+rows+c.embedded(rows), ceiling)
	}
	return total
}

// fanOut is the most records n embeds for one record of its parent.
func (n *expandNode) fanOut() int {
	switch {
	case n.back:
		return maxBackRelation
	case n.files:
		return fileFanOut(n.field)
	case n.field.Multi():
		return min(n.field.Relation.MaxSelect, maxExpandRecords+1)
	}
	return 1
}

// expandNode is one relation of the expand tree; the root stands for the
// listed records themselves.
type expandNode struct {
	key string // the path segment, and the key under "expand"
	// field is the relation: a field of the parent's collection, or for a
	// back-relation a field of the target's that points at the parent.
	field    *collections.Field
	back     bool
	files    bool   // a file field (expand_files.go)
	target   *scope // the related collection, as the caller sees it
	children []*expandNode
}

func (n *expandNode) child(key string) *expandNode {
	for _, c := range n.children {
		if c.key == key {
			return c
		}
	}
	return nil
}

// relation resolves one expand segment from sc's collection (nil if unknown).
func (sc *scope) relation(seg string) *expandNode {
	if f := sc.visible(seg); f != nil {
		if f.Relation == nil {
			return sc.fileNode(seg, f)
		}
		t := sc.snap.Get(f.Relation.CollectionID)
		if t == nil {
			return nil
		}
		return &expandNode{key: seg, field: f, target: newScope(sc.snap, t, sc.p, nil)}
	}
	t, f := sc.snap.BackRelation(sc.c, seg)
	if t == nil {
		return nil
	}
	ts := newScope(sc.snap, t, sc.p, nil)
	if ts.visible(f.Name) == nil {
		return nil
	}
	return &expandNode{key: seg, field: f, back: true, target: ts}
}

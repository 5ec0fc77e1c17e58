package dbmodel

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// Collection is a registry row. Schema holds the field definitions as JSON
// (internal/collections owns their shape); a nil rule means admins only.
type Collection struct {
	bun.BaseModel `bun:"table:collections"`

	ID         string          `bun:"id,pk,type:uuid,default:gen_random_uuid()"`
	Name       string          `bun:"name,notnull"`
	Type       string          `bun:"type,notnull"`
	Schema     json.RawMessage `bun:"schema,type:jsonb,notnull"`
	ListRule   *string         `bun:"list_rule"`
	ViewRule   *string         `bun:"view_rule"`
	CreateRule *string         `bun:"create_rule"`
	UpdateRule *string         `bun:"update_rule"`
	DeleteRule *string         `bun:"delete_rule"`
	Options    json.RawMessage `bun:"options,type:jsonb,notnull"`
	Created    time.Time       `bun:"created,notnull,default:now()"`
	Updated    time.Time       `bun:"updated,notnull,default:now()"`
}

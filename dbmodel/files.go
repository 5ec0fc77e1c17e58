package dbmodel

import (
	"time"

	"github.com/uptrace/bun"
)

// File is the metadata of one upload; its bytes are in storage under
// Filename. The optional links say which record field the file is for.
type File struct {
	bun.BaseModel `bun:"table:files"`

	ID               string  `bun:"id,pk,type:uuid"`
	Filename         string  `bun:"filename,notnull"`
	OriginalFilename string  `bun:"original_filename,notnull"`
	MimeType         string  `bun:"mime_type,notnull"`
	Size             int64   `bun:"size,notnull"`
	SHA256           string  `bun:"sha256,notnull"`
	CollectionName   *string `bun:"collection_name"`
	RecordID         *string `bun:"record_id"`
	FieldName        *string `bun:"field_name"`
	UserID           *string `bun:"user_id,type:uuid"`
	// Backend is the storage backend holding the bytes; nil for files
	// stored before backends were recorded (the instance's current one).
	Backend *string   `bun:"backend"`
	Created time.Time `bun:"created,notnull"`
	Updated time.Time `bun:"updated,notnull"`
}

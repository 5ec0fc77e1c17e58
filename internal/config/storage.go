package config

import (
	"fmt"
	"strconv"
)

// Storage chooses where uploaded files' bytes live: "local" (the disk
// under DATA_DIR/files) or "s3" (a bucket that several instances share).
type Storage struct {
	Backend string
	S3      S3
	// env holds the storage variables the environment set; nil for a
	// Storage not made by Load (tests), which WithSettings leaves as is.
	env map[string]string
}

// S3 addresses a bucket of AWS S3 or an S3-compatible service.
type S3 struct {
	Bucket, Region, Endpoint string
	AccessKeyID              string
	SecretAccessKey          string
	PathStyle                bool
}

// StorageVars are the environment variables of the storage backend.
var StorageVars = []string{"STORAGE_BACKEND", "S3_BUCKET", "S3_REGION", "S3_ENDPOINT", "S3_PATH_STYLE", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"}

func loadStorage(env func(key, def string) string) (Storage, error) {
	set := map[string]string{}
	for _, k := range StorageVars {
		if v := env(k, ""); v != "" {
			set[k] = v
		}
	}
	return parseStorage(set)
}

// WithSettings is the storage chosen by the environment and, for each
// variable the environment leaves unset, by stored, which returns the
// setting of a variable (settings storage_backend, s3_bucket, …) if one
// is stored. The environment wins where it is explicit.
func (s Storage) WithSettings(stored func(envVar string) (string, bool)) (Storage, error) {
	if s.env == nil {
		return s, nil
	}
	merged := map[string]string{}
	for _, k := range StorageVars {
		if v, ok := s.env[k]; ok {
			merged[k] = v
		} else if v, ok := stored(k); ok && v != "" {
			merged[k] = v
		}
	}
	return parseStorage(merged)
}

// parseStorage reads the storage variables set. The S3 bucket is read
// whenever it is named, so that files stored there stay readable after
// the backend becomes local; it must be complete only when it is the
// backend.
func parseStorage(set map[string]string) (Storage, error) {
	env := func(key, def string) string {
		if v, ok := set[key]; ok {
			return v
		}
		return def
	}
	s := Storage{Backend: env("STORAGE_BACKEND", "local"), env: set}
	if s.Backend != "local" && s.Backend != "s3" {
		return s, fmt.Errorf("STORAGE_BACKEND must be local or s3")
	}
	s.S3 = S3{Bucket: env("S3_BUCKET", ""), Region: env("S3_REGION", "us-east-1"), Endpoint: env("S3_ENDPOINT", ""),
		AccessKeyID: env("S3_ACCESS_KEY_ID", ""), SecretAccessKey: env("S3_SECRET_ACCESS_KEY", "")}
	if !s.S3.Complete() {
		if s.Backend == "s3" {
			return s, fmt.Errorf("STORAGE_BACKEND=s3 needs S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY")
		}
		s.S3 = S3{}
		return s, nil
	}
	pathStyle := "false"
	if s.S3.Endpoint != "" {
		pathStyle = "true"
	}
	var err error
	if s.S3.PathStyle, err = strconv.ParseBool(env("S3_PATH_STYLE", pathStyle)); err != nil {
		return s, fmt.Errorf("S3_PATH_STYLE must be true or false")
	}
	return s, nil
}

// Complete reports whether the bucket and its keys are all given.
func (c S3) Complete() bool { return c.Bucket != "" && c.AccessKeyID != "" && c.SecretAccessKey != "" }
